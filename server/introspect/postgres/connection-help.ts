import type { ConnectionHelp } from '../connection-help';

export const postgresConnectionHelp: ConnectionHelp = {
  label: 'PostgreSQL',
  urlSchemes: ['postgres', 'postgresql'],
  defaultPort: 5432,
  exampleUrl: 'postgres://user:password@127.0.0.1:5432/mydb',
  exampleConnection: { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'mydb' },
  databaseLabel: 'Database',
  schemasHelp: 'PostgreSQL schemas of that database, comma-separated; empty means public',
};
