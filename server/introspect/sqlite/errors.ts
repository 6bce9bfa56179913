import type { ConnectFailureKind, DbErrorInfo, DbErrorKind } from '../dialect';
import { mayCarrySqlPrefix } from '../common/sent-errors';

/**
 * better-sqlite3 throws SqliteError with an extended result code (`SQLITE_CONSTRAINT_UNIQUE`)
 * and SQLite's own message. knex prefixes that message with the SQL text; the known
 * SQLite phrasings are searched for inside it, so the SQL never reaches the caller.
 */
const KIND_BY_CODE: Record<string, DbErrorKind> = {
  SQLITE_CONSTRAINT_UNIQUE: 'unique_violation',
  SQLITE_CONSTRAINT_PRIMARYKEY: 'unique_violation',
  SQLITE_CONSTRAINT_ROWID: 'unique_violation',
  SQLITE_CONSTRAINT_FOREIGNKEY: 'foreign_key_violation',
  SQLITE_CONSTRAINT_NOTNULL: 'not_null_violation',
  SQLITE_CONSTRAINT_CHECK: 'check_violation',
  // STRICT tables reject a value of the wrong storage class.
  SQLITE_CONSTRAINT_DATATYPE: 'invalid_value',
  // A non-integer into an INTEGER PRIMARY KEY.
  SQLITE_MISMATCH: 'invalid_value',
  SQLITE_TOOBIG: 'invalid_value',
  SQLITE_RANGE: 'invalid_value',
  SQLITE_CANTOPEN: 'unknown_database',
  SQLITE_NOTADB: 'unknown_database',
  SQLITE_CORRUPT: 'unknown_database',
  SQLITE_AUTH: 'auth_failed',
  SQLITE_PERM: 'auth_failed',
  SQLITE_BUSY: 'timeout',
  SQLITE_LOCKED: 'timeout',
  ETIMEDOUT: 'timeout',
};

/** Phrases SQLite uses, in the order they are searched for inside the (prefixed) message. */
const SQLITE_MESSAGES: { pattern: RegExp; kind: DbErrorKind; constraint?: (match: RegExpExecArray) => string }[] = [
  { pattern: /UNIQUE constraint failed: (.+)$/s, kind: 'unique_violation', constraint: (m) => (m[1] ?? '').trim() },
  { pattern: /NOT NULL constraint failed: (.+)$/s, kind: 'not_null_violation', constraint: (m) => (m[1] ?? '').trim() },
  { pattern: /CHECK constraint failed: (.+)$/s, kind: 'check_violation', constraint: (m) => (m[1] ?? '').trim() },
  { pattern: /FOREIGN KEY constraint failed$/s, kind: 'foreign_key_violation' },
  { pattern: /cannot store \w+ value in \w+ column .+$/s, kind: 'invalid_value' },
  { pattern: /datatype mismatch$/s, kind: 'invalid_value' },
  { pattern: /database is locked$/s, kind: 'timeout' },
  { pattern: /unable to open database file$/s, kind: 'unknown_database' },
  { pattern: /Cannot open database because the directory does not exist$/s, kind: 'unknown_database' },
  { pattern: /file is not a database$/s, kind: 'unknown_database' },
];

export function describeSqliteError(error: unknown): DbErrorInfo {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
  };
  const code = typeof fields.code === 'string' ? fields.code : '';
  const raw = typeof fields.message === 'string' ? fields.message : String(error);

  if (fields.name === 'KnexTimeoutError' || /^Knex: Timeout acquiring a connection/.test(raw)) {
    return { kind: 'timeout', message: 'Timed out waiting for a database connection' };
  }

  for (const known of SQLITE_MESSAGES) {
    const match = known.pattern.exec(raw);
    if (!match) continue;
    const kind = KIND_BY_CODE[code] ?? known.kind;
    const info: DbErrorInfo = { kind, message: match[0].trim() };
    // SQLite names no constraint, only `table.column[, table.column]` (or, for CHECK,
    // the constraint's name or expression): that list is the best handle there is.
    if (known.constraint) info.constraint = known.constraint(match);
    return info;
  }

  return { kind: KIND_BY_CODE[code] ?? 'other', message: mayCarrySqlPrefix(error) ? stripSql(raw) : raw.trim() };
}

/** knex writes `<sql> - <driver message>`; keep the driver's part. */
function stripSql(message: string): string {
  const looksLikeSql = /^\s*(select|insert|update|delete|with|pragma|create|drop|alter|replace|begin|commit|rollback|savepoint|release)\b/i;
  if (looksLikeSql.test(message)) {
    const cut = message.lastIndexOf(' - ');
    if (cut >= 0) return message.slice(cut + 3).trim();
    return 'SQLite rejected the statement';
  }
  return message.trim();
}

/**
 * Why opening the file failed. Missing, unreadable, a folder, not a database, corrupt: one kind
 * for all of them, so a test tells nothing about files (the folder check runs first anyway).
 */
export function connectFailure(error: unknown): ConnectFailureKind {
  return describeSqliteError(error).kind === 'timeout' ? 'timeout' : 'not_a_database';
}
