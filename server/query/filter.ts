import type { QueryQuirks } from '../introspect/dialect';
import { badInput, lazydbError } from '../errors/graphql';
import type { NamedColumn, NamedRelation, NamedTable } from '../schema/naming';
import type { BoolExp, ListArgs, OrderDirection } from '../schema/source';
import { sql, type SqlFragment } from '../sql/fragment';
import { columnReference, tableReference, type Qualifier } from './sql';

/** What compiling a filter needs: the dialect, the table and how it is named, and fresh aliases. */
export interface FilterScope {
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
 * Counted from the filter itself before anything is compiled, so a refusal costs nothing: one
 * per scalar, two for a LIKE pattern (some engines bind its escape character too), none for null.
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
  // Most values checked are scalars (every variable of every request is): no stack for those.
  if (value === null || typeof value !== 'object') return false;
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
 * `where` (a GraphQL boolean expression) as one SQL condition; null when it filters nothing
 * out. Values are always bound, identifiers always quoted. The entry points bound a filter's
 * depth and lists first (LAZYDB_MAX_INPUT_DEPTH, LAZYDB_MAX_IN_VALUES); this checks again
 * against fixed bounds, so that no caller can make the compiler overflow the stack or a
 * statement exceed an engine's bind limit.
 */
export function whereCondition(where: BoolExp | null | undefined, scope: FilterScope): SqlFragment | null {
  if (!where) return null;
  if (nestingExceeds(where, MAX_FILTER_NESTING)) {
    throw lazydbError('INPUT_TOO_DEEP', `the filter nests more than ${MAX_FILTER_NESTING} levels deep; flatten its _and/_or/_not`);
  }
  charge(scope, where);
  return condition(where, scope);
}

function condition(where: BoolExp | null | undefined, scope: FilterScope): SqlFragment | null {
  if (!where) return null;
  const conditions: SqlFragment[] = [];
  for (const [key, value] of Object.entries(where)) {
    if (value === null || value === undefined) continue;
    if (key === '_and') {
      const parts = (value as BoolExp[]).map((part) => condition(part, scope)).filter((c): c is SqlFragment => c !== null);
      if (parts.length > 0) conditions.push(sql`(${chain(parts, 'and')})`);
    } else if (key === '_or') {
      const parts = (value as BoolExp[]).map((part) => condition(part, scope));
      // An empty _or filters nothing out, as in Hasura; so does an _or with an empty part.
      if (parts.length === 0 || parts.some((c) => c === null)) continue;
      conditions.push(sql`(${chain(parts as SqlFragment[], 'or')})`);
    } else if (key === '_not') {
      const inner = condition(value as BoolExp, scope);
      if (inner) conditions.push(sql`not (${inner})`);
    } else {
      const column = scope.table.columns.find((c) => c.field === key);
      if (column) {
        conditions.push(...comparisons(column, value as Record<string, unknown>, scope));
        continue;
      }
      const relation = scope.table.relations.find((r) => r.field === key);
      if (!relation) throw badInput(`unknown field "${key}" in where for ${scope.table.label}`);
      conditions.push(relatedExists(relation, value as BoolExp, scope));
    }
  }
  if (conditions.length === 0) return null;
  return conditions.length === 1 ? conditions[0]! : sql.join(conditions, ' and ');
}

/** Terms joined flat up to this many; longer lists are grouped into a balanced tree. */
const FLAT_RUN = 16;

/**
 * `parts` joined by `and` / `or`. A flat chain of N terms is an expression N deep for the
 * engine's parser, and SQLite refuses expressions over 1,000 deep ("Expression tree is too
 * large"): long lists are grouped as a balanced tree, log N deep, meaning the same.
 */
function chain(parts: SqlFragment[], op: 'and' | 'or'): SqlFragment {
  if (parts.length <= FLAT_RUN) {
    return op === 'and' ? sql.join(parts, ' and ') : sql.join(parts.map((part) => sql`(${part})`), ' or ');
  }
  const middle = Math.ceil(parts.length / 2);
  const left = chain(parts.slice(0, middle), op);
  const right = chain(parts.slice(middle), op);
  return op === 'and' ? sql`(${left}) and (${right})` : sql`(${left}) or (${right})`;
}

/** `where <condition>`, or nothing. */
export function whereClause(condition: SqlFragment | null): SqlFragment {
  return condition ? sql` where ${condition}` : sql.empty;
}

function relatedExists(relation: NamedRelation, where: BoolExp, scope: FilterScope): SqlFragment {
  const alias = scope.nextAlias();
  const joins = relation.ownerColumns.map((owner, i) => {
    const target = relation.targetColumns[i]!;
    return sql`${columnReference([alias], target.column.name)} = ${columnReference(scope.qualifier, owner.column.name)}`;
  });
  const inner = condition(where, { ...scope, table: relation.target, qualifier: [alias] });
  const conditions = inner ? [...joins, inner] : joins;
  return sql`exists (select 1 from ${tableReference(relation.target.table)} ${sql.identifier(alias)} where ${sql.join(conditions, ' and ')})`;
}

const COMPARISONS = { _eq: '=', _neq: '<>', _gt: '>', _gte: '>=', _lt: '<', _lte: '<=' } as const;

function isComparison(op: string): op is keyof typeof COMPARISONS {
  return Object.hasOwn(COMPARISONS, op);
}

function comparisons(column: NamedColumn, ops: Record<string, unknown>, scope: FilterScope): SqlFragment[] {
  const ref = columnReference(scope.qualifier, column.column.name);
  const encode = (value: unknown) => sql.value(scope.quirks.encode(column.column, value));
  const out: SqlFragment[] = [];
  for (const [op, value] of Object.entries(ops)) {
    if (value === undefined) continue;
    if (isComparison(op)) {
      if (value === null) {
        if (op === '_eq') out.push(sql`${ref} is null`);
        else if (op === '_neq') out.push(sql`${ref} is not null`);
        else throw badInput(`${column.field}.${op} needs a value; use _is_null to test for NULL`);
      } else out.push(sql`${ref} ${sql.keyword(COMPARISONS[op])} ${encode(value)}`);
      continue;
    }
    switch (op) {
      case '_in':
      case '_nin': {
        if (value === null) throw badInput(`${column.field}.${op} needs a list`);
        const values = (value as unknown[]).map(encode);
        // An empty list: nothing is in it, everything is not.
        if (values.length === 0) {
          if (op === '_in') out.push(sql`1 = 0`);
          break;
        }
        out.push(sql`${ref} ${sql.keyword(op === '_in' ? 'in' : 'not in')} (${sql.join(values, ', ')})`);
        break;
      }
      case '_is_null':
        if (value === true) out.push(sql`${ref} is null`);
        else if (value === false) out.push(sql`${ref} is not null`);
        break;
      case '_like':
      case '_nlike':
        if (value === null) throw badInput(`${column.field}.${op} needs a pattern`);
        out.push(scope.quirks.like(ref, value as string, op === '_nlike'));
        break;
      case '_ilike':
      case '_nilike':
        if (value === null) throw badInput(`${column.field}.${op} needs a pattern`);
        out.push(scope.quirks.ilike(ref, value as string, op === '_nilike'));
        break;
      default:
        throw badInput(`unknown operator ${op} on ${column.field}`);
    }
  }
  return out;
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

/** The order of an array relation's rows: as asked, else the child's key, else the foreign key. */
export function childOrder(relation: NamedRelation, args: ListArgs): OrderTerm[] {
  const asked = orderTerms(relation.target, args.order_by);
  if (asked.length > 0) return asked;
  const byKey = defaultOrder(relation.target);
  if (byKey.length > 0) return byKey;
  return relation.targetColumns.map((column) => ({ column, direction: 'asc' as const, nulls: 'last' as const }));
}

/**
 * An ORDER BY list (for window functions and plain queries alike). Nullable columns get an
 * explicit NULL placement so every engine orders the same way.
 */
export function orderSql(terms: OrderTerm[], qualifier: Qualifier, quirks: QueryQuirks): SqlFragment {
  const parts: SqlFragment[] = [];
  for (const term of terms) {
    const ref = columnReference(qualifier, term.column.column.name);
    const direction = sql.keyword(term.direction);
    const placeNulls = term.column.column.nullable;
    if (placeNulls && !quirks.nativeNullsOrdering) {
      parts.push(sql`(${ref} is null) ${sql.keyword(term.nulls === 'last' ? 'asc' : 'desc')}`);
    }
    parts.push(placeNulls && quirks.nativeNullsOrdering ? sql`${ref} ${direction} ${sql.keyword(term.nulls === 'first' ? 'nulls first' : 'nulls last')}` : sql`${ref} ${direction}`);
  }
  return sql.join(parts, ', ');
}
