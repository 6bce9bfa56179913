import type { Knex } from 'knex';
import type { DialectModule } from '../dialect';
import type { DbModel } from '../../model/types';
import { readCatalog } from './catalog';
import { connectionProblems, connectionTarget, defaultSchemas, knexConfig } from './connection';
import { sqliteConnectionHelp } from './connection-help';
import { connectFailure, describeSqliteError } from './errors';
import { normaliseSqlite } from './normalise';
import { sqliteCapabilities, sqliteQuirks } from './quirks';
import { sqliteStatements } from './statements';

export const sqliteDialect: DialectModule = {
  dialect: 'sqlite',
  defaultSchemas,
  knexConfig,
  async introspect(knex: Knex, schemas: string[]): Promise<DbModel> {
    const catalog = await readCatalog(knex);
    return normaliseSqlite(catalog, schemas, new Date().toISOString());
  },
  quirks: sqliteQuirks,
  capabilitiesFor: sqliteCapabilities,
  describeError: describeSqliteError,
  pingQuery: 'select 1',
  connectionTarget,
  connectionProblems,
  connectFailure,
  connectionHelp: sqliteConnectionHelp,
  statements: sqliteStatements,
};

export { normaliseSqlite } from './normalise';
export { readCatalog as readSqliteCatalog } from './catalog';
export type { SqliteCatalog } from './catalog';
