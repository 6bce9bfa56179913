import type { ConnectFailureKind, DbErrorInfo, DbErrorKind } from '../dialect';
import { messageOf, networkFailure } from '../common/connect-failure';

/**
 * mysql2 errors carry the server's errno and `sqlMessage`; knex prefixes `message` with the
 * SQL text, so the message shown is always `sqlMessage`. Classification goes by errno,
 * not by mysql2's `code` name: MariaDB-only numbers collide with MySQL names (MariaDB's
 * 4025 check failure arrives as ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE).
 */
const KIND_BY_ERRNO: ReadonlyMap<number, DbErrorKind> = new Map<number, DbErrorKind>([
  [1062, 'unique_violation'], // ER_DUP_ENTRY
  [1586, 'unique_violation'], // ER_DUP_ENTRY_WITH_KEY_NAME
  [1451, 'foreign_key_violation'], // ER_ROW_IS_REFERENCED_2
  [1452, 'foreign_key_violation'], // ER_NO_REFERENCED_ROW_2
  [1216, 'foreign_key_violation'], // ER_NO_REFERENCED_ROW (no constraint name)
  [1217, 'foreign_key_violation'], // ER_ROW_IS_REFERENCED
  [1048, 'not_null_violation'], // ER_BAD_NULL_ERROR
  [1364, 'not_null_violation'], // ER_NO_DEFAULT_FOR_FIELD
  [3819, 'check_violation'], // MySQL ER_CHECK_CONSTRAINT_VIOLATED
  [4025, 'check_violation'], // MariaDB ER_CONSTRAINT_FAILED
  [1264, 'invalid_value'], // out of range
  [1265, 'invalid_value'], // data truncated (bad ENUM/SET member too)
  [1292, 'invalid_value'], // incorrect datetime/uuid/... value
  [1366, 'invalid_value'], // incorrect integer/decimal/string value
  [1367, 'invalid_value'], // illegal value
  [1406, 'invalid_value'], // data too long
  [1411, 'invalid_value'], // incorrect value for function
  [1690, 'invalid_value'], // value out of range in an expression
  [1906, 'invalid_value'], // MariaDB: value for a generated column
  [3105, 'invalid_value'], // MySQL: value for a generated column
  [3140, 'invalid_value'], // MySQL: invalid JSON text
  [3141, 'invalid_value'], // MySQL: invalid JSON text in argument
  [1045, 'auth_failed'], // ER_ACCESS_DENIED_ERROR
  [1698, 'auth_failed'], // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
  [1044, 'auth_failed'], // ER_DBACCESS_DENIED_ERROR
  [1251, 'auth_failed'], // client does not support the server's auth protocol
  [1049, 'unknown_database'], // ER_BAD_DB_ERROR
  [1205, 'timeout'], // lock wait timeout
  [3024, 'statement_timeout'], // MySQL ER_QUERY_TIMEOUT: max_execution_time exceeded
  [1969, 'statement_timeout'], // MariaDB ER_STATEMENT_TIMEOUT: max_statement_time exceeded
  [1317, 'statement_timeout'], // ER_QUERY_INTERRUPTED: lazydb's KILL QUERY (past the timeout, or the client went away)
]);

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'PROTOCOL_SEQUENCE_TIMEOUT']);

export interface DescribeOptions {
  /**
   * MySQL 8.0.19+ names the key of a duplicate entry as `table.key`; MariaDB writes the key
   * alone. Strip the table part for MySQL so `constraint` matches the catalog's index name.
   */
  keyHasTablePrefix: boolean;
}

export function describeMysqlError(error: unknown, options: DescribeOptions): DbErrorInfo {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const errno = typeof e.errno === 'number' ? e.errno : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const sqlMessage = typeof e.sqlMessage === 'string' ? e.sqlMessage : undefined;

  const kind = classify(e, errno, code);
  const info: DbErrorInfo = { kind, message: safeMessage(e, sqlMessage, code, kind) };
  const constraint = sqlMessage !== undefined ? constraintOf(kind, errno, sqlMessage, options) : undefined;
  if (constraint) info.constraint = constraint;
  return info;
}

