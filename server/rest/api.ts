import { LazydbError } from '../errors/lazydb-error';
import { fail } from '../errors/catalogue';
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { prepareDocument, type PreparedDocument } from '../schema/prepared';
import { decodeUtf8, parseJsonText, requireJsonMediaType } from '../http/io';
import type { NamedColumn, NamedModel, NamedTable } from '../schema/naming';
import type { Row } from '../schema/source';
import { correctOpenAPI } from './openapi';
import { DEFAULT_DOCUMENT_LIMITS } from '../plugins/use-document-limits';
import { graphqlContextOf, type RequestContext, type RootTable } from '../pipeline/context';
import type { Pipeline } from '../pipeline/pipeline';
import type { SofaContext } from './sofa';
import { parseListParams, typedValue, type WhereLimits } from './params';
import { buildSofaRest, describeErrors, restOperations, type RestOperations, type RouteKind, type SofaRest } from './sofa';

/** A REST answer, ready to write. */
export interface RestReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' } as const;
const MAX_CACHED_DOCUMENTS = 200;

export interface RestRequest {
  method: string;
  /** Path below /db/:name/rest, e.g. `/artist/1`. */
  path: string;
  search: URLSearchParams;
  body: Buffer | undefined;
  /** The request's Content-Type: a body is read only when it says JSON. */
  contentType?: string | undefined;
  /** The request's context: its signal cancels the request's statements when the client goes away. */
  context: RequestContext;
  /** The hooks every operation runs through (the same as GraphQL's). */
  pipeline: Pipeline;
}

/**
 * The REST API of one database snapshot. Routing is ours and O(1): the resource is a map
 * lookup and the operation follows from the method and the number of key segments; fets,
 * SOFA's router, would instead try every parameterised route in turn, which grows with the
 * number of tables. Writes run SOFA's route handler of their operation (body parsing,
 * GraphQL execution, errors). Reads, the hot path, execute a prepared GraphQL document of
 * the same root field with the same selection (every column, as SOFA selects) directly:
 * no WHATWG Request/Response per call, one statement for `include`, and the total counted
 * after the page on the same turn (one connection at a time), or not at all when the page
 * itself tells it (see list).
 */
export class RestApi {
  private readonly resources = new Map<string, NamedTable>();
  /** Each table as the context's root tables, made once (metrics count requests per table). */
  private readonly rootTables = new Map<NamedTable, readonly RootTable[]>();
  private sofaRest: SofaRest | null = null;
  private openapi: string | null = null;
  private readonly documents = new Map<string, RestDocument>();
  /** Each table's operations as the schema offers them (a role's schema offers fewer), worked out once. */
  private readonly operations = new Map<NamedTable, RestOperations>();

  constructor(
    private readonly database: string,
    private readonly named: NamedModel,
    /** The schema REST runs on (aggregates and relations for counts and `include`): the database's, or a role's view of it with `named` its model (server/permissions/role-views.ts). */
    private readonly schema: GraphQLSchema,
    private readonly maxLimit: number,
    /** Bounds of `where=` (LAZYDB_MAX_INPUT_DEPTH, LAZYDB_MAX_IN_VALUES), the same as GraphQL's. */
    private readonly whereLimits: WhereLimits = DEFAULT_DOCUMENT_LIMITS,
    /** Whether the API describes itself (the index, OpenAPI) and its errors list the fields (LAZYDB_INTROSPECTION, LAZYDB_FIELD_SUGGESTIONS). */
    private readonly disclosure: RestDisclosure = { introspection: true, fieldSuggestions: true },
  ) {
    for (const table of named.tables) {
      this.resources.set(table.typeName, table);
      this.rootTables.set(table, Object.freeze([Object.freeze({ database: null, table: table.typeName })]));
      // The SQL name works too (URL-encoded), unless another resource already has it.
      if (!this.resources.has(table.table.name)) this.resources.set(table.table.name, table);
    }
  }

  /** SOFA (routes for writes, the OpenAPI document) is built on first need: reads do not use it. */
  private get sofa(): SofaRest {
    this.sofaRest ??= buildSofaRest(this.database, this.named, this.schema);
    return this.sofaRest;
  }

  /**
   * The OpenAPI document as JSON text, made once. Kept as text, not objects: at 1,000 tables
   * the document is tens of megabytes as an object graph, and SOFA's own copy is let go.
   */
  /** Throws NOT_FOUND while introspection is off: the API does not describe itself then. */
  assertDescribed(): void {
    if (!this.disclosure.introspection) throw notDescribed(this.database);
  }

