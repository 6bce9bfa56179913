import type { Knex } from 'knex';
import type { DialectModule } from '../dialect';
import type { DbModel } from '../../model/types';
import { readMysqlCatalog } from './catalog';
import { connectionProblems, connectionTarget, defaultSchemas, knexConfig } from './connection';
import { mariadbConnectionHelp, mysqlConnectionHelp } from './connection-help';
import { connectFailure, describeMysqlError } from './errors';
import { normaliseMysqlCatalog } from './normalise';
import { mysqlCapabilities, mysqlQuirks } from './quirks';
import { mysqlStatements } from './statements';

/**
 * MySQL 8 and MariaDB share one implementation. Where the servers differ in what the
 * catalog says, the server's version string decides (so a MariaDB registered as "mysql"
 * still introspects correctly); the module only fixes the dialect name in the model and
 * the shape of duplicate-key messages.
 */
function createModule(dialect: 'mysql' | 'mariadb'): DialectModule {
  return {
    dialect,
    defaultSchemas,
    knexConfig,
    async introspect(knex: Knex, schemas: string[]): Promise<DbModel> {
      const catalog = await readMysqlCatalog(knex, schemas);
      return normaliseMysqlCatalog(catalog, { dialect });
    },
    quirks: mysqlQuirks,
    capabilitiesFor: mysqlCapabilities,
    describeError: (error: unknown) => describeMysqlError(error, { keyHasTablePrefix: dialect === 'mysql' }),
    pingQuery: 'select 1',
    connectionTarget,
    connectionProblems,
    connectFailure,
    connectionHelp: dialect === 'mariadb' ? mariadbConnectionHelp : mysqlConnectionHelp,
    statements: dialect === 'mariadb' ? { ...mysqlStatements, serverBoundsStatements: true } : mysqlStatements,
  };
}

export const mysqlDialect: DialectModule = createModule('mysql');
export const mariadbDialect: DialectModule = createModule('mariadb');
