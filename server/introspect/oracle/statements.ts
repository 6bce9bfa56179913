import { createRequire } from 'node:module';
import type { StatementDriver, StatementResult } from '../dialect';
import { quoteWith, sql, type SqlFragment } from '../../sql/fragment';

/** The part of a node-oracledb connection (knex's pooled connection) that runs a statement. */
interface OracleConnection {
  execute(
    sql: string,
    binds: unknown[],
    options: { outFormat: number; autoCommit: boolean },
  ): Promise<{ rows?: Record<string, unknown>[]; rowsAffected?: number; outBinds?: unknown[] }>;
  /** Interrupts the call running on this connection (the server answers it with ORA-01013). */
  break(): Promise<void>;
}

interface OracleConstants {
  OUT_FORMAT_OBJECT: number;
  BIND_OUT: number;
  STRING: number;
}

const requireFromHere = createRequire(import.meta.url);
let constants: OracleConstants | undefined;

/** The driver's constants, read the first time they are needed (the package ships no types). */
function oracle(): OracleConstants {
  constants ??= requireFromHere('oracledb') as OracleConstants;
  return constants;
}

/** Out binds of a RETURNING … INTO clause, and the column each one receives. */
const returnedColumn = new WeakMap<object, string>();

/** The largest VARCHAR2 an out bind takes. */
const OUT_BIND_MAX_SIZE = 32_767;

/**
 * ` returning "a", "b" into :n, :m`: Oracle gives a DML statement's rows back only through out
 * binds. Each out bind is a value of the statement (so its placeholder is lazydb's own) and is
 * remembered with its column, so that execute can hand the values back as rows. Values come
 * back as text, as they did through knex (which binds RETURNING as STRING); the codecs read it.
 */
export function returningInto(columns: readonly string[]): SqlFragment {
  const { BIND_OUT, STRING } = oracle();
  const binds = columns.map((column) => {
    const bind = { dir: BIND_OUT, type: STRING, maxSize: OUT_BIND_MAX_SIZE };
    returnedColumn.set(bind, column);
    return sql.value(bind);
  });
  return sql` returning ${sql.join(
    columns.map((c) => sql.identifier(c)),
    ', ',
  )} into ${sql.join(binds, ', ')}`;
}

/** The rows of a RETURNING … INTO: one array of values per out bind (a value per changed row), in bind order. */
export function returnedRows(values: readonly unknown[], outBinds: unknown[]): Record<string, unknown>[] {
  const columns = values.map((v) => (typeof v === 'object' && v !== null ? returnedColumn.get(v) : undefined)).filter((c): c is string => c !== undefined);
  const rows: Record<string, unknown>[] = [];
  columns.forEach((column, k) => {
    const perRow = outBinds[k];
    (Array.isArray(perRow) ? perRow : [perRow]).forEach((value, r) => {
      (rows[r] ??= {})[column] = value;
    });
  });
  return rows;
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
      outFormat: oracle().OUT_FORMAT_OBJECT,
      autoCommit: !inTransaction,
    });
    const rows = result.outBinds ? returnedRows(statement.values, result.outBinds) : (result.rows ?? []);
    return { rows, affectedRows: result.rowsAffected ?? 0 };
  },
  // node-oracledb sends the break on the connection itself: no other session is needed.
  async cancel(connection): Promise<void> {
    await (connection as OracleConnection).break();
  },
};
