import type { Knex } from 'knex';
import type { DatabaseSpec, DbModel } from '../../model/types';
import type { DialectModule } from '../dialect';
import { readCatalog } from './catalog';
import { connectionProblems, connectionTarget, knexConfig } from './connection';
import { postgresConnectionHelp } from './connection-help';
import { connectFailure, describeError } from './errors';
import { normalise } from './normalise';
import { postgresCapabilities, postgresQuirks } from './quirks';
import { postgresStatements } from './statements';

export const postgresDialect: DialectModule = {
  dialect: 'postgres',
  defaultSchemas(spec: DatabaseSpec): string[] {
    return spec.schemas && spec.schemas.length > 0 ? [...spec.schemas] : ['public'];
  },
  knexConfig,
  async introspect(knex: Knex, schemas: string[]): Promise<DbModel> {
    const catalog = await readCatalog(knex, schemas);
    return normalise(catalog, schemas, new Date().toISOString());
  },
  quirks: postgresQuirks,
  capabilitiesFor: postgresCapabilities,
  describeError,
  pingQuery: 'select 1',
  connectionTarget,
  connectionProblems,
  connectFailure,
  connectionHelp: postgresConnectionHelp,
  statements: postgresStatements,
};
