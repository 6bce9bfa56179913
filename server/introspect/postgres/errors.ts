import type { ConnectFailureKind, DbErrorInfo, DbErrorKind } from '../dialect';
import { messageOf, networkFailure } from '../common/connect-failure';
import { mayCarrySqlPrefix } from '../common/sent-errors';

const SQLSTATE_KINDS: Record<string, DbErrorKind> = {
  '23505': 'unique_violation',
  '23503': 'foreign_key_violation',
  '23502': 'not_null_violation',
  '23514': 'check_violation',
  '28P01': 'auth_failed', // invalid_password
  '28000': 'auth_failed', // invalid_authorization_specification (no such role, pg_hba reject)
  '3D000': 'unknown_database', // invalid_catalog_name
  // query_canceled: statement_timeout, or lazydb's own cancel (pg_cancel_backend) when the timeout was
  // not kept or the client went away; the client then hears nothing, so both read as the timeout.
  '57014': 'statement_timeout',
  '57P03': 'unreachable', // cannot_connect_now (server starting up / shutting down)
  '53300': 'unreachable', // too_many_connections
};

const NETWORK_UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EAI_AGAIN', 'EPIPE']);
const NETWORK_TIMEOUT = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT']);

interface ErrorFields {
  message?: unknown;
  code?: unknown;
  detail?: unknown;
  constraint?: unknown;
  severity?: unknown;
  name?: unknown;
  errors?: unknown;
  /** The server function that raised it (not translated, unlike the message). */
  routine?: unknown;
}

export function describeError(error: unknown): DbErrorInfo {
  if (error === null || typeof error !== 'object') {
    return { kind: 'other', message: String(error) };
  }
  const fields = error as ErrorFields;
  const code = typeof fields.code === 'string' ? fields.code : networkCodeOf(fields);
  const isServerError = typeof fields.severity === 'string' || (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code));
  const message = typeof fields.message === 'string' ? fields.message : '';
  const primary = mayCarrySqlPrefix(error) ? originalMessage(message, isServerError) : message;
  const kind = classify(code, fields, primary);
  const info: DbErrorInfo = { kind, message: composeMessage(primary, fields.detail, kind) };
  if (typeof fields.constraint === 'string' && fields.constraint !== '') info.constraint = fields.constraint;
  return info;
}

function classify(code: string | undefined, fields: ErrorFields, message: string): DbErrorKind {
  if (code !== undefined) {
    // 55000 (object not in prerequisite state) covers many states; a scan of a materialized
    // view that was never refreshed is told apart by its routine, or else its message.
    if (code === '55000' && (fields.routine === 'ExecOpenScanRelation' || /has not been populated/.test(message))) return 'not_populated';
    const known = SQLSTATE_KINDS[code];
    if (known) return known;
    if (code.length === 5 && code.startsWith('22')) return 'invalid_value';
    if (NETWORK_UNREACHABLE.has(code)) return 'unreachable';
    if (NETWORK_TIMEOUT.has(code)) return 'timeout';
  }
  if (fields.name === 'KnexTimeoutError' || /timeout acquiring a connection/i.test(message)) return 'timeout';
  // pg's own connect timeout carries no code, only this message.
  if (/connection terminated due to connection timeout|timeout expired/i.test(message)) return 'timeout';
  if (/connection terminated unexpectedly/i.test(message)) return 'unreachable';
  return 'other';
}

/** Node (with several addresses per host) may reject with an AggregateError whose parts have the code. */
function networkCodeOf(fields: ErrorFields): string | undefined {
  if (!Array.isArray(fields.errors)) return undefined;
  for (const inner of fields.errors as unknown[]) {
    const code = (inner as ErrorFields | null)?.code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * knex prefixes a failed query's message with its SQL and " - ". lazydb's knex config keeps
 * that SQL uncompiled (placeholders, no values), so the first " - " ends it; a PostgreSQL
 * message may itself quote a value holding " - ", which is why the split is not the last one.
 */
function originalMessage(message: string, isServerError: boolean): string {
  const separator = message.indexOf(' - ');
  if (separator < 0) return message;
  const head = message.slice(0, separator).trimStart();
  if (isServerError || /^(select|insert|update|delete|with|create|alter|drop|begin|commit|rollback|savepoint|release|set|show|explain|\()/i.test(head)) {
    return message.slice(separator + 3);
  }
  return message;
}

function composeMessage(primary: string, detail: unknown, kind: DbErrorKind): string {
  const text = primary.trim() === '' ? defaultMessage(kind) : primary.trim();
  if (kind === 'not_populated') return notPopulatedMessage(text);
  // "Key (name)=(x) already exists." says which value clashed; "Failing row contains (...)"
  // would echo a whole row, possibly with data the caller must not see.
  if (typeof detail === 'string' && detail !== '' && !/^failing row contains/i.test(detail)) {
    return `${text}: ${detail}`;
  }
  return text;
}

/** `materialized view "x" has not been populated` -> what that means and what fills it. */
function notPopulatedMessage(text: string): string {
  // The server quotes the name as it is (inner quotes not doubled): first to last quote.
  const name = /"(.+)"/.exec(text)?.[1];
  const view = name === undefined ? 'the materialized view' : `materialized view "${name}"`;
  const refresh = `REFRESH MATERIALIZED VIEW ${name === undefined ? '<name>' : `"${name.replace(/"/g, '""')}"`}`;
  return `${view} has no data yet: it is filled when its owner runs ${refresh} (lazydb never runs it)`;
}

function defaultMessage(kind: DbErrorKind): string {
  return kind === 'other' ? 'database error' : kind.replace(/_/g, ' ');
}

/** SQLSTATEs a server sends instead of a session when it cannot take one now. */
const UNAVAILABLE_CODES = new Set(['57P03', '53300', '53000', '57P01']);

/** Why a first connection failed (see connect-failure.ts for the words shown). */
export function connectFailure(error: unknown): ConnectFailureKind {
  const network = networkFailure(error);
  if (network) return network;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return 'unavailable';
  const { kind } = describeError(error);
  if (kind === 'auth_failed' || kind === 'unknown_database' || kind === 'timeout') return kind;
  // pg: "The server does not support SSL connections", and certificate checks without a code.
  if (/\bSSL\b|\bTLS\b|certificate/i.test(messageOf(error))) return 'tls';
  return 'protocol';
}
