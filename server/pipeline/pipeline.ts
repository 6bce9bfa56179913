import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError, Kind, parse, specifiedRules, validate, type ExecutionResult, type GraphQLSchema, type ValidationRule } from 'graphql';
import type { CancelSignal, DataSource } from '../schema/source';
import { ANONYMOUS, requestIdOf, type RequestContext, type RequestLimits, type Transport } from './context';
import type { LazydbPlugin, OperationArgs, OperationParams, ParsedDocument, ResponseOutcome, TokenRule } from './plugin';
import { clientGoneSignal } from './client-gone';
import { graphqlErrorCodeOf } from './outcome';
import type { Logger } from '../log';

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The plugins of lazydb run in one order at fixed points of every request (see LazydbPlugin).
 * The hooks are sorted into arrays once, so a request pays only for the hooks that exist.
 * Every path calls the same methods: the GraphQL fast path and graphql-yoga (through
 * yogaPipeline), REST reads and REST writes.
 */
export class Pipeline {
  private readonly requestHooks: NonNullable<LazydbPlugin['onRequest']>[];
  private readonly contextHooks: NonNullable<LazydbPlugin['onContext']>[];
  private readonly paramsHooks: NonNullable<LazydbPlugin['onParams']>[];
  private readonly parser: LazydbPlugin['parse'];
  private readonly tokenRules: (() => TokenRule)[];
  /** graphql-js's specified rules and the plugins' own. */
  readonly validationRules: readonly ValidationRule[];
  /** The plugins' rules only (yoga adds them to its own specified ones). */
  readonly extraRules: readonly ValidationRule[];
  private readonly validatedHooks: NonNullable<LazydbPlugin['onValidated']>[];
  private readonly executeHooks: NonNullable<LazydbPlugin['onExecute']>[];
  private readonly wrappers: NonNullable<LazydbPlugin['wrapDataSource']>[];
  private readonly resultHooks: NonNullable<LazydbPlugin['onResult']>[];
  private readonly responseHooks: NonNullable<LazydbPlugin['onResponse']>[];

  constructor(
    readonly plugins: readonly LazydbPlugin[],
    readonly limits: RequestLimits,
    /** Where a hook's unexpected error is logged, under the request id. */
    private readonly log: Logger = SILENT,
  ) {
    const hooks = <K extends keyof LazydbPlugin>(key: K) =>
      plugins.flatMap((p) => (p[key] === undefined ? [] : [typeof p[key] === 'function' ? (p[key] as (...a: unknown[]) => unknown).bind(p) : p[key]])) as NonNullable<LazydbPlugin[K]>[];
    this.requestHooks = hooks('onRequest');
    this.contextHooks = hooks('onContext');
    this.paramsHooks = hooks('onParams');
    this.parser = hooks('parse')[0];
    this.tokenRules = plugins.flatMap((p) => (p.tokenRule ? [p.tokenRule] : []));
    this.extraRules = plugins.flatMap((p) => p.validationRules ?? []);
    this.validationRules = [...specifiedRules, ...this.extraRules];
    this.validatedHooks = hooks('onValidated');
    this.executeHooks = hooks('onExecute');
    this.wrappers = hooks('wrapDataSource');
    this.resultHooks = hooks('onResult');
    this.responseHooks = hooks('onResponse');
  }

  /** The request's context, made once when it arrives (before any hook, so that even a refused request is answered and counted with it). */
  context(request: IncomingMessage, response: ServerResponse, path: string): RequestContext {
    return new Context(this, request, response, path);
  }

  /** Request received: true when a plugin answered it already (nothing else runs then). Throws a LazydbError to refuse. */
  received(request: IncomingMessage, response: ServerResponse, context: RequestContext): boolean {
    for (const hook of this.requestHooks) if (hook(request, response, context) === true) return true;
    return false;
  }

  /**
   * Context built: the hooks that fill it in (identity), answer from it (the request id header)
   * or admit it (rate limits). In order; a Promise only once a hook returned one (the rest then
   * wait for it), so that a request no hook makes wait is never awaited.
   */
  contextBuilt(context: RequestContext, response: ServerResponse): void | Promise<void> {
    const hooks = this.contextHooks;
    for (let i = 0; i < hooks.length; i++) {
      const pending = hooks[i]!(context, response);
      if (pending) return this.contextBuiltAfter(pending, i + 1, context, response);
    }
  }

  private async contextBuiltAfter(pending: Promise<void>, next: number, context: RequestContext, response: ServerResponse): Promise<void> {
    await pending;
    const hooks = this.contextHooks;
    for (let i = next; i < hooks.length; i++) await hooks[i]!(context, response);
  }

  /** A GraphQL request's parameters (or a REST write's body as its variables): the first refusal, if any. */
  params(params: OperationParams | readonly OperationParams[], context: RequestContext): GraphQLError | undefined {
    try {
      for (const hook of this.paramsHooks) {
        const error = hook(params, context);
        if (error) return error;
      }
    } catch (error) {
      return this.unexpected(error, context, 'params');
    }
    return undefined;
  }

