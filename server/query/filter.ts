import type { Knex } from 'knex';
import type { QueryQuirks } from '../introspect/dialect';
import { badInput, lazydbError } from '../schema/errors';
import type { NamedColumn, NamedRelation, NamedTable } from '../schema/naming';
import type { BoolExp, OrderDirection } from '../schema/source';
import { asName, columnReference, tableReference, type Qualifier } from './sql';

/** What compiling a filter needs: the connection (for quoting), the dialect and fresh aliases. */
export interface FilterScope {
  knex: Knex;
  quirks: QueryQuirks;
  table: NamedTable;
  qualifier: Qualifier;
  nextAlias: () => string;
}

/**
 * Deepest nesting of objects and lists a filter may have here, whatever the entry point checked
 * before (LAZYDB_MAX_INPUT_DEPTH, at most this much, is the limit clients see). Compiling a filter
 * recurses once per level, here and in knex; a thousand levels overflow the stack.
 */
export const MAX_FILTER_NESTING = 256;

/**
 * Most values the filters of one statement may bind. The smallest engine limit is SQLite's
 * 32,766 variables (PostgreSQL's 65,535 wraps silently in the wire protocol, Oracle and MySQL
 * prepared statements stop at 65,535); the rest of a statement (keys of a batch, page bounds)
 * stays well within the difference.
 */
export const MAX_STATEMENT_BINDINGS = 30_000;

/** Values bound so far by the filters of one statement, kept by that statement's alias counter. */
const boundValues = new WeakMap<() => string, { count: number }>();

/**
 * Fresh aliases for one statement. The filters compiled for that statement (its own and those
 * of the relations it reads nested) share the counter, and with it one budget of bound values.
 */
export function aliasCounter(prefix = 'r'): () => string {
  let n = 0;
  const next = () => `${prefix}${++n}`;
  boundValues.set(next, { count: 0 });
  return next;
}

/**
 * Charges the values a filter binds to its statement, refusing beyond MAX_STATEMENT_BINDINGS.
 * Counted before compiling (knex runs the callbacks of grouped conditions at each compilation,
 * so they cannot count), from the filter itself: one per scalar, two for a LIKE pattern (some
 * engines bind its escape character too), none for null.
 */
function charge(scope: FilterScope, where: BoolExp): void {
  let bound = boundValues.get(scope.nextAlias);
  if (!bound) {
    bound = { count: 0 };
    boundValues.set(scope.nextAlias, bound);
  }
  bound.count += boundValueCount(where);
  if (bound.count > MAX_STATEMENT_BINDINGS) {
    throw lazydbError(
      'TOO_MANY_VALUES',
      `the filters of this request bind more than ${MAX_STATEMENT_BINDINGS} values in one statement; use fewer or shorter _in lists, or split the request`,
    );
  }
}

function boundValueCount(where: BoolExp): number {
  let count = 0;
  const stack: unknown[] = [where];
  while (stack.length > 0) {
    const item = stack.pop();
    if (Array.isArray(item)) {
      for (const child of item) {
        if (child !== null && typeof child === 'object') stack.push(child);
        else if (child !== null && child !== undefined) count++;
      }
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        if (child !== null && typeof child === 'object') stack.push(child);
        else if (child !== null && child !== undefined) count += LIKE_OPERATORS.has(key) ? 2 : 1;
      }
    }
  }
  return count;
}

const LIKE_OPERATORS = new Set(['_like', '_nlike', '_ilike', '_nilike']);

/**
 * Whether `value` nests objects and lists more than `max` levels deep (a scalar is 0 levels,
 * `{}` and `[]` are 1). Iterative, so that it cannot overflow on the inputs it exists to refuse.
 */
export function nestingExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * Adds `where` (a GraphQL boolean expression) to the builder; values are always bound. The
 * entry points bound a filter's depth and lists first (LAZYDB_MAX_INPUT_DEPTH,
 * LAZYDB_MAX_IN_VALUES); this checks again against fixed bounds, so that no caller can make
 * the compiler overflow the stack or a statement exceed an engine's bind limit.
 */
export function applyWhere(builder: Knex.QueryBuilder, where: BoolExp | null | undefined, scope: FilterScope): void {
  if (!where) return;
  if (nestingExceeds(where, MAX_FILTER_NESTING)) {
    throw lazydbError('INPUT_TOO_DEEP', `the filter nests more than ${MAX_FILTER_NESTING} levels deep; flatten its _and/_or/_not`);
  }
  charge(scope, where);
  addWhere(builder, where, scope);
}

function addWhere(builder: Knex.QueryBuilder, where: BoolExp | null | undefined, scope: FilterScope): void {
  if (!where) return;
  for (const [key, value] of Object.entries(where)) {
    if (value === null || value === undefined) continue;
    if (key === '_and') {
      const parts = value as BoolExp[];
      builder.where((inner) => {
        for (const part of parts) inner.where((group) => addWhere(group, part, scope));
      });
    } else if (key === '_or') {
      const parts = value as BoolExp[];
      // An empty _or filters nothing out, as in Hasura.
      if (parts.length === 0) continue;
      builder.where((inner) => {
        for (const part of parts) inner.orWhere((group) => addWhere(group, part, scope));
      });
    } else if (key === '_not') {
      builder.whereNot((inner) => addWhere(inner, value as BoolExp, scope));
    } else {
      const column = scope.table.columns.find((c) => c.field === key);
      if (column) {
        applyComparison(builder, column, value as Record<string, unknown>, scope);
        continue;
      }
      const relation = scope.table.relations.find((r) => r.field === key);
      if (!relation) throw badInput(`unknown field "${key}" in where for ${scope.table.label}`);
      builder.whereExists(relatedSubquery(relation, value as BoolExp, scope));
    }
  }
}

