import type { GraphQLSchema } from 'graphql';
import { prepareDocument, type PreparedDocument } from '../schema/prepared';
import type { IncomingMessage } from 'node:http';
import { COMPILED_BYTES_PER_SELECTION, DocumentCache, documentKey, estimateDocumentBytes, INTERPRETED_BYTES } from '../plugins/document-cache';
import { graphqlContextOf, type RequestContext } from '../pipeline/context';
import type { Pipeline } from '../pipeline/pipeline';
import type { ParsedDocument } from '../pipeline/plugin';

/**
 * When graphql-jit compiles a document. Compiling costs about 30 µs and 2 KB per field (70 ms
 * at 2,000 fields), and V8 keeps what `new Function` compiled — graphql-jit inlines literal
 * arguments into that source — well after the compiled query is dropped, until memory runs
 * short (measured: 300 unique documents of 1,000 fields each left 1 GB behind after forced
 * GCs). So a document is compiled only when it comes back (its first run is on graphql-js,
 * which leaves nothing behind), and only if it is small enough to be worth it; larger ones
 * always run on graphql-js.
 */
export const JIT = {
  /** Runs on graphql-js before a document is compiled. */
  afterRuns: 1,
  /** Most field selections (fragments spread out) of a compiled document. */
  maxSelections: 2000,
  /** Most characters of a compiled document's text. */
  maxText: 64 * 1024,
} as const;

/** Bytes charged for a document this path leaves to yoga (its key and a marker). */
const REFUSED_BYTES = 256;

export interface FastPathOptions {
  /** Where documents are kept; shared with yoga's parser caches by the app. @default a cache of its own of 32 MiB */
  cache?: DocumentCache;
}

/** A document as this path keeps it: parsed once, prepared once per schema. */
interface CachedDocument {
  /** Null when yoga answers it: a syntax error, or a bound it exceeds. */
  parsed: ParsedDocument | null;
  /** Per schema (a swapped schema prepares afresh; the old one's go with it): null when not valid there. */
  prepared: WeakMap<GraphQLSchema, PreparedSlot | null>;
}

interface PreparedSlot {
  prepared: PreparedDocument;
  /** Runs so far; graphql-jit is tried once, when they reach JIT.afterRuns. */
  runs: number;
}

/**
 * The common case of GraphQL over HTTP — a POST of `{ query, variables, operationName }` as
 * JSON that parses and validates — executed directly. Each document is parsed, checked against
 * the document limits (see use-document-limits), validated and prepared once per schema (and
 * compiled by graphql-jit when it comes back, see JIT and prepareDocument), and kept in the
 * document cache under a hash of its operation name and text.
 * Everything else (GET, GraphiQL, other media types, invalid documents, documents or variables
 * beyond a limit, subscriptions) goes to graphql-yoga, which also answers the errors, with the
 * same limits; this path only saves yoga's per-request pipeline where it adds nothing, and does
 * only bounded work before handing over. Unexpected errors are masked exactly as yoga masks them.
 */
export class GraphQLFastPath {
  private readonly cache: DocumentCache;

  constructor(
    /** The hooks and rules this path runs, the same as yoga's (see yogaPipeline). */
    private readonly pipeline: Pipeline,
    options: FastPathOptions = {},
  ) {
    this.cache = options.cache ?? new DocumentCache(32 * 1024 * 1024);
  }

  /** Estimated bytes its document cache holds now (shared with yoga's parser caches when the app gave one). */
  get cachedBytes(): number {
    return this.cache.bytes;
  }

  /** Whether the request is one this path serves (decided from headers alone). */
  accepts(request: IncomingMessage): boolean {
    if (request.method !== 'POST') return false;
    const type = request.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) return false;
    const accept = request.headers.accept;
    return accept === undefined || accept === '*/*' || /application\/json/i.test(accept) && !/graphql-response|multipart|event-stream/i.test(accept);
  }

  /** The JSON response text, or null when yoga should handle the request. */
  async run(schema: GraphQLSchema, body: Buffer, context: RequestContext): Promise<string | null> {
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
    // Before anything reads them (graphql-js coerces variables recursively); yoga answers a refusal.
    if (this.pipeline.params(params as Record<string, unknown>, context)) return null;

    const name = (operationName as string | null | undefined) ?? undefined;
    const found = this.prepared(schema, query, name, variables, context);
    if (!found) return null;
    const result = await found.run(graphqlContextOf(context), variables as Record<string, unknown> | undefined);
    // No data at all means the request itself was refused (e.g. a variable of the wrong type)
    // before anything ran: yoga answers those, with its status codes.
    if (result.data === undefined) return null;
    return JSON.stringify(this.pipeline.result(result, context));
  }

  /** The prepared operation (and its document), or null when yoga should handle the request (remembered as such). */
  private prepared(schema: GraphQLSchema, query: string, operationName: string | undefined, variables: unknown, context: RequestContext): PreparedDocument | null {
    const key = `fast:${documentKey(operationName, query)}`;
    let entry = this.cache.get<CachedDocument>(key);
    if (!entry) {
      entry = { parsed: this.parseOrNull(query), prepared: new WeakMap() };
      this.cache.set(key, entry, entry.parsed ? estimateDocumentBytes(query.length, entry.parsed.tokens) : REFUSED_BYTES);
    }
    const { parsed } = entry;
    if (!parsed) return null;
    // The execute hooks (depth, estimated rows, page size, variable lists; yoga refuses the same
    // before it executes), checked before validating: a refused document costs this path no
    // validation or preparing. They read an unvalidated document safely.
    if (this.pipeline.beforeExecute({ schema, document: parsed.document, operationName, variables }, context)) return null;
    let slot = entry.prepared.get(schema);
    if (slot === undefined) {
      const valid = this.validOperation(schema, parsed, operationName);
      slot = valid ? { prepared: prepareDocument(schema, parsed.document, operationName, { jit: false }), runs: 0 } : null;
      entry.prepared.set(schema, slot);
      this.cache.grow(key, INTERPRETED_BYTES);
    }
    if (!slot) return null;
    if (slot.runs++ === JIT.afterRuns && parsed.selections <= JIT.maxSelections && query.length <= JIT.maxText) {
      const compiled = prepareDocument(schema, parsed.document, operationName);
      if (compiled.compiled) {
        slot.prepared = compiled;
        this.cache.grow(key, parsed.selections * COMPILED_BYTES_PER_SELECTION);
      }
    }
    return slot.prepared;
  }

  /** Whether the document is valid against the schema and names one operation this path runs. */
  private validOperation(schema: GraphQLSchema, parsed: ParsedDocument, operationName: string | undefined): boolean {
    const { document } = parsed;
    if (this.pipeline.validate(schema, document).length > 0) return false;
    const operations = document.definitions.filter((d) => d.kind === 'OperationDefinition');
    const operation = operations.find((d) => (operationName ? d.name?.value === operationName : operations.length === 1));
    return operation !== undefined && operation.operation !== 'subscription';
  }

  /** The document parsed within the pipeline's bounds, or null for yoga to answer (it parses again and reports the error). */
  private parseOrNull(query: string): ParsedDocument | null {
    try {
      return this.pipeline.parse(query);
    } catch {
      return null;
    }
  }
}
