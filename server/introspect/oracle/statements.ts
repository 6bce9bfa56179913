import { createRequire } from 'node:module';
import type { StatementDriver, StatementResult } from '../dialect';
import { quoteWith } from '../../query/fragment';

/** The part of a node-oracledb connection (knex's pooled connection) that runs a statement. */
interface OracleConnection {
  execute(
    sql: string,
    binds: unknown[],
    options: { outFormat: number; autoCommit: boolean },
  ): Promise<{ rows?: Record<string, unknown>[]; rowsAffected?: number }>;
}

const requireFromHere = createRequire(import.meta.url);
let objectRows: number | undefined;

/** oracledb.OUT_FORMAT_OBJECT, read from the driver the first time it is needed (the package has no types). */
function outFormatObject(): number {
  objectRows ??= (requireFromHere('oracledb') as { OUT_FORMAT_OBJECT: number }).OUT_FORMAT_OBJECT;
  return objectRows;
}

/**
 * Statements on node-oracledb's own connection with `:n` placeholders written by lazydb, rows
 * as objects keyed by column name (what knex gave). The driver-wide fetchAsString set by knex
 * from the config (connection.ts) applies to these statements too. Outside a transaction each
 * statement commits itself, as knex's client does.
 */
export const oracleStatements: StatementDriver = {
  // Oracle refuses `"` inside a quoted name altogether; doubling it makes that refusal the server's.
  quoteIdentifier: quoteWith('"'),
  placeholder: (position) => `:${position}`,
  maxBindings: 65_535,
  async execute(connection, statement, { inTransaction }): Promise<StatementResult> {
    const result = await (connection as OracleConnection).execute(statement.text, statement.values as unknown[], {
      outFormat: outFormatObject(),
      autoCommit: !inTransaction,
    });
    return { rows: result.rows ?? [], affectedRows: result.rowsAffected ?? 0 };
  },
};
