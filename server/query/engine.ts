import DataLoader from 'dataloader';
import type { Knex } from 'knex';
import type { Capabilities, DialectModule, NestedJsonQuirks, StatementResult } from '../introspect/dialect';
import type { NamedColumn, NamedRelation, NamedTable } from '../schema/naming';
import { isWritable } from '../schema/build';
import { badInput } from '../schema/errors';
import { attachPrefetched, type BoolExp, type DataSource, type ListArgs, type NestedRead, type RequestContext, type Row } from '../schema/source';
import { StatementCache } from './compiled';
import { toGraphQLError } from './errors';
import { aliasCounter, defaultOrder, orderSql, orderTerms, whereClause, whereCondition, type FilterScope, type OrderTerm } from './filter';
import { compileStatement, sql, type BoundStatement, type SqlFragment } from '../sql/fragment';
import { runStatement } from './runner';
import { columnReference, tableQualifier, tableReference, type Qualifier } from './sql';

const relationIds = new WeakMap<NamedRelation, number>();
let nextRelationId = 0;

/**
 * A relation's identity for signatures. Its field name and target do not make one: `artist.albums`
 * and `label.albums` are both `albums` of `album`, joined on different columns.
 */
function relationId(relation: NamedRelation): number {
  let id = relationIds.get(relation);
  if (id === undefined) {
    id = nextRelationId++;
    relationIds.set(relation, id);
  }
  return id;
}

/** A nested JSON aggregate the engine cut short (it only warns): the read is answered per level instead. */
class NestedJsonCut extends Error {}

/** The page size of a nested read without a limit (the schema always sets one: LAZYDB_MAX_LIMIT). */
const NO_LIMIT = 2 ** 31 - 1;

/** Largest IN list sent in one statement (Oracle refuses more than 1,000 items). */
const MAX_BATCH = 500;
const ROW_NUMBER = '__lazydb_rn';
/** Aliases of the relation-list statement; `__` names cannot be GraphQL fields, nor clash with the aliases of filters. */
const CHILD = '__lazydb_c';
const WINDOW = '__lazydb_w';

/** Where a statement runs (the pool, or a transaction) and for which request (its signal cancels it). */
interface Executor {
  db: Knex | Knex.Transaction;
  signal: AbortSignal | undefined;
}

/** A nested read as it went into the statement, with those of its own that did (some may not fit). */
interface PlannedRead {
  read: NestedRead;
  children: PlannedRead[];
}

/** A nested read of the root rows, and the column its JSON comes back in. */
interface RootRead {
  plan: PlannedRead;
  alias: string;
}

/**
 * The query layer: GraphQL arguments -> SQL fragments, for one database. Identifiers are
 * quoted by the dialect part by part, values are always bound, and statements run on the
 * driver through knex's pool (server/query/runner.ts). Relation fields are batched per
 * request with DataLoader: one statement per relation and nesting level, whatever the
 * number of parent rows.
 */
export class KnexDataSource implements DataSource {
  private readonly loaders = new WeakMap<RequestContext, Map<string, DataLoader<string, unknown>>>();
  readonly readsNested: boolean;
  private readonly statements: StatementCache;
  /** How this server builds nested rows as JSON; null: relations are read per level. */
  private readonly nestedJson: NestedJsonQuirks | null;

  constructor(
    private readonly knex: Knex,
    private readonly dialect: DialectModule,
    /** Names the database in error messages. */
    private readonly databaseName: string,
    /** What the server can do, by its version as introspected: dialect.capabilitiesFor(serverVersion). */
    private readonly capabilities: Capabilities,
    /** The database's statement timeout (PoolHandle.statementTimeoutMs), watched by the runner. */
    private readonly options: { statementTimeoutMs?: number | undefined } = {},
  ) {
    this.nestedJson = capabilities.nestedJson;
    this.readsNested = this.nestedJson !== null;
    this.statements = new StatementCache(dialect.statements);
  }

