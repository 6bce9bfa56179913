import { LazydbError } from '../errors/lazydb-error';
import { fail } from '../errors/catalogue';
import type { NamedTable } from '../schema/naming';
import type { OrderDirection } from '../schema/source';

import { nestingExceeds } from '../query/filter';
import { boolExpProblems } from '../schema/bool-exp';
import { DEFAULT_DOCUMENT_LIMITS, inputTooDeepMessage, tooManyValuesMessage, type DocumentLimits } from '../plugins/use-document-limits';

/**
 * The bounds on a list's `where`, as GraphQL's (LAZYDB_MAX_INPUT_DEPTH, LAZYDB_MAX_IN_VALUES). The
 * page size and the rows and depth of the page with its `include`s are judged by the pipeline's
 * execute hooks, as for GraphQL (use-query-cost).
 */
export type WhereLimits = Pick<DocumentLimits, 'maxInputDepth' | 'maxInValues'>;

/**
 * The REST list parameters, checked and turned into GraphQL arguments:
 *   where=<JSON boolean expression>   <field>=<value> (equality, ANDed)   order_by=a.desc,b
 *   limit=<n>  offset=<n>  include=<relation>[,<relation>]
 * Every unknown parameter is refused with the list of what is accepted.
 */
export interface ListParams {
  where: Record<string, unknown> | null;
  orderBy: Record<string, OrderDirection>[];
  limit: number | null;
  offset: number | null;
  include: string[];
}

const DIRECTIONS = new Set<string>(['asc', 'desc', 'asc_nulls_first', 'asc_nulls_last', 'desc_nulls_first', 'desc_nulls_last']);

export function parseListParams(table: NamedTable, search: URLSearchParams, limits: WhereLimits = DEFAULT_DOCUMENT_LIMITS, suggest = true): ListParams {
  const equalities: Record<string, unknown>[] = [];
  let where: Record<string, unknown> | null = null;
  let orderBy: Record<string, OrderDirection>[] = [];
  let limit: number | null = null;
  let offset: number | null = null;
  let include: string[] = [];
  const fields = new Map(table.columns.map((c) => [c.field, c]));

  for (const [key, value] of search) {
    switch (key) {
      case 'where':
        where = parseWhere(table, value, limits);
        break;
      case 'order_by':
        orderBy = orderBy.concat(parseOrderBy(table, value, suggest));
        break;
      case 'limit':
        // Above LAZYDB_MAX_LIMIT it is refused with the rest of the document's bounds (LIMIT_TOO_LARGE,
        // use-query-cost, which also judges the rows `include=` adds): one check for GraphQL and REST.
        limit = wholeNumber('limit', value);
        break;
      case 'offset':
        offset = wholeNumber('offset', value);
        break;
      case 'include':
        include = include.concat(parseInclude(table, value, suggest));
        break;
      default: {
        const column = fields.get(key);
        if (!column) {
          throw badParam(
            `unknown parameter "${key}": use where, order_by, limit, offset, include, or a field of ${table.typeName}${suggest ? ` (${[...fields.keys()].join(', ')})` : ''}`,
          );
        }
        equalities.push({ [key]: value === '' && column.column.nullable ? { _is_null: true } : { _eq: typedValue(column.column.kind, value) } });
      }
    }
  }
  const conditions = [...(where ? [where] : []), ...equalities];
  const combined = conditions.length === 0 ? null : conditions.length === 1 ? conditions[0]! : { _and: conditions };
  return { where: combined, orderBy, limit, offset, include };
}

function badParam(message: string): LazydbError {
  return fail('BAD_PARAMETER', message);
}

function wholeNumber(name: string, value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw badParam(`${name} must be a whole number of 0 or more; got "${value.slice(0, 40)}"`);
  return Number(value);
}

