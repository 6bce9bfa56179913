import type { NestedJsonQuirks } from '../introspect/dialect';
import { attachPrefetched, type NestedRead, type Row, type StatementStats } from '../schema/source';
import { sql, type SqlFragment } from '../sql/fragment';
import { fieldList, ROW_NUMBER, type EngineCore } from './core';
import { childOrder, orderSql, whereCondition } from './filter';
import { columnReference, tableReference, type Qualifier } from './sql';

/** A nested JSON aggregate the engine cut short (it only warns): the read is answered per level instead. */
class NestedJsonCut extends Error {}

/** The page size of a nested read without a limit (the schema always sets one: LAZYDB_MAX_LIMIT). */
const NO_LIMIT = 2 ** 31 - 1;

/** A nested read as it went into the statement, with those of its own that did (some may not fit). */
interface PlannedRead {
  read: NestedRead;
  children: PlannedRead[];
}

/** A nested read of the root rows, and the column its JSON comes back in. */
export interface RootRead {
  plan: PlannedRead;
  alias: string;
}

/** Everything about nested reads that shapes their SQL: fields, columns, arguments, recursively. */
export function nestedSignature(nested: NestedRead[] | undefined): string {
  if (!nested?.length) return '';
  return JSON.stringify(nested.map(shapeOf));
}

function shapeOf(read: NestedRead): unknown[] {
  return [read.key, read.relation.field, fieldList(read.columns), read.args, read.filter ?? null, read.nested.map(shapeOf)];
}

/**
 * Nested reads in the root rows' own statement, on servers that build JSON (Capabilities.nestedJson):
 * the columns that carry them, and the decoding of those columns into prefetched rows. Without
 * nested JSON it plans nothing, and the resolvers read relations per level (relations.ts).
 */
export class NestedJsonReads {
  constructor(
    private readonly core: EngineCore,
    private readonly json: NestedJsonQuirks | null,
  ) {}

  /**
   * One column per nested read for the parents' statement: a correlated subquery that
   * returns the related rows as JSON, themselves holding their own nested reads. Reads the
   * engine cannot express (too many values for one JSON array) are left out; their
   * resolvers then read them per level.
   */
  select(parent: Qualifier, nested: NestedRead[] | undefined, nextAlias: () => string): { columns: SqlFragment[]; planned: RootRead[] } {
    const columns: SqlFragment[] = [];
    const planned: RootRead[] = [];
    if (!this.json || !nested || nested.length === 0) return { columns, planned };
    for (const read of nested) {
      const built = this.subquery(this.json, read, parent, nextAlias);
      if (!built) continue;
      const alias = `__lazydb_${nextAlias()}`;
      columns.push(sql`(${built.sql}) as ${sql.identifier(alias)}`);
      planned.push({ plan: built.plan, alias });
    }
    return { columns, planned };
  }

  /**
   * Moves each nested read's JSON column off the rows into their prefetched values. Null when
   * the engine cut a JSON aggregate short (see NestedJsonQuirks.counted): the caller then reads
   * again, relations per level. `stats`, when the request has one, hears how many related rows came.
   */
  attach(rows: Row[], planned: RootRead[], stats?: StatementStats): Row[] | null {
    if (planned.length === 0) return rows;
    const json = this.json!;
    const tally: Tally | null = stats ? { rows: 0 } : null;
    try {
      for (const row of rows) {
        for (const { plan, alias } of planned) {
          const value = row[alias];
          delete row[alias];
          // pg parses json columns; mysql2 hands MariaDB's JSON over as text.
          attachPrefetched(row, plan.read.key, decodeNested(json, plan, typeof value === 'string' ? JSON.parse(value) : value, row, tally));
        }
      }
    } catch (error) {
      if (error instanceof NestedJsonCut || error instanceof SyntaxError) return null;
      throw error;
    }
    if (tally && tally.rows > 0) stats!.nestedRows(tally.rows);
    return rows;
  }

