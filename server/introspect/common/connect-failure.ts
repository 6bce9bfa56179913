import type { DatabaseSpec, Dialect } from '../../model/types';
import type { ConnectFailureKind, DialectModule } from '../dialect';

/**
 * The words for a failed first connection. Each kind has one fixed text: a connection test
 * names what failed and what to check, but never repeats what the other end said (a banner, a
 * server version, a path), so it cannot be used to fingerprint a service or to learn whether a
 * file exists.
 */
export function connectFailureText(kind: ConnectFailureKind, dialectLabel: string, asked: AskedFor = {}): string {
  // Only what the caller asked for is repeated (validated, free of control characters), never what the server said.
  const user = asked.user ? ` for user "${asked.user}"` : '';
  const database = asked.database ? ` "${asked.database}"` : '';
  switch (kind) {
    case 'refused':
      return 'connection refused: nothing accepts connections at that host and port';
    case 'timeout':
      return 'timed out: no answer within the connect timeout (LAZYDB_CONNECT_TIMEOUT_MS)';
    case 'host_not_found':
      return 'host not found: the name does not resolve';
    case 'unreachable':
      return 'network unreachable: there is no route to that host';
    case 'auth_failed':
      return `Access denied: authentication failed${user}; check the user name and the password`;
    case 'unknown_database':
      return `unknown database${database}: the server has no database of that name (it does not exist, or this user may not use it)`;
    case 'unavailable':
      return `the ${dialectLabel} server does not take connections now (starting up, shutting down or too many connections)`;
    case 'tls':
      return 'TLS failure: the server offers no TLS, or its certificate is not trusted; check the ssl settings';
    case 'protocol':
      return `not a ${dialectLabel} server (protocol error), or it closed the connection`;
    case 'not_a_database':
      return 'cannot open the file as a SQLite database: it is missing, unreadable or not a SQLite database';
  }
}

const DIALECT_LABELS: Readonly<Record<Dialect, string>> = {
  postgres: 'PostgreSQL',
  mysql: 'MySQL',
  mariadb: 'MariaDB',
  oracle: 'Oracle',
  sqlite: 'SQLite',
};

/** The user and database the caller asked to connect as and to. */
export interface AskedFor {
  user?: string | null;
  database?: string | null;
}

/** The fixed text for why `dialect` could not make a first connection for `spec`. */
export function describeConnectFailure(dialect: DialectModule, error: unknown, spec?: DatabaseSpec): string {
  let asked: AskedFor = {};
  if (spec) {
    try {
      const target = dialect.connectionTarget(spec);
      if (target.kind === 'server') asked = { user: target.user, database: target.database };
    } catch {
      // the words stay general
    }
  }
  return connectFailureText(dialect.connectFailure(error), DIALECT_LABELS[dialect.dialect], asked);
}

const NETWORK_KINDS: Readonly<Record<string, ConnectFailureKind>> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'host_not_found',
  EAI_AGAIN: 'host_not_found',
  EAI_NONAME: 'host_not_found',
  EAI_FAIL: 'host_not_found',
  ETIMEDOUT: 'timeout',
  ESOCKETTIMEDOUT: 'timeout',
  ETIME: 'timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENETDOWN: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  ECONNRESET: 'protocol',
  ECONNABORTED: 'protocol',
  EPIPE: 'protocol',
};

/** Node's TLS and certificate error codes (`ERR_TLS_CERT_ALTNAME_INVALID`, `DEPTH_ZERO_SELF_SIGNED_CERT`, ...). */
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$|ERR_OSSL_)/;

/**
 * The kind of a failure that happened below the database protocol (socket, DNS, TLS, knex's
 * pool timeout), whatever the driver; undefined when the error came from the database protocol.
 */
export function networkFailure(error: unknown): ConnectFailureKind | undefined {
  for (const code of errorCodes(error)) {
    const known = NETWORK_KINDS[code];
    if (known) return known;
    if (TLS_CODE.test(code)) return 'tls';
  }
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'KnexTimeoutError') return 'timeout';
  return undefined;
}

/** `code` of the error, of each inner error of an AggregateError (several addresses per host), and of its cause. */
export function errorCodes(error: unknown, depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > 3) return [];
  const fields = error as { code?: unknown; errors?: unknown; cause?: unknown };
  const codes: string[] = [];
  if (typeof fields.code === 'string') codes.push(fields.code);
  if (Array.isArray(fields.errors)) for (const inner of fields.errors) codes.push(...errorCodes(inner, depth + 1));
  if (fields.cause !== undefined) codes.push(...errorCodes(fields.cause, depth + 1));
  return codes;
}

/** The error's own message (never shown: only searched for a driver's fixed phrases). */
export function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}
