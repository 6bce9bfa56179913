import type { ErrorFamily } from './lazydb-error';

/** Time and connections ran out, or the database is not there: trying again may work. */
export const CAPACITY_ERRORS = {
  /** 504: the database, upstream of lazydb, did not answer in time; the same request would most likely time out again, so no Retry-After. */
  STATEMENT_TIMEOUT: { status: 504, hint: 'ask for less, or raise statementTimeoutMs / LAZYDB_STATEMENT_TIMEOUT_MS' },
  POOL_EXHAUSTED: { status: 503, hint: 'try again shortly (LAZYDB_POOL_MAX, LAZYDB_POOL_WAIT_MS)', headers: { 'retry-after': '5' } },
  /** 499, as nginx logs it: the client went away and nobody reads the answer. */
  REQUEST_CANCELLED: { status: 499, hint: 'nothing: the client went away' },
  TOO_MANY_CONNECTION_ATTEMPTS: { status: 429, hint: 'try again in a moment', headers: { 'retry-after': '1' } },
  DATABASE_UNAVAILABLE: { status: 503, hint: 'try again shortly; /readyz says why the database is down', headers: { 'retry-after': '5' } },
} as const satisfies ErrorFamily;