  private subquery(json: NestedJsonQuirks, read: NestedRead, parent: Qualifier, nextAlias: () => string): { sql: SqlFragment; plan: PlannedRead } | null {
    const { quirks } = this.core.dialect;
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
      const built = this.subquery(json, child, rows, nextAlias);
      if (!built) continue;
      children.push(built.plan);
      items.push(sql`(${built.sql})`);
    }
    // A filtered object read marks a hidden row with an empty array, which an empty row would be too: those read per level.
    if (read.filter && relation.kind === 'object' && items.length === 0) return null;
    const plan: PlannedRead = { read, children };
    const rowJson = json.array(items);
    const visible = read.filter ? whereCondition(read.filter, this.core.scope(target, own, nextAlias)) : null;

    const from = sql`${tableReference(target.table)} ${sql.identifier(own[0]!)}`;
    const joins = relation.targetColumns.map((column, i) => {
      const owner = relation.ownerColumns[i]!;
      return sql`${columnReference(own, column.column.name)} = ${columnReference(parent, owner.column.name)}`;
    });
    if (relation.kind === 'object') {
      // A row the reader may not see comes back as `[]`, not NULL: on engines that may cut JSON
      // short (NestedJsonQuirks.counted) a NULL beside a set reference means a cut.
      const value = visible ? sql`case when ${visible} then ${rowJson} else ${json.array([])} end` : rowJson;
      return { sql: sql`select ${value} from ${from} where ${sql.join(joins, ' and ')}${quirks.page(sql.value(1), null)}`, plan };
    }
    const { args } = read;
    const filter = whereCondition(args.where, this.core.scope(target, own, nextAlias));
    const where = sql.join([...joins, ...(filter ? [filter] : []), ...(visible ? [visible] : [])], ' and ');
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
}

/** Related rows decoded so far, for the request's stats. */
interface Tally {
  rows: number;
}

/** One nested value of `parent` (a root row, or a row decoded from JSON). */
function decodeNested(json: NestedJsonQuirks, plan: PlannedRead, value: unknown, parent: Row, tally: Tally | null): Row | Row[] | null {
  const { counted } = json;
  const { relation, args } = plan.read;
  if (relation.kind === 'object') {
    // `[]`: a related row the reader may not see (see NestedJsonReads.subquery).
    if (plan.read.filter && Array.isArray(value) && value.length === 0) return null;
    if (value != null) return decodeJsonRow(json, plan, value as unknown[], tally);
    // No related row although the parent refers to one: a dangling reference, or a row the
    // engine turned into NULL (too large). A read per level tells the two apart.
    if (counted && relation.ownerColumns.every((column) => parent[column.field] != null)) throw new NestedJsonCut();
    return null;
  }
  if (!counted) return ((value ?? []) as unknown[][]).map((items) => decodeJsonRow(json, plan, items, tally));
  // `[count, rows]`, never NULL: anything else is what a cut left (a NULL, or fewer rows than counted).
  const [count, items] = Array.isArray(value) ? (value as [unknown, unknown]) : [];
  if (typeof count !== 'number' || (items !== null && !Array.isArray(items))) throw new NestedJsonCut();
  const expected = Math.max(0, Math.min(count - (args.offset ?? 0), args.limit ?? count));
  const rows = (items ?? []) as unknown[][];
  if (rows.length !== expected) throw new NestedJsonCut();
  return rows.map((row) => decodeJsonRow(json, plan, row, tally));
}

function decodeJsonRow(json: NestedJsonQuirks, plan: PlannedRead, items: unknown[], tally: Tally | null): Row {
  const { columns } = plan.read;
  // A row cut short can still close into valid JSON (`[[1],[]]`): every row has all its items.
  if (json.counted && (!Array.isArray(items) || items.length !== columns.length + plan.children.length)) throw new NestedJsonCut();
  const row: Row = {};
  for (let i = 0; i < columns.length; i++) row[columns[i]!.field] = json.decode(columns[i]!.column, items[i]);
  plan.children.forEach((child, j) => attachPrefetched(row, child.read.key, decodeNested(json, child, items[columns.length + j], row, tally)));
  if (tally) tally.rows++;
  return row;
}
