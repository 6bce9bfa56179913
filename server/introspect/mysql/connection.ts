import type { Knex } from 'knex';
import type { ConnectOptions } from '../dialect';
import type { ConnectionSpec, DatabaseSpec } from '../../model/types';

/** Discrete connection fields after reading `url` (if any) and the spec's own fields. */
export interface MysqlConnectionFields {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  ssl?: boolean;
}

/**
 * `mysql://user:pass@host:port/db?ssl=true` (or `mariadb://`). Discrete fields in the spec
 * win over the URL, so a registry can keep the password apart from the URL.
 * Errors never repeat the URL: it may carry a password.
 */
export function connectionFields(connection: ConnectionSpec): MysqlConnectionFields {
  const fields: MysqlConnectionFields = connection.url ? parseUrl(connection.url) : {};
  if (connection.host !== undefined) fields.host = connection.host;
  if (connection.port !== undefined) fields.port = connection.port;
  if (connection.user !== undefined) fields.user = connection.user;
  if (connection.password !== undefined) fields.password = connection.password;
  if (connection.database !== undefined) fields.database = connection.database;
  if (connection.ssl !== undefined) fields.ssl = connection.ssl;
  return fields;
}

function parseUrl(url: string): MysqlConnectionFields {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('Invalid MySQL/MariaDB connection URL (expected mysql://user:password@host:port/database)');
  }
  const fields: MysqlConnectionFields = {};
  // URL keeps IPv6 hosts in brackets; the driver wants them bare.
  if (parsed.hostname) fields.host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (parsed.port) fields.port = Number(parsed.port);
  if (parsed.username) fields.user = decode(parsed.username);
  if (parsed.password) fields.password = decode(parsed.password);
  const database = decode(parsed.pathname.replace(/^\//, ''));
  if (database) fields.database = database;
  const ssl = parsed.searchParams.get('ssl') ?? parsed.searchParams.get('sslmode');
  if (ssl !== null) fields.ssl = !/^(false|0|off|disable|disabled)$/i.test(ssl);
  return fields;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The database named by the connection; MySQL calls its schemas databases. */
export function defaultSchemas(spec: DatabaseSpec): string[] {
  if (spec.schemas && spec.schemas.length > 0) return [...spec.schemas];
  const database = connectionFields(spec.connection).database;
  return database ? [database] : [];
}

export function knexConfig(spec: DatabaseSpec, options: ConnectOptions): Knex.Config {
  const fields = connectionFields(spec.connection);
  const connection = {
    host: fields.host,
    port: fields.port,
    user: fields.user,
    password: fields.password,
    database: fields.database,
    ...(fields.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
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
      // TIMESTAMP columns convert through the session zone; UTC keeps them as stored.
      afterCreate(conn: SessionConnection, done: (error: Error | null, conn: SessionConnection) => void) {
        conn.query("set session time_zone = '+00:00'", (error) => done(error ?? null, conn));
      },
    },
  };
}

interface SessionConnection {
  query(sql: string, callback: (error: Error | null) => void): void;
}