function classify(e: Record<string, unknown>, errno: number | undefined, code: string | undefined): DbErrorKind {
  if (errno !== undefined && errno > 0) {
    const known = KIND_BY_ERRNO.get(errno);
    if (known) return known;
  }
  if (code && UNREACHABLE_CODES.has(code)) return 'unreachable';
  if (code && TIMEOUT_CODES.has(code)) return 'timeout';
  if (e.name === 'KnexTimeoutError') return 'timeout';
  // Any other SQLSTATE class 22 is a data exception.
  if (typeof e.sqlState === 'string' && e.sqlState.startsWith('22')) return 'invalid_value';
  return 'other';
}

function safeMessage(
  e: Record<string, unknown>,
  sqlMessage: string | undefined,
  code: string | undefined,
  kind: DbErrorKind,
): string {
  if (sqlMessage) return sqlMessage;
  const message = typeof e.message === 'string' ? e.message : '';
  if (e.name === 'KnexTimeoutError') {
    // knex's pool text ("...Are you missing a .transacting(trx) call?") misleads when the
    // server is simply not answering.
    return message.startsWith('Knex: Timeout acquiring')
      ? 'Timed out waiting for a database connection'
      : message.replace(/^Knex: /, '');
  }
  // Without sqlMessage this is not a server error: network errors say `connect
  // ECONNREFUSED host:port`, knex's pool timeout has a fixed text. Anything that might
  // have been prefixed with SQL text by knex is replaced by a generic line.
  if (message && typeof e.sql !== 'string' && !/ - /.test(message)) return message;
  if (kind === 'timeout') return 'Timed out waiting for the database';
  if (kind === 'unreachable') return `Could not reach the database server${code ? ` (${code})` : ''}`;
  return `Database error${code ? ` (${code})` : ''}`;
}

function constraintOf(
  kind: DbErrorKind,
  errno: number | undefined,
  sqlMessage: string,
  options: DescribeOptions,
): string | undefined {
  if (kind === 'unique_violation') {
    // "Duplicate entry 'x' for key 'name'": the entry may itself contain quotes, the key is last.
    const key = /.*for key '(.*)'\s*$/s.exec(sqlMessage)?.[1];
    if (key === undefined) return undefined;
    if (!options.keyHasTablePrefix) return key;
    // Key names rarely contain dots; table names sometimes do, so split at the last one.
    const dot = key.lastIndexOf('.');
    return dot >= 0 ? key.slice(dot + 1) : key;
  }
  if (kind === 'foreign_key_violation' || (kind === 'check_violation' && errno === 4025)) {
    // "... CONSTRAINT `name` FOREIGN KEY ..." / MariaDB "CONSTRAINT `name` failed for `db`.`t`"
    const name = /CONSTRAINT `((?:[^`]|``)+)`/.exec(sqlMessage)?.[1];
    return name?.replace(/``/g, '`');
  }
  if (kind === 'check_violation') {
    // MySQL: "Check constraint 'name' is violated."
    return /constraint '(.*)' is violated/is.exec(sqlMessage)?.[1];
  }
  return undefined;
}

/** Server errors a first connection meets, by errno. */
const CONNECT_KIND_BY_ERRNO: ReadonlyMap<number, ConnectFailureKind> = new Map<number, ConnectFailureKind>([
  [1045, 'auth_failed'], // access denied
  [1698, 'auth_failed'], // access denied, no password
  [1044, 'auth_failed'], // no access to the database
  [1251, 'auth_failed'], // auth protocol not supported by the client
  [1130, 'auth_failed'], // host not allowed to connect
  [1049, 'unknown_database'],
  [1040, 'unavailable'], // too many connections
  [1203, 'unavailable'], // user has too many connections
  [1129, 'unavailable'], // host blocked after connection errors
]);

/** Why a first connection failed (see connect-failure.ts for the words shown). */
export function connectFailure(error: unknown): ConnectFailureKind {
  const network = networkFailure(error);
  if (network) return network;
  const fields = (typeof error === 'object' && error !== null ? error : {}) as { errno?: unknown; code?: unknown };
  const known = typeof fields.errno === 'number' ? CONNECT_KIND_BY_ERRNO.get(fields.errno) : undefined;
  if (known) return known;
  if (fields.code === 'HANDSHAKE_NO_SSL_SUPPORT' || /\bSSL\b|\bTLS\b|secure connection|certificate/i.test(messageOf(error))) return 'tls';
  if (fields.code === 'PROTOCOL_SEQUENCE_TIMEOUT') return 'timeout';
  return 'protocol';
}