  async list(table: NamedTable, args: ListArgs, columns: NamedColumn[], context?: RequestContext, nested?: NestedRead[]): Promise<Row[]> {
    return this.run(async () => {
      const values: unknown[] = [];
      if (args.limit != null) values.push(args.limit);
      if (args.offset) values.push(args.offset);
      const signature = `l:${table.typeName}:${fieldList(columns)}:${JSON.stringify([args.where ?? null, args.order_by ?? null, args.limit != null, Boolean(args.offset)])}:${nestedSignature(nested)}`;
      const { statement, extra: planned } = this.statements.prepare(signature, values, (params) => {
        const qualifier = tableQualifier(table.table);
        const nextAlias = aliasCounter();
        const where = whereCondition(args.where, this.scope(table, qualifier, nextAlias));
        const order = this.orderClause(table, orderTerms(table, args.order_by), qualifier);
        let next = 0;
        const limit = args.limit != null ? params[next++]! : null;
        const offset = args.offset ? params[next++]! : null;
        const nestedColumns = this.selectNested(qualifier, nested, nextAlias);
        const selected = sql.join([this.columnList(table, columns, qualifier), ...nestedColumns.columns], ', ');
        return {
          statement: sql`select ${selected} from ${tableReference(table.table)}${whereClause(where)}${order}${this.dialect.quirks.page(limit, offset)}`,
          extra: nestedColumns.planned,
        };
      });
      const read = this.attachNested(this.decodeRows(await this.rowsOf(this.on(context), statement), columns), planned);
      return read ?? this.list(table, args, columns, context);
    });
  }

  async byKey(table: NamedTable, key: Row, columns: NamedColumn[], context?: RequestContext, nested?: NestedRead[]): Promise<Row | null> {
    return this.run(async () => {
      const values = table.primaryKey.map((c) => this.encode(c, key[c.field]));
      const signature = `k:${table.typeName}:${fieldList(columns)}:${nestedSignature(nested)}`;
      const { statement, extra: planned } = this.statements.prepare(signature, values, (params) => {
        const qualifier = tableQualifier(table.table);
        const where = sql.join(
          table.primaryKey.map((c, i) => sql`${columnReference(qualifier, c.column.name)} = ${params[i]!}`),
          ' and ',
        );
        const nestedColumns = this.selectNested(qualifier, nested, aliasCounter());
        const selected = sql.join([this.columnList(table, columns, qualifier), ...nestedColumns.columns], ', ');
        return {
          statement: sql`select ${selected} from ${tableReference(table.table)} where ${where}${this.dialect.quirks.page(sql.value(1), null)}`,
          extra: nestedColumns.planned,
        };
      });
      const read = this.attachNested(this.decodeRows(await this.rowsOf(this.on(context), statement), columns), planned);
      return read ? (read[0] ?? null) : this.byKey(table, key, columns, context);
    });
  }

  async count(table: NamedTable, where: BoolExp | null | undefined, context?: RequestContext): Promise<number> {
    return this.run(async () => {
      // REST lists count beside every page: compiled once per table and filter, like the page itself.
      const { statement } = this.statements.prepare(`c:${table.typeName}:${JSON.stringify(where ?? null)}`, [], () => {
        const condition = whereCondition(where, this.scope(table));
        return { statement: sql`select count(*) as ${sql.identifier('count')} from ${tableReference(table.table)}${whereClause(condition)}`, extra: null };
      });
      const [row] = await this.rowsOf(this.on(context), statement);
      return Number(row?.count ?? 0);
    });
  }

  related(relation: NamedRelation, parent: Row, columns: NamedColumn[], context: RequestContext): Promise<Row | null> {
    const values = relation.ownerColumns.map((c) => parent[c.field]);
    if (values.some((v) => v === null || v === undefined)) return Promise.resolve(null);
    const loader = this.loader(context, `o:${relationId(relation)}:${fieldList(columns)}`, (keys) =>
      this.loadRelated(relation, keys, columns, this.on(context)),
    );
    return loader.load(keyString(values)) as Promise<Row | null>;
  }

  relatedList(relation: NamedRelation, parent: Row, args: ListArgs, columns: NamedColumn[], context: RequestContext): Promise<Row[]> {
    const values = relation.ownerColumns.map((c) => parent[c.field]);
    if (values.some((v) => v === null || v === undefined)) return Promise.resolve([]);
    const signature = `a:${relationId(relation)}:${fieldList(columns)}:${JSON.stringify(args)}`;
    const loader = this.loader(context, signature, (keys) => this.loadRelatedLists(relation, keys, args, columns, this.on(context)));
    return loader.load(keyString(values)) as Promise<Row[]>;
  }

  async insert(table: NamedTable, objects: Row[], columns: NamedColumn[], context?: RequestContext): Promise<Row[]> {
    this.assertWritable(table);
    // One row with RETURNING is a single atomic statement: no BEGIN/COMMIT round trips.
    if (objects.length === 1 && columns.length > 0 && this.capabilities.insertReturning) {
      return this.run(async () => [await this.insertOne(this.on(context), table, objects[0]!, columns)]);
    }
    return this.run(() =>
      this.knex.transaction(async (db) => {
        const trx = this.on(context, db);
        const rows: Row[] = [];
        for (const object of objects) rows.push(await this.insertOne(trx, table, object, columns));
        return rows;
      }),
    );
  }