  openAPIText(): string {
    this.assertDescribed();
    if (this.openapi === null) {
      const sofa = this.sofa;
      this.openapi = JSON.stringify(correctOpenAPI(sofa.openAPIDocument, this.named, this.database, this.maxLimit, (table) => this.counted(table)));
      sofa.openAPIDocument = {};
    }
    return this.openapi;
  }

  async handle(request: RestRequest): Promise<RestReply> {
    const segments = splitPath(request.path);
    if (segments.length === 0) {
      this.assertDescribed();
      return this.index();
    }
    const table = this.resources.get(segments[0]!);
    if (!table) {
      throw fail('NOT_FOUND', `database "${this.database}" has no table or view "${segments[0]}"; GET /db/${this.database}/rest lists them`);
    }
    const keys = segments.slice(1);
    const kind = this.operation(table, request.method, keys);
    request.context.operation = kind === 'list' || kind === 'byKey' ? 'rest_read' : 'rest_write';
    request.context.tables = this.rootTables.get(table)!;
    if (kind === 'list') return this.list(table, request);
    const params = keyParams(table, keys);
    if (kind === 'byKey') return this.byKey(table, params, request);

    const route = this.sofa.routes.get(`${table.typeName} ${kind}`)!;
    let body: unknown;
    if (kind === 'insert') body = { object: jsonObject(request, 'the row to insert') };
    if (kind === 'update') {
      const typedKey = Object.fromEntries(table.primaryKey.map((c) => [c.field, typedValue(c.column.kind, params[c.field]!)]));
      body = { pk_columns: typedKey, _set: jsonObject(request, 'the fields to change') };
    }
    // A write's values are its variables: the same bounds as GraphQL's (input depth) before SOFA parses them.
    const refusal = request.pipeline.params({ variables: body }, request.context);
    if (refusal) throw restError([refusal]);
    const serverContext: SofaContext = { ...graphqlContextOf(request.context), pipeline: request.pipeline };
    const response = await route.handler(sofaRequest(request.method, route.path, params, undefined, body), serverContext);
    const reply = await toReply(response);
    if (reply.status === 200 && kind !== 'insert' && reply.body === 'null') throw notFound(table, params);
    return reply;
  }

  private async byKey(table: NamedTable, params: Record<string, string>, request: RestRequest): Promise<RestReply> {
    const document = this.document(`k ${table.typeName}`, () => {
      const declared = table.primaryKey.map((c, i) => `$k${i}: ${this.argumentType(table.root.byPk, c.field)}`).join(', ');
      const args = table.primaryKey.map((c, i) => `${c.field}: $k${i}`).join(', ');
      return `query (${declared}) { row: ${table.root.byPk}(${args}) { ${columnFields(table)} } }`;
    });
    const variables = Object.fromEntries(table.primaryKey.map((c, i) => [`k${i}`, keyValue(c.column.kind, params[c.field]!)]));
    const row = (await this.run(document, variables, request)).row;
    if (row === null || row === undefined) throw notFound(table, params);
    return { status: 200, headers: { ...JSON_HEADERS }, body: JSON.stringify(row) };
  }

  private operation(table: NamedTable, method: string, keys: string[]): RouteKind {
    const keyed = table.primaryKey.length;
    const allow = (kinds: [RouteKind, string][]) => {
      const operations = this.operationsOf(table);
      const offered = kinds.filter(([kind]) => operations[kind] !== undefined);
      const match = offered.find(([, m]) => m === method);
      if (match) return match[0];
      const allowed = offered.map(([, m]) => m);
      const why = table.table.kind === 'view' ? ` (${table.typeName} is a view: read-only)` : keyed === 0 ? ` (${table.typeName} has no primary key: list and create only)` : '';
      throw fail('METHOD_NOT_ALLOWED', `${method} is not allowed here${why}; use ${allowed.join(', ') || 'nothing'}`, {}, { allow: allowed.join(', ') });
    };
    if (keys.length === 0) return allow([['list', 'GET'], ['insert', 'POST']]);
    if (keyed === 0) throw fail('NOT_FOUND', `${table.typeName} has no primary key, so rows have no URL of their own; filter the list instead`);
    if (keys.length !== keyed) {
      throw fail('NOT_FOUND', `${table.typeName} rows are addressed by ${keyed} key value(s): /${table.typeName}/${table.primaryKey.map((c) => `<${c.field}>`).join('/')}`);
    }
    return allow([['byKey', 'GET'], ['update', 'PATCH'], ['delete', 'DELETE']]);
  }

