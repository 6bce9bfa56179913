/**
 * Checks REST exchanges against a database's own OpenAPI document with a validator lazydb did
 * not write: openapi-backend matches the request to an operation (path templates, method) and
 * validates the answer's status, headers and body with Ajv; ajv-formats checks the formats
 * (date, date-time, uuid, byte…). lazydb's code takes no part in deciding whether an answer
 * matches.
 *
 *   const contract = await RestContract.load(document);
 *   expect(contract.check({ method: 'GET', path: '/album?limit=1' }, response)).toEqual([]);
 */
import addFormats from 'ajv-formats';
import { OpenAPIBackend, SetMatchType, ValidationContext, type Document } from 'openapi-backend';

export interface ExchangeRequest {
  method: string;
  /** Below the API's base (`/db/:name/rest`), query included: `/album/1?include=artist`. */
  path: string;
  /** The JSON body sent, if any. */
  body?: unknown;
}

export interface ExchangeResponse {
  status: number;
  headers: Headers;
  text: string;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export class RestContract {
  /** Exchanges checked so far. */
  checked = 0;

  private constructor(private readonly api: OpenAPIBackend) {}

  static async load(document: Document): Promise<RestContract> {
    const api = new OpenAPIBackend({
      definition: structuredClone(document),
      // An invalid document fails here instead of validating nothing.
      strict: true,
      customizeAjv: (ajv) => {
        addFormats(ajv);
        // An OpenAPI format registry entry ("decimal": fixed point, as a string); the pattern beside it checks the text.
        ajv.addFormat('decimal', true);
        return ajv;
      },
    });
    await api.init();
    return new RestContract(api);
  }

  /** Problems found in one exchange (empty when it matches the document). */
  check(request: ExchangeRequest, response: ExchangeResponse): string[] {
    this.checked += 1;
    const at = `${request.method} ${request.path} -> ${response.status}`;
    const problems: string[] = [];
    const url = new URL(request.path, 'http://lazydb');
    const routed = { method: request.method.toLowerCase(), path: url.pathname, query: url.search.slice(1), headers: {} as Record<string, string> };
    const operation = this.api.router.matchOperation(routed);
    const contentType = response.headers.get('content-type') ?? '';
    const body = parseJson(response.text);

    if (!operation) {
      // Not an operation of the document: a path it does not list is 404, a method it does not
      // list on a path it does is 405 with `Allow` naming exactly the methods it lists there.
      const allowed = METHODS.filter((method) => this.api.router.matchOperation({ ...routed, method }));
      const expected = allowed.length > 0 ? 405 : 404;
      if (response.status !== expected) problems.push(`${at}: the document has no such operation, so ${expected} was expected`);
      if (expected === 405) {
        const allow = (response.headers.get('allow') ?? '').split(',').map((m) => m.trim().toLowerCase()).filter(Boolean).sort();
        if (allow.join(',') !== [...allowed].sort().join(',')) problems.push(`${at}: Allow is "${response.headers.get('allow')}", the document lists ${allowed.join(', ')}`);
      }
      const name = expected === 405 ? 'MethodNotAllowed' : 'NotFound';
      const shared = this.api.definition.components?.responses?.[name] as { content: Record<string, { schema: object }> } | undefined;
      if (!shared) return [...problems, `${at}: the document has no components.responses.${name}`];
      problems.push(...this.content(at, shared.content, contentType, body));
      problems.push(...this.schemaErrors(at, shared.content['application/json']!.schema, body.value));
      return problems;
    }

    const responses = (operation.responses ?? {}) as Record<string, { content?: Record<string, unknown> }>;
    const documented = responses[String(response.status)] ?? responses[`${String(response.status)[0]}XX`] ?? responses.default;
    if (!documented) {
      problems.push(`${at}: status ${response.status} is not documented for ${operation.operationId} (documented: ${Object.keys(responses).join(', ')})`);
      return problems;
    }
    problems.push(...this.content(at, documented.content, contentType, body));
    if (response.status < 400) {
      // A request the server accepted must be one the document allows too.
      const headers: Record<string, string> = request.body === undefined ? {} : { 'content-type': 'application/json' };
      const accepted = this.api.validator.validateRequest({ ...routed, headers, body: request.body as never }, operation);
      // OpenAPI does not forbid query parameters an operation does not list (openapi-backend does).
      const refusals = (accepted.errors ?? []).filter((error) => !(error.instancePath === '/query' && error.keyword === 'additionalProperties'));
      for (const error of refusals) problems.push(`${at}: the document refuses this request: ${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`);
    }
    const validated = this.api.validator.validateResponse(body.value, operation, response.status);
    for (const error of validated.errors ?? []) problems.push(`${at}: body ${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`);
    const headers = Object.fromEntries([...response.headers.entries()]);
    const headerCheck = this.api.validator.validateResponseHeaders(headers, operation, { statusCode: response.status, setMatchType: SetMatchType.Superset });
    for (const error of headerCheck.errors ?? []) problems.push(`${at}: headers ${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`);
    return problems;
  }

  /** The answer's media type is one the document lists for it (or none when it lists none). */
  private content(at: string, content: Record<string, unknown> | undefined, contentType: string, body: { ok: boolean }): string[] {
    const essence = contentType.split(';', 1)[0]!.trim().toLowerCase();
    if (!content) return essence === '' ? [] : [`${at}: answered ${essence}, the document lists no content`];
    if (!(essence in content)) return [`${at}: answered "${contentType}", the document lists ${Object.keys(content).join(', ')}`];
    if (essence === 'application/json' && !body.ok) return [`${at}: the body is not JSON`];
    return [];
  }

  private schemaErrors(at: string, schema: object, value: unknown): string[] {
    const validate = this.api.validator.getAjv(ValidationContext.Response).compile(schema);
    if (validate(value)) return [];
    return (validate.errors ?? []).map((error) => `${at}: body ${error.instancePath || '/'} ${error.message}`);
  }
}

function parseJson(text: string): { ok: boolean; value: unknown } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, value: text };
  }
}
