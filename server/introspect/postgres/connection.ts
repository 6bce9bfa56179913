import { isIP } from 'node:net';
import type { Knex } from 'knex';
import pg from 'pg';
import type { ConnectionSpec, DatabaseSpec } from '../../model/types';
import type { ConnectionProblem, ConnectionTarget } from '../dialect';
import { discreteFields, serverTarget, urlParameterProblems, urlParameters } from '../common/connection-url';
import type { PinnedConnectOptions, UrlParameterRules } from '../common/connection-url';

/**
 * Type OIDs whose pg default parser would lose information or change the value's form:
 * date/time types become JS Dates (microseconds and the written offset lost, dates shifted
 * by the process time zone), interval becomes an object, geometric types objects, and
 * built-in arrays JS arrays (while user-defined arrays stay text). All of them are kept as
 * PostgreSQL's own text output instead, which the codecs handle exactly.
 * int8 (20) and numeric (1700) are already strings by default and stay so.
 */
export const RAW_TEXT_OIDS: ReadonlySet<number> = new Set([
  1082, // date
  1083, // time
  1114, // timestamp
  1184, // timestamptz
  1266, // timetz
  1186, // interval
  600, // point
  718, // circle
  // built-in arrays that pg would otherwise parse
  651, 1000, 1001, 1005, 1007, 1014, 1015, 1016, 1017, 1021, 1022, 1028, 1008, 1009, 1040, 1041, 1115, 1182, 1183,
  1185, 1187, 1231, 1270, 199, 3807, 3907, 2951, 791,
]);

const keepText = (value: string): string => value;

/**
 * Per-connection type parsers: the global `pg.types` registry is shared by every pg user in
 * the process (the registry, other databases), so nothing is changed there.
 */
export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if ((format ?? 'text') === 'text' && RAW_TEXT_OIDS.has(oid)) return keepText;
    return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
  },
};

/**
 * The URL query parameters passed on to pg. libpq's others are refused: `host`, `hostaddr` and
 * `port` would send the connection elsewhere (a unix socket folder, say), `sslcert`, `sslkey`,
 * `sslrootcert`, `sslcrl`, `passfile` and `service` make the driver read files of lazydb's
 * machine, `options` sets server parameters.
 */
export const PG_URL_PARAMETERS: UrlParameterRules = {
  sslmode: /^(disable|prefer|require|verify-ca|verify-full|no-verify)$/,
  ssl: /^(true|false|1|0)$/,
  application_name: null,
  connect_timeout: /^\d{1,6}$/,
  user: null,
  password: null,
};

/** Where pg connects and how: the URL read here (the way pg-connection-string reads it), then the discrete fields. */
interface PgFields {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  ssl?: boolean | { rejectUnauthorized: false };
  application_name?: string;
  connect_timeout?: string;
}

/**
 * The URL is parsed here rather than handed to pg as `connectionString`: the target policy must
 * check exactly where the driver goes, and pg's own parser would also read certificate files named
 * in the URL and fall back to PG* environment variables for anything left out.
 */
