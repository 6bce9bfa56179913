import { LazydbError } from '../errors/lazydb-error';

/** The catalogue code an error thrown out of routing stands for (INTERNAL for anything unexpected), or null when there was none. */
export function errorCodeOf(error: unknown): string | null {
  if (error === undefined) return null;
  return error instanceof LazydbError ? error.code : 'INTERNAL';
}

/** The code of the first error of a GraphQL answer, `{"errors":[{…,"extensions":{"code":…}}]}` (GRAPHQL_ERROR when it names none), or null when it has no errors. */
export function graphqlErrorCodeOf(errors: readonly { extensions?: Record<string, unknown> | undefined }[] | undefined): string | null {
  if (!errors || errors.length === 0) return null;
  const code = errors[0]!.extensions?.code;
  return typeof code === 'string' ? code : 'GRAPHQL_ERROR';
}

/** The same, read from an answer's JSON text; only parsed when the text holds an `"errors"` member at all. */
export function graphqlErrorCodeOfText(payload: Buffer): string | null {
  if (!payload.includes('"errors"')) return null;
  try {
    const body = JSON.parse(payload.toString('utf8')) as { errors?: unknown };
    return Array.isArray(body.errors) ? graphqlErrorCodeOf(body.errors as { extensions?: Record<string, unknown> }[]) : null;
  } catch {
    return null;
  }
}

/** The code of a REST error answer, `{"error":{"code":…}}` (SOFA's writes answer as text). */
export function restErrorCodeOf(body: string): string | null {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : null;
  } catch {
    return null;
  }
}