  private operationsOf(table: NamedTable): RestOperations {
    let operations = this.operations.get(table);
    if (!operations) {
      operations = restOperations(table, this.schema);
      this.operations.set(table, operations);
    }
    return operations;
  }

  /** Whether the schema offers `<table>_aggregate` (a role's may not): without it a list's total is told only when its page shows it. */
  private counted(table: NamedTable): boolean {
    return Object.hasOwn(this.schema.getQueryType()!.getFields(), table.root.aggregate);
  }

  private async list(table: NamedTable, request: RestRequest): Promise<RestReply> {
    const params = parseListParams(table, request.search, this.whereLimits, this.disclosure.fieldSuggestions);
    const includes = params.include.filter((name, i) => params.include.indexOf(name) === i);
    const document = this.document(`l ${table.typeName} ${includes.join(',')}`, () => {
      const selections = includes.map((name) => {
        const relation = table.relations.find((r) => r.field === name)!;
        return `${name} { ${columnFields(relation.target)} }`;
      });
      return `query ($where: ${table.typeName}_bool_exp, $order_by: [${table.typeName}_order_by!], $limit: Int, $offset: Int) {
        rows: ${table.root.list}(where: $where, order_by: $order_by, limit: $limit, offset: $offset) { ${columnFields(table)} ${selections.join(' ')} }
      }`;
    });
    // One after the other: a list holds one connection at a time, never two (page and count in
    // parallel took two of the pool for every list). A page shorter than asked for ends the
    // rows, so it tells the total itself and the count is not sent at all.
    const page = await this.run(document, { where: params.where, order_by: params.orderBy, limit: params.limit, offset: params.offset }, request);
    const rows = page.rows as Row[];
    const first = params.offset ?? 0;
    const asked = params.limit ?? this.maxLimit;
    const told = rows.length < asked && (rows.length > 0 || first === 0);
    // A role without the aggregate may not learn how many rows there are beyond what it reads:
    // the total is then unknown (`*` in Content-Range, RFC 9110) unless the page ends the rows.
    const total = told ? first + rows.length : this.counted(table) ? await this.count(table, params.where, request) : null;
    const range = rows.length > 0 ? `${first}-${first + rows.length - 1}` : '*';
    return {
      status: 200,
      headers: {
        ...JSON_HEADERS,
        ...(total === null ? {} : { 'x-total-count': String(total) }),
        'content-range': `${table.typeName} ${range}/${total ?? '*'}`,
        'access-control-expose-headers': 'X-Total-Count, Content-Range',
      },
      body: JSON.stringify(rows),
    };
  }

  private async count(table: NamedTable, where: Record<string, unknown> | null, request: RestRequest): Promise<number> {
    const document = this.document(`c ${table.typeName}`, () => `query ($where: ${table.typeName}_bool_exp) { ${table.root.aggregate}(where: $where) { aggregate { count } } }`);
    const data = await this.run(document, { where }, request);
    return (data[table.root.aggregate] as { aggregate: { count: number } }).aggregate.count;
  }

  /** Prepared once per (kind, table, includes); the documents name only fields the schema has, taken from the model. */
  private document(key: string, text: () => string): RestDocument {
    let document = this.documents.get(key);
    if (!document) {
      if (this.documents.size >= MAX_CACHED_DOCUMENTS) this.documents.delete(this.documents.keys().next().value!);
      const parsed = parse(text());
      document = { parsed, prepared: prepareDocument(this.schema, parsed) };
      this.documents.set(key, document);
    }
    return document;
  }

  private argumentType(field: string, argument: string): string {
    const definition = this.schema.getQueryType()!.getFields()[field]!;
    return String(definition.args.find((a) => a.name === argument)!.type);
  }

