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
  | 'DATABASE_ERROR'
  /** A materialized view that has no data until its owner runs REFRESH MATERIALIZED VIEW (409). */
  | 'VIEW_NOT_POPULATED'
  // Bounds on the work one request may ask for (server/plugins/use-document-limits.ts, server/query/filter.ts):
  /** The document has more lexical tokens than LAZYDB_MAX_TOKENS. */
  | 'TOO_MANY_TOKENS'
  /** The operation expands, fragments spread out, to more field selections than LAZYDB_MAX_SELECTIONS. */
  | 'TOO_MANY_SELECTIONS'
  /** Selection sets nest deeper than graphql-js can parse and run safely (a fixed bound). */
  | 'QUERY_TOO_DEEP'
  /** An input value (a literal, a JSON variable, a REST `where`) nests deeper than LAZYDB_MAX_INPUT_DEPTH. */
  | 'INPUT_TOO_DEEP'
  /** An `_in`/`_nin` list is longer than LAZYDB_MAX_IN_VALUES, or a statement would bind too many values. */
  | 'TOO_MANY_VALUES';

const STATUS: Record<LazydbErrorCode, number> = {
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONSTRAINT_VIOLATION: 409,
  DATABASE_UNAVAILABLE: 503,
  DATABASE_ERROR: 500,
  VIEW_NOT_POPULATED: 409,
  TOO_MANY_TOKENS: 400,
  TOO_MANY_SELECTIONS: 400,
  QUERY_TOO_DEEP: 400,
  INPUT_TOO_DEEP: 400,
  TOO_MANY_VALUES: 400,
};

export function lazydbError(code: LazydbErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export function httpStatusFor(code: string | undefined): number {
  return (code && STATUS[code as LazydbErrorCode]) || 500;
}

export const badInput = (message: string): GraphQLError => lazydbError('BAD_USER_INPUT', message);
