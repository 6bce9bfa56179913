import { randomBytes } from 'node:crypto';
import type { CancelSignal, DataSource, DataSourceScope, StatementStats } from '../schema/source';
import type { Config } from '../config';
import type { Principal } from '../auth/principal';

/** How the request reached lazydb: a transport of GraphQL or REST, or another endpoint. */
export type Transport = 'graphql' | 'gateway' | 'rest' | 'management' | 'other';

/** What the request does, once that is known (metrics and permissions key on it). */
export type OperationKind = 'query' | 'mutation' | 'subscription' | 'rest_read' | 'rest_write';

export { ANONYMOUS, type Principal } from '../auth/principal';

/**
 * Everything the pipeline knows about one request, built once when it arrives and handed to
 * every hook, to every GraphQL resolver (as `context.lazydb`) and to the data source. Fields
 * marked settable are filled in as routing and parsing learn them.
 */
export interface RequestContext extends DataSourceScope {
  /** The client's `X-Request-Id` when it is a sane token, else one lazydb makes (a process id and a counter); answered in `X-Request-Id` and carried by every log line about the request. */
  readonly requestId: string;
  /** `performance.now()` when the request arrived. */
  readonly startedAt: number;
  readonly method: string;
  /** The URL's path (no query string). */
  readonly path: string;
  principal: Principal;
  /** Under /api/auth/ only: the code a credential that failed verification was refused with (the request goes on as anonymous there). */
  credentialRefusal: string | null;
  readonly limits: RequestLimits;
  /** Aborts when the client goes away: the data source cancels the request's statements. */
  readonly signal: CancelSignal;
  transport: Transport;
  /** The database a `/db/:name/...` request is for; null for `/graphql` (any of them) and the rest. */
  database: string | null;
  operation: OperationKind | null;
  /** The catalogue code of the error the request was answered with, once it is known. */
  errorCode: string | null;
  /**
   * Rows its operations were estimated to read (use-query-cost's rule: each list's limit
   * multiplied along its path), summed over the operations that passed the cost check; 0 until
   * one did. Rate limits charge it to a rows budget.
   */
  estimatedRows: number;
  /**
   * The tables the operation's root fields read or write, once known: REST knows its table from the
   * path, GraphQL from the document's root fields (see rootTablesOf). Null before, and for requests
   * about no table.
   */
  tables: readonly RootTable[] | null;
  /** Hears of every statement the query layer sends for this request, when a plugin put one here (use-metrics); null otherwise. */
  stats: StatementStats | null;
  /** The data source to read and write through: `base` as the plugins' wrappers (permissions, metrics…) wrap it for this request. */
  dataSource(base: DataSource): DataSource;
}

/** A table an operation's root field is about: its GraphQL type name, and the database it is in (null: the request's own, `context.database`). */
export interface RootTable {
  /** The namespace of `/graphql` the field sits under; null under `/db/:name/…`. */
  readonly database: string | null;
  /** The table's GraphQL type name (also its REST resource name). */
  readonly table: string;
}

/** The bounds a request is held to (server/config; each is enforced by the plugin that names it). */
export type RequestLimits = Readonly<
  Pick<Config, 'maxSelections' | 'maxTokens' | 'maxInputDepth' | 'maxInValues' | 'maxFilterTerms' | 'maxAliases' | 'maxDirectives' | 'maxDepth' | 'maxCost' | 'maxLimit' | 'maxBatch'>
>;

/**
 * The ids lazydb makes: this process's random 48 bits, then a counter. Unique across replicas and
 * restarts as a UUID would be for matching answers to log lines, at a fraction of randomUUID's
 * cost per request (a by-key read's budget is a few tens of microseconds).
 */
const PROCESS_ID = randomBytes(6).toString('hex');
let issued = 0;

/** A client's request id is kept only when it is short and harmless in a header and a log line. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : `${PROCESS_ID}-${(++issued).toString(36)}`;
}

/** The GraphQL context value every path executes with: the request's context, and the signal where the query layer reads it. */
export interface GraphQLContext {
  /** The request's context (its type in schema/source is what resolvers need of it, DataSourceScope). */
  readonly lazydb: RequestContext;
  readonly signal: CancelSignal;
}

/** A fresh GraphQL context per operation (the query layer keeps its per-operation batches on it). */
export function graphqlContextOf(request: RequestContext): GraphQLContext {
  return { lazydb: request, signal: request.signal };
}
