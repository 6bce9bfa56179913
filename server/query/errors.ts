import { GraphQLError } from 'graphql';
import type { DbErrorKind, DialectModule } from '../introspect/dialect';
import type { ErrorCode } from '../errors/catalogue';
import { lazydbError } from '../errors/graphql';
import { TooManyBindingsError } from '../sql/fragment';
import { PoolExhaustedError, StatementCancelledError, StatementTimeoutError } from './runner';

const CODE_FOR_KIND: Record<DbErrorKind, ErrorCode> = {
  unique_violation: 'CONSTRAINT_VIOLATION',
  foreign_key_violation: 'CONSTRAINT_VIOLATION',
  not_null_violation: 'BAD_USER_INPUT',
  check_violation: 'BAD_USER_INPUT',
  invalid_value: 'BAD_USER_INPUT',
  auth_failed: 'DATABASE_UNAVAILABLE',
  unreachable: 'DATABASE_UNAVAILABLE',
  unknown_database: 'DATABASE_UNAVAILABLE',
  timeout: 'DATABASE_UNAVAILABLE',
  statement_timeout: 'STATEMENT_TIMEOUT',
  not_populated: 'VIEW_NOT_POPULATED',
  other: 'DATABASE_ERROR',
};

/**
 * What to say for an error that did not come from the database or its driver (see
 * isDriverError), by kind: the text of such an error is a library's own ("Knex: Timeout
 * acquiring a connection. The pool is probably full. Are you missing a .transacting(trx)
 * call?") and says nothing a client can act on. `other` is not here: those are unexpected.
 */
const LIBRARY_ERROR_MESSAGE: Partial<Record<DbErrorKind, string>> = {
  timeout: 'no database connection became free in time; try again shortly',
  unreachable: 'the connection to its server was lost; try again shortly',
};

/**
 * A driver error -> a GraphQL error with a stable code, an HTTP status and the driver's
 * reason (never the SQL text, a stack or a password: describeError strips those).
 *
 * Only errors raised by the driver for the server's answer or the network carry a code of
 * theirs; knex's own errors (a pool timeout, "Transaction query already complete"), a driver's
 * checks of its arguments and JavaScript errors do not, and their texts never reach a client:
 * a known kind gets a fixed message, anything else is given back as it is, an unexpected
 * error that the transports mask ("Unexpected error." / INTERNAL) and log.
 */
export function toGraphQLError(error: unknown, dialect: DialectModule, database: string): Error {
  if (error instanceof GraphQLError) return error;
  // Refused before it was sent: the request asked for more than one statement can carry.
  if (error instanceof TooManyBindingsError) return lazydbError('BAD_USER_INPUT', error.message, { reason: 'too_many_bindings' });
  if (error instanceof PoolExhaustedError) {
    return lazydbError(
      'POOL_EXHAUSTED',
      `database "${database}" is busy: ${error.message} (LAZYDB_POOL_MAX connections, LAZYDB_POOL_WAIT_MS of waiting); try again shortly`,
      { reason: 'pool_exhausted' },
    );
  }
  if (error instanceof StatementCancelledError) return lazydbError('REQUEST_CANCELLED', error.message);
  const info = dialect.describeError(error);
  if (error instanceof StatementTimeoutError || info.kind === 'statement_timeout') return statementTimeout(database, error);
  const code = CODE_FOR_KIND[info.kind];
  let reason = info.message;
  if (!isDriverError(error)) {
    const fixed = LIBRARY_ERROR_MESSAGE[info.kind];
    if (fixed === undefined) return error instanceof Error ? error : new Error(String(error));
    reason = fixed;
  }
  const prefix = code === 'DATABASE_UNAVAILABLE' ? `database "${database}" is unavailable: ` : '';
  return lazydbError(code, `${prefix}${reason}`, {
    reason: info.kind,
    ...(info.constraint ? { constraint: info.constraint } : {}),
  });
}

/** The same answer whether the server cut the statement or lazydb did: the message names the settings. */
function statementTimeout(database: string, error: unknown): Error {
  const limit = error instanceof StatementTimeoutError ? ` (${error.timeoutMs} ms)` : '';
  return lazydbError(
    'STATEMENT_TIMEOUT',
    `a statement on database "${database}" ran past its statement timeout${limit} and was cancelled on the server; ` +
      'ask for less (a filter, a smaller limit) or raise the timeout: statementTimeoutMs of the database, else LAZYDB_STATEMENT_TIMEOUT_MS',
    { reason: 'statement_timeout' },
  );
}

/**
 * Whether the error comes from a driver reporting the server or the network: pg (SQLSTATE or a
 * socket's `code`), mysql2 (`code` and `errno`), better-sqlite3 (`SQLITE_*`), oracledb
 * (`ORA-`/`NJS-` codes, `errorNum`). Several addresses of one host fail together as an
 * AggregateError whose parts carry the codes.
 */
export function isDriverError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const fields = error as { code?: unknown; errno?: unknown; errorNum?: unknown; sqlState?: unknown; errors?: unknown };
  if (typeof fields.code === 'string' && fields.code !== '') return true;
  if (typeof fields.errno === 'number' || typeof fields.errorNum === 'number' || typeof fields.sqlState === 'string') return true;
  return Array.isArray(fields.errors) && fields.errors.length > 0 && fields.errors.every(isDriverError);
}