  async update(table: NamedTable, where: BoolExp, set: Row, columns: NamedColumn[], context?: RequestContext): Promise<Row[]> {
    this.assertWritable(table);
    const assignments = this.encodeObject(table, set);
    return this.run(() =>
      this.knex.transaction(async (db) => {
        const trx = this.on(context, db);
        const target = tableReference(table.table);
        if (table.primaryKey.length > 0) {
          const keys = await this.matchingKeys(trx, table, where);
          if (keys.length === 0) return [];
          if (assignments.length > 0) {
            for (const chunk of chunks(keys)) {
              await this.execute(trx, sql`update ${target} set ${setList(assignments)} where ${this.keysCondition(table, tableQualifier(table.table), chunk)}`);
            }
          }
          const newKeys = keys.map((key) => ({ ...key, ...pick(set, table.primaryKey.map((c) => c.field)) }));
          return this.readByKeys(trx, table, newKeys, columns);
        }
        // Without a key the rows cannot be found again after the change: RETURNING where the
        // engine has it, else the rows read before, with the new values applied.
        const condition = whereClause(whereCondition(where, this.scope(table)));
        if (this.capabilities.updateReturning && columns.length > 0) {
          if (assignments.length === 0) return this.selectWhere(trx, table, where, columns);
          const returned = await this.rows(trx, sql`update ${target} set ${setList(assignments)}${condition}${this.returning(columns)}`);
          return this.decodeRows(renameToFields(returned, columns), columns);
        }
        const before = await this.selectWhere(trx, table, where, columns);
        if (assignments.length > 0) await this.execute(trx, sql`update ${target} set ${setList(assignments)}${condition}`);
        return before.map((row) => ({ ...row, ...set }));
      }),
    );
  }

  async delete(table: NamedTable, where: BoolExp, columns: NamedColumn[], context?: RequestContext): Promise<Row[]> {
    this.assertWritable(table);
    return this.run(() =>
      this.knex.transaction(async (db) => {
        const trx = this.on(context, db);
        const target = tableReference(table.table);
        if (table.primaryKey.length > 0) {
          const keys = await this.matchingKeys(trx, table, where);
          if (keys.length === 0) return [];
          const rows = await this.readByKeys(trx, table, keys, columns);
          for (const chunk of chunks(keys)) {
            await this.execute(trx, sql`delete from ${target} where ${this.keysCondition(table, tableQualifier(table.table), chunk)}`);
          }
          return rows;
        }
        const before = await this.selectWhere(trx, table, where, columns);
        await this.execute(trx, sql`delete from ${target}${whereClause(whereCondition(where, this.scope(table)))}`);
        return before;
      }),
    );
  }

  // ---- running -------------------------------------------------------------------------

  /** The pool (or `db`, a transaction) for the request of `context`. */
  private on(context: RequestContext | undefined, db: Knex | Knex.Transaction = this.knex): Executor {
    return { db, signal: context?.signal };
  }

  private send(executor: Executor, statement: BoundStatement): Promise<StatementResult> {
    // Where the server stops statements at the session's timeout itself, no timer of lazydb's is needed per statement.
    const timeoutMs = this.dialect.statements.serverBoundsStatements ? undefined : this.options.statementTimeoutMs;
    return runStatement(executor.db, this.dialect.statements, statement, { signal: executor.signal, timeoutMs, pool: this.knex });
  }

  private async rowsOf(executor: Executor, statement: BoundStatement): Promise<Row[]> {
    return (await this.send(executor, statement)).rows;
  }

  /** A statement that is not kept: compiled for this call only. */
  private rows(executor: Executor, fragment: SqlFragment): Promise<Row[]> {
    return this.rowsOf(executor, compileStatement(fragment, this.dialect.statements));
  }

  private execute(executor: Executor, fragment: SqlFragment): Promise<StatementResult> {
    return this.send(executor, compileStatement(fragment, this.dialect.statements));
  }

  // ---- reading -------------------------------------------------------------------------

  /** `<column> as <field>, …`: rows come back keyed by GraphQL field. */
  private columnList(table: NamedTable, columns: NamedColumn[], qualifier: Qualifier): SqlFragment {
    const selected = columns.length > 0 ? columns : table.columns.slice(0, 1);
    return sql.join(
      selected.map((c) => sql`${columnReference(qualifier, c.column.name)} as ${sql.identifier(c.field)}`),
      ', ',
    );
  }

