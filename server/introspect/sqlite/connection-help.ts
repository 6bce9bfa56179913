import type { ConnectionHelp } from '../connection-help';
import { SQLITE_SCHEMA } from './catalog';

export const sqliteConnectionHelp: ConnectionHelp = {
  label: 'SQLite',
  urlSchemes: ['sqlite', 'file'],
  defaultPort: null,
  exampleUrl: 'file:/path/to/file.sqlite',
  exampleConnection: { filename: '/data/app.sqlite' },
  databaseLabel: 'File',
  schemasHelp: `One file is one schema, ${SQLITE_SCHEMA}: it is the one read (attached files are not)`,
};
