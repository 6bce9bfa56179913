import type { ErrorFamily } from './lazydb-error';

/**
 * Bounds on the work one request may ask for, checked before any SQL is sent
 * (server/plugins/use-document-limits.ts, use-alias-limits.ts, use-query-cost.ts,
 * use-batch-limit.ts, and server/query/filter.ts for what a statement may bind).
 */
export const LIMIT_ERRORS = {
  TOO_MANY_TOKENS: { status: 400, hint: 'send a smaller document (LAZYDB_MAX_TOKENS)' },
  TOO_MANY_SELECTIONS: { status: 400, hint: 'select fewer fields; fragments count once per use (LAZYDB_MAX_SELECTIONS)' },
  QUERY_TOO_DEEP: { status: 400, hint: 'nest fewer relation levels (LAZYDB_MAX_DEPTH)' },
  INPUT_TOO_DEEP: { status: 400, hint: 'nest input values less deeply (LAZYDB_MAX_INPUT_DEPTH)' },
  TOO_MANY_VALUES: { status: 400, hint: 'list fewer values in one filter (LAZYDB_MAX_IN_VALUES)' },
  TOO_MANY_ALIASES: { status: 400, hint: 'use fewer aliases; filter with _in instead (LAZYDB_MAX_ALIASES)' },
  TOO_MANY_DIRECTIVES: { status: 400, hint: 'put fewer directives on one field (LAZYDB_MAX_DIRECTIVES)' },
  TOO_MANY_OPERATIONS: { status: 400, hint: 'send fewer operations in one batch (LAZYDB_MAX_BATCH)' },
  QUERY_TOO_COSTLY: { status: 400, hint: 'give nested lists smaller limits (LAZYDB_MAX_COST)' },
  TOO_MANY_ROWS: { status: 400, hint: 'narrow the where of the update or delete (LAZYDB_MAX_AFFECTED_ROWS)' },
  LIMIT_TOO_LARGE: { status: 400, hint: 'ask for a smaller page and page with offset (LAZYDB_MAX_LIMIT)' },
} as const satisfies ErrorFamily;
