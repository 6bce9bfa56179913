import type BetterSqlite3 from 'better-sqlite3';
import type { StatementDriver, StatementResult } from '../dialect';
import { quoteWith } from '../../sql/fragment';

/** Prepared statements kept per connection: lazydb's texts repeat (one per shape), preparing is the costly part. */
const prepared = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();
const MAX_PREPARED = 500;

function prepare(db: BetterSqlite3.Database, text: string): BetterSqlite3.Statement {
  let statements = prepared.get(db);
  if (!statements) {
    statements = new Map();
    prepared.set(db, statements);
  }
  let statement = statements.get(text);
  if (statement) {
    // Least recently used goes first.
    statements.delete(text);
  } else {
    // Prepared on the connection, so it keeps the connection's defaultSafeIntegers(true).
    statement = db.prepare(text);
    if (statements.size >= MAX_PREPARED) statements.delete(statements.keys().next().value!);
  }
  statements.set(text, statement);
  return statement;
}

/** better-sqlite3 binds numbers, bigints, strings, Buffers and null; booleans and Dates as knex did. */
function binding(value: unknown): unknown {
  if (typeof value === 'boolean') return Number(value);
  if (value instanceof Date) return value.valueOf();
  return value;
}

/**
 * Statements on better-sqlite3's own connection with `?` placeholders written by lazydb.
 * `reader` statements (selects, and writes with RETURNING) give their rows; the others what
 * they changed.
 */
export const sqliteStatements: StatementDriver = {
  quoteIdentifier: quoteWith('"'),
  placeholder: () => '?',
  // SQLITE_MAX_VARIABLE_NUMBER's default since SQLite 3.32.
  maxBindings: 32_766,
  async execute(connection, statement): Promise<StatementResult> {
    const prepared = prepare(connection as BetterSqlite3.Database, statement.text);
    const values = statement.values.map(binding);
    if (prepared.reader) return { rows: prepared.all(values) as Record<string, unknown>[], affectedRows: 0 };
    const info = prepared.run(values);
    return { rows: [], affectedRows: info.changes, insertId: info.lastInsertRowid };
  },
};
