import { GraphQLError } from 'graphql';

/**
 * Errors resolvers raise on purpose. Each carries a stable `code`; the REST layer answers
 * with `httpStatusFor(code)`, GraphQL keeps HTTP 200 with the error in `errors` (as clients
 * expect). Anything else a resolver throws is masked by yoga as an unexpected error.
 */
export type LazydbErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONSTRAINT_VIOLATION'
  | 'DATABASE_UNAVAILABLE'
  | 'DATABASE_ERROR';

const STATUS: Record<LazydbErrorCode, number> = {
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONSTRAINT_VIOLATION: 409,
  DATABASE_UNAVAILABLE: 503,
  DATABASE_ERROR: 500,
};

export function lazydbError(code: LazydbErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export function httpStatusFor(code: string | undefined): number {
  return (code && STATUS[code as LazydbErrorCode]) || 500;
}

export const badInput = (message: string): GraphQLError => lazydbError('BAD_USER_INPUT', message);
