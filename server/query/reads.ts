import type { NamedColumn, NamedTable } from '../schema/naming';
import type { BoolExp, ListArgs, NestedRead, RequestContext, Row } from '../schema/source';
import { sql, type SqlFragment } from '../sql/fragment';
import { fieldList, type EngineCore } from './core';
import { aliasCounter, defaultOrder, orderSql, orderTerms, whereClause, whereCondition, type OrderTerm } from './filter';
import { nestedSignature, type NestedJsonReads } from './nested-json';
import { columnReference, tableQualifier, tableReference, type Qualifier } from './sql';

/**
 * The root reads: a page of a table, a row by key, a count. Each statement is compiled once per
 * shape (StatementCache) and bound per call; the nested reads it is given go into the same
 * statement where the server builds JSON (nested-json.ts).
 */
export class RootReads {
  constructor(
    private readonly core: EngineCore,
    private readonly nested: NestedJsonReads,
  ) {}

  async list(table: NamedTable, args: ListArgs, columns: NamedColumn[], context?: RequestContext, nested?: NestedRead[]): Promise<Row[]> {
    const { core } = this;
    return core.run(async () => {
      const values: unknown[] = [];
      if (args.limit != null) values.push(args.limit);
      if (args.offset) values.push(args.offset);
      const signature = `l:${table.typeName}:${fieldList(columns)}:${JSON.stringify([args.where ?? null, args.order_by ?? null, args.limit != null, Boolean(args.offset)])}:${nestedSignature(nested)}`;
      const { statement, extra: planned } = core.statements.prepare(signature, values, (params) => {
        const qualifier = tableQualifier(table.table);
        const nextAlias = aliasCounter();
        const where = whereCondition(args.where, core.scope(table, qualifier, nextAlias));
        const order = this.orderClause(table, orderTerms(table, args.order_by), qualifier);
        let next = 0;
        const limit = args.limit != null ? params[next++]! : null;
        const offset = args.offset ? params[next++]! : null;
        const nestedColumns = this.nested.select(qualifier, nested, nextAlias);
        const selected = sql.join([core.columnList(table, columns, qualifier), ...nestedColumns.columns], ', ');
        return {
          statement: sql`select ${selected} from ${tableReference(table.table)}${whereClause(where)}${order}${core.dialect.quirks.page(limit, offset)}`,
          extra: nestedColumns.planned,
        };
      });
      const executor = core.on(context);
      const read = this.nested.attach(core.decodeRows(await core.rowsOf(executor, statement), columns), planned, executor.stats);
      return read ?? this.list(table, args, columns, context);
    });
  }

  /**
   * The row with `key`, when it also matches `filter` (a permission wrapper's rows the reader may
   * see; its values are part of the signature, so a statement compiled for one filter is never
   * bound for another).
   */
  async byKey(table: NamedTable, key: Row, columns: NamedColumn[], context?: RequestContext, nested?: NestedRead[], filter?: BoolExp | null): Promise<Row | null> {
    const { core } = this;
    return core.run(async () => {
      const values = table.primaryKey.map((c) => core.encode(c, key[c.field]));
      const filtered = filter ? `:${JSON.stringify(filter)}` : '';
      const signature = `k:${table.typeName}:${fieldList(columns)}:${nestedSignature(nested)}${filtered}`;
      const { statement, extra: planned } = core.statements.prepare(signature, values, (params) => {
        const qualifier = tableQualifier(table.table);
        const nextAlias = aliasCounter();
        const keyMatch = table.primaryKey.map((c, i) => sql`${columnReference(qualifier, c.column.name)} = ${params[i]!}`);
        const visible = whereCondition(filter, core.scope(table, qualifier, nextAlias));
        const where = sql.join(visible ? [...keyMatch, sql`(${visible})`] : keyMatch, ' and ');
        const nestedColumns = this.nested.select(qualifier, nested, nextAlias);
        const selected = sql.join([core.columnList(table, columns, qualifier), ...nestedColumns.columns], ', ');
        return {
          statement: sql`select ${selected} from ${tableReference(table.table)} where ${where}${core.dialect.quirks.page(sql.value(1), null)}`,
          extra: nestedColumns.planned,
        };
      });
      const executor = core.on(context);
      const read = this.nested.attach(core.decodeRows(await core.rowsOf(executor, statement), columns), planned, executor.stats);
      return read ? (read[0] ?? null) : this.byKey(table, key, columns, context, undefined, filter);
    });
  }

  async count(table: NamedTable, where: BoolExp | null | undefined, context?: RequestContext): Promise<number> {
    const { core } = this;
    return core.run(async () => {
      // REST lists count beside every page: compiled once per table and filter, like the page itself.
      const { statement } = core.statements.prepare(`c:${table.typeName}:${JSON.stringify(where ?? null)}`, [], () => {
        const condition = whereCondition(where, core.scope(table));
        return { statement: sql`select count(*) as ${sql.identifier('count')} from ${tableReference(table.table)}${whereClause(condition)}`, extra: null };
      });
      const [row] = await core.rowsOf(core.on(context), statement);
      return Number(row?.count ?? 0);
    });
  }

  /** ` order by …` from the terms asked, else the primary key; nothing for a table without one. */
  private orderClause(table: NamedTable, terms: OrderTerm[], qualifier: Qualifier): SqlFragment {
    const effective = terms.length > 0 ? terms : defaultOrder(table);
    if (effective.length === 0) return sql.empty;
    return sql` order by ${orderSql(effective, qualifier, this.core.dialect.quirks)}`;
  }
}