  /** Parses within the plugins' bounds; throws the GraphQLError to answer (a refusal or a syntax error). */
  parse(text: string): ParsedDocument {
    try {
      if (this.parser) return this.parser(text, this.tokenRules);
      const document = parse(text);
      return { document, tokens: document.loc?.endToken.start ?? text.length, selections: 0 };
    } catch (error) {
      // A syntax error or a bound broken is a GraphQLError to answer; anything else is unexpected.
      if (error instanceof GraphQLError) throw error;
      throw this.unexpected(error, null, 'parse');
    }
  }

  /** graphql-js validation with every rule, the errors as the plugins rewrite them. */
  validate(schema: GraphQLSchema, document: OperationArgs['document']): readonly GraphQLError[] {
    return this.validated(validate(schema, document, this.validationRules));
  }

  /** The plugins' rewriting of validation errors (yoga validates itself and calls this). */
  validated(errors: readonly GraphQLError[]): readonly GraphQLError[] {
    let result = errors;
    try {
      if (result.length > 0) for (const hook of this.validatedHooks) result = hook(result);
    } catch (error) {
      return [this.unexpected(error, null, 'validated')];
    }
    return result;
  }

  /** Before execution: the first refusal, if any. */
  beforeExecute(args: OperationArgs, context: RequestContext): GraphQLError | undefined {
    context.operation ??= operationKindOf(args);
    try {
      for (const hook of this.executeHooks) {
        const error = hook(args, context);
        if (error) return error;
      }
    } catch (error) {
      return this.unexpected(error, context, 'execute');
    }
    return undefined;
  }

  /** The result as the plugins pass it on (masking); the context learns the code of its first error. */
  result(result: ExecutionResult, context: RequestContext): ExecutionResult {
    let out = result;
    try {
      for (const hook of this.resultHooks) out = hook(out, context);
    } catch (error) {
      out = { errors: [this.unexpected(error, context, 'result')] };
    }
    if (out.errors) context.errorCode ??= graphqlErrorCodeOf(out.errors);
    return out;
  }

  /**
   * A hook that threw instead of answering: its text goes to the log under the request id, the
   * client gets "Unexpected error." with that id, whichever path it came by.
   */
  unexpected(error: unknown, context: RequestContext | null, hook: string): GraphQLError {
    if (error instanceof GraphQLError && error.extensions?.code === 'INTERNAL_SERVER_ERROR') return error;
    const requestId = context?.requestId;
    this.log.error('unexpected error in a plugin hook', { requestId, hook, error: (error as Error)?.message ?? String(error) });
    return new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}), http: { status: 500 } } });
  }

  /** Response sent. A hook that throws is logged by the caller and does not stop the others. */
  responded(context: RequestContext, outcome: ResponseOutcome): void {
    for (const hook of this.responseHooks) hook(context, outcome);
  }

  /** The server is shutting down: every plugin's close hook, all of them even when one fails (the first failure is thrown after). */
  async close(): Promise<void> {
    const results = await Promise.allSettled(this.plugins.map(async (plugin) => plugin.close?.()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** @internal the wrappers, for Context */
  wrap(base: DataSource, context: RequestContext): DataSource {
    let source = base;
    for (const wrap of this.wrappers) source = wrap(source, context);
    return source;
  }

  /** @internal */
  get wraps(): boolean {
    return this.wrappers.length > 0;
  }
}

/** The RequestContext of one request. The signal and the wrapped data sources are made on first use: most requests never need them. */
class Context implements RequestContext {
  readonly requestId: string;
  readonly startedAt = performance.now();
  readonly method: string;
  principal = ANONYMOUS;
  credentialRefusal: string | null = null;
  transport: Transport = 'other';
  database: string | null = null;
  operation: RequestContext['operation'] = null;
  errorCode: string | null = null;
  estimatedRows = 0;
  tables: RequestContext['tables'] = null;
  stats: RequestContext['stats'] = null;
  private abort: CancelSignal | undefined;
  private wrapped: Map<DataSource, DataSource> | undefined;

  constructor(
    private readonly pipeline: Pipeline,
    request: IncomingMessage,
    private readonly response: ServerResponse,
    readonly path: string,
  ) {
    this.requestId = requestIdOf(request.headers['x-request-id']);
    this.method = request.method ?? 'GET';
  }

  get limits(): RequestLimits {
    return this.pipeline.limits;
  }

  get signal(): CancelSignal {
    return (this.abort ??= clientGoneSignal(this.response));
  }

  dataSource(base: DataSource): DataSource {
    if (!this.pipeline.wraps) return base;
    this.wrapped ??= new Map();
    let source = this.wrapped.get(base);
    if (!source) this.wrapped.set(base, (source = this.pipeline.wrap(base, this)));
    return source;
  }
}

/** What the operation that is about to run does (null when the document names none that matches: validation refuses it). */
function operationKindOf({ document, operationName }: OperationArgs): RequestContext['operation'] {
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    if (operationName === undefined || definition.name?.value === operationName) return definition.operation as 'query' | 'mutation' | 'subscription';
  }
  return null;
}
