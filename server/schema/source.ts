import type { NamedColumn, NamedRelation, NamedTable } from './naming';

/**
 * What the GraphQL resolvers need from a database. The schema builder only knows this
 * interface; server/query implements it over knex. Rows are keyed by GraphQL field name and
 * hold canonical values (see server/model/codec.ts).
 */
export type Row = Record<string, unknown>;

/** A `where` argument as GraphQL hands it over: `_and`/`_or`/`_not`, columns, relations. */
export type BoolExp = Record<string, unknown>;

export type OrderDirection = 'asc' | 'asc_nulls_first' | 'asc_nulls_last' | 'desc' | 'desc_nulls_first' | 'desc_nulls_last';

export interface ListArgs {
  where?: BoolExp | null;
  order_by?: Record<string, OrderDirection>[] | null;
  limit?: number | null;
  offset?: number | null;
}

/**
 * A relation to read together with its parent rows, in the same statement where the engine
 * can (see DataSource.readsNested). `key` is the field's response name (alias or name).
 */
export interface NestedRead {
  key: string;
  relation: NamedRelation;
  /** Page and filter of an array relation, already checked; empty for object relations. */
  args: ListArgs;
  columns: NamedColumn[];
  nested: NestedRead[];
  /**
   * The target rows the reader may see (a permission wrapper sets it; absent: every row), for
   * object and array relations alike: a related row outside it reads as absent (null, or left
   * out of the list).
   */
  filter?: BoolExp | null;
}

const PREFETCHED = Symbol('lazydb.prefetched');

type Prefetched = Map<string, Row | Row[] | null>;

/** Attaches the value of a nested read to its parent row (kept out of JSON and field lookups). */
/**
 * Rows a write touched that the writer's role may not read (its select filter hides them): they
 * count in `affected_rows`, and `returning` (and a by-key mutation's answer) leaves them out, so a
 * write never shows what a read would not.
 */
const unreadable = new WeakSet<Row>();

export function markUnreadable(row: Row): Row {
  unreadable.add(row);
  return row;
}

/** Whether a written row may be answered to the writer (see markUnreadable). */
export function isReadableRow(row: Row): boolean {
  return !unreadable.has(row);
}

export function attachPrefetched(row: Row, key: string, value: Row | Row[] | null): void {
  const carrier = row as { [PREFETCHED]?: Prefetched };
  (carrier[PREFETCHED] ??= new Map()).set(key, value);
}

/** The value read ahead for the field answered under `key`, or undefined when nothing was. */
export function prefetched(row: Row, key: string | number): Row | Row[] | null | undefined {
  return (row as { [PREFETCHED]?: Prefetched })[PREFETCHED]?.get(String(key));
}

/**
 * Where the query layer reports what a request's statements cost, when a plugin asked for it (the
 * metrics plugin puts one on the request's context; without one nothing is timed or counted).
 */
export interface StatementStats {
  /** One statement sent to `database` (its registered name): seconds from sending it to its result or error, and the rows it returned. */
  statement(database: string, seconds: number, rows: number): void;
  /** Related rows a statement returned inside its rows' JSON (nested reads): rows returned too. */
  nestedRows(count: number): void;
}

/**
 * Per-request state (dataloaders) is kept against the GraphQL context object. `signal`, when the
 * transport gives one, aborts when the request's client has gone away: the data source then
 * cancels the request's statements on the server. `lazydb.stats`, when the request's context has
 * one, hears of every statement sent for it.
 */
export type RequestContext = object & {
  readonly signal?: CancelSignal | undefined;
  readonly lazydb?: { readonly stats?: StatementStats | null | undefined } | undefined;
};

/**
 * What the query layer needs of a request's cancel signal: whether it has aborted, and one
 * listener while a statement runs. An AbortSignal is one; the pipeline's client-gone signal
 * (server/pipeline/client-gone.ts) is a lighter one, since an AbortController per request
 * cost more than the rest of a by-key read's bookkeeping.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** What resolvers need of the request's context (server/pipeline/context.ts), which GraphQL contexts carry as `lazydb`. */
export interface DataSourceScope {
  /** The data source to read and write through: `base` as the pipeline's plugins wrap it for this request. */
  dataSource(base: DataSource): DataSource;
}

/** The data source a resolver of `base` uses for the request its GraphQL `context` belongs to (base itself outside a request, e.g. in tests). */
export function dataSourceFor(context: unknown, base: DataSource): DataSource {
  const scope = (context as { lazydb?: DataSourceScope } | null | undefined)?.lazydb;
  return scope ? scope.dataSource(base) : base;
}

export interface DataSource {
  /**
   * True when list/byKey read the `nested` relations they are given in the same statement and
   * attach them to the rows (attachPrefetched); the schema then plans them ahead.
   */
  readonly readsNested: boolean;
  list(table: NamedTable, args: ListArgs, columns: NamedColumn[], context: RequestContext, nested?: NestedRead[]): Promise<Row[]>;
  byKey(table: NamedTable, key: Row, columns: NamedColumn[], context: RequestContext, nested?: NestedRead[]): Promise<Row | null>;
  count(table: NamedTable, where: BoolExp | null | undefined, context: RequestContext): Promise<number>;
  /** Object relation: the one row the parent points at (or null). Batched per request. */
  related(relation: NamedRelation, parent: Row, columns: NamedColumn[], context: RequestContext): Promise<Row | null>;
  /** Array relation: the rows pointing at the parent. Batched per request. */
  relatedList(relation: NamedRelation, parent: Row, args: ListArgs, columns: NamedColumn[], context: RequestContext): Promise<Row[]>;
  insert(table: NamedTable, objects: Row[], columns: NamedColumn[], context: RequestContext): Promise<Row[]>;
  /** Updates the matching rows and returns them as stored afterwards. */
  update(table: NamedTable, where: BoolExp, set: Row, columns: NamedColumn[], context: RequestContext): Promise<Row[]>;
  /** Deletes the matching rows and returns them as they were. */
  delete(table: NamedTable, where: BoolExp, columns: NamedColumn[], context: RequestContext): Promise<Row[]>;
}
