import type { Knex } from 'knex';
import type { Capabilities, DialectModule } from '../introspect/dialect';
import type { NamedColumn, NamedRelation, NamedTable } from '../schema/naming';
import type { BoolExp, DataSource, ListArgs, NestedRead, RequestContext, Row } from '../schema/source';
import { EngineCore } from './core';
import { NestedJsonReads } from './nested-json';
import { RootReads } from './reads';
import { RelationBatches } from './relations';
import { Writes } from './writes';

/**
 * A data source that also takes the row conditions of a permission wrapper
 * (server/permissions/restricted-source.ts): the rows a read may return, the condition every
 * written row must meet. Absent, nothing is added (the admin's path). Each condition's values are
 * part of the signatures its statements are kept under, so a statement compiled for one
 * caller's values is never bound for another's.
 */
export interface GuardedDataSource extends DataSource {
  byKey(table: NamedTable, key: Row, columns: NamedColumn[], context: RequestContext, nested?: NestedRead[], filter?: BoolExp | null): Promise<Row | null>;
  related(relation: NamedRelation, parent: Row, columns: NamedColumn[], context: RequestContext, filter?: BoolExp | null): Promise<Row | null>;
  insert(table: NamedTable, objects: Row[], columns: NamedColumn[], context: RequestContext, check?: BoolExp | null): Promise<Row[]>;
  /** `visible`: the rows the writer may read; the others come back marked unreadable (markUnreadable). */
  update(table: NamedTable, where: BoolExp, set: Row, columns: NamedColumn[], context: RequestContext, check?: BoolExp | null, visible?: BoolExp | null): Promise<Row[]>;
  delete(table: NamedTable, where: BoolExp, columns: NamedColumn[], context: RequestContext, visible?: BoolExp | null): Promise<Row[]>;
}

/**
 * The query layer: GraphQL arguments -> SQL fragments, for one database. Identifiers are
 * quoted by the dialect part by part, values are always bound, and statements run on the
 * driver through knex's pool (server/query/runner.ts). This class only hands each call to the
 * part that does it: root reads (reads.ts) with their nested reads in the same statement where
 * the server builds JSON (nested-json.ts), relation fields batched per request and level
 * (relations.ts), and writes (writes.ts), all over one EngineCore (core.ts).
 */
export class KnexDataSource implements GuardedDataSource {
  readonly readsNested: boolean;
  private readonly reads: RootReads;
  private readonly relations: RelationBatches;
  private readonly writes: Writes;

  constructor(
    knex: Knex,
    dialect: DialectModule,
    /** Names the database in error messages. */
    databaseName: string,
    /** What the server can do, by its version as introspected: dialect.capabilitiesFor(serverVersion). */
    capabilities: Capabilities,
    /**
     * The database's statement timeout (PoolHandle.statementTimeoutMs), watched by the runner; the
     * most rows one bulk update or delete may touch (LAZYDB_MAX_AFFECTED_ROWS, unbounded when not given).
     */
    options: { statementTimeoutMs?: number | undefined; maxAffectedRows?: number | undefined } = {},
  ) {
    const core = new EngineCore(knex, dialect, databaseName, options);
    this.readsNested = capabilities.nestedJson !== null;
    this.reads = new RootReads(core, new NestedJsonReads(core, capabilities.nestedJson));
    this.relations = new RelationBatches(core);
    this.writes = new Writes(core, capabilities, options.maxAffectedRows ?? Number.MAX_SAFE_INTEGER);
  }

  list(table: NamedTable, args: ListArgs, columns: NamedColumn[], context?: RequestContext, nested?: NestedRead[]): Promise<Row[]> {
    return this.reads.list(table, args, columns, context, nested);
  }

  byKey(table: NamedTable, key: Row, columns: NamedColumn[], context?: RequestContext, nested?: NestedRead[], filter?: BoolExp | null): Promise<Row | null> {
    return this.reads.byKey(table, key, columns, context, nested, filter);
  }

  count(table: NamedTable, where: BoolExp | null | undefined, context?: RequestContext): Promise<number> {
    return this.reads.count(table, where, context);
  }

  related(relation: NamedRelation, parent: Row, columns: NamedColumn[], context: RequestContext, filter?: BoolExp | null): Promise<Row | null> {
    return this.relations.related(relation, parent, columns, context, filter);
  }

  relatedList(relation: NamedRelation, parent: Row, args: ListArgs, columns: NamedColumn[], context: RequestContext): Promise<Row[]> {
    return this.relations.relatedList(relation, parent, args, columns, context);
  }

  insert(table: NamedTable, objects: Row[], columns: NamedColumn[], context?: RequestContext, check?: BoolExp | null): Promise<Row[]> {
    return this.writes.insert(table, objects, columns, context, check);
  }

  update(table: NamedTable, where: BoolExp, set: Row, columns: NamedColumn[], context?: RequestContext, check?: BoolExp | null, visible?: BoolExp | null): Promise<Row[]> {
    return this.writes.update(table, where, set, columns, context, check, visible);
  }

  delete(table: NamedTable, where: BoolExp, columns: NamedColumn[], context?: RequestContext, visible?: BoolExp | null): Promise<Row[]> {
    return this.writes.delete(table, where, columns, context, visible);
  }
}
