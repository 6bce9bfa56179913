import { lazydbError } from '../errors/graphql';
import type { ScalarKind } from '../model/types';
import type { NamedColumn, NamedTable } from '../schema/naming';
import type { BoolExp, Row } from '../schema/source';
import { sessionVariableName } from './document';

/** A principal's session variables: lower-case names (`x-lazydb-user-id`) -> values. */
export type SessionVariables = Readonly<Record<string, string>>;

/** The keys of a column's comparison object (server/query/filter.ts compiles them). */
const OPERATORS: ReadonlySet<string> = new Set(['_eq', '_neq', '_gt', '_gte', '_lt', '_lte', '_in', '_nin', '_is_null', '_like', '_nlike', '_ilike', '_nilike']);

const NUMERIC_KINDS: ReadonlySet<ScalarKind> = new Set(['int', 'bigint', 'float', 'decimal']);
const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** No value: the variable is missing, or its text is no value of the column's type. */
const UNUSABLE = Symbol('unusable');

/**
 * `expr` (a permission filter or check) with every session-variable value (`"X-Lazydb-User-Id"`)
 * replaced by the variable's value, to be bound as a value like any other.
 *
 * A comparison that needs a variable the principal does not have (or whose text is no value of
 * the column's type, when `table` says which) fails closed: it is replaced by a constant that
 * leaves the expression matching no more rows than it would for ANY value of the variable —
 * false where it counts positively, true under an odd number of `_not`s (so `_not` cannot turn
 * it into "every row"). Nothing is thrown: the request answers with fewer rows, never more.
 *
 * `table`, when given, lets column and relation keys be told apart exactly and values be
 * checked against the column's type; without it a key whose value holds an operator is a column.
 */
export function bindSession(expr: BoolExp, variables: SessionVariables, table?: NamedTable): BoolExp {
  return bindExpression(expr, variables, table ?? null, false);
}

function bindExpression(expr: BoolExp, variables: SessionVariables, table: NamedTable | null, negated: boolean): BoolExp {
  const bound: BoolExp = {};
  const constants: BoolExp[] = [];
  for (const [key, value] of Object.entries(expr)) {
    if (value === null || typeof value !== 'object') {
      bound[key] = value;
    } else if (key === '_and' || key === '_or') {
      bound[key] = (value as BoolExp[]).map((part) => bindExpression(part, variables, table, negated));
    } else if (key === '_not') {
      bound[key] = bindExpression(value as BoolExp, variables, table, !negated);
    } else {
      const column = table?.columns.find((c) => c.field === key) ?? null;
      if (column || (table === null && Object.keys(value).some((op) => OPERATORS.has(op)))) {
        const { ops, failed } = bindComparison(value as Record<string, unknown>, variables, column);
        if (Object.keys(ops).length > 0) bound[key] = ops;
        if (failed) constants.push(negated ? alwaysTrue(key) : neverTrue(key));
      } else {
        const target = table?.relations.find((r) => r.field === key)?.target ?? null;
        bound[key] = bindExpression(value as BoolExp, variables, target, negated);
      }
    }
  }
  return constants.length > 0 ? { _and: [bound, ...constants] } : bound;
}

/** A column's comparisons with their session values bound; `failed` when one could not be (it is left out). */
function bindComparison(ops: Record<string, unknown>, variables: SessionVariables, column: NamedColumn | null): { ops: Record<string, unknown>; failed: boolean } {
  const bound: Record<string, unknown> = {};
  let failed = false;
  for (const [op, value] of Object.entries(ops)) {
    const kind = op === '_is_null' ? 'boolean' : (column?.column.kind ?? null);
    const resolved = Array.isArray(value) ? resolveList(value, variables, kind) : resolveValue(value, variables, kind);
    if (resolved === UNUSABLE) failed = true;
    else bound[op] = resolved;
  }
  return { ops: bound, failed };
}

function resolveList(values: unknown[], variables: SessionVariables, kind: ScalarKind | null): unknown[] | typeof UNUSABLE {
  const out: unknown[] = [];
  for (const value of values) {
    const resolved = resolveValue(value, variables, kind);
    if (resolved === UNUSABLE) return UNUSABLE;
    out.push(resolved);
  }
  return out;
}

/** A literal as it is; a session variable's value, as the column's kind reads it. */
function resolveValue(value: unknown, variables: SessionVariables, kind: ScalarKind | null): unknown {
  const name = sessionVariableName(value);
  if (name === null) return value;
  if (!Object.hasOwn(variables, name)) return UNUSABLE;
  return typed(variables[name]!, kind);
}

/** Session values are text: numbers and booleans are read as such for columns of those kinds, or are unusable. */
function typed(text: string, kind: ScalarKind | null): unknown {
  if (kind === null) return text;
  if (NUMERIC_KINDS.has(kind)) {
    if (!NUMBER_TEXT.test(text.trim())) return UNUSABLE;
    // bigint and decimal stay text: a JS number would round them.
    return kind === 'int' || kind === 'float' ? Number(text) : text.trim();
  }
  if (kind === 'boolean') {
    const lower = text.trim().toLowerCase();
    if (lower === 'true' || lower === '1') return true;
    if (lower === 'false' || lower === '0') return false;
    return UNUSABLE;
  }
  return text;
}

/** A condition no row meets, written on `field` (an empty `_in` compiles to `1 = 0`). */
function neverTrue(field: string): BoolExp {
  return { [field]: { _in: [] } };
}

/** A condition every row meets, that still means "true" under `_not` (an empty expression would not). */
function alwaysTrue(field: string): BoolExp {
  return { _not: neverTrue(field) };
}

/** A filter no row of `table` matches (what a table without a select rule shows). */
export function matchNothing(table: NamedTable): BoolExp {
  // Every relation's target has a column (a foreign key names one); root reads of a table the
  // role cannot see answer without SQL (restricted-source.ts), zero-column tables included.
  const first = table.columns[0];
  if (!first) throw new Error(`${table.label} has no column to write a condition on`);
  return neverTrue(first.field);
}

/**
 * A rule's column presets with their session values bound: what the server writes whatever the
 * client sent. A preset needs its value, so one naming a variable the principal does not have
 * (or text that is no value of its column's type) refuses the write (FORBIDDEN), never writes NULL.
 */
export function presetValues(set: Readonly<Record<string, unknown>> | undefined, variables: SessionVariables, table?: NamedTable): Row {
  const values: Row = {};
  for (const [field, value] of Object.entries(set ?? {})) {
    const kind = table?.columns.find((c) => c.field === field)?.column.kind ?? null;
    const resolved = resolveValue(value, variables, kind);
    if (resolved === UNUSABLE) {
      throw lazydbError('FORBIDDEN', `the role's preset for ${field} needs the session variable ${sessionVariableName(value)}, which this request does not carry as a value of that column`);
    }
    values[field] = resolved;
  }
  return values;
}
