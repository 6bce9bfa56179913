import type { ConnectFailureKind, DbErrorInfo, DbErrorKind } from '../dialect';
import { messageOf, networkFailure } from '../common/connect-failure';

/**
 * node-oracledb errors carry `code` (`ORA-00001`, `NJS-503`) and `errorNum`; the message
 * starts with that code, after knex's "<sql> - " prefix. The message is cut from the first
 * code on, so the SQL never reaches the caller, and the "Help: <url>" lines go too.
 */
const KIND_BY_CODE: Record<string, DbErrorKind> = {
  'ORA-00001': 'unique_violation',
  'ORA-02291': 'foreign_key_violation', // parent key not found
  'ORA-02292': 'foreign_key_violation', // child record found
  'ORA-01400': 'not_null_violation', // cannot insert NULL
  'ORA-01407': 'not_null_violation', // cannot update to NULL
  'ORA-02290': 'check_violation',
  'ORA-01722': 'invalid_value', // invalid number
  'ORA-01438': 'invalid_value', // value larger than specified precision
  'ORA-12899': 'invalid_value', // value too large for column
  'ORA-01401': 'invalid_value', // inserted value too large for column (older servers)
  'ORA-01830': 'invalid_value', // date format picture ends before converting entire input
  'ORA-01840': 'invalid_value', // input value not long enough for date format
  'ORA-01841': 'invalid_value', // year out of range
  'ORA-01843': 'invalid_value', // not a valid month
  'ORA-01847': 'invalid_value', // day of month out of range
  'ORA-01839': 'invalid_value', // date not valid for month specified
  'ORA-01850': 'invalid_value', // hour out of range
  'ORA-01851': 'invalid_value', // minutes out of range
  'ORA-01852': 'invalid_value', // seconds out of range
  'ORA-01858': 'invalid_value', // non-numeric character where numeric expected
  'ORA-01861': 'invalid_value', // literal does not match format string
  'ORA-01857': 'invalid_value', // not a valid time zone
  'ORA-01878': 'invalid_value', // time does not exist in the time zone
  'ORA-01882': 'invalid_value', // time zone region not found
  'ORA-01426': 'invalid_value', // numeric overflow
  'ORA-01455': 'invalid_value', // converting column overflows integer datatype
  'ORA-40441': 'invalid_value', // JSON syntax error
  'ORA-01017': 'auth_failed', // invalid username/password
  'ORA-28000': 'auth_failed', // account locked
  'ORA-28001': 'auth_failed', // password expired
  'ORA-01045': 'auth_failed', // lacks CREATE SESSION
  'ORA-01005': 'auth_failed', // null password given
  'ORA-12541': 'unreachable', // no listener
  'ORA-12543': 'unreachable', // destination host unreachable
  'ORA-12545': 'unreachable', // target host or object does not exist
  'ORA-12537': 'unreachable', // connection closed
  'ORA-03113': 'unreachable', // end-of-file on communication channel
  'ORA-03114': 'unreachable', // not connected
  'ORA-03135': 'unreachable', // connection lost contact
  'ORA-12514': 'unknown_database', // listener does not know the service
  'ORA-12505': 'unknown_database', // listener does not know the SID
  'ORA-01033': 'unknown_database', // initialisation or shutdown in progress
  'ORA-01109': 'unknown_database', // database not open
  'ORA-12170': 'timeout', // connect timeout
  'ORA-12535': 'timeout', // operation timed out
  'ORA-01013': 'statement_timeout', // user requested cancel (call timeout, or lazydb's break())
  'ORA-00054': 'timeout', // resource busy, NOWAIT
  'ORA-30006': 'timeout', // resource busy, WAIT timeout expired
  'NJS-500': 'unreachable', // connection closed or broken
  'NJS-501': 'unreachable',
  'NJS-503': 'unreachable', // connection to host could not be established
  'NJS-511': 'unreachable', // listener refused the connection
  'NJS-530': 'unreachable', // host addresses unresolvable
  'NJS-518': 'unknown_database', // service not registered with the listener
  'NJS-510': 'timeout', // connect timed out
  'NJS-040': 'timeout', // queueTimeout of the driver pool
  'NJS-123': 'statement_timeout', // callTimeout (the statement timeout, see connection.ts)
  ETIMEDOUT: 'timeout',
  ECONNREFUSED: 'unreachable',
  ENOTFOUND: 'unreachable',
  EHOSTUNREACH: 'unreachable',
  ECONNRESET: 'unreachable',
};

