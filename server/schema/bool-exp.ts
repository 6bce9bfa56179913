import type { ScalarKind } from '../model/types';
import type { NamedColumn, NamedTable } from './naming';

/**
 * The shape of a `where` boolean expression, judged against one view of a table: the operators a
 * column kind offers (the schema builder's comparison types use the same list) and a walk that
 * names every field, operator or relation the table does not have. Used for permission filters
 * (server/permissions/validate.ts, against the full model) and for REST `where=` (against the
 * role's view, so a hidden column is refused like one that does not exist).
 */

const ORDERED_OPERATORS = ['_eq', '_neq', '_gt', '_gte', '_lt', '_lte', '_in', '_nin', '_is_null'] as const;
const EQUALITY_OPERATORS = ['_eq', '_neq', '_in', '_nin', '_is_null'] as const;
const TEXT_OPERATORS = ['_like', '_nlike', '_ilike', '_nilike'] as const;

/** Operators per kind of value; text adds the LIKE family. */
export function operatorsFor(kind: ScalarKind): readonly string[] {
  switch (kind) {
    case 'string':
      return [...ORDERED_OPERATORS, ...TEXT_OPERATORS];
    case 'boolean':
    case 'uuid':
    case 'bytes':
    case 'enum':
      return EQUALITY_OPERATORS;
    case 'json':
    case 'unknown':
      return ['_is_null'];
    default:
      return ORDERED_OPERATORS;
  }
}

export interface ExpressionProblem {
  /** Dotted path to the wrong entry, e.g. `artist.select.filter.name._like`. */
  field: string;
  message: string;
}

/** Judges one operator's value of a column; returns why it is wrong, or null. */
export type ValueJudge = (column: NamedColumn, operator: string, value: unknown) => string | null;

/** Deepest nesting walked: deeper expressions are refused rather than recursed into. */
const MAX_DEPTH = 64;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Every problem of `expr` as a boolean expression of `table`: unknown fields, operators the
 * column's kind does not offer, relation sub-expressions judged against the relation's target.
 * Values are left to `judge` (none: any value, GraphQL coerces them later).
 */
export function boolExpProblems(table: NamedTable, expr: unknown, path: string, judge?: ValueJudge): ExpressionProblem[] {
  const problems: ExpressionProblem[] = [];
  walk(table, expr, path, judge, problems, 0);
  return problems;
}

function walk(table: NamedTable, expr: unknown, path: string, judge: ValueJudge | undefined, problems: ExpressionProblem[], depth: number): void {
  if (depth > MAX_DEPTH) {
    problems.push({ field: path, message: `nested more than ${MAX_DEPTH} levels deep` });
    return;
  }
  if (!isPlainObject(expr)) {
    problems.push({ field: path, message: `must be a boolean expression of ${table.typeName} (a JSON object)` });
    return;
  }
  for (const [key, value] of Object.entries(expr)) {
    const at = `${path}.${key}`;
    if (key === '_and' || key === '_or') {
      // GraphQL takes one expression where a list is expected, as a list of one.
      if (!Array.isArray(value)) walk(table, value, at, judge, problems, depth + 1);
      else value.forEach((item, i) => walk(table, item, `${at}.${i}`, judge, problems, depth + 1));
      continue;
    }
    if (key === '_not') {
      walk(table, value, at, judge, problems, depth + 1);
      continue;
    }
    const column = table.columns.find((c) => c.field === key);
    if (column) {
      comparison(column, value, at, judge, problems);
      continue;
    }
    const relation = table.relations.find((r) => r.field === key);
    if (relation) {
      walk(relation.target, value, at, judge, problems, depth + 1);
      continue;
    }
    problems.push({ field: at, message: `${table.typeName} has no field or relation "${key}"` });
  }
}

function comparison(column: NamedColumn, value: unknown, path: string, judge: ValueJudge | undefined, problems: ExpressionProblem[]): void {
  if (!isPlainObject(value)) {
    problems.push({ field: path, message: `must be a comparison such as {"_eq": …}` });
    return;
  }
  const offered = operatorsFor(column.column.kind);
  for (const [operator, operand] of Object.entries(value)) {
    const at = `${path}.${operator}`;
    if (!offered.includes(operator)) {
      problems.push({ field: at, message: `"${operator}" is not an operator of ${column.field} (${column.column.kind}); use ${offered.join(', ')}` });
      continue;
    }
    const why = judge?.(column, operator, operand) ?? null;
    if (why) problems.push({ field: at, message: why });
  }
}
