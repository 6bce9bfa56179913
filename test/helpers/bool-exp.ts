/**
 * A GraphQL `where` evaluated in JS over rows in memory, with SQL's three-valued logic (a
 * comparison with NULL is unknown; NOT unknown is unknown; only true selects a row) and the query
 * layer's forms (server/query/filter.ts): an empty `_in` matches nothing, an empty `_nin` adds
 * nothing, `_eq: null` is IS NULL, a relation is EXISTS. The tests' oracle: what SQL must answer.
 */
export type Truth = boolean | null;
export type Row = Record<string, unknown>;

/** The rows a relation key of `table` reaches from `row` (object relation: zero or one). */
export type RelatedRows = (table: string, relation: string, row: Row) => { table: string; rows: Row[] } | null;

export function evaluate(where: Record<string, unknown>, table: string, row: Row, related: RelatedRows): Truth {
  let result: Truth = true;
  for (const [key, value] of Object.entries(where)) {
    if (value === null || value === undefined) continue;
    let part: Truth;
    if (key === '_and') part = all((value as Record<string, unknown>[]).map((p) => evaluate(p, table, row, related)));
    else if (key === '_or') {
      const parts = (value as Record<string, unknown>[]).map((p) => evaluate(p, table, row, related));
      part = parts.length === 0 ? true : any(parts);
    } else if (key === '_not') part = not(evaluate(value as Record<string, unknown>, table, row, related));
    else {
      const reached = related(table, key, row);
      if (reached) part = reached.rows.some((target) => evaluate(value as Record<string, unknown>, reached.table, target, related) === true);
      else part = compare(row[key], value as Record<string, unknown>);
    }
    result = all([result, part]);
  }
  return result;
}

function compare(cell: unknown, ops: Record<string, unknown>): Truth {
  const parts: Truth[] = [];
  for (const [op, operand] of Object.entries(ops)) {
    if (operand === undefined) continue;
    const isNull = cell === null || cell === undefined;
    switch (op) {
      case '_eq':
        parts.push(operand === null ? isNull : isNull ? null : same(cell, operand));
        break;
      case '_neq':
        parts.push(operand === null ? !isNull : isNull ? null : !same(cell, operand));
        break;
      case '_gt':
      case '_gte':
      case '_lt':
      case '_lte': {
        if (isNull) parts.push(null);
        else {
          const a = Number(cell);
          const b = Number(operand);
          parts.push(op === '_gt' ? a > b : op === '_gte' ? a >= b : op === '_lt' ? a < b : a <= b);
        }
        break;
      }
      case '_in': {
        const list = operand as unknown[];
        if (list.length === 0) parts.push(false);
        else parts.push(isNull ? null : list.some((v) => same(cell, v)) ? true : list.some((v) => v === null) ? null : false);
        break;
      }
      case '_nin': {
        const list = operand as unknown[];
        if (list.length > 0) parts.push(isNull ? null : list.some((v) => same(cell, v)) ? false : list.some((v) => v === null) ? null : true);
        break;
      }
      case '_is_null':
        if (operand === true) parts.push(isNull);
        else if (operand === false) parts.push(!isNull);
        break;
      default:
        throw new Error(`the test oracle does not know ${op}`);
    }
  }
  return all(parts);
}

function same(a: unknown, b: unknown): boolean {
  return String(a) === String(b);
}

function all(parts: Truth[]): Truth {
  if (parts.some((p) => p === false)) return false;
  return parts.some((p) => p === null) ? null : true;
}

function any(parts: Truth[]): Truth {
  if (parts.some((p) => p === true)) return true;
  return parts.some((p) => p === null) ? null : false;
}

function not(value: Truth): Truth {
  return value === null ? null : !value;
}