function parseWhere(table: NamedTable, value: string, limits: WhereLimits): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw badParam('where must be a JSON boolean expression, e.g. where={"name":{"_eq":"AC/DC"}}');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw badParam('where must be a JSON object, e.g. {"name":{"_eq":"AC/DC"}}');
  // Before GraphQL coerces it as a variable: coercion recurses, and so does the filter compiler.
  if (nestingExceeds(parsed, limits.maxInputDepth)) throw fail('INPUT_TOO_DEEP', inputTooDeepMessage('where', limits.maxInputDepth));
  const long = longestInList(parsed);
  if (long && long.count > limits.maxInValues) throw fail('TOO_MANY_VALUES', tooManyValuesMessage(`where: ${long.list}`, long.count, limits.maxInValues));
  // Judged against `table` as the caller sees it (a role's view hides columns and relations):
  // a hidden field is refused here like one that does not exist, before any SQL or GraphQL.
  const problem = boolExpProblems(table, parsed, 'where')[0];
  if (problem) throw badParam(`${problem.field}: ${problem.message}`);
  return parsed as Record<string, unknown>;
}

/** The longest `_in`/`_nin` list of a boolean expression (already bounded in depth), named `<field>._in`. */
function longestInList(where: object): { list: string; count: number } | null {
  let longest: { list: string; count: number } | null = null;
  const stack: [object, string][] = [[where, 'where']];
  while (stack.length > 0) {
    const [item, owner] = stack.pop()!;
    for (const [key, value] of Object.entries(item)) {
      if ((key === '_in' || key === '_nin') && Array.isArray(value)) {
        if (!longest || value.length > longest.count) longest = { list: `${owner}.${key}`, count: value.length };
      } else if (value !== null && typeof value === 'object') stack.push([value, Array.isArray(item) ? owner : key]);
    }
  }
  return longest;
}

/** `title.desc,artist_id` or the GraphQL form as JSON (`[{"title":"desc"}]`). */
function parseOrderBy(table: NamedTable, value: string, suggest: boolean): Record<string, OrderDirection>[] {
  if (value.startsWith('[') || value.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      throw badParam('order_by is not valid JSON; or use the short form order_by=title.desc,artist_id');
    }
    const terms = Array.isArray(parsed) ? parsed : [parsed];
    for (const term of terms) {
      if (!term || typeof term !== 'object' || Array.isArray(term)) throw badParam('order_by: each entry must be an object such as {"title":"desc"}');
      for (const field of Object.keys(term)) {
        if (!table.columns.some((c) => c.field === field)) {
          throw badParam(`order_by: ${table.typeName} has no field "${field}"${suggest ? `; fields: ${table.columns.map((c) => c.field).join(', ')}` : ''}`);
        }
      }
    }
    return terms as Record<string, OrderDirection>[];
  }
  return value
    .split(',')
    .filter(Boolean)
    .map((term) => {
      const [field, direction = 'asc'] = term.split('.') as [string, string?];
      if (!table.columns.some((c) => c.field === field)) {
        throw badParam(`order_by: ${table.typeName} has no field "${field}"${suggest ? `; fields: ${table.columns.map((c) => c.field).join(', ')}` : ''}`);
      }
      if (!DIRECTIONS.has(direction)) throw badParam(`order_by: "${direction}" is not a direction; use asc, desc, asc_nulls_first, …`);
      return { [field]: direction as OrderDirection };
    });
}

function parseInclude(table: NamedTable, value: string, suggest: boolean): string[] {
  const names = value.split(',').filter(Boolean);
  for (const name of names) {
    if (!table.relations.some((r) => r.field === name)) {
      const known = table.relations.map((r) => r.field);
      throw badParam(`include: ${table.typeName} has no relation "${name}"${suggest && known.length ? `; relations: ${known.join(', ')}` : ''}`);
    }
  }
  return names;
}

/** Query strings are text: numbers and booleans are given their GraphQL type for `_eq`. */
export function typedValue(kind: string, value: string): unknown {
  if (kind === 'int' || kind === 'float') {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw badParam(`"${value.slice(0, 40)}" is not a number`);
    return n;
  }
  if (kind === 'boolean') {
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    throw badParam(`"${value.slice(0, 40)}" is not a boolean (true/false)`);
  }
  return value;
}