  private selectWhere(executor: Executor, table: NamedTable, where: BoolExp, columns: NamedColumn[]): Promise<Row[]> {
    const qualifier = tableQualifier(table.table);
    const condition = whereCondition(where, this.scope(table, qualifier));
    return this.rows(executor, sql`select ${this.columnList(table, columns, qualifier)} from ${tableReference(table.table)}${whereClause(condition)}`).then(
      (rows) => this.decodeRows(rows, columns),
    );
  }

  private scope(table: NamedTable, qualifier: Qualifier = tableQualifier(table.table), nextAlias = aliasCounter()): FilterScope {
    return { quirks: this.dialect.quirks, table, qualifier, nextAlias };
  }

  // ---- nested reads in one statement (engines with nestedJson) ---------------------------

  /**
   * One column per nested read for the parents' statement: a correlated subquery that
   * returns the related rows as JSON, themselves holding their own nested reads. Reads the
   * engine cannot express (too many values for one JSON array) are left out; their
   * resolvers then read them per level.
   */
  private selectNested(parent: Qualifier, nested: NestedRead[] | undefined, nextAlias: () => string): { columns: SqlFragment[]; planned: RootRead[] } {
    const columns: SqlFragment[] = [];
    const planned: RootRead[] = [];
    if (!this.nestedJson || !nested || nested.length === 0) return { columns, planned };
    for (const read of nested) {
      const built = this.nestedSubquery(read, parent, nextAlias);
      if (!built) continue;
      const alias = `__lazydb_${nextAlias()}`;
      columns.push(sql`(${built.sql}) as ${sql.identifier(alias)}`);
      planned.push({ plan: built.plan, alias });
    }
    return { columns, planned };
  }

  private nestedSubquery(read: NestedRead, parent: Qualifier, nextAlias: () => string): { sql: SqlFragment; plan: PlannedRead } | null {
    const json = this.nestedJson!;
    const { quirks } = this.dialect;
    const { relation, columns } = read;
    if (columns.length > json.maxItems) return null;
    const target = relation.target;
    const own = [nextAlias()];
    // A page in a derived table reads its columns from there; a page inside the aggregate, from the table.
    const rows = read.relation.kind === 'array' && json.page === 'derived' ? [nextAlias()] : own;
    const items: SqlFragment[] = [];
    for (const c of columns) {
      const item = json.item(c.column, columnReference(rows, c.column.name));
      if (item === null) return null;
      items.push(item);
    }
    const children: PlannedRead[] = [];
    for (const child of read.nested) {
      if (columns.length + children.length >= json.maxItems) break;
      const built = this.nestedSubquery(child, rows, nextAlias);
      if (!built) continue;
      children.push(built.plan);
      items.push(sql`(${built.sql})`);
    }
    const plan: PlannedRead = { read, children };
    const rowJson = json.array(items);

    const from = sql`${tableReference(target.table)} ${sql.identifier(own[0]!)}`;
    const joins = relation.targetColumns.map((column, i) => {
      const owner = relation.ownerColumns[i]!;
      return sql`${columnReference(own, column.column.name)} = ${columnReference(parent, owner.column.name)}`;
    });
    if (relation.kind === 'object') {
      return { sql: sql`select ${rowJson} from ${from} where ${sql.join(joins, ' and ')}${quirks.page(sql.value(1), null)}`, plan };
    }
    const { args } = read;
    const filter = whereCondition(args.where, this.scope(target, own, nextAlias));
    const where = sql.join(filter ? [...joins, filter] : joins, ' and ');
    const order = orderSql(childOrder(relation, args), own, quirks);
    if (json.page === 'inside') {
      const aggregate = json.aggregate(rowJson, order, sql.value(args.limit ?? NO_LIMIT), sql.value(args.offset ?? 0));
      return { sql: sql`select ${aggregate} from ${from} where ${where}`, plan };
    }
    const derivedColumns = [...columns.map((c) => columnReference(own, c.column.name)), sql`row_number() over (order by ${order}) as ${sql.identifier(ROW_NUMBER)}`];
    const page = quirks.page(args.limit != null ? sql.value(args.limit) : null, args.offset ? sql.value(args.offset) : null);
    const derived = sql`select ${sql.join(derivedColumns, ', ')} from ${from} where ${where} order by ${order}${page}`;
    const aggregate = json.aggregate(rowJson, columnReference(rows, ROW_NUMBER), sql.empty, sql.empty);
    return { sql: sql`select ${aggregate} from (${derived}) ${sql.identifier(rows[0]!)}`, plan };
  }

