import type { Knex } from 'knex';
import type { ConnectionProblem, ConnectionTarget, ConnectOptions } from '../dialect';
import type { ConnectionSpec, DatabaseSpec } from '../../model/types';
import { connectionFields, serverTarget, urlParameterProblems, urlParameters } from '../common/connection-url';
import type { ConnectionFields, UrlFormat, UrlParameterRules } from '../common/connection-url';

/**
 * `oracle://user:pass@host:1521/SERVICE?ssl=true` (`oracles://` or `tcps://` for TLS);
 * `database` is the service name (e.g. FREEPDB1). Discrete fields in the spec win over
 * the URL.
 */
const ORACLE_URL: UrlFormat = {
  label: 'Oracle',
  example: 'oracle://user:password@host:1521/SERVICE',
  sslParams: ['ssl'],
  tlsProtocols: ['oracles:', 'tcps:'],
};

/** The only URL query parameter lazydb reads; the connect string is built here, never taken from the user. */
export const ORACLE_URL_PARAMETERS: UrlParameterRules = { ssl: null };

/**
 * A service name as Easy Connect takes it. Anything else (`?`, `(`, `=`, spaces) could add
 * parameters or a whole descriptor to the connect string built below.
 */
const SERVICE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.$#-]*$/;

/**
 * Limit of the target policy for Oracle: the check runs before each connection as for the other
 * dialects, but the connection is NOT pinned to the address the check approved (knexConfig ignores
 * PinnedConnectOptions.connectTo). The thin driver follows a listener's REDIRECT packet to any
 * address it names, and its TLS needs the host name in the connect string, so pinning the first
 * hop would promise what the second does not keep. A name that resolves differently for the
 * driver than for the check (DNS rebinding), or a listener that redirects, can reach an address
 * the policy refuses. Where that matters, allow Oracle targets by address (LAZYDB_ALLOW_TARGETS
 * with literal IPs or ranges) and reach only listeners you trust.
 */
export function connectionTarget(spec: DatabaseSpec): ConnectionTarget {
  const parameters = spec.connection.url ? urlParameters(spec.connection.url) : [];
  return serverTarget(connectionFields(spec.connection, ORACLE_URL), { host: 'localhost', port: 1521 }, parameters);
}

export function connectionProblems(connection: ConnectionSpec): ConnectionProblem[] {
  const problems = urlParameterProblems(connection.url, ORACLE_URL_PARAMETERS, 'oracle');
  let database: string | undefined;
  try {
    database = connectionFields(connection, ORACLE_URL).database;
  } catch {
    return problems; // a malformed URL is reported by the common checks
  }
  if (database !== undefined && !SERVICE_NAME.test(database)) {
    problems.push({
      field: connection.url !== undefined ? 'url' : 'database',
      message: 'the service name may hold only letters, digits and _ . $ # - (e.g. FREEPDB1)',
    });
  }
  return problems;
}

/** Oracle folds unquoted user names to upper case, and the schema is named after the user. */
export function defaultSchemas(spec: DatabaseSpec): string[] {
  if (spec.schemas && spec.schemas.length > 0) return [...spec.schemas];
  const user = connectionFields(spec.connection, ORACLE_URL).user;
  return user ? [user.toUpperCase()] : [];
}

/**
 * An Easy Connect string. The connect timeout travels inside it (in seconds) because knex
 * hands node-oracledb only user, password and connectString.
 */
export function connectString(fields: ConnectionFields, connectTimeoutMs: number): string {
  // Validation refuses these already; the connect string is where they would do harm.
  if (fields.database !== undefined && !SERVICE_NAME.test(fields.database)) throw new Error('Oracle service name has characters Easy Connect does not take');
  if (fields.host !== undefined && /[^A-Za-z0-9._:-]/.test(fields.host)) throw new Error('Oracle host must be a host name or address');
  const host = fields.host ?? 'localhost';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const seconds = Math.max(1, Math.ceil(connectTimeoutMs / 1000));
  const service = fields.database ? `/${fields.database}` : '';
  const protocol = fields.ssl ? 'tcps://' : '';
  return `${protocol}${hostPart}:${fields.port ?? 1521}${service}?connect_timeout=${seconds}&transport_connect_timeout=${seconds}`;
}

/**
 * Session settings: UTC, ISO-8601 text forms for dates and timestamps, and '.' as the
 * decimal separator. Values are bound as text (exact timestamps, exact NUMBERs), so the
 * implicit conversions of those binds must not depend on the server's locale.
 */
export const SESSION_SETUP =
  "alter session set time_zone = '+00:00'" +
  ` nls_date_format = 'YYYY-MM-DD"T"HH24:MI:SS'` +
  ` nls_timestamp_format = 'YYYY-MM-DD"T"HH24:MI:SS.FF6'` +
  ` nls_timestamp_tz_format = 'YYYY-MM-DD"T"HH24:MI:SS.FF6TZH:TZM'` +
  " nls_numeric_characters = '.,'";

export function knexConfig(spec: DatabaseSpec, options: ConnectOptions): Knex.Config {
  const fields = connectionFields(spec.connection, ORACLE_URL);
  if (!fields.user) throw new Error('Oracle connection needs a user');
  return {
    client: 'oracledb',
    connection: {
      user: fields.user,
      password: fields.password ?? '',
      connectString: connectString(fields, options.connectTimeoutMs),
    } as Knex.OracleDbConnectionConfig,
    // NUMBER as text keeps every digit (the codecs turn int kinds into numbers); CLOB as
    // text spares a LOB round trip. DATE is deliberately absent: in Thin mode the driver
    // would build a JS Date first and then print it with Date#toString, losing more.
    fetchAsString: ['number', 'clob'],
    // Keep bound values out of knex's error messages (the SQL text is stripped later).
    compileSqlOnError: false,
    acquireConnectionTimeout: options.connectTimeoutMs,
    pool: {
      min: 0,
      max: options.poolMax ?? 10,
      afterCreate(conn: SessionConnection, done: (error: Error | null, conn: SessionConnection) => void) {
        // node-oracledb's call timeout bounds each round trip on this connection: past it the
        // driver interrupts the call on the server (a break) and fails it with NJS-123/DPI-1067
        // (ORA-01013). Not tried live here: no Oracle server runs on this machine.
        if (options.statementTimeoutMs !== undefined) conn.callTimeout = options.statementTimeoutMs;
        conn.execute(SESSION_SETUP).then(
          () => done(null, conn),
          (error: Error) => done(error, conn),
        );
      },
    },
  };
}

interface SessionConnection {
  execute(sql: string): Promise<unknown>;
  /** ms; 0 for none (node-oracledb Connection.callTimeout). */
  callTimeout: number;
}
