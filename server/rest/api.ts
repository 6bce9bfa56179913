import { execute, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { HttpError } from '../http/io';
import type { NamedColumn, NamedModel, NamedTable } from '../schema/naming';
import type { Row } from '../schema/source';
import { correctOpenAPI } from './openapi';
import { parseListParams, typedValue } from './params';
import { buildSofaRest, errorResponse, type RouteKind, type SofaRest } from './sofa';

export interface RestRequest {
  method: string;
  /** Path below /db/:name/rest, e.g. `/artist/1`. */
  path: string;
  search: URLSearchParams;
  body: Buffer | undefined;
}

/**
 * The REST API of one database snapshot. Routing is ours and O(1): the resource is a map
 * lookup and the operation follows from the method and the number of key segments; the
 * work is SOFA's: each request runs the SOFA route handler of that operation (variable
 * parsing, GraphQL execution, errors). fets, SOFA's router, would instead try every
 * parameterised route in turn, which grows with the number of tables.
 */
export class RestApi {
  private readonly resources = new Map<string, NamedTable>();
  private readonly sofa: SofaRest;
  private openapi: Record<string, unknown> | null = null;
  private readonly countDocuments = new Map<NamedTable, DocumentNode>();

  constructor(
    private readonly database: string,
    private readonly named: NamedModel,
    /** The full schema (aggregates and relations for counts and `include`). */
    private readonly schema: GraphQLSchema,
    private readonly maxLimit: number,
  ) {
    for (const table of named.tables) {
      this.resources.set(table.typeName, table);
      // The SQL name works too (URL-encoded), unless another resource already has it.
      if (!this.resources.has(table.table.name)) this.resources.set(table.table.name, table);
    }
    this.sofa = buildSofaRest(database, named, schema);
  }

  openAPIDocument(): Record<string, unknown> {
    this.openapi ??= correctOpenAPI(this.sofa.openAPIDocument, this.named, this.database, this.maxLimit);
    return this.openapi;
  }

  async handle(request: RestRequest): Promise<Response> {
    const segments = splitPath(request.path);
    if (segments.length === 0) return this.index();
    const table = this.resources.get(segments[0]!);
    if (!table) {
      throw new HttpError(404, 'NOT_FOUND', `database "${this.database}" has no table or view "${segments[0]}"; GET /db/${this.database}/rest lists them`);
    }
    const keys = segments.slice(1);
    const kind = this.operation(table, request.method, keys);
    const route = this.sofa.routes.get(`${table.typeName} ${kind}`)!;
    const context: Record<string, unknown> = {};

    if (kind === 'list') return this.list(table, request, context);
    const params = keyParams(table, keys);
    let body: unknown;
    if (kind === 'insert') body = { object: jsonObject(request.body, 'the row to insert') };
    if (kind === 'update') {
      const typedKey = Object.fromEntries(table.primaryKey.map((c) => [c.field, typedValue(c.column.kind, params[c.field]!)]));
      body = { pk_columns: typedKey, _set: jsonObject(request.body, 'the fields to change') };
    }
    const response = await route.handler(sofaRequest(request.method, route.path, params, undefined, body), context);
    if (response.status === 200 && kind !== 'insert') {
      const text = await response.text();
      if (text === 'null') {
        throw new HttpError(404, 'NOT_FOUND', `${table.typeName} has no row with ${table.primaryKey.map((c) => `${c.field} = ${params[c.field]}`).join(' and ')}`);
      }
      return new Response(text, { status: 200, headers: response.headers });
    }
    return response;
  }

  private operation(table: NamedTable, method: string, keys: string[]): RouteKind {
    const keyed = table.primaryKey.length;
    const allow = (kinds: [RouteKind, string][]) => {
      const offered = kinds.filter(([kind]) => this.sofa.routes.has(`${table.typeName} ${kind}`));
      const match = offered.find(([, m]) => m === method);
      if (match) return match[0];
      const allowed = offered.map(([, m]) => m);
      const why = table.table.kind === 'view' ? ` (${table.typeName} is a view: read-only)` : keyed === 0 ? ` (${table.typeName} has no primary key: list and create only)` : '';
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here${why}; use ${allowed.join(', ') || 'nothing'}`, {}, { allow: allowed.join(', ') });
    };
    if (keys.length === 0) return allow([['list', 'GET'], ['insert', 'POST']]);
    if (keyed === 0) throw new HttpError(404, 'NOT_FOUND', `${table.typeName} has no primary key, so rows have no URL of their own; filter the list instead`);
    if (keys.length !== keyed) {
      throw new HttpError(404, 'NOT_FOUND', `${table.typeName} rows are addressed by ${keyed} key value(s): /${table.typeName}/${table.primaryKey.map((c) => `<${c.field}>`).join('/')}`);
    }
    return allow([['byKey', 'GET'], ['update', 'PATCH'], ['delete', 'DELETE']]);
  }

  private async list(table: NamedTable, request: RestRequest, context: Record<string, unknown>): Promise<Response> {
    const params = parseListParams(table, request.search, this.maxLimit);
    const search = new URLSearchParams();
    if (params.where) search.set('where', JSON.stringify(params.where));
    for (const term of params.orderBy) search.append('order_by', JSON.stringify(term));
    if (params.limit !== null) search.set('limit', String(params.limit));
    if (params.offset !== null) search.set('offset', String(params.offset));
    const route = this.sofa.routes.get(`${table.typeName} list`)!;
    const response = await route.handler(sofaRequest('GET', route.path, {}, search, undefined), context);
    if (response.status !== 200) return response;
    let rows = (await response.json()) as Row[];
    const total = await this.count(table, params.where);
    if (params.include.length > 0 && rows.length > 0) rows = await this.include(table, rows, params.include);
    const first = params.offset ?? 0;
    const range = rows.length > 0 ? `${first}-${first + rows.length - 1}` : '*';
    return new Response(JSON.stringify(rows), {
      status: 200,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'x-total-count': String(total),
        'content-range': `${table.typeName} ${range}/${total}`,
        'access-control-expose-headers': 'X-Total-Count, Content-Range',
      },
    });
  }

  private async count(table: NamedTable, where: Record<string, unknown> | null): Promise<number> {
    let document = this.countDocuments.get(table);
    if (!document) {
      document = parse(`query ($where: ${table.typeName}_bool_exp) { ${table.root.aggregate}(where: $where) { aggregate { count } } }`);
      this.countDocuments.set(table, document);
    }
    const result = await execute({ schema: this.schema, document, variableValues: { where }, contextValue: {} });
    if (result.errors) throw result.errors[0];
    return (result.data as Record<string, { aggregate: { count: number } }>)[table.root.aggregate]!.aggregate.count;
  }

  /** Adds the requested relations to rows SOFA returned: one GraphQL query over the same keys. */
  private async include(table: NamedTable, rows: Row[], relations: string[]): Promise<Row[]> {
    if (table.primaryKey.length === 0) {
      throw new HttpError(400, 'BAD_PARAMETER', `include needs rows that can be found again: ${table.typeName} has no primary key`);
    }
    const scalarFields = (t: NamedTable) => t.columns.map((c) => c.field).join(' ');
    const selections = relations.map((name) => {
      const relation = table.relations.find((r) => r.field === name)!;
      return `${name} { ${scalarFields(relation.target)} }`;
    });
    const keyFields = table.primaryKey.map((c) => c.field);
    const document = parse(`query ($where: ${table.typeName}_bool_exp, $limit: Int) { rows: ${table.root.list}(where: $where, limit: $limit) { ${keyFields.join(' ')} ${selections.join(' ')} } }`);
    const where = { _or: rows.map((row) => Object.fromEntries(table.primaryKey.map((c) => [c.field, { _eq: row[c.field] }]))) };
    const result = await execute({ schema: this.schema, document, variableValues: { where, limit: rows.length }, contextValue: {} });
    if (result.errors) throw new HttpError(errorStatus(result.errors), 'INCLUDE_FAILED', result.errors[0]!.message);
    const byKey = new Map<string, Row>();
    for (const related of (result.data as { rows: Row[] }).rows) byKey.set(keyOf(table.primaryKey, related), related);
    return rows.map((row) => ({ ...row, ...pickRelations(byKey.get(keyOf(table.primaryKey, row)), relations) }));
  }

  private index(): Response {
    const tables = this.named.tables.map((t) => ({
      name: t.typeName,
      table: t.label,
      kind: t.table.kind,
      path: `/db/${this.database}/rest/${t.typeName}`,
      key: t.primaryKey.map((c) => c.field),
    }));
    return Response.json({ database: this.database, openapi: `/db/${this.database}/openapi.json`, docs: `/db/${this.database}/docs`, tables });
  }
}

function splitPath(path: string): string[] {
  try {
    return path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw new HttpError(400, 'BAD_PATH', 'the path is not valid URL encoding');
  }
}

function keyParams(table: NamedTable, keys: string[]): Record<string, string> {
  return Object.fromEntries(table.primaryKey.map((c, i) => [c.field, keys[i] ?? '']));
}

function jsonObject(body: Buffer | undefined, what: string): Record<string, unknown> {
  const text = body?.toString('utf8') ?? '';
  if (text.trim() === '') throw new HttpError(400, 'BAD_BODY', `send ${what} as a JSON object`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, 'INVALID_JSON', `the body is not valid JSON: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new HttpError(400, 'BAD_BODY', `send ${what} as a JSON object`);
  return parsed as Record<string, unknown>;
}

/** A WHATWG request as SOFA's handlers read it: url (query), params (path) and a JSON body. */
function sofaRequest(method: string, path: string, params: Record<string, string>, search: URLSearchParams | undefined, body: unknown): Request {
  const query = search && [...search.keys()].length > 0 ? `?${search.toString()}` : '';
  const request = new Request(`http://lazydb${path}${query}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  Object.defineProperty(request, 'params', { value: params, configurable: true });
  return request;
}

function keyOf(columns: NamedColumn[], row: Row | undefined): string {
  return JSON.stringify(columns.map((c) => (row?.[c.field] === undefined ? null : String(row[c.field]))));
}

function pickRelations(row: Row | undefined, relations: string[]): Row {
  return Object.fromEntries(relations.map((name) => [name, row?.[name] ?? null]));
}

function errorStatus(errors: readonly unknown[]): number {
  return errorResponse(errors).status;
}

/** One RestApi per built schema, made on first use so registration does not pay for it. */
const apis = new WeakMap<object, RestApi>();

export function restApiFor(built: { named: NamedModel; schema: GraphQLSchema }, database: string, maxLimit: number): RestApi {
  let api = apis.get(built);
  if (!api) {
    api = new RestApi(database, built.named, built.schema, maxLimit);
    apis.set(built, api);
  }
  return api;
}
