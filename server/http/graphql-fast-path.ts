import { GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { prepareDocument, type PreparedDocument } from '../schema/prepared';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../log';

const MAX_CACHED_DOCUMENTS = 1000;

/**
 * The common case of GraphQL over HTTP — a POST of `{ query, variables, operationName }` as
 * JSON that parses and validates — executed directly. Each document is parsed, validated and
 * prepared (compiled by graphql-jit where it can, see prepareDocument) once per schema (a
 * swapped schema starts with an empty cache).
 * Everything else (GET, GraphiQL, other media types, invalid documents, subscriptions) goes
 * to graphql-yoga, which also answers the errors; this path only saves yoga's per-request
 * pipeline where it adds nothing. Unexpected errors are masked exactly as yoga masks them.
 */
export class GraphQLFastPath {
  private readonly documents = new WeakMap<GraphQLSchema, Map<string, PreparedDocument | null>>();

  constructor(private readonly log: Logger) {}

  /** Whether the request is one this path serves (decided from headers alone). */
  accepts(request: IncomingMessage): boolean {
    if (request.method !== 'POST') return false;
    const type = request.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) return false;
    const accept = request.headers.accept;
    return accept === undefined || accept === '*/*' || /application\/json/i.test(accept) && !/graphql-response|multipart|event-stream/i.test(accept);
  }

  /** The JSON response text, or null when yoga should handle the request. */
  async run(schema: GraphQLSchema, body: Buffer, contextValue: object): Promise<string | null> {
    let params: unknown;
    try {
      params = JSON.parse(body.toString('utf8'));
    } catch {
      return null;
    }
    if (!params || typeof params !== 'object' || Array.isArray(params)) return null;
    const { query, variables, operationName, extensions } = params as Record<string, unknown>;
    if (typeof query !== 'string' || extensions !== undefined) return null;
    if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return null;
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;

    const compiled = this.compiled(schema, query, (operationName as string | null | undefined) ?? undefined);
    if (!compiled) return null;
    const result = await compiled.run(contextValue, variables as Record<string, unknown> | undefined);
    // No data at all means the request itself was refused (e.g. a variable of the wrong type)
    // before anything ran: yoga answers those, with its status codes.
    if (result.data === undefined) return null;
    if (result.errors) result.errors = result.errors.map((error) => this.mask(error));
    return JSON.stringify(result);
  }

  /** The compiled query, or null when yoga should handle the request (and remembered as such). */
  private compiled(schema: GraphQLSchema, query: string, operationName: string | undefined): PreparedDocument | null {
    let cache = this.documents.get(schema);
    if (!cache) {
      cache = new Map();
      this.documents.set(schema, cache);
    }
    const key = operationName === undefined ? query : `${operationName}\u0000${query}`;
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const compiled = compile(schema, query, operationName);
    if (cache.size >= MAX_CACHED_DOCUMENTS) cache.delete(cache.keys().next().value!);
    cache.set(key, compiled);
    return compiled;
  }

  private mask(error: GraphQLError): GraphQLError {
    const original = error.originalError;
    if (!original || original instanceof GraphQLError) return error;
    this.log.error('unexpected error in a resolver', { path: error.path?.join('.'), error: original.message });
    return new GraphQLError('Unexpected error.', { nodes: error.nodes, path: error.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  }
}

function compile(schema: GraphQLSchema, query: string, operationName: string | undefined): PreparedDocument | null {
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch {
    return null;
  }
  if (validate(schema, document).length > 0) return null;
  const operations = document.definitions.filter((d) => d.kind === 'OperationDefinition');
  const operation = operations.find((d) => (operationName ? d.name?.value === operationName : operations.length === 1));
  if (!operation || operation.operation === 'subscription') return null;
  return prepareDocument(schema, document, operationName);
}
