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
  /** Relations nest deeper than LAZYDB_MAX_DEPTH, or selection sets deeper than graphql-js can run safely (a fixed 128). */
  | 'QUERY_TOO_DEEP'
  /** An input value (a literal, a JSON variable, a REST `where`) nests deeper than LAZYDB_MAX_INPUT_DEPTH. */
  | 'INPUT_TOO_DEEP'
  /** An `_in`/`_nin` list is longer than LAZYDB_MAX_IN_VALUES, or a statement would bind too many values. */
  | 'TOO_MANY_VALUES'
  // Bounds on the shape and cost of an operation (server/plugins/use-alias-limits.ts, use-query-cost.ts, use-batch-limit.ts):
  /** The document uses more aliases than LAZYDB_MAX_ALIASES. */
  | 'TOO_MANY_ALIASES'
  /** A field or fragment carries more directives than LAZYDB_MAX_DIRECTIVES. */
  | 'TOO_MANY_DIRECTIVES'
  /** A batched request (a JSON array body) holds more operations than LAZYDB_MAX_BATCH. */
  | 'TOO_MANY_OPERATIONS'
  /** The operation is estimated to read more rows than LAZYDB_MAX_COST. */
  | 'QUERY_TOO_COSTLY'
  /** A `limit` is above the largest page, LAZYDB_MAX_LIMIT. */
  | 'LIMIT_TOO_LARGE'
  // Bounds on time and connections (server/query/runner.ts, server/gateway/pool.ts):
  /**
   * A statement ran past LAZYDB_STATEMENT_TIMEOUT_MS (or the database's statementTimeoutMs) and was
   * cancelled on the server. 504: the database, upstream of lazydb, did not answer in time; the
   * same request would most likely time out again, so no Retry-After.
   */
  | 'STATEMENT_TIMEOUT'
  /** Every connection of the database's pool stayed busy for LAZYDB_POOL_WAIT_MS (503 with Retry-After: try again shortly). */
  | 'POOL_EXHAUSTED'
  /** The request's client went away and its statements were cancelled (499, as nginx logs it: nobody reads the answer). */
  | 'REQUEST_CANCELLED';

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
  TOO_MANY_ALIASES: 400,
  TOO_MANY_DIRECTIVES: 400,
  TOO_MANY_OPERATIONS: 400,
  QUERY_TOO_COSTLY: 400,
  LIMIT_TOO_LARGE: 400,
  STATEMENT_TIMEOUT: 504,
  POOL_EXHAUSTED: 503,
  REQUEST_CANCELLED: 499,
};

export function lazydbError(code: LazydbErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export function httpStatusFor(code: string | undefined): number {
  return (code && STATUS[code as LazydbErrorCode]) || 500;
}

export const badInput = (message: string): GraphQLError => lazydbError('BAD_USER_INPUT', message);