function relatedSubquery(relation: NamedRelation, where: BoolExp, scope: FilterScope): Knex.QueryBuilder {
  const { knex } = scope;
  const alias = scope.nextAlias();
  const sub = knex.select(knex.raw('1')).from({ [alias]: asName(tableReference(knex, relation.target.table)) }) as Knex.QueryBuilder;
  relation.ownerColumns.forEach((owner, i) => {
    const target = relation.targetColumns[i]!;
    sub.where(asName(columnReference(knex, [alias], target.column.name)), '=', columnReference(knex, scope.qualifier, owner.column.name));
  });
  addWhere(sub, where, { ...scope, table: relation.target, qualifier: [alias] });
  return sub;
}

const COMPARISONS: Record<string, string> = { _eq: '=', _neq: '<>', _gt: '>', _gte: '>=', _lt: '<', _lte: '<=' };

function applyComparison(builder: Knex.QueryBuilder, column: NamedColumn, ops: Record<string, unknown>, scope: FilterScope): void {
  const raw = columnReference(scope.knex, scope.qualifier, column.column.name);
  const ref = asName(raw);
  const encode = (value: unknown) => scope.quirks.encode(column.column, value);
  for (const [op, value] of Object.entries(ops)) {
    if (value === undefined) continue;
    const sqlOp = COMPARISONS[op];
    if (sqlOp) {
      if (value === null) {
        if (op === '_eq') builder.whereNull(ref);
        else if (op === '_neq') builder.whereNotNull(ref);
        else throw badInput(`${column.field}.${op} needs a value; use _is_null to test for NULL`);
      } else builder.where(ref, sqlOp, encode(value) as Knex.Value);
      continue;
    }
    switch (op) {
      case '_in':
      case '_nin': {
        if (value === null) throw badInput(`${column.field}.${op} needs a list`);
        const values = (value as unknown[]).map(encode) as Knex.Value[];
        if (op === '_in') builder.whereIn(ref, values);
        else builder.whereNotIn(ref, values);
        break;
      }
      case '_is_null':
        if (value === true) builder.whereNull(ref);
        else if (value === false) builder.whereNotNull(ref);
        break;
      case '_like':
      case '_nlike':
        if (value === null) throw badInput(`${column.field}.${op} needs a pattern`);
        scope.quirks.whereLike(builder, raw, value as string, op === '_nlike');
        break;
      case '_ilike':
      case '_nilike':
        if (value === null) throw badInput(`${column.field}.${op} needs a pattern`);
        scope.quirks.whereILike(builder, raw, value as string, op === '_nilike');
        break;
      default:
        throw badInput(`unknown operator ${op} on ${column.field}`);
    }
  }
}

/** Parses Hasura's ordering enum into direction and where NULLs go (asc: nulls last, desc: nulls first). */
export function orderDirection(value: OrderDirection): { direction: 'asc' | 'desc'; nulls: 'first' | 'last' } {
  const direction = value.startsWith('desc') ? 'desc' : 'asc';
  const nulls = value.endsWith('nulls_first') ? 'first' : value.endsWith('nulls_last') ? 'last' : direction === 'asc' ? 'last' : 'first';
  return { direction, nulls };
}

export interface OrderTerm {
  column: NamedColumn;
  direction: 'asc' | 'desc';
  nulls: 'first' | 'last';
}

export function orderTerms(table: NamedTable, orderBy: Record<string, OrderDirection>[] | null | undefined): OrderTerm[] {
  const terms: OrderTerm[] = [];
  for (const entry of orderBy ?? []) {
    for (const [field, value] of Object.entries(entry)) {
      if (value === null || value === undefined) continue;
      const column = table.columns.find((c) => c.field === field);
      if (!column) throw badInput(`unknown column "${field}" in order_by for ${table.label}`);
      terms.push({ column, ...orderDirection(value) });
    }
  }
  return terms;
}

/** Default order: the primary key, so pages are stable; tables without one keep the database's order. */
export function defaultOrder(table: NamedTable): OrderTerm[] {
  return table.primaryKey.map((column) => ({ column, direction: 'asc' as const, nulls: 'last' as const }));
}

/**
 * SQL text and bindings of an ORDER BY list (for window functions and plain queries alike).
 * Nullable columns get an explicit NULL placement so every engine orders the same way.
 */
export function orderSql(terms: OrderTerm[], qualifier: Qualifier, scope: Pick<FilterScope, 'knex' | 'quirks'>): { sql: string; bindings: Knex.Raw[] } {
  const parts: string[] = [];
  const bindings: Knex.Raw[] = [];
  for (const term of terms) {
    const ref = columnReference(scope.knex, qualifier, term.column.column.name);
    const placeNulls = term.column.column.nullable;
    if (placeNulls && !scope.quirks.nativeNullsOrdering) {
      parts.push(`(? is null) ${term.nulls === 'last' ? 'asc' : 'desc'}`);
      bindings.push(ref);
    }
    parts.push(placeNulls && scope.quirks.nativeNullsOrdering ? `? ${term.direction} nulls ${term.nulls}` : `? ${term.direction}`);
    bindings.push(ref);
  }
  return { sql: parts.join(', '), bindings };
}
