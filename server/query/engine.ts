import DataLoader from 'dataloader';
import type { Knex } from 'knex';
import type { DialectModule, NestedJsonQuirks } from '../introspect/dialect';
import type { NamedColumn, NamedRelation, NamedTable } from '../schema/naming';
import { isWritable } from '../schema/build';
import { badInput } from '../schema/errors';
import { attachPrefetched, type BoolExp, type DataSource, type ListArgs, type NestedRead, type RequestContext, type Row } from '../schema/source';
import { StatementCache } from './compiled';
import { toGraphQLError } from './errors';
import { aliasCounter, applyWhere, defaultOrder, orderSql, orderTerms, type FilterScope, type OrderTerm } from './filter';
import { asName, columnReference, identifier, tableQualifier, tableReference, type Qualifier } from './sql';

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

type Executor = Knex | Knex.Transaction;

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
 * The query layer: GraphQL arguments -> SQL through knex, for one database. Identifiers are
 * quoted by knex part by part, values are always bound. Relation fields are batched per
 * request with DataLoader: one statement per relation and nesting level, whatever the
 * number of parent rows.
 */
export class KnexDataSource implements DataSource {
  private readonly loaders = new WeakMap<RequestContext, Map<string, DataLoader<string, unknown>>>();
  readonly readsNested: boolean;
  private readonly statements: StatementCache;
  /** How rows come back from RETURNING appended by this layer; undefined where the server has none. */
  private readonly appendedReturning: ((result: unknown) => Record<string, unknown>[]) | undefined;
  /** How this server builds nested rows as JSON; undefined: relations are read per level. */
  private readonly nestedJson: NestedJsonQuirks | undefined;

  constructor(
    private readonly knex: Knex,
    private readonly dialect: DialectModule,
    /** Names the database in error messages. */
    private readonly databaseName: string,
    /** As introspected: some engines' abilities depend on it. */
    serverVersion = '',
  ) {
    const { quirks } = dialect;
    this.nestedJson = quirks.nestedJson ?? quirks.nestedJsonFor?.(serverVersion);
    this.readsNested = this.nestedJson !== undefined;
    this.statements = new StatementCache(knex, quirks.rowsOfRaw?.bind(quirks));
    this.appendedReturning =
      !quirks.supportsReturning && quirks.rowsOfRaw && quirks.insertReturning?.(serverVersion) ? quirks.rowsOfRaw.bind(quirks) : undefined;
  }

  async list(table: NamedTable, args: ListArgs, columns: NamedColumn[], context?: RequestContext, nested?: NestedRead[]): Promise<Row[]> {
    return this.run(async () => {
      const values: unknown[] = [];
      if (args.limit != null) values.push(args.limit);
      if (args.offset) values.push(args.offset);
      const signature = `l:${table.typeName}:${fieldList(columns)}:${JSON.stringify([args.where ?? null, args.order_by ?? null, args.limit != null, Boolean(args.offset)])}:${nestedSignature(nested)}`;
      const { rows, extra: planned } = await this.statements.rows(signature, values, values.map(() => true), (params) => {
        const query = this.selectFrom(this.knex, table, columns);
        const nextAlias = aliasCounter();
        applyWhere(query, args.where, this.scope(table, undefined, nextAlias));
        this.applyOrder(query, table, orderTerms(table, args.order_by), tableQualifier(table.table));
        let next = 0;
        if (args.limit != null) query.limit(params[next++] as number);
        if (args.offset) query.offset(params[next++] as number);
        return { query, extra: this.selectNested(query, tableQualifier(table.table), nested, nextAlias) };
      });
      const read = this.attachNested(this.decodeRows(rows, columns), planned);
      return read ?? this.list(table, args, columns, context);
    });
  }

