/**
 * The thin layer between ra-data-simple-rest and lazydb's REST API (pure functions, no
 * React, no fetch: unit-tested in test/unit/admin-adapter.test.ts).
 *
 * simple-rest speaks `?sort=["title","ASC"]&range=[0,24]&filter={...}`, `PUT /<r>/<id>` and
 * expects an `id` on every record. lazydb speaks `order_by=title.asc&limit=25&offset=0`,
 * `where=<JSON>` or `<field>=<value>`, `PATCH /<r>/<pk1>/<pk2>` and has no `id` unless a
 * column is called so. Everything that bridges the two lives here.
 */
import type { FieldInfo, ResourceInfo } from '../model';

/** Joins the parts of a composite key in a record id: unreserved in URLs, so deep links stay readable. */
export const ID_SEPARATOR = '~';
/** Where a real column named `id` goes when `id` is taken by the computed record id. */
export const ID_ALIAS = '__id';
/** Prefix of the ids given to rows of tables without a primary key (they only need to be unique on a page). */
export const ROW_ID_PREFIX = 'row:';

/** Filter keys: `<field>` (equality) or `<field>@<operator>`; `q` is the quick search. */
export const OPERATORS = [
  '_eq',
  '_neq',
  '_gt',
  '_gte',
  '_lt',
  '_lte',
  '_in',
  '_nin',
  '_is_null',
  '_like',
  '_ilike',
  '_nlike',
  '_nilike',
  // Admin-side shorthands, turned into _ilike patterns with the user's text escaped.
  '_contains',
  '_starts_with',
] as const;
export type Operator = (typeof OPERATORS)[number];

/** Names the REST list endpoint takes for itself: a column with one of these names must be filtered through `where`. */
const RESERVED_PARAMS = new Set(['where', 'order_by', 'limit', 'offset', 'include']);

export type Where = Record<string, unknown>;

// ---------------------------------------------------------------------------------------
// Record ids

function encodePart(value: unknown): string {
  return encodeURIComponent(String(value)).replace(/~/g, '%7E');
}

/** True when the real column `id` must be renamed in records because `id` holds the computed key. */
export function aliasesId(resource: ResourceInfo): boolean {
  const hasIdColumn = resource.fields.some((f) => f.name === 'id');
  return hasIdColumn && !(resource.primaryKey.length === 1 && resource.primaryKey[0] === 'id');
}

/** The record property a column is read from and written to in the admin. */
export function fieldSource(resource: ResourceInfo, field: string): string {
  return field === 'id' && aliasesId(resource) ? ID_ALIAS : field;
}

/** The column behind a record property (inverse of {@link fieldSource}). */
export function sourceField(resource: ResourceInfo, source: string): string {
  return source === ID_ALIAS && aliasesId(resource) ? 'id' : source;
}

/**
 * The react-admin id of a row: the key value itself for a one-column key (so foreign-key
 * values match it as they are), the parts URL-encoded and joined by `~` for a composite key.
 */
export function recordId(resource: ResourceInfo, row: Record<string, unknown>): string | number | undefined {
  const key = resource.primaryKey;
  if (key.length === 0) return undefined;
  if (key.length === 1) {
    const value = row[key[0]!];
    return typeof value === 'number' || typeof value === 'string' ? value : value == null ? undefined : String(value);
  }
  if (key.some((field) => row[field] === undefined || row[field] === null)) return undefined;
  return key.map((field) => encodePart(row[field])).join(ID_SEPARATOR);
}

/** The key values in a record id, in key order, as text (what goes into the REST path). */
export function idParts(resource: ResourceInfo, id: string | number): string[] {
  const key = resource.primaryKey;
  if (key.length === 0) throw new Error(`${resource.name} has no primary key: its rows cannot be addressed one by one`);
  if (key.length === 1) return [String(id)];
  const parts = String(id).split(ID_SEPARATOR).map((part) => decodeURIComponent(part));
  if (parts.length !== key.length) {
    throw new Error(`"${id}" is not a key of ${resource.name}: expected ${key.length} parts (${key.join(', ')}) joined by "${ID_SEPARATOR}"`);
  }
  return parts;
}

/** `/<resource>/<pk1>/<pk2>`: one URL-encoded path segment per key column. */
export function recordPath(resource: ResourceInfo, id: string | number): string {
  return [resource.name, ...idParts(resource, id)].map((segment) => encodeURIComponent(segment)).join('/');
}