  /**
   * Moves each nested read's JSON column off the rows into their prefetched values. Null when
   * the engine cut a JSON aggregate short (see NestedJsonQuirks.counted): the caller then reads
   * again, relations per level.
   */
  private attachNested(rows: Row[], planned: RootRead[]): Row[] | null {
    if (planned.length === 0) return rows;
    try {
      for (const row of rows) {
        for (const { plan, alias } of planned) {
          const value = row[alias];
          delete row[alias];
          // pg parses json columns; mysql2 hands MariaDB's JSON over as text.
          attachPrefetched(row, plan.read.key, this.decodeNested(plan, typeof value === 'string' ? JSON.parse(value) : value, row));
        }
      }
    } catch (error) {
      if (error instanceof NestedJsonCut || error instanceof SyntaxError) return null;
      throw error;
    }
    return rows;
  }

  /** One nested value of `parent` (a root row, or a row decoded from JSON). */
  private decodeNested(plan: PlannedRead, value: unknown, parent: Row): Row | Row[] | null {
    const { counted } = this.nestedJson!;
    const { relation, args } = plan.read;
    if (relation.kind === 'object') {
      if (value != null) return this.decodeJsonRow(plan, value as unknown[]);
      // No related row although the parent refers to one: a dangling reference, or a row the
      // engine turned into NULL (too large). A read per level tells the two apart.
      if (counted && relation.ownerColumns.every((column) => parent[column.field] != null)) throw new NestedJsonCut();
      return null;
    }
    if (!counted) return ((value ?? []) as unknown[][]).map((items) => this.decodeJsonRow(plan, items));
    // `[count, rows]`, never NULL: anything else is what a cut left (a NULL, or fewer rows than counted).
    const [count, items] = Array.isArray(value) ? (value as [unknown, unknown]) : [];
    if (typeof count !== 'number' || (items !== null && !Array.isArray(items))) throw new NestedJsonCut();
    const expected = Math.max(0, Math.min(count - (args.offset ?? 0), args.limit ?? count));
    const rows = (items ?? []) as unknown[][];
    if (rows.length !== expected) throw new NestedJsonCut();
    return rows.map((row) => this.decodeJsonRow(plan, row));
  }

