import type { Knex } from 'knex';
import type { DialectModule } from '../dialect';
import type { DbModel } from '../../model/types';
import { readCatalog } from './catalog';
import { connectionProblems, connectionTarget, defaultSchemas, knexConfig } from './connection';
import { oracleConnectionHelp } from './connection-help';
import { connectFailure, describeOracleError } from './errors';
import { normaliseOracle } from './normalise';
import { oracleCapabilities, oracleQuirks } from './quirks';
import { oracleStatements } from './statements';

/**
 * Oracle through node-oracledb in Thin mode (pure JavaScript, no Oracle Client install;
 * initOracleClient is never called). Tested here on recorded catalog rows only: no Oracle
 * server runs on the development machines.
 */
export const oracleDialect: DialectModule = {
  dialect: 'oracle',
  defaultSchemas,
  knexConfig,
  async introspect(knex: Knex, schemas: string[]): Promise<DbModel> {
    const catalog = await readCatalog(knex, schemas);
    return normaliseOracle(catalog, schemas, new Date().toISOString());
  },
  quirks: oracleQuirks,
  capabilitiesFor: oracleCapabilities,
  describeError: describeOracleError,
  pingQuery: 'select 1 from dual',
  connectionTarget,
  connectionProblems,
  connectFailure,
  connectionHelp: oracleConnectionHelp,
  statements: oracleStatements,
};

export { normaliseOracle } from './normalise';
export { readCatalog as readOracleCatalog } from './catalog';
export type { OracleCatalog } from './catalog';
