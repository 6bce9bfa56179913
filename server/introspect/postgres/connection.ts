import type { Knex } from 'knex';
import pg from 'pg';
import type { DatabaseSpec } from '../../model/types';
import type { ConnectOptions } from '../dialect';
import { discreteFields } from '../common/connection-url';

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

export function knexConfig(spec: DatabaseSpec, options: ConnectOptions): Knex.Config {
  const source = spec.connection;
  const connection: Record<string, unknown> = {
    application_name: 'lazydb',
    connectionTimeoutMillis: options.connectTimeoutMs,
    // Session time zone UTC: timestamptz values then come back as `...+00`.
    options: '-c TimeZone=UTC',
    types: pgTypes,
  };
  if (source.url) {
    // pg parses the URL and lets it override the fields above where it sets them
    // (application_name, options and sslmode may be given in its query string).
    connection.connectionString = source.url;
  } else {
    Object.assign(connection, discreteFields(source));
  }
  if (source.ssl !== undefined) connection.ssl = source.ssl;
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