  /** Executes a prepared document; GraphQL errors become the REST error answer (status and message). */
  /**
   * Executes a prepared read through the pipeline's execute hooks (the same limits as GraphQL:
   * depth, estimated rows, page size), its result through the result hooks (masking); GraphQL
   * errors become the REST error answer (status and message).
   */
  private async run(document: RestDocument, variableValues: Record<string, unknown>, request: RestRequest): Promise<Record<string, unknown>> {
    const { pipeline, context } = request;
    const refusal = pipeline.beforeExecute({ schema: this.schema, document: document.parsed, operationName: undefined, variables: variableValues }, context);
    if (refusal) throw restError([refusal]);
    const result = pipeline.result(await document.prepared.run(graphqlContextOf(context), variableValues), context);
    if (result.errors?.length) throw restError(result.errors);
    return result.data as Record<string, unknown>;
  }

  private index(): RestReply {
    const tables = this.named.tables.map((t) => ({
      name: t.typeName,
      table: t.label,
      kind: t.table.kind,
      path: `/db/${this.database}/rest/${t.typeName}`,
      key: t.primaryKey.map((c) => c.field),
    }));
    const body = { database: this.database, openapi: `/db/${this.database}/openapi.json`, docs: `/db/${this.database}/docs`, tables };
    return { status: 200, headers: { ...JSON_HEADERS }, body: JSON.stringify(body) };
  }
}

/** What REST says about the schema, as GraphQL introspection and suggestions do. */
export interface RestDisclosure {
  introspection: boolean;
  fieldSuggestions: boolean;
}

/**
 * With introspection off, REST does not describe the schema either (its index, the OpenAPI
 * document and its docs page would map every table and column that GraphQL now hides).
 */
function notDescribed(database: string): LazydbError {
  return fail('NOT_FOUND', `database "${database}" does not describe its API here: introspection is off (LAZYDB_INTROSPECTION)`);
}

/** A read REST runs: its document (for the pipeline's execute hooks) and that document prepared. */
interface RestDocument {
  parsed: DocumentNode;
  prepared: PreparedDocument;
}

/** GraphQL errors as the REST error they stand for (the first decides). */
function restError(errors: readonly unknown[]): LazydbError {
  const { status, code, message, details, headers } = describeErrors(errors);
  return new LazydbError(code, message, details, { status, hint: '' }, headers);
}

function columnFields(table: NamedTable): string {
  return table.columns.map((c) => c.field).join(' ');
}

function notFound(table: NamedTable, params: Record<string, string>): LazydbError {
  return fail('NOT_FOUND', `${table.typeName} has no row with ${table.primaryKey.map((c) => `${c.field} = ${params[c.field]}`).join(' and ')}`);
}

/** A key segment as the variable of its argument: numbers and booleans typed, the rest (BigInt, Decimal, text…) as text. */
function keyValue(kind: string, value: string): unknown {
  return kind === 'int' || kind === 'float' || kind === 'boolean' ? typedValue(kind, value) : value;
}

async function toReply(response: Response): Promise<RestReply> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: response.status, headers, body: await response.text() };
}

function splitPath(path: string): string[] {
  try {
    return path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw fail('BAD_URL_ENCODING', "the URL's path is not valid percent-encoding of UTF-8 text");
  }
}

function keyParams(table: NamedTable, keys: string[]): Record<string, string> {
  return Object.fromEntries(table.primaryKey.map((c, i) => [c.field, keys[i] ?? '']));
}

/**
 * The body of a write as a JSON object: empty or not an object 400 BAD_BODY, another media type
 * than JSON 415 (a cross-site form or `text/plain` POST must not write), bytes that are not
 * UTF-8 400 INVALID_UTF8, not JSON 400 INVALID_JSON.
 */
function jsonObject(request: RestRequest, what: string): Record<string, unknown> {
  const { body } = request;
  if (body === undefined || body.length === 0) throw fail('BAD_BODY', `send ${what} as a JSON object`);
  requireJsonMediaType(request.contentType);
  const text = decodeUtf8(body);
  if (text.trim() === '') throw fail('BAD_BODY', `send ${what} as a JSON object`);
  const parsed = parseJsonText(text);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw fail('BAD_BODY', `send ${what} as a JSON object`);
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

/** One RestApi per built schema, made on first use so registration does not pay for it. */
const apis = new WeakMap<object, RestApi>();

export function restApiFor(
  built: { named: NamedModel; schema: GraphQLSchema },
  database: string,
  maxLimit: number,
  whereLimits?: WhereLimits,
  disclosure?: RestDisclosure,
): RestApi {
  let api = apis.get(built);
  if (!api) {
    api = new RestApi(database, built.named, built.schema, maxLimit, whereLimits, disclosure);
    apis.set(built, api);
  }
  return api;
}
