import net from 'node:net';
import type { Knex } from 'knex';
import type { ConnectionProblem, ConnectionTarget } from '../dialect';
import type { ConnectionSpec, DatabaseSpec } from '../../model/types';
import { connectionFields as commonConnectionFields, serverTarget, urlParameterProblems, urlParameters } from '../common/connection-url';
import type { ConnectionFields, PinnedConnectOptions, UrlFormat, UrlParameterRules } from '../common/connection-url';

const MYSQL_URL: UrlFormat = {
  label: 'MySQL/MariaDB',
  example: 'mysql://user:password@host:port/database',
  sslParams: ['ssl', 'sslmode'],
};

/**
 * `mysql://user:pass@host:port/db?ssl=true` (or `mariadb://`). Discrete fields in the spec
 * win over the URL, so a registry can keep the password apart from the URL.
 * Errors never repeat the URL: it may carry a password.
 */
export function connectionFields(connection: ConnectionSpec): ConnectionFields {
  return commonConnectionFields(connection, MYSQL_URL);
}

/**
 * The URL query parameters lazydb reads (TLS on or off). mysql2 is given the parsed fields, never
 * the URL, so any other parameter would be silently ignored: it is refused instead.
 */
export const MYSQL_URL_PARAMETERS: UrlParameterRules = { ssl: null, sslmode: null };

export function connectionTarget(spec: DatabaseSpec): ConnectionTarget {
  const parameters = spec.connection.url ? urlParameters(spec.connection.url) : [];
  return serverTarget(connectionFields(spec.connection), { host: 'localhost', port: 3306 }, parameters);
}

export function connectionProblems(connection: ConnectionSpec): ConnectionProblem[] {
  return urlParameterProblems(connection.url, MYSQL_URL_PARAMETERS, 'mysql/mariadb');
}

/** The database named by the connection; MySQL calls its schemas databases. */
export function defaultSchemas(spec: DatabaseSpec): string[] {
  if (spec.schemas && spec.schemas.length > 0) return [...spec.schemas];
  const database = connectionFields(spec.connection).database;
  return database ? [database] : [];
}

export function knexConfig(spec: DatabaseSpec, options: PinnedConnectOptions): Knex.Config {
  const fields = connectionFields(spec.connection);
  const connection = {
    host: fields.host,
    port: fields.port,
    user: fields.user,
    password: fields.password,
    database: fields.database,
    // verifyIdentity: mysql2 checks the certificate against the host name only when asked to;
    // without it any certificate of a trusted CA would do, for any name.
    ...(fields.ssl ? { ssl: { rejectUnauthorized: true, verifyIdentity: true } } : {}),
    ...(options.connectTo !== undefined ? { stream: pinnedStream(options.connectTo, fields.port ?? 3306) } : {}),
    charset: 'utf8mb4',
    // Values the generic codecs can keep exact: temporal values as text (no Date, so no
    // lost microseconds or shifted zones), BIGINT/DECIMAL as strings, JSON as text so
    // decoding parses it exactly once (otherwise a JSON string "123" would become 123).
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    jsonStrings: true,
    timezone: 'Z',
    connectTimeout: options.connectTimeoutMs,
  };
  return {
    client: 'mysql2',
    connection,
    acquireConnectionTimeout: options.connectTimeoutMs,
    pool: {
      min: 0,
      max: options.poolMax ?? 10,
      // TIMESTAMP columns convert through the session zone; UTC keeps them as stored. Nested
      // reads aggregate rows into JSON, which the server cuts at group_concat_max_len (1 MB by
      // default): raised to the most it takes (reads check for cuts all the same). The statement
      // timeout is a session setting too (sessionTimeout).
      afterCreate(conn: SessionConnection, done: (error: Error | null, conn: SessionConnection) => void) {
        const timeout = sessionTimeout(options.statementTimeoutMs, conn._isMariaDB === true);
        conn.query(`${SESSION_SETUP}${timeout}`, (error) => done(error ?? null, conn));
      },
    },
  };
}

/**
 * Every session's settings. `sql_mode` loses NO_BACKSLASH_ESCAPES, whatever the server's
 * default: values are spliced into statements escaped by mysql2, which escapes a quote as `\'`;
 * with that mode a backslash is an ordinary character, the quote would end the string, and a
 * value could become SQL. (The LIKE escape lazydb writes, `'\\'`, needs the mode off too.)
 */
export const SESSION_SETUP =
  "set session sql_mode = replace(@@session.sql_mode, 'NO_BACKSLASH_ESCAPES', ''), time_zone = '+00:00', group_concat_max_len = 1073741824";

interface SessionConnection {
  query(sql: string, callback: (error: Error | null) => void): void;
  /** Set by mysql2 from the server's handshake (its version string names MariaDB). */
  _isMariaDB?: boolean;
}

/**
 * The statement timeout as a session variable, or nothing without one:
 * - MariaDB `max_statement_time`, in seconds (fractions taken), for every statement; the server
 *   stops it with error 1969 and the session stays usable;
 * - MySQL `max_execution_time`, in ms, for read-only SELECTs only (error 3024): MySQL has no
 *   bound on writes, which only lazydb's own KILL QUERY past the timeout stops (see runner.ts).
 */
export function sessionTimeout(timeoutMs: number | undefined, mariadb: boolean): string {
  if (timeoutMs === undefined) return '';
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new RangeError('statement timeout must be a positive whole number of ms');
  return mariadb ? `, max_statement_time = ${timeoutMs / 1000}` : `, max_execution_time = ${timeoutMs}`;
}

/**
 * mysql2 opens its socket with net.connect(port, host), which would resolve the name once more.
 * Given a socket factory instead, it uses that socket and keeps `host` (the name) for TLS: the
 * servername it sends and checks the certificate against. The factory connects to the address
 * the target policy approved, with the socket options mysql2 would set on its own.
 */
export function pinnedStream(address: string, port: number): () => net.Socket {
  return () => {
    const socket = net.connect({ host: address, port });
    socket.setNoDelay(true);
    socket.once('connect', () => socket.setKeepAlive(true));
    return socket;
  };
}
