import type { ConnectionHelp } from '../connection-help';

/**
 * Only `oracle://` is accepted as written by a user, although the URL parser reads `oracles://`
 * and `tcps://` as TLS (see connection.ts): TLS is asked for with `?ssl=true` or the SSL field.
 */
export const oracleConnectionHelp: ConnectionHelp = {
  label: 'Oracle',
  urlSchemes: ['oracle'],
  defaultPort: 1521,
  exampleUrl: 'oracle://user:password@127.0.0.1:1521/FREEPDB1',
  exampleConnection: { host: '127.0.0.1', port: 1521, user: 'app', database: 'FREEPDB1' },
  databaseLabel: 'Service name',
  schemasHelp: 'Oracle schemas are the users that own the tables: owner names, comma-separated; empty means the connecting user’s own schema',
};