/** A row from the API as a react-admin record: with `id`, and a real `id` column moved aside when needed. */
export function toRecord(resource: ResourceInfo, row: Record<string, unknown>, position?: number): Record<string, unknown> {
  const record: Record<string, unknown> = { ...row };
  if (aliasesId(resource)) {
    record[ID_ALIAS] = row.id;
    delete record.id;
  }
  const id = recordId(resource, row);
  record.id = id !== undefined ? id : `${ROW_ID_PREFIX}${position ?? 0}`;
  return record;
}

// ---------------------------------------------------------------------------------------
// Writing

/**
 * The body of a POST or PATCH: writable columns only, by column name. On create, an empty
 * value for a column with a default (or auto-increment) is left out so the database fills it.
 */
export function toRow(resource: ResourceInfo, data: Record<string, unknown>, mode: 'create' | 'update'): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const field of resource.fields) {
    const source = fieldSource(resource, field.name);
    if (!(source in data)) continue;
    let value = data[source];
    if (value === undefined || !field.writable) continue;
    const empty = value === null || value === '';
    if (mode === 'create' && empty && (field.hasDefault || field.autoIncrement)) continue;
    if (mode === 'update' && resource.primaryKey.includes(field.name)) continue;
    if (value === '' && field.kind !== 'string') value = null;
    row[field.name] = value;
  }
  return row;
}

/** What an edit form changed: react-admin hands the whole record, lazydb wants only the changes. */
export function changedValues(data: Record<string, unknown>, previous: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!previous) return { ...data };
  const changed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (key === 'id') continue;
    if (!sameValue(value, previous[key])) changed[key] = value;
  }
  return changed;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // A cleared input and a NULL column are the same thing to a person.
  if ((a === '' || a == null) && b == null) return true;
  if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  // Numbers typed into a form for a column read as a string (or back).
  if ((typeof a === 'number' && typeof b === 'string') || (typeof a === 'string' && typeof b === 'number')) return String(a) === String(b);
  return false;
}

// ---------------------------------------------------------------------------------------
// Listing

export interface ListRequest {
  /** simple-rest's `sort`: [field, 'ASC' | 'DESC']. */
  sort?: [string, string] | null;
  /** simple-rest's `range`: [first, last], both inclusive. */
  range?: [number, number] | null;
  filter?: Record<string, unknown> | null;
}

/** simple-rest's list query string (`sort`, `range`, `filter` as JSON) read back. */
export function readListRequest(search: URLSearchParams): ListRequest {
  const json = (name: string): unknown => {
    const value = search.get(name);
    if (value === null) return null;
    try {
      return JSON.parse(value);
    } catch {
      return null;
    }
  };
  const sort = json('sort');
  const range = json('range');
  const filter = json('filter');
  return {
    sort: Array.isArray(sort) && typeof sort[0] === 'string' ? [sort[0], String(sort[1] ?? 'ASC')] : null,
    range: Array.isArray(range) && typeof range[0] === 'number' && typeof range[1] === 'number' ? [range[0], range[1]] : null,
    filter: filter && typeof filter === 'object' && !Array.isArray(filter) ? (filter as Record<string, unknown>) : null,
  };
}

/** The lazydb query string for a list request. */
export function listParams(resource: ResourceInfo, request: ListRequest): URLSearchParams {
  const params = new URLSearchParams();
  const { plain, where } = filterQuery(resource, request.filter ?? {});
  for (const [name, value] of plain) params.append(name, value);
  if (where) params.set('where', JSON.stringify(where));
  const orderBy = orderByParam(resource, request.sort ?? null);
  if (orderBy) params.set('order_by', orderBy);
  if (request.range) {
    const [first, last] = request.range;
    params.set('limit', String(Math.max(0, last - first + 1)));
    params.set('offset', String(Math.max(0, first)));
  }
  return params;
}

/**
 * `order_by=<field>.<dir>[,...]`. Sorting on `id` means the key; the key is appended as a
 * tie-breaker so pages stay stable when the sorted column has duplicates.
 */
export function orderByParam(resource: ResourceInfo, sort: [string, string] | null): string | null {
  const direction = (sort?.[1] ?? 'ASC').toUpperCase() === 'DESC' ? 'desc' : 'asc';
  const terms: string[] = [];
  const used = new Set<string>();
  const add = (field: string, dir: string) => {
    if (used.has(field)) return;
    used.add(field);
    terms.push(`${field}.${dir}`);
  };
  if (sort) {
    const field = sourceField(resource, sort[0]);
    if (field === 'id' && !resource.fields.some((f) => f.name === 'id')) {
      for (const key of resource.primaryKey) add(key, direction);
    } else if (resource.fields.some((f) => f.name === field)) {
      add(field, direction);
    }
  }
  for (const key of resource.primaryKey) add(key, 'asc');
  return terms.length > 0 ? terms.join(',') : null;
}