  private decodeJsonRow(plan: PlannedRead, items: unknown[]): Row {
    const json = this.nestedJson!;
    const { columns } = plan.read;
    // A row cut short can still close into valid JSON (`[[1],[]]`): every row has all its items.
    if (json.counted && (!Array.isArray(items) || items.length !== columns.length + plan.children.length)) throw new NestedJsonCut();
    const row: Row = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]!.field] = json.decode(columns[i]!.column, items[i]);
    plan.children.forEach((child, j) => attachPrefetched(row, child.read.key, this.decodeNested(child, items[columns.length + j], row)));
    return row;
  }

  /** ` order by …` from the terms asked, else the primary key; nothing for a table without one. */
  private orderClause(table: NamedTable, terms: OrderTerm[], qualifier: Qualifier): SqlFragment {
    const effective = terms.length > 0 ? terms : defaultOrder(table);
    if (effective.length === 0) return sql.empty;
    return sql` order by ${orderSql(effective, qualifier, this.dialect.quirks)}`;
  }

  private decodeRows(rows: Row[], columns: NamedColumn[]): Row[] {
    const { quirks } = this.dialect;
    for (const row of rows) {
      for (const c of columns) row[c.field] = quirks.decode(c.column, row[c.field]);
    }
    return rows;
  }

  /** The condition that matches `keys` (rows of key values by field) on `columns`, the primary key by default. */
  private keysCondition(table: NamedTable, qualifier: Qualifier, keys: Row[], columns = table.primaryKey): SqlFragment {
    const values = keys.flatMap((key) => columns.map((column) => sql.value(this.encode(column, key[column.field]))));
    return keyValuesCondition(qualifier, columns, values);
  }

  private async matchingKeys(executor: Executor, table: NamedTable, where: BoolExp): Promise<Row[]> {
    return this.selectWhere(executor, table, where, table.primaryKey);
  }

  /** The rows with `keys` (values of `keyColumns`, the primary key by default), in the keys' order. */
  private async readByKeys(executor: Executor, table: NamedTable, keys: Row[], columns: NamedColumn[], keyColumns = table.primaryKey): Promise<Row[]> {
    const found = new Map<string, Row>();
    const qualifier = tableQualifier(table.table);
    // The key columns come along so that each row can be matched to its key.
    const selected = withColumns(table, columns, keyColumns);
    for (const chunk of chunks(keys)) {
      const rows = await this.rows(
        executor,
        sql`select ${this.columnList(table, selected, qualifier)} from ${tableReference(table.table)} where ${this.keysCondition(table, qualifier, chunk, keyColumns)}`,
      );
      for (const row of this.decodeRows(rows, selected)) found.set(keyOf(row, keyColumns), row);
    }
    return keys.map((k) => found.get(keyOf(k, keyColumns))).filter((r): r is Row => r !== undefined);
  }

  private async loadRelated(relation: NamedRelation, keys: readonly string[], columns: NamedColumn[], executor: Executor): Promise<(Row | null)[]> {
    const targetColumns = relation.targetColumns;
    const target = relation.target;
    const selected = withColumns(target, columns, targetColumns);
    // Compiled once per (relation, columns, number of keys): the key values are its only values.
    const values = this.keyValues(keys, targetColumns);
    const signature = `ro:${relationId(relation)}:${fieldList(selected)}:${values.length}`;
    const { statement } = this.statements.prepare(signature, values, (params) => {
      const qualifier = tableQualifier(target.table);
      return {
        statement: sql`select ${this.columnList(target, selected, qualifier)} from ${tableReference(target.table)} where ${keyValuesCondition(qualifier, targetColumns, params)}`,
        extra: null,
      };
    });
    const rows = await this.rowsOf(executor, statement);
    const byKey = new Map(this.decodeRows(rows, selected).map((row) => [keyOf(row, targetColumns), row]));
    return keys.map((k) => byKey.get(k) ?? null);
  }

  /**
   * One statement for the children of every parent: the parent's page (limit/offset/order)
   * applies to each parent separately, through ROW_NUMBER() partitioned by the foreign key.
   */
  private async loadRelatedLists(relation: NamedRelation, keys: readonly string[], args: ListArgs, columns: NamedColumn[], executor: Executor): Promise<Row[][]> {
    const child = relation.target;
    const fkColumns = relation.targetColumns;
    const selected = withColumns(child, columns, fkColumns);
    const offset = args.offset ?? 0;
    // The values: the keys, then the row numbers that bound the page. The filter and order
    // are part of the text, so they are part of the signature.
    const values = this.keyValues(keys, fkColumns);
    const keyCount = values.length;
    values.push(offset);
    if (args.limit != null) values.push(offset + args.limit);
    const shape = JSON.stringify([args.where ?? null, args.order_by ?? null, args.limit != null]);
    const signature = `rl:${relationId(relation)}:${fieldList(selected)}:${shape}:${keyCount}`;
    const { statement } = this.statements.prepare(signature, values, (params) => {
      const alias = [CHILD];
      const filter = whereCondition(args.where, this.scope(child, alias));
      const keysMatch = keyValuesCondition(alias, fkColumns, params.slice(0, keyCount));
      const order = orderSql(childOrder(relation, args), alias, this.dialect.quirks);
      const partition = sql.join(
        fkColumns.map((c) => columnReference(alias, c.column.name)),
        ', ',
      );
      const inner = sql`select ${this.columnList(child, selected, alias)}, row_number() over (partition by ${partition} order by ${order}) as ${sql.identifier(ROW_NUMBER)} from ${tableReference(child.table)} ${sql.identifier(CHILD)} where ${filter ? sql`${keysMatch} and ${filter}` : keysMatch}`;
      const [after, upTo] = params.slice(keyCount);
      const rowNumber = columnReference([WINDOW], ROW_NUMBER);
      const outerColumns = sql.join(
        selected.map((c) => sql.identifier(WINDOW, c.field)),
        ', ',
      );
      const bound = args.limit != null ? sql` and ${rowNumber} <= ${upTo!}` : sql.empty;
      return {
        statement: sql`select ${outerColumns} from (${inner}) ${sql.identifier(WINDOW)} where ${rowNumber} > ${after!}${bound} order by ${rowNumber}`,
        extra: null,
      };
    });
    const rows = await this.rowsOf(executor, statement);
    const groups = new Map<string, Row[]>(keys.map((k) => [k, []]));
    for (const row of this.decodeRows(rows, selected)) groups.get(keyOf(row, fkColumns))?.push(row);
    return keys.map((k) => groups.get(k)!);
  }

  /**
   * The encoded values of loader keys, key after key, column after column; the list is padded
   * to a power of two by repeating the last key (an `in` list does not mind), so a relation
   * keeps at most ten compiled statements rather than one per number of keys.
   */
  private keyValues(keys: readonly string[], columns: NamedColumn[]): unknown[] {
    const values: unknown[] = [];
    const padded = 2 ** Math.ceil(Math.log2(Math.max(keys.length, 1)));
    for (let i = 0; i < padded; i++) {
      const row = keyRow(keys[Math.min(i, keys.length - 1)]!, columns);
      for (const column of columns) values.push(this.encode(column, row[column.field]));
    }
    return values;
  }

  private loader(context: RequestContext, signature: string, batch: (keys: readonly string[]) => Promise<unknown[]>): DataLoader<string, unknown> {
    let perRequest = this.loaders.get(context);
    if (!perRequest) {
      perRequest = new Map();
      this.loaders.set(context, perRequest);
    }
    let loader = perRequest.get(signature);
    if (!loader) {
      loader = new DataLoader<string, unknown>((keys) => this.run(() => batch(keys)), { maxBatchSize: MAX_BATCH });
      perRequest.set(signature, loader);
    }
    return loader;
  }

  // ---- writing -------------------------------------------------------------------------

  private assertWritable(table: NamedTable): void {
    if (!table.writable) throw badInput(`${table.label} is a view: it cannot be changed through lazydb`);
  }

  private encode(column: NamedColumn, value: unknown): unknown {
    return this.dialect.quirks.encode(column.column, value);
  }

  /** GraphQL input object (by field) -> column values to bind, by SQL name, in the input's order. */
  private encodeObject(table: NamedTable, object: Row): Assignment[] {
    const values: Assignment[] = [];
    for (const [field, value] of Object.entries(object)) {
      const column = table.columns.find((c) => c.field === field);
      if (!column || !isWritable(column)) throw badInput(`${table.label} has no writable column "${field}"`);
      if (value !== undefined) values.push({ column: column.column.name, value: this.encode(column, value) });
    }
    return values;
  }

  /** RETURNING names the columns as they are; renameToFields keys the rows by field. */
  private returning(columns: NamedColumn[]): SqlFragment {
    return this.dialect.quirks.returning(columns.map((c) => c.column.name));
  }

  private insertStatement(table: NamedTable, values: Assignment[]): SqlFragment {
    const target = tableReference(table.table);
    if (values.length === 0) return this.dialect.quirks.insertDefaults(target, sql.identifier(table.columns[0]!.column.name));
    const names = sql.join(
      values.map((v) => sql.identifier(v.column)),
      ', ',
    );
    const bound = sql.join(
      values.map((v) => sql.value(v.value)),
      ', ',
    );
    return sql`insert into ${target} (${names}) values (${bound})`;
  }

  private async insertOne(executor: Executor, table: NamedTable, object: Row, columns: NamedColumn[]): Promise<Row> {
    const insert = this.insertStatement(table, this.encodeObject(table, object));
    if (this.capabilities.insertReturning && columns.length > 0) {
      const returned = await this.rows(executor, sql`${insert}${this.returning(columns)}`);
      const [row] = this.decodeRows(renameToFields(returned, columns), columns);
      return row ?? {};
    }
    const result = await this.execute(executor, insert);
    const key = this.insertedKey(table, object, result.insertId);
    if (key) {
      const [row] = await this.readByKeys(executor, table, [key.values], columns, key.columns);
      if (row) return row;
    }
    // No way to find the row again (no key, no unique key given, no generated id): echo the input.
    return Object.fromEntries(columns.map((c) => [c.field, object[c.field] ?? null]));
  }

  /** The key of a freshly inserted row where the engine cannot return it: given values, or the generated id. */
  private insertedKey(table: NamedTable, object: Row, insertId: unknown): { columns: NamedColumn[]; values: Row } | null {
    const candidates: NamedColumn[][] = [];
    if (table.primaryKey.length > 0) candidates.push(table.primaryKey);
    for (const unique of table.table.uniqueKeys) {
      const cols = unique.columns.map((name) => table.columns.find((c) => c.column.name === name));
      if (cols.every((c) => c)) candidates.push(cols as NamedColumn[]);
    }
    for (const cols of candidates) {
      const values: Row = {};
      let complete = true;
      for (const column of cols) {
        if (object[column.field] !== undefined && object[column.field] !== null) values[column.field] = object[column.field];
        else if (column.column.autoIncrement && insertId !== undefined && insertId !== null && insertId !== 0) {
          values[column.field] = this.dialect.quirks.decode(column.column, insertId);
        } else complete = false;
      }
      if (complete) {
        return { columns: cols, values };
      }
    }
    return null;
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toGraphQLError(error, this.dialect, this.databaseName);
    }
  }
}

