import type { Knex } from 'knex';
import type { DialectModule, StatementResult } from '../introspect/dialect';
import type { NamedColumn, NamedTable } from '../schema/naming';
import type { CancelSignal, RequestContext, Row, StatementStats } from '../schema/source';
import { compileStatement, sql, type BoundStatement, type SqlFragment } from '../sql/fragment';
import { StatementCache } from './compiled';
import { toGraphQLError } from './errors';
import { aliasCounter, type FilterScope } from './filter';
import { runStatement } from './runner';
import { columnReference, tableQualifier, type Qualifier } from './sql';

/** Where a statement runs (the pool, or a transaction) and for which request (its signal cancels it; its stats hear of it). */
export interface Executor {
  db: Knex | Knex.Transaction;
  signal: CancelSignal | undefined;
  stats: StatementStats | undefined;
}

/** The column a window's row number is read into (`__` names cannot be GraphQL fields). */
export const ROW_NUMBER = '__lazydb_rn';

/**
 * What every part of the query layer shares for one database: its pool and dialect, the
 * compiled statements, how a statement is sent (with the request's signal and the database's
 * statement timeout), and how rows come back (keyed by field, decoded to canonical values).
 */
export class EngineCore {
  readonly statements: StatementCache;

  constructor(
    readonly knex: Knex,
    readonly dialect: DialectModule,
    /** Names the database in error messages. */
    private readonly databaseName: string,
    /** The database's statement timeout (PoolHandle.statementTimeoutMs), watched by the runner. */
    private readonly options: { statementTimeoutMs?: number | undefined },
  ) {
    this.statements = new StatementCache(dialect.statements);
  }

  /** Runs `work`, its errors turned into the GraphQL errors of the catalogue. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toGraphQLError(error, this.dialect, this.databaseName);
    }
  }

  /** The pool (or `db`, a transaction) for the request of `context`. */
  on(context: RequestContext | undefined, db: Knex | Knex.Transaction = this.knex): Executor {
    return { db, signal: context?.signal, stats: context?.lazydb?.stats ?? undefined };
  }

  send(executor: Executor, statement: BoundStatement): Promise<StatementResult> {
    // Where the server stops statements at the session's timeout itself, no timer of lazydb's is needed per statement.
    const timeoutMs = this.dialect.statements.serverBoundsStatements ? undefined : this.options.statementTimeoutMs;
    return runStatement(executor.db, this.dialect.statements, statement, { signal: executor.signal, timeoutMs, pool: this.knex, stats: executor.stats, database: this.databaseName });
  }

  async rowsOf(executor: Executor, statement: BoundStatement): Promise<Row[]> {
    return (await this.send(executor, statement)).rows;
  }

  /** A statement that is not kept: compiled for this call only. */
  rows(executor: Executor, fragment: SqlFragment): Promise<Row[]> {
    return this.rowsOf(executor, compileStatement(fragment, this.dialect.statements));
  }

  execute(executor: Executor, fragment: SqlFragment): Promise<StatementResult> {
    return this.send(executor, compileStatement(fragment, this.dialect.statements));
  }

  /** `<column> as <field>, …`: rows come back keyed by GraphQL field. */
  columnList(table: NamedTable, columns: NamedColumn[], qualifier: Qualifier): SqlFragment {
    const selected = columns.length > 0 ? columns : table.columns.slice(0, 1);
    return sql.join(
      selected.map((c) => sql`${columnReference(qualifier, c.column.name)} as ${sql.identifier(c.field)}`),
      ', ',
    );
  }

  /** Driver values -> canonical values, in place. */
  decodeRows(rows: Row[], columns: NamedColumn[]): Row[] {
    const { quirks } = this.dialect;
    for (const row of rows) {
      for (const c of columns) row[c.field] = quirks.decode(c.column, row[c.field]);
    }
    return rows;
  }

  encode(column: NamedColumn, value: unknown): unknown {
    return this.dialect.quirks.encode(column.column, value);
  }

  scope(table: NamedTable, qualifier: Qualifier = tableQualifier(table.table), nextAlias = aliasCounter()): FilterScope {
    return { quirks: this.dialect.quirks, table, qualifier, nextAlias };
  }
}

const fieldLists = new WeakMap<NamedColumn[], string>();

/** The columns' fields as text, for signatures; kept per array (resolvers reuse theirs per field). */
export function fieldList(columns: NamedColumn[]): string {
  let list = fieldLists.get(columns);
  if (list === undefined) {
    list = columns.map((c) => c.field).join(',');
    fieldLists.set(columns, list);
  }
  return list;
}

/** `columns` and `extra`, in the table's column order. */
export function withColumns(table: NamedTable, columns: NamedColumn[], extra: NamedColumn[]): NamedColumn[] {
  const wanted = new Set([...columns, ...extra]);
  return table.columns.filter((c) => wanted.has(c));
}
