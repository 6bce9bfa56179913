import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DocumentNode, ExecutionResult, GraphQLError, GraphQLSchema, TokenKind, ValidationRule } from 'graphql';
import type { DataSource } from '../schema/source';
import type { RequestContext } from './context';
import type { ErrorCode } from '../errors/catalogue';

/** A GraphQL request's parameters as the body gave them (before the document is parsed). */
export interface OperationParams {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

/** What an operation is about to run: its document, validated, and its raw variables. */
export interface OperationArgs {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName: string | undefined;
  variables: unknown;
}

/** How a request ended, for the response-sent hook. */
export interface ResponseOutcome {
  status: number;
  /** The catalogue code it was refused or failed with, if any. */
  code: string | null;
}

/**
 * A cross-cutting feature of lazydb: one file in server/plugins/, one line in
 * server/pipeline/plugins.ts. Every hook is optional and runs at a fixed point of every
 * request, whichever path serves it (the GraphQL fast path, graphql-yoga, REST reads, REST
 * writes). The hooks, in order:
 *
 * 1. `onRequest` — request received, before the body is read (request id, host, URL, CORS, CSRF checks).
 * 2. `onContext` — context built (identity, admission: rate limits). A hook may
 *    return a Promise (an identity lookup, a rate limiter's store): the next one waits for it,
 *    and nothing reads the body before the last one is done.
 * 3. `onParams`, `parse`, `tokenRule`, `validationRules`, `onValidated` — the GraphQL
 *    document and its variables: bounds, before validation and validation itself.
 * 4. `onExecute`, `wrapDataSource`, `onResult` — operation executed.
 * 5. `onResponse` — response sent.
 *
 * A hook refuses by throwing a LazydbError (HTTP hooks) or returning a GraphQLError (document
 * and execute hooks), which every path answers alike.
 */
export interface LazydbPlugin {
  /** Names the plugin in logs and tests. */
  readonly name: string;
  /** Before anything reads the body (the context exists already, so that even a refusal here carries its request id). Return true when the plugin has answered the request itself (a CORS preflight). */
  onRequest?(request: IncomingMessage, response: ServerResponse, context: RequestContext): boolean | void;
  /**
   * Once the context exists: set the principal, answer headers that carry it, admit or refuse
   * (throw, or reject with, a LazydbError). Return a Promise only when there is something to
   * wait for: a request whose hooks all return nothing is never awaited.
   */
  onContext?(context: RequestContext, response: ServerResponse): void | Promise<void>;
  /** A GraphQL request's parameters (an array for a batch), or a REST write's body as `variables`. */
  onParams?(params: OperationParams | readonly OperationParams[], context: RequestContext): GraphQLError | undefined;
  /** Parses a document within bounds; the first plugin that has one parses for every path. */
  parse?(text: string, tokenRules: readonly (() => TokenRule)[]): ParsedDocument;
  /** A rule applied to each token while the document is parsed (counted before graphql-js's recursive parser runs). */
  tokenRule?: () => TokenRule;
  /** Rules graphql-js's `validate` runs besides the specified ones. */
  validationRules?: readonly ValidationRule[];
  /** Rewrites validation errors before they are answered (e.g. hides field suggestions). */
  onValidated?(errors: readonly GraphQLError[]): readonly GraphQLError[];
  /** Before execution, after validation: refuse with an error, or let it run. No SQL has been sent. */
  onExecute?(args: OperationArgs, context: RequestContext): GraphQLError | undefined;
  /** Wraps the data source the request's resolvers read and write through (permissions, metrics, statement counts). */
  wrapDataSource?(source: DataSource, context: RequestContext): DataSource;
  /** The execution result before it is answered (masking, extensions). */
  onResult?(result: ExecutionResult, context: RequestContext): ExecutionResult;
  /** After the response was written. */
  onResponse?(context: RequestContext, outcome: ResponseOutcome): void;
  /** The server is shutting down: release what the plugin holds (a Redis connection). */
  close?(): void | Promise<void>;
}

/** What parsing within the limits learnt about a document. */
export interface ParsedDocument {
  document: DocumentNode;
  /** Lexical tokens (comments are not tokens). */
  tokens: number;
  /** Field selections with fragments spread out. */
  selections: number;
}

/** A bound a token rule found broken: the parse is refused with it. */
export interface LimitBreach {
  code: ErrorCode;
  message: string;
}

/** Sees each token outside parentheses, in order, while a document is scanned before parsing. */
export interface TokenRule {
  next(kind: TokenKind): LimitBreach | null;
}