const CODE_IN_TEXT = /\b(ORA|NJS|DPI|DPY)-\d{3,5}\b/;

export function describeOracleError(error: unknown): DbErrorInfo {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    errorNum?: unknown;
    name?: unknown;
    message?: unknown;
  };
  const raw = typeof fields.message === 'string' ? fields.message : String(error);

  if (fields.name === 'KnexTimeoutError' || /^Knex: Timeout acquiring a connection/.test(raw)) {
    return { kind: 'timeout', message: 'Timed out waiting for a database connection' };
  }

  const code = oracleCode(fields.code, fields.errorNum, raw);
  const message = driverMessage(raw);
  const info: DbErrorInfo = { kind: (code === undefined ? undefined : KIND_BY_CODE[code]) ?? 'other', message };
  const constraint = constraintName(code, message);
  if (constraint) info.constraint = constraint;
  return info;
}

function oracleCode(code: unknown, errorNum: unknown, message: string): string | undefined {
  if (typeof code === 'string' && code !== '') return code;
  if (typeof errorNum === 'number' && errorNum > 0) return `ORA-${String(errorNum).padStart(5, '0')}`;
  return CODE_IN_TEXT.exec(message)?.[0];
}

/** From the first error code on, without "Help:" links and connection ids. */
function driverMessage(message: string): string {
  const start = message.search(CODE_IN_TEXT);
  const text = start >= 0 ? message.slice(start) : message;
  return text
    .split('\n')
    .filter((line) => !/^\s*Help:/i.test(line))
    .join('\n')
    .replace(/\s*\(CONNECTION_ID=[^)]*\)/g, '')
    .trim();
}

/**
 * ORA-00001/02290/02291/02292 name the constraint as `(OWNER.NAME)`; the owner is dropped
 * so the name matches the model's key names. ORA-01400/01407 name the column instead.
 */
function constraintName(code: string | undefined, message: string): string | undefined {
  if (code === 'ORA-00001' || code === 'ORA-02290' || code === 'ORA-02291' || code === 'ORA-02292') {
    const match = /constraint \(([^)]*)\)/i.exec(message);
    if (!match?.[1]) return undefined;
    const qualified = match[1];
    const dot = qualified.indexOf('.');
    return unquote(dot >= 0 ? qualified.slice(dot + 1) : qualified);
  }
  return undefined;
}

function unquote(name: string): string {
  return name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1) : name;
}

/** Why a first connection failed (see connect-failure.ts for the words shown). */
export function connectFailure(error: unknown): ConnectFailureKind {
  const network = networkFailure(error);
  if (network) return network;
  const message = messageOf(error);
  // Thin mode wraps socket errors in NJS-5xx texts that still name the system error.
  if (/ECONNREFUSED|ORA-12541|NJS-511/.test(message)) return 'refused';
  if (/ENOTFOUND|EAI_AGAIN|NJS-530/.test(message)) return 'host_not_found';
  if (/ETIMEDOUT/.test(message)) return 'timeout';
  const { kind } = describeOracleError(error);
  if (kind === 'auth_failed' || kind === 'unknown_database' || kind === 'timeout') return kind;
  if (/\bSSL\b|\bTLS\b|certificate|wallet/i.test(message)) return 'tls';
  if (kind === 'unreachable') return 'unreachable';
  return 'protocol';
}
