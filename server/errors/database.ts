import type { ErrorFamily } from './lazydb-error';

/** What a user's database answered, or which database was meant. */
export const DATABASE_ERRORS = {
  DATABASE_NOT_FOUND: { status: 404, hint: 'GET /api/databases lists the registered names' },
  CONSTRAINT_VIOLATION: { status: 409, hint: 'change the values the named constraint refuses' },
  VIEW_NOT_POPULATED: { status: 409, hint: 'the view\'s owner runs REFRESH MATERIALIZED VIEW' },
  DATABASE_ERROR: { status: 500, hint: 'the database refused the statement; the server log has the details under the request id' },
  CONNECTION_FAILED: { status: 422, hint: 'fix the connection settings the message names' },
} as const satisfies ErrorFamily;