  async byKey(table: NamedTable, key: Row, columns: NamedColumn[], context?: RequestContext, nested?: NestedRead[]): Promise<Row | null> {
    return this.run(async () => {
      const values = table.primaryKey.map((c) => this.encode(c, key[c.field]));
      const signature = `k:${table.typeName}:${fieldList(columns)}:${nestedSignature(nested)}`;
      const { rows, extra: planned } = await this.statements.rows(signature, values, [], (params) => {
        const query = this.selectFrom(this.knex, table, columns);
        const qualifier = tableQualifier(table.table);
        table.primaryKey.forEach((c, i) => query.where(asName(columnReference(this.knex, qualifier, c.column.name)), '=', params[i] as Knex.Value));
        query.limit(1);
        return { query, extra: this.selectNested(query, qualifier, nested, aliasCounter()) };
      });
      const read = this.attachNested(this.decodeRows(rows, columns), planned);
      return read ? (read[0] ?? null) : this.byKey(table, key, columns, context);
    });
  }

  async count(table: NamedTable, where: BoolExp | null | undefined): Promise<number> {
    return this.run(async () => {
      const query = this.knex.from(asName(tableReference(this.knex, table.table))).count({ count: '*' }) as Knex.QueryBuilder;
      applyWhere(query, where, this.scope(table));
      const [row] = (await query) as Record<string, unknown>[];
      return Number(row?.count ?? 0);
    });
  }

  related(relation: NamedRelation, parent: Row, columns: NamedColumn[], context: RequestContext): Promise<Row | null> {
    const values = relation.ownerColumns.map((c) => parent[c.field]);
    if (values.some((v) => v === null || v === undefined)) return Promise.resolve(null);
    const loader = this.loader(context, `o:${relationId(relation)}:${fieldList(columns)}`, (keys) =>
      this.loadRelated(relation, keys, columns),
    );
    return loader.load(keyString(values)) as Promise<Row | null>;
  }

  relatedList(relation: NamedRelation, parent: Row, args: ListArgs, columns: NamedColumn[], context: RequestContext): Promise<Row[]> {
    const values = relation.ownerColumns.map((c) => parent[c.field]);
    if (values.some((v) => v === null || v === undefined)) return Promise.resolve([]);
    const signature = `a:${relationId(relation)}:${fieldList(columns)}:${JSON.stringify(args)}`;
    const loader = this.loader(context, signature, (keys) => this.loadRelatedLists(relation, keys, args, columns));
    return loader.load(keyString(values)) as Promise<Row[]>;
  }

  async insert(table: NamedTable, objects: Row[], columns: NamedColumn[]): Promise<Row[]> {
    this.assertWritable(table);
    // One row with RETURNING is a single atomic statement: no BEGIN/COMMIT round trips.
    if (objects.length === 1 && returnable(columns)) {
      if (this.dialect.quirks.supportsReturning) return this.run(async () => [await this.insertOne(this.knex, table, objects[0]!, columns)]);
      const statement = this.appendedReturning ? this.insertReturning(this.knex, table, objects[0]!, columns) : null;
      if (statement) return this.run(async () => [this.returnedRow(await statement, columns)]);
    }
    return this.run(() =>
      this.knex.transaction(async (trx) => {
        const rows: Row[] = [];
        for (const object of objects) rows.push(await this.insertOne(trx, table, object, columns));
        return rows;
      }),
    );
  }