/**
 * A loader key: the key values as text (a parent's foreign key and the child's key decode to
 * different JS types but the same text). One column, the most common case by far, is its
 * text as it is; several are a JSON array of texts.
 */
function keyString(values: unknown[]): string {
  if (values.length === 1) return String(values[0]);
  return JSON.stringify(values.map((v) => (v === null || v === undefined ? null : String(v))));
}

function keyOf(row: Row, columns: NamedColumn[]): string {
  if (columns.length === 1) return String(row[columns[0]!.field]);
  return keyString(columns.map((c) => row[c.field]));
}

function keyRow(key: string, columns: NamedColumn[]): Row {
  if (columns.length === 1) return { [columns[0]!.field]: key };
  const values = JSON.parse(key) as unknown[];
  return Object.fromEntries(columns.map((c, i) => [c.field, values[i]]));
}

/** The order of an array relation's rows: as asked, else the child's key, else the foreign key. */
function childOrder(relation: NamedRelation, args: ListArgs): OrderTerm[] {
  const asked = orderTerms(relation.target, args.order_by);
  if (asked.length > 0) return asked;
  const byKey = defaultOrder(relation.target);
  if (byKey.length > 0) return byKey;
  return relation.targetColumns.map((column) => ({ column, direction: 'asc' as const, nulls: 'last' as const }));
}

