import type { Dialect } from '../model/types';
import type { DialectModule } from './dialect';
import { mariadbDialect, mysqlDialect } from './mysql';
import { oracleDialect } from './oracle';
import { postgresDialect } from './postgres';
import { sqliteDialect } from './sqlite';

const DIALECT_MODULES: Record<Dialect, DialectModule> = {
  postgres: postgresDialect,
  mysql: mysqlDialect,
  mariadb: mariadbDialect,
  oracle: oracleDialect,
  sqlite: sqliteDialect,
};

export function dialectModule(dialect: Dialect): DialectModule {
  return DIALECT_MODULES[dialect];
}

export type { DialectModule } from './dialect';