/**
 * A react-admin filter object as lazydb conditions: simple equalities become `<field>=<value>`
 * parameters (readable, cacheable), everything else one `where` JSON expression.
 */
export function filterQuery(resource: ResourceInfo, filter: Record<string, unknown>): { plain: [string, string][]; where: Where | null } {
  const plain: [string, string][] = [];
  const conditions: Where[] = [];
  const fields = new Map(resource.fields.map((f) => [f.name, f]));

  for (const [key, raw] of Object.entries(filter)) {
    if (raw === undefined || raw === '' || (Array.isArray(raw) && raw.length === 0 && key !== 'id')) continue;
    if (key === 'q') {
      const search = quickSearch(resource, String(raw));
      if (search) conditions.push(search);
      continue;
    }
    if (key === 'id' && !fields.has('id')) {
      conditions.push(keyCondition(resource, raw));
      continue;
    }
    const at = key.lastIndexOf('@');
    const source = at > 0 ? key.slice(0, at) : key;
    const operator = (at > 0 ? key.slice(at + 1) : '_eq') as Operator;
    const field = fields.get(sourceField(resource, source));
    if (!field || !OPERATORS.includes(operator)) continue; // a filter remembered from an older model
    if (operator === '_eq' && raw !== null && !Array.isArray(raw) && typeof raw !== 'object' && !RESERVED_PARAMS.has(field.name)) {
      plain.push([field.name, String(raw)]);
      continue;
    }
    conditions.push(fieldCondition(field, operator, raw));
  }
  const where = conditions.length === 0 ? null : conditions.length === 1 ? conditions[0]! : { _and: conditions };
  return { plain, where };
}

function fieldCondition(field: FieldInfo, operator: Operator, raw: unknown): Where {
  const name = field.name;
  if (raw === null && (operator === '_eq' || operator === '_neq')) return { [name]: { _is_null: operator === '_eq' } };
  if (Array.isArray(raw)) {
    const values = raw.map((v) => coerce(field, v));
    return { [name]: { [operator === '_nin' || operator === '_neq' ? '_nin' : '_in']: values } };
  }
  switch (operator) {
    case '_is_null':
      return { [name]: { _is_null: raw === true || raw === 'true' } };
    case '_contains':
      return { [name]: { _ilike: `%${escapeLike(String(raw))}%` } };
    case '_starts_with':
      return { [name]: { _ilike: `${escapeLike(String(raw))}%` } };
    case '_in':
    case '_nin':
      return { [name]: { [operator]: String(raw).split(',').map((v) => coerce(field, v.trim())) } };
    default:
      return { [name]: { [operator]: coerce(field, raw) } };
  }
}

/** `id` filters (react-admin's getMany asks for `{ id: [..] }`) as key conditions. */
export function keyCondition(resource: ResourceInfo, raw: unknown): Where {
  const ids = Array.isArray(raw) ? raw : [raw];
  const key = resource.primaryKey;
  if (key.length === 0) return { _or: [] };
  if (key.length === 1) {
    const field = resource.fields.find((f) => f.name === key[0])!;
    const values = ids.map((id) => coerce(field, id));
    return values.length === 1 ? { [field.name]: { _eq: values[0] } } : { [field.name]: { _in: values } };
  }
  const rows = ids.map((id) => {
    const parts = idParts(resource, id as string | number);
    return { _and: key.map((name, i) => ({ [name]: { _eq: coerce(resource.fields.find((f) => f.name === name)!, parts[i]) } })) };
  });
  return rows.length === 1 ? rows[0]! : { _or: rows };
}

/** The quick search box: text columns contain the words; a number also matches numeric columns. */
export function quickSearch(resource: ResourceInfo, text: string): Where | null {
  const term = text.trim();
  if (term === '') return null;
  const alternatives: Where[] = [];
  const numeric = /^-?\d+(\.\d+)?$/.test(term);
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(term);
  for (const field of resource.fields) {
    if (field.kind === 'string') alternatives.push({ [field.name]: { _ilike: `%${escapeLike(term)}%` } });
    else if (numeric && (field.kind === 'int' || field.kind === 'bigint' || field.kind === 'float' || field.kind === 'decimal')) {
      if (field.kind === 'int' && !/^-?\d+$/.test(term)) continue;
      alternatives.push({ [field.name]: { _eq: coerce(field, term) } });
    } else if (uuid && field.kind === 'uuid') alternatives.push({ [field.name]: { _eq: term.toLowerCase() } });
    else if (field.kind === 'enum' && field.enumValues?.includes(term)) alternatives.push({ [field.name]: { _eq: term } });
  }
  if (alternatives.length === 0) return null;
  return alternatives.length === 1 ? alternatives[0]! : { _or: alternatives };
}