/** Everything about nested reads that shapes their SQL: fields, columns, arguments, recursively. */
function nestedSignature(nested: NestedRead[] | undefined): string {
  if (!nested?.length) return '';
  return JSON.stringify(nested.map(shapeOf));
}

function shapeOf(read: NestedRead): unknown[] {
  return [read.key, read.relation.field, fieldList(read.columns), read.args, read.nested.map(shapeOf)];
}

const fieldLists = new WeakMap<NamedColumn[], string>();

/** The columns' fields as text, for signatures; kept per array (resolvers reuse theirs per field). */
function fieldList(columns: NamedColumn[]): string {
  let list = fieldLists.get(columns);
  if (list === undefined) {
    list = columns.map((c) => c.field).join(',');
    fieldLists.set(columns, list);
  }
  return list;
}

function withColumns(table: NamedTable, columns: NamedColumn[], extra: NamedColumn[]): NamedColumn[] {
  const wanted = new Set([...columns, ...extra]);
  return table.columns.filter((c) => wanted.has(c));
}

function pick(object: Row, fields: string[]): Row {
  return Object.fromEntries(fields.filter((f) => object[f] !== undefined).map((f) => [f, object[f]]));
}

function chunks<T>(items: T[], size = MAX_BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** RETURNING rows come keyed by SQL column name; the rest of the layer keys rows by field. */
function renameToFields(rows: unknown, columns: NamedColumn[]): Row[] {
  return (rows as Row[]).map((row) => Object.fromEntries(columns.map((c) => [c.field, row[c.column.name]])));
}

/** One column's value in an insert or update, by SQL column name. */
interface Assignment {
  column: string;
  value: unknown;
}

function setList(assignments: Assignment[]): SqlFragment {
  return sql.join(
    assignments.map((a) => sql`${sql.identifier(a.column)} = ${sql.value(a.value)}`),
    ', ',
  );
}

/**
 * `(columns) in (keys)` with the keys given as fragments (values or slots), key after key:
 * `a in (…)` for one column, `((a = … and b = …) or (…))` for several — portable to every engine.
 */
function keyValuesCondition(qualifier: Qualifier, columns: NamedColumn[], values: readonly SqlFragment[]): SqlFragment {
  if (columns.length === 1) return sql`${columnReference(qualifier, columns[0]!.column.name)} in (${sql.join(values, ', ')})`;
  const keys: SqlFragment[] = [];
  for (let at = 0; at < values.length; at += columns.length) {
    const parts = columns.map((column, i) => sql`${columnReference(qualifier, column.column.name)} = ${values[at + i]!}`);
    keys.push(sql`(${sql.join(parts, ' and ')})`);
  }
  return sql`(${sql.join(keys, ' or ')})`;
}