export function pgConnectionFields(connection: ConnectionSpec): PgFields {
  const fields: PgFields = {};
  if (connection.url) {
    let parsed: URL;
    try {
      parsed = new URL(connection.url);
    } catch {
      throw new Error('Invalid PostgreSQL connection URL (expected postgres://user:password@host:5432/database)');
    }
    const query = new Map(urlParameters(connection.url));
    if (parsed.hostname) fields.host = decode(parsed.hostname).replace(/^\[(.*)\]$/, '$1');
    if (parsed.port) fields.port = Number(parsed.port);
    const user = query.get('user') ?? decode(parsed.username);
    if (user) fields.user = user;
    const password = query.get('password') ?? decode(parsed.password);
    if (password) fields.password = password;
    const database = decode(parsed.pathname.replace(/^\//, ''));
    if (database) fields.database = database;
    const ssl = query.get('ssl');
    if (ssl !== undefined) fields.ssl = ssl === 'true' || ssl === '1';
    const sslmode = query.get('sslmode');
    if (sslmode !== undefined) fields.ssl = sslmode === 'disable' ? false : sslmode === 'no-verify' ? { rejectUnauthorized: false } : true;
    const applicationName = query.get('application_name');
    if (applicationName !== undefined) fields.application_name = applicationName;
    const connectTimeout = query.get('connect_timeout');
    if (connectTimeout !== undefined) fields.connect_timeout = connectTimeout;
  }
  Object.assign(fields, discreteFields(connection));
  return fields;
}

export function connectionTarget(spec: DatabaseSpec): ConnectionTarget {
  const fields = pgConnectionFields(spec.connection);
  const parameters = spec.connection.url ? urlParameters(spec.connection.url).filter(([name]) => name !== 'user') : [];
  return serverTarget(
    { host: fields.host, port: fields.port, user: fields.user, database: fields.database, ssl: fields.ssl !== undefined && fields.ssl !== false },
    // pg's own defaults; the database defaults to the user's name.
    { host: 'localhost', port: 5432, database: fields.user ?? null },
    parameters,
  );
}

export function connectionProblems(connection: ConnectionSpec): ConnectionProblem[] {
  const problems = urlParameterProblems(connection.url, PG_URL_PARAMETERS, 'postgres');
  if (connection.url !== undefined && problems.length === 0) {
    const query = new Map(urlParameters(connection.url));
    const userinfoPassword = /^[^:/?#]+:\/\/[^/?#@]*:[^/?#@]*@/.test(connection.url);
    if (query.has('password') && userinfoPassword) {
      problems.push({ field: 'url', message: 'gives a password twice (in user:password@ and in ?password=); keep one' });
    }
  }
  return problems;
}

export function knexConfig(spec: DatabaseSpec, options: PinnedConnectOptions): Knex.Config {
  const fields = pgConnectionFields(spec.connection);
  const connection: Record<string, unknown> = {
    application_name: 'lazydb',
    connectionTimeoutMillis: options.connectTimeoutMs,
    // Session time zone UTC: timestamptz values then come back as `...+00`. The statement timeout
    // is a session setting from the first statement on (introspection included): the server
    // cancels a statement past it (SQLSTATE 57014) and the session stays usable.
    options: `-c TimeZone=UTC${statementTimeoutOption(options.statementTimeoutMs)}`,
    types: pgTypes,
    ...fields,
  };
  // Without a password of its own, pg would take PGPASSWORD or ~/.pgpass of lazydb's machine:
  // a function that answers '' keeps those out of a connection to a server of the user's choice.
  if (fields.password === undefined || fields.password === '') connection.password = () => '';
  if (options.connectTo !== undefined) Object.assign(connection, pinnedTo(options.connectTo, fields));
  return {
    client: 'pg',
    connection: connection as Knex.PgConnectionConfig,
    pool: { min: 0, max: options.poolMax ?? 10 },
    acquireConnectionTimeout: options.connectTimeoutMs,
    // knex prefixes a failed query's error message with its SQL; uncompiled, that SQL holds
    // `$n` placeholders instead of the bound values, so row data stays out of messages and
    // logs, and describeError can cut the prefix off reliably.
    compileSqlOnError: false,
  };
}

/** ` -c statement_timeout=<ms>` for a whole number of milliseconds; nothing when there is no timeout. */
export function statementTimeoutOption(timeoutMs: number | undefined): string {
  if (timeoutMs === undefined) return '';
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new RangeError('statement timeout must be a positive whole number of ms');
  return ` -c statement_timeout=${timeoutMs}`;
}

/**
 * pg connects to `host` as given (net.connect resolves a name once more): the approved address
 * goes there. TLS then checks the certificate against `ssl.servername` (pg copies the ssl options
 * into tls.connect and sets servername itself only for a host that is a name), so the name the
 * user gave stays what the certificate must match, and the one sent as SNI.
 */
export function pinnedTo(address: string, fields: PgFields): { host: string; ssl?: PgFields['ssl'] | { servername: string } } {
  const name = fields.host ?? 'localhost';
  if (fields.ssl === undefined || fields.ssl === false || isIP(name) !== 0) return { host: address };
  return { host: address, ssl: { ...(fields.ssl === true ? {} : fields.ssl), servername: name } };
}

/** A malformed escape is kept as written rather than failing the whole URL. */
function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
