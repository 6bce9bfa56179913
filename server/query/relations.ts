import DataLoader from 'dataloader';
import type { NamedColumn, NamedRelation } from '../schema/naming';
import type { BoolExp, ListArgs, RequestContext, Row } from '../schema/source';
import { sql } from '../sql/fragment';
import { fieldList, ROW_NUMBER, withColumns, type EngineCore, type Executor } from './core';
import { childOrder, orderSql, whereCondition } from './filter';
import { keyOf, keyRow, keyString, keyValuesCondition, MAX_BATCH } from './keys';
import { columnReference, tableQualifier, tableReference } from './sql';

/** Aliases of the relation-list statement; `__` names cannot be GraphQL fields, nor clash with the aliases of filters. */
const CHILD = '__lazydb_c';
const WINDOW = '__lazydb_w';

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

/**
 * Relation fields read per level, batched per request with DataLoader: one statement per
 * relation and nesting level, whatever the number of parent rows.
 */
export class RelationBatches {
  private readonly loaders = new WeakMap<RequestContext, Map<string, DataLoader<string, unknown>>>();

  constructor(private readonly core: EngineCore) {}

  /** The row `parent` refers to, or null; also null when it does not match `filter` (the rows a permission wrapper lets the reader see). */
  related(relation: NamedRelation, parent: Row, columns: NamedColumn[], context: RequestContext, filter?: BoolExp | null): Promise<Row | null> {
    const values = relation.ownerColumns.map((c) => parent[c.field]);
    if (values.some((v) => v === null || v === undefined)) return Promise.resolve(null);
    const filtered = filter ? `:${JSON.stringify(filter)}` : '';
    const loader = this.loader(context, `o:${relationId(relation)}:${fieldList(columns)}${filtered}`, (keys) =>
      this.loadRelated(relation, keys, columns, this.core.on(context), filter, filtered),
    );
    return loader.load(keyString(values)) as Promise<Row | null>;
  }

  relatedList(relation: NamedRelation, parent: Row, args: ListArgs, columns: NamedColumn[], context: RequestContext): Promise<Row[]> {
    const values = relation.ownerColumns.map((c) => parent[c.field]);
    if (values.some((v) => v === null || v === undefined)) return Promise.resolve([]);
    const signature = `a:${relationId(relation)}:${fieldList(columns)}:${JSON.stringify(args)}`;
    const loader = this.loader(context, signature, (keys) => this.loadRelatedLists(relation, keys, args, columns, this.core.on(context)));
    return loader.load(keyString(values)) as Promise<Row[]>;
  }

  private async loadRelated(
    relation: NamedRelation,
    keys: readonly string[],
    columns: NamedColumn[],
    executor: Executor,
    filter: BoolExp | null | undefined,
    /** `filter` as its signature part: its values are in the statement's text, so each filter compiles its own. */
    filtered: string,
  ): Promise<(Row | null)[]> {
    const { core } = this;
    const targetColumns = relation.targetColumns;
    const target = relation.target;
    const selected = withColumns(target, columns, targetColumns);
    // Compiled once per (relation, columns, number of keys): the key values are its only values.
    const values = this.keyValues(keys, targetColumns);
    const signature = `ro:${relationId(relation)}:${fieldList(selected)}:${values.length}${filtered}`;
    const { statement } = core.statements.prepare(signature, values, (params) => {
      const qualifier = tableQualifier(target.table);
      const keysMatch = keyValuesCondition(qualifier, targetColumns, params);
      const visible = whereCondition(filter, core.scope(target, qualifier));
      return {
        statement: sql`select ${core.columnList(target, selected, qualifier)} from ${tableReference(target.table)} where ${visible ? sql`${keysMatch} and (${visible})` : keysMatch}`,
        extra: null,
      };
    });
    const rows = await core.rowsOf(executor, statement);
    const byKey = new Map(core.decodeRows(rows, selected).map((row) => [keyOf(row, targetColumns), row]));
    return keys.map((k) => byKey.get(k) ?? null);
  }

  /**
   * One statement for the children of every parent: the parent's page (limit/offset/order)
   * applies to each parent separately, through ROW_NUMBER() partitioned by the foreign key.
   */
  private async loadRelatedLists(relation: NamedRelation, keys: readonly string[], args: ListArgs, columns: NamedColumn[], executor: Executor): Promise<Row[][]> {
    const { core } = this;
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
    const { statement } = core.statements.prepare(signature, values, (params) => {
      const alias = [CHILD];
      const filter = whereCondition(args.where, core.scope(child, alias));
      const keysMatch = keyValuesCondition(alias, fkColumns, params.slice(0, keyCount));
      const order = orderSql(childOrder(relation, args), alias, core.dialect.quirks);
      const partition = sql.join(
        fkColumns.map((c) => columnReference(alias, c.column.name)),
        ', ',
      );
      const inner = sql`select ${core.columnList(child, selected, alias)}, row_number() over (partition by ${partition} order by ${order}) as ${sql.identifier(ROW_NUMBER)} from ${tableReference(child.table)} ${sql.identifier(CHILD)} where ${filter ? sql`${keysMatch} and ${filter}` : keysMatch}`;
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
    const rows = await core.rowsOf(executor, statement);
    const groups = new Map<string, Row[]>(keys.map((k) => [k, []]));
    for (const row of core.decodeRows(rows, selected)) groups.get(keyOf(row, fkColumns))?.push(row);
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
      for (const column of columns) values.push(this.core.encode(column, row[column.field]));
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
      loader = new DataLoader<string, unknown>((keys) => this.core.run(() => batch(keys)), { maxBatchSize: MAX_BATCH });
      perRequest.set(signature, loader);
    }
    return loader;
  }
}