/** `%`, `_` and `\` typed by a person mean themselves. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Filter values come from inputs as text; lazydb wants Int/Float/Boolean typed, the rest as strings. */
export function coerce(field: FieldInfo, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (field.kind) {
    case 'int':
    case 'float': {
      if (typeof value === 'number') return value;
      const n = Number(value);
      return String(value).trim() !== '' && Number.isFinite(n) ? n : value;
    }
    case 'boolean':
      if (value === 'true') return true;
      if (value === 'false') return false;
      return value;
    case 'json':
      return value;
    default:
      return typeof value === 'string' ? value : typeof value === 'object' ? value : String(value);
  }
}

// ---------------------------------------------------------------------------------------
// Requests as a whole (what the custom httpClient does with simple-rest's URLs)

export interface TranslatedRequest {
  url: string;
  method: string;
  body?: string;
  resource: ResourceInfo;
  /** 'list' answers arrays; 'one' a single row. */
  shape: 'list' | 'one';
  /** Offset of the first row of a list (for key-less tables' placeholder ids). */
  offset: number;
}

/**
 * One simple-rest request (`<apiUrl>/<resource>[/<encoded id>][?sort&range&filter]`) as the
 * lazydb request: list parameters rewritten, ids turned into key path segments, PUT into
 * PATCH, record bodies into rows.
 */
export function translateRequest(
  apiUrl: string,
  url: string,
  method: string,
  body: string | undefined,
  lookup: (name: string) => ResourceInfo | undefined,
): TranslatedRequest {
  const base = apiUrl.replace(/\/+$/, '');
  if (!url.startsWith(`${base}/`)) throw new Error(`not a lazydb REST URL: ${url}`);
  const [path = '', query = ''] = url.slice(base.length + 1).split('?', 2) as [string, string?];
  const segments = path.split('/').filter(Boolean);
  const resourceName = decodeURIComponent(segments[0] ?? '');
  const resource = lookup(resourceName);
  if (!resource) throw new Error(`unknown table "${resourceName}": refresh the page if the database changed`);
  const verb = method.toUpperCase();
  const parsedBody = body ? (JSON.parse(body) as Record<string, unknown>) : undefined;

  if (segments.length === 1) {
    if (verb === 'GET') {
      const request = readListRequest(new URLSearchParams(query));
      const params = listParams(resource, request);
      const search = params.toString();
      return { url: `${base}/${encodeURIComponent(resource.name)}${search ? `?${search}` : ''}`, method: 'GET', resource, shape: 'list', offset: request.range?.[0] ?? 0 };
    }
    if (verb === 'POST') {
      return { url: `${base}/${encodeURIComponent(resource.name)}`, method: 'POST', body: JSON.stringify(toRow(resource, parsedBody ?? {}, 'create')), resource, shape: 'one', offset: 0 };
    }
    throw new Error(`${verb} on a whole table is not supported`);
  }
  const id = decodeURIComponent(segments.slice(1).join('/'));
  const target = `${base}/${recordPath(resource, id)}`;
  switch (verb) {
    case 'GET':
      return { url: target, method: 'GET', resource, shape: 'one', offset: 0 };
    case 'PUT':
    case 'PATCH':
      return { url: target, method: 'PATCH', body: JSON.stringify(toRow(resource, parsedBody ?? {}, 'update')), resource, shape: 'one', offset: 0 };
    case 'DELETE':
      return { url: target, method: 'DELETE', resource, shape: 'one', offset: 0 };
    default:
      throw new Error(`${verb} is not supported`);
  }
}

/** The answer as react-admin records. */
export function translateResponse(request: TranslatedRequest, json: unknown): unknown {
  if (request.shape === 'list' && Array.isArray(json)) {
    return json.map((row, i) => toRecord(request.resource, row as Record<string, unknown>, request.offset + i));
  }
  if (json && typeof json === 'object' && !Array.isArray(json)) return toRecord(request.resource, json as Record<string, unknown>);
  return json;
}

/** The message to show for a failed request: lazydb's `{ error: { message } }`, else the status. */
export function errorMessage(status: number, json: unknown, statusText = ''): string {
  const error = (json as { error?: { message?: unknown } } | null)?.error;
  if (error && typeof error.message === 'string' && error.message !== '') return error.message;
  return `${status} ${statusText}`.trim();
}