  async update(table: NamedTable, where: BoolExp, set: Row, columns: NamedColumn[]): Promise<Row[]> {
    this.assertWritable(table);
    const assignments = this.encodeObject(table, set);
    return this.run(() =>
      this.knex.transaction(async (trx) => {
        if (table.primaryKey.length > 0) {
          const keys = await this.matchingKeys(trx, table, where);
          if (keys.length === 0) return [];
          if (Object.keys(assignments).length > 0) {
            for (const chunk of chunks(keys)) {
              await this.whereKeys(trx(asName(tableReference(trx, table.table))), table, tableQualifier(table.table), chunk).update(assignments);
            }
          }
          const newKeys = keys.map((key) => ({ ...key, ...pick(set, table.primaryKey.map((c) => c.field)) }));
          return this.readByKeys(trx, table, newKeys, columns);
        }
        // Without a key the rows cannot be found again after the change: RETURNING where the
        // engine has it, else the rows read before, with the new values applied.
        if (this.dialect.quirks.supportsReturning && returnable(columns)) {
          if (Object.keys(assignments).length === 0) return this.selectWhere(trx, table, where, columns);
          const query = trx(asName(tableReference(trx, table.table))).update(assignments, columns.map((c) => c.column.name));
          applyWhere(query, where, this.scope(table));
          return this.decodeRows(renameToFields(await query, columns), columns);
        }
        const before = await this.selectWhere(trx, table, where, columns);
        if (Object.keys(assignments).length > 0) {
          const query = trx(asName(tableReference(trx, table.table))).update(assignments);
          applyWhere(query, where, this.scope(table));
          await query;
        }
        return before.map((row) => ({ ...row, ...set }));
      }),
    );
  }

  async delete(table: NamedTable, where: BoolExp, columns: NamedColumn[]): Promise<Row[]> {
    this.assertWritable(table);
    return this.run(() =>
      this.knex.transaction(async (trx) => {
        if (table.primaryKey.length > 0) {
          const keys = await this.matchingKeys(trx, table, where);
          if (keys.length === 0) return [];
          const rows = await this.readByKeys(trx, table, keys, columns);
          for (const chunk of chunks(keys)) {
            await this.whereKeys(trx(asName(tableReference(trx, table.table))), table, tableQualifier(table.table), chunk).delete();
          }
          return rows;
        }
        const before = await this.selectWhere(trx, table, where, columns);
        const query = trx(asName(tableReference(trx, table.table))).delete();
        applyWhere(query, where, this.scope(table));
        await query;
        return before;
      }),
    );
  }

  // ---- reading -------------------------------------------------------------------------

  private selectFrom(executor: Executor, table: NamedTable, columns: NamedColumn[], qualifier?: Qualifier): Knex.QueryBuilder {
    const q = qualifier ?? tableQualifier(table.table);
    const source = asName(tableReference(this.knex, table.table));
    const query = (qualifier ? executor.from({ [q[0]!]: source }) : executor.from(source)) as Knex.QueryBuilder;
    const selected = columns.length > 0 ? columns : table.columns.slice(0, 1);
    return query.select(Object.fromEntries(selected.map((c) => [c.field, asName(columnReference(this.knex, q, c.column.name))])));
  }

  private selectWhere(executor: Executor, table: NamedTable, where: BoolExp, columns: NamedColumn[]): Promise<Row[]> {
    const query = this.selectFrom(executor, table, columns);
    applyWhere(query, where, this.scope(table));
    return query.then((rows: Row[]) => this.decodeRows(rows, columns));
  }

  private scope(table: NamedTable, qualifier: Qualifier = tableQualifier(table.table), nextAlias = aliasCounter()): FilterScope {
    return { knex: this.knex, quirks: this.dialect.quirks, table, qualifier, nextAlias };
  }

  // ---- nested reads in one statement (engines with nestedJson) ---------------------------

  /**
   * Adds one column per nested read to the parents' statement: a correlated subquery that
   * returns the related rows as JSON, themselves holding their own nested reads. Reads the
   * engine cannot express (too many values for one JSON array) are left out; their
   * resolvers then read them per level.
   */
  private selectNested(query: Knex.QueryBuilder, parent: Qualifier, nested: NestedRead[] | undefined, nextAlias: () => string): RootRead[] {
    if (!this.nestedJson || !nested || nested.length === 0) return [];
    const planned: RootRead[] = [];
    for (const read of nested) {
      const built = this.nestedSubquery(read, parent, nextAlias);
      if (!built) continue;
      const alias = `__lazydb_${nextAlias()}`;
      query.select(this.knex.raw('(?) as ?', [built.sql, identifier(this.knex, [alias])]));
      planned.push({ plan: built.plan, alias });
    }
    return planned;
  }

  private nestedSubquery(read: NestedRead, parent: Qualifier, nextAlias: () => string): { sql: Knex.Raw; plan: PlannedRead } | null {
    const json = this.nestedJson!;
    const { relation, columns } = read;
    if (columns.length > json.maxItems) return null;
    const itemSql = columns.map((c) => json.item(c.column));
    if (itemSql.some((sql) => sql === null)) return null;
    const target = relation.target;
    const own = [nextAlias()];
    // A page in a derived table reads its columns from there; a page inside the aggregate, from the table.
    const rows = read.relation.kind === 'array' && json.page === 'derived' ? [nextAlias()] : own;
    const children: PlannedRead[] = [];
    const childSql: Knex.Raw[] = [];
    for (const child of read.nested) {
      if (columns.length + children.length >= json.maxItems) break;
      const built = this.nestedSubquery(child, rows, nextAlias);
      if (!built) continue;
      children.push(built.plan);
      childSql.push(this.knex.raw('(?)', [built.sql]));
    }
    const plan: PlannedRead = { read, children };
    const items = [...columns.map((c, i) => this.knex.raw(itemSql[i]!, [columnReference(this.knex, rows, c.column.name)])), ...childSql];
    const rowJson = this.knex.raw(json.array(items.length), items);

    const source = this.knex.from({ [own[0]!]: asName(tableReference(this.knex, target.table)) }) as Knex.QueryBuilder;
    relation.targetColumns.forEach((column, i) => {
      const owner = relation.ownerColumns[i]!;
      source.where(asName(columnReference(this.knex, own, column.column.name)), '=', columnReference(this.knex, parent, owner.column.name));
    });
    if (relation.kind === 'object') {
      return { sql: this.knex.raw('?', [source.select(rowJson).limit(1)]), plan };
    }
    const { args } = read;
    applyWhere(source, args.where, this.scope(target, own, nextAlias));
    const order = orderSql(childOrder(relation, args), own, { knex: this.knex, quirks: this.dialect.quirks });
    if (json.page === 'inside') {
      const page = [this.knex.raw(order.sql, order.bindings), args.limit ?? NO_LIMIT, args.offset ?? 0];
      return { sql: this.knex.raw('?', [source.select(this.knex.raw(json.aggregate(), [rowJson, ...page]))]), plan };
    }
    source.select(columns.map((c) => asName(columnReference(this.knex, own, c.column.name))));
    source.select(this.knex.raw(`row_number() over (order by ${order.sql}) as ?`, [...order.bindings, identifier(this.knex, [ROW_NUMBER])]));
    source.orderByRaw(order.sql, order.bindings);
    if (args.limit != null) source.limit(args.limit);
    if (args.offset) source.offset(args.offset);
    const aggregate = this.knex.raw(json.aggregate(), [rowJson, columnReference(this.knex, rows, ROW_NUMBER)]);
    const sql = this.knex.raw('select ? from (?) as ?', [aggregate, source, identifier(this.knex, rows)]);
    return { sql, plan };
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

  private applyOrder(query: Knex.QueryBuilder, table: NamedTable, terms: OrderTerm[], qualifier: Qualifier): void {
    const effective = terms.length > 0 ? terms : defaultOrder(table);
    if (effective.length === 0) return;
    const { sql, bindings } = orderSql(effective, qualifier, { knex: this.knex, quirks: this.dialect.quirks });
    query.orderByRaw(sql, bindings);
  }

  private decodeRows(rows: Row[], columns: NamedColumn[]): Row[] {
    const { quirks } = this.dialect;
    for (const row of rows) {
      for (const c of columns) row[c.field] = quirks.decode(c.column, row[c.field]);
    }
    return rows;
  }

  /** `(a = ? and b = ?) or (...)` for composite keys, `a in (...)` for single ones: portable to every engine. */
  private whereKeys(query: Knex.QueryBuilder, table: NamedTable, qualifier: Qualifier, keys: Row[], columns = table.primaryKey): Knex.QueryBuilder {
    this.whereKeyValues(query, qualifier, columns, keys.flatMap((key) => columns.map((column) => this.encode(column, key[column.field]))));
    return query;
  }

  private async matchingKeys(executor: Executor, table: NamedTable, where: BoolExp): Promise<Row[]> {
    const query = this.selectFrom(executor, table, table.primaryKey);
    applyWhere(query, where, this.scope(table));
    return this.decodeRows(await query, table.primaryKey);
  }

  private async readByKeys(executor: Executor, table: NamedTable, keys: Row[], columns: NamedColumn[]): Promise<Row[]> {
    const found = new Map<string, Row>();
    for (const chunk of chunks(keys)) {
      const query = this.selectFrom(executor, table, columns);
      this.whereKeys(query, table, tableQualifier(table.table), chunk);
      for (const row of this.decodeRows(await query, columns)) found.set(keyOf(row, table.primaryKey), row);
    }
    return keys.map((k) => found.get(keyOf(k, table.primaryKey))).filter((r): r is Row => r !== undefined);
  }

  private async loadRelated(relation: NamedRelation, keys: readonly string[], columns: NamedColumn[]): Promise<(Row | null)[]> {
    const targetColumns = relation.targetColumns;
    const selected = withColumns(relation.target, columns, targetColumns);
    // Compiled once per (relation, columns, number of keys): the key values are its only values.
    const values = this.keyValues(keys, targetColumns);
    const signature = `ro:${relationId(relation)}:${fieldList(selected)}:${values.length}`;
    const { rows } = await this.statements.rows(signature, values, [], (params) => {
      const query = this.selectFrom(this.knex, relation.target, selected);
      this.whereKeyValues(query, tableQualifier(relation.target.table), targetColumns, params);
      return { query, extra: null };
    });
    const byKey = new Map(this.decodeRows(rows, selected).map((row) => [keyOf(row, targetColumns), row]));
    return keys.map((k) => byKey.get(k) ?? null);
  }

  /**
   * One statement for the children of every parent: the parent's page (limit/offset/order)
   * applies to each parent separately, through ROW_NUMBER() partitioned by the foreign key.
   */
  private async loadRelatedLists(relation: NamedRelation, keys: readonly string[], args: ListArgs, columns: NamedColumn[]): Promise<Row[][]> {
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
    const { rows } = await this.statements.rows(signature, values, [], (params) => {
      const alias = 'c';
      const inner = this.selectFrom(this.knex, child, selected, [alias]);
      this.whereKeyValues(inner, [alias], fkColumns, params.slice(0, keyCount));
      applyWhere(inner, args.where, this.scope(child, [alias]));

      const order = orderSql(childOrder(relation, args), [alias], { knex: this.knex, quirks: this.dialect.quirks });
      const partition = fkColumns.map(() => '?').join(', ');
      inner.select(
        this.knex.raw(`row_number() over (partition by ${partition} order by ${order.sql}) as ??`, [
          ...fkColumns.map((c) => columnReference(this.knex, [alias], c.column.name)),
          ...order.bindings,
          ROW_NUMBER,
        ]),
      );
      const [after, upTo] = params.slice(keyCount);
      const outer = this.knex
        .from(inner.as('w'))
        .select(selected.map((c) => `w.${c.field}`))
        .where(`w.${ROW_NUMBER}`, '>', after as Knex.Value)
        .orderBy(`w.${ROW_NUMBER}`);
      if (args.limit != null) outer.where(`w.${ROW_NUMBER}`, '<=', upTo as Knex.Value);
      return { query: outer, extra: null };
    });
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

  /** `where (columns) in (keys)`, the keys given as encoded values (or placeholders), key after key. */
  private whereKeyValues(query: Knex.QueryBuilder, qualifier: Qualifier, columns: NamedColumn[], values: unknown[]): void {
    if (columns.length === 1) {
      query.whereIn(asName(columnReference(this.knex, qualifier, columns[0]!.column.name)), values as Knex.Value[]);
      return;
    }
    query.where((group) => {
      for (let at = 0; at < values.length; at += columns.length) {
        group.orWhere((one) => {
          columns.forEach((column, i) => one.where(asName(columnReference(this.knex, qualifier, column.column.name)), '=', values[at + i] as Knex.Value));
        });
      }
    });
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

  /** GraphQL input object (by field) -> column values to bind (by SQL name). */
  private encodeObject(table: NamedTable, object: Row): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(object)) {
      const column = table.columns.find((c) => c.field === field);
      if (!column || !isWritable(column)) throw badInput(`${table.label} has no writable column "${field}"`);
      if (value !== undefined) values[column.column.name] = this.encode(column, value);
    }
    return values;
  }

  private async insertOne(trx: Executor, table: NamedTable, object: Row, columns: NamedColumn[]): Promise<Row> {
    const returning = this.appendedReturning && returnable(columns) ? this.insertReturning(trx, table, object, columns) : null;
    if (returning) return this.returnedRow(await returning, columns);
    const values = this.encodeObject(table, object);
    const target = trx(asName(tableReference(trx, table.table)));
    if (this.dialect.quirks.supportsReturning && returnable(columns)) {
      const returned = await target.insert(values, columns.map((c) => c.column.name));
      const [row] = this.decodeRows(renameToFields(returned, columns), columns);
      return row ?? {};
    }
    const result = (await target.insert(values)) as unknown[];
    const key = this.insertedKey(table, object, result[0]);
    if (key) {
      const [row] = await this.readByKeys(trx, table, [key.values], columns.length ? columns : key.columns);
      if (row) return row;
    }
    // No way to find the row again (no key, no unique key given, no generated id): echo the input.
    return Object.fromEntries(columns.map((c) => [c.field, object[c.field] ?? null]));
  }

  /** `insert … returning` for engines whose knex drops `.returning()`; null where the text cannot take it. */
  private insertReturning(executor: Executor, table: NamedTable, object: Row, columns: NamedColumn[]): Knex.Raw | null {
    return withReturning(executor, executor(asName(tableReference(executor, table.table))).insert(this.encodeObject(table, object)), columns);
  }

  private returnedRow(result: unknown, columns: NamedColumn[]): Row {
    const [row] = this.decodeRows(renameToFields(this.appendedReturning!(result), columns), columns);
    return row ?? {};
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

/** RETURNING lists columns by name through knex, which splits names on dots. */
function returnable(columns: NamedColumn[]): boolean {
  return columns.length > 0 && columns.every((c) => !c.column.name.includes('.'));
}

/**
 * `insert … returning <columns>` for clients whose knex drops `.returning()`. Null when the
 * statement text has a `?` of its own (in an identifier), which knex.raw would take for a
 * placeholder: the caller then inserts and reads back.
 */
function withReturning(executor: Executor, insert: Knex.QueryBuilder, columns: NamedColumn[]): Knex.Raw | null {
  const { sql, bindings } = insert.toSQL();
  if (sql.split('?').length - 1 !== bindings.length || sql.includes('??')) return null;
  return executor.raw(`${sql} returning ${columns.map(() => '??').join(', ')}`, [...bindings, ...columns.map((c) => c.column.name)]);
}

/** RETURNING rows come keyed by SQL column name; the rest of the layer keys rows by field. */
function renameToFields(rows: unknown, columns: NamedColumn[]): Row[] {
  return (rows as Row[]).map((row) => Object.fromEntries(columns.map((c) => [c.field, row[c.column.name]])));
}
