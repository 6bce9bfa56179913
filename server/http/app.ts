import { LazydbError } from '../errors/lazydb-error';
import { fail } from '../errors/catalogue';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { databasesApi } from '../admin-api/databases';
import { dialectsApi } from '../admin-api/dialects';
import { describeResources, withinAccess } from '../admin-api/resources';
import type { SchemaAccess } from '../permissions/access';
import type { RateStore } from '../rate-limit/store';
import { usageApi } from '../admin-api/usage';
import type { Usage } from '../usage';
import type { Config } from '../config';
import type { Gateway } from '../gateway/gateway';
import type { Built, Snapshot } from '../gateway/snapshot';
import type { Logger } from '../log';
import type { LazydbPlugin } from '../pipeline/plugin';
import { serveAdmin } from './admin-static';
import { GraphQLFastPath } from './graphql-fast-path';
import { DocumentCache, yogaParserCache } from '../plugins/document-cache';
import { documentLimitsOf, tokensOf } from '../plugins/use-document-limits';
import { yogaBatching } from '../plugins/use-batch-limit';
import { lazydbPlugins, type PluginConfig } from '../plugins';
import { Pipeline } from '../pipeline/pipeline';
import { graphqlContextOf, type RequestContext } from '../pipeline/context';
import { yogaPipeline, type YogaServerContext } from '../pipeline/yoga';
import { errorCodeOf, graphqlErrorCodeOfText, restErrorCodeOf } from '../pipeline/outcome';
import { restApiFor } from '../rest/api';
import { serveDocs, serveSwaggerAsset } from '../rest/docs';
import { invalidUtf8, readBody, requireJsonMediaType, sendError, sendGraphQLError, sendJson, sendJsonText, sendResponse, databaseNotFound } from './io';
import { isUtf8 } from 'node:buffer';
import { LazydbMetrics } from '../metrics/metrics';
import { MetricsAccess, serveMetrics } from '../metrics/endpoint';
import type { Access } from '../auth';
import { isAdmin } from '../auth/principal';
import { mayUseDatabase, refusal, requireAdmin } from './authorize';
import { authApi, type SignInProvider } from '../admin-api/auth';
import { usersApi } from '../admin-api/users';
import { rolesApi } from '../admin-api/roles';
import { keysApi } from '../admin-api/keys';
import { permissionsApi } from '../admin-api/permissions';
import { identitiesApi } from '../admin-api/identities';

type AppConfig = Pick<Config, 'maxBody' | 'maxLimit' | 'graphqlFastPath' | 'documentCacheBytes' | 'metrics' | 'metricsMaxTables'> &
  Partial<Pick<Config, 'sessionTtlHours'>> &
  Partial<Pick<Config, 'metricsToken'>> &
  PluginConfig;

export interface App {
  server: Server;
  /** Handles one request (also usable without listening, e.g. in tests). */
  handle(request: IncomingMessage, response: ServerResponse): Promise<void>;
  /** Releases what the plugins hold (a Redis connection); once the server stopped listening. */
  close(): Promise<void>;
  /** What `/metrics` serves; null with LAZYDB_METRICS=0. */
  metrics: LazydbMetrics | null;
}

/**
 * `/readyz`: every database with its status and, when it is not ready, why. The service
 * itself is ready while it serves (200, `status: "degraded"` when any database is not ready):
 * one unreachable user database must not take every other one out of a load balancer.
 * `?database=<name>` asks about one database: 503 unless it is ready, for a per-database probe.
 */
function sendReadiness(response: ServerResponse, gateway: Gateway, only: string | null, visible: (name: string) => boolean = () => true, reasons = true): void {
  const databases = gateway
    .list()
    .filter((s) => visible(s.name))
    .map((s) => ({ name: s.name, status: s.status, ...(s.status === 'ready' || !reasons ? {} : { reason: s.lastError ?? s.status }) }));
  if (only !== null) {
    const one = databases.find((d) => d.name === only);
    if (!one) throw databaseNotFound(only);
    return sendJson(response, one.status === 'ready' ? 200 : 503, one);
  }
  sendJson(response, 200, { status: databases.every((d) => d.status === 'ready') ? 'ready' : 'degraded', databases });
}

/**
 * A GraphQL POST body is served only as JSON (415 otherwise): yoga would also run
 * `application/x-www-form-urlencoded`, `multipart/form-data` and `application/graphql`
 * bodies, which a hostile page can send cross-site without a preflight, mutations included.
 * The bytes are checked to be UTF-8 here, once, for the fast path and yoga alike.
 */
function graphqlBodyRefusal(request: IncomingMessage, body: Buffer): LazydbError | null {
  const type = request.headers['content-type'];
  try {
    requireJsonMediaType(type);
  } catch (error) {
    return error as LazydbError;
  }
  // Of the JSON types, yoga reads these two; `application/graphql-response+json` names an answer (Accept), not a request.
  const essence = type!.split(';', 1)[0]!.trim().toLowerCase();
  if (essence !== 'application/json' && essence !== 'application/graphql+json') {
    return fail('UNSUPPORTED_MEDIA_TYPE', `send the GraphQL request as JSON with Content-Type: application/json (got Content-Type "${essence}")`);
  }
  return isUtf8(body) ? null : invalidUtf8();
}

/** A GraphQL endpoint refuses in GraphQL's shape, whatever the reason. */
function answerGraphQLRefusal(response: ServerResponse, context: RequestContext, error: LazydbError): void {
  context.errorCode = error.code;
  sendGraphQLError(response, error);
}

export interface AppOptions {
  /**
   * The plugins every request runs through, from lazydb's own (`lazydbPlugins(config, log)`):
   * for embedding and tests, which add one or leave one out.
   * @default (plugins) => plugins
   */
  plugins?: (defaults: LazydbPlugin[]) => LazydbPlugin[];
  /** Usage history (server/usage): counted by a plugin, served at /api/usage. Absent: off. */
  usage?: Usage;
  /**
   * Who may do what (server/auth, server/permissions): identity on every request, the management
   * API for admins only, each role served its own schema. Absent (embedding without auth): every
   * request may do everything.
   */
  access?: AccessServices;
}

/** What the app needs of access control: the stores and rules, and each role's view of each database. */
export interface AccessServices {
  access: Access;
  views: RoleViewsLike;
  /** OIDC issuers the admin can sign in with. */
  providers?: () => SignInProvider[];
  /** The rate-limit store the sign-in guard counts in, shared with the rate limits. */
  rates?: RateStore;
  /** `/api/identity-providers` (admin only). */
  identityProviders?: (request: IncomingMessage, response: ServerResponse, rest: string, context: RequestContext) => Promise<void>;
  /** Mounts `/api/auth/oidc/…` (sign-in through an issuer). */
  oidcSignIn?: (request: IncomingMessage, response: ServerResponse, rest: string) => Promise<void>;
}

/** What a role sees of a database: its own schema and REST API; null when it sees nothing. */
export interface RoleViewsLike {
  database(snapshot: Snapshot, role: string): { schema: GraphQLSchema; named: Built['named']; access?: SchemaAccess } | null;
  gateway(role: string, databases: readonly string[] | null): GraphQLSchema | null;
}

/**
 * The request's headers as yoga reads them. yoga's CORS plugin would answer any Origin with
 * itself and allow credentials: it never sees one, CORS is decided for every endpoint alike
 * (use-cors).
 */
function yogaHeaders(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (name === 'origin') continue;
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) headers.set(name, value.join(', '));
  }
  return headers;
}

/**
 * A body, or GET's `variables`/`extensions`, that is not JSON: 400 INVALID_JSON. yoga would answer
 * the first with the JavaScript error's text (quoting the body) and the second as a logged 500.
 * Only requests the fast path did not serve get here, so the fast path parses nothing twice.
 */
function unreadableParams(method: string, body: Buffer | undefined, target: string): LazydbError | null {
  const invalid = (what: string) => fail('INVALID_JSON', `${what} is not valid JSON: send the GraphQL request as JSON ({ "query": "…", "variables": { … } })`);
  if (method === 'POST' && body !== undefined) {
    try {
      JSON.parse(body.toString('utf8'));
    } catch {
      return invalid('the body');
    }
    return null;
  }
  const query = target.indexOf('?');
  if (query < 0) return null;
  const search = new URLSearchParams(target.slice(query + 1));
  for (const name of ['variables', 'extensions']) {
    const value = search.get(name);
    if (value === null || value === '') continue;
    try {
      JSON.parse(value);
    } catch {
      return invalid(`the ${name} parameter`);
    }
  }
  return null;
}

export function createApp(gateway: Gateway, config: AppConfig, log: Logger, options: AppOptions = {}): App {
  const yogaLogger = {
    debug: (...args: unknown[]) => log.debug(args.map(String).join(' ')),
    info: (...args: unknown[]) => log.debug(args.map(String).join(' ')),
    warn: (...args: unknown[]) => log.warn(args.map(String).join(' ')),
    error: (...args: unknown[]) => log.error(args.map(String).join(' ')),
  };
  // One byte budget for every parsed document, whichever path and endpoint parsed it.
  const documents = new DocumentCache(config.documentCacheBytes);
  const limits = documentLimitsOf(config);
  const metrics = config.metrics ? new LazydbMetrics(gateway, { maxTables: config.metricsMaxTables }) : null;
  const metricsAccess = new MetricsAccess(config.metricsToken);
  const defaults = lazydbPlugins(config, log, { metrics, usage: options.usage?.recorder, identity: options.access?.access.identity, rates: options.access?.rates, principals: options.access ? { roleLimits: (role) => options.access!.access.rules.roleLimits(role) } : undefined });
  const plugins = options.plugins?.(defaults) ?? defaults;
  // A default left out may hold something already (the rate limit's Redis connection): released now, as close() would.
  for (const plugin of defaults) if (!plugins.includes(plugin)) void Promise.resolve(plugin.close?.()).catch(() => undefined);
  const pipeline = new Pipeline(plugins, limits, log);
  const gatewayYoga = createYoga<YogaServerContext>({
    graphqlEndpoint: '/graphql',
    schema: (context) => context.lazydbSchema,
    graphiql: { title: 'lazydb — all databases' },
    // The bundled GraphiQL: the default one loads from a CDN, which lazydb must not need.
    renderGraphiQL,
    landingPage: false,
    logging: yogaLogger,
    plugins: [yogaPipeline(pipeline)],
    batching: yogaBatching(limits),
    parserAndValidationCache: yogaParserCache(documents, tokensOf),
  });
  const databaseYoga = createYoga<YogaServerContext>({
    graphqlEndpoint: '/db/:name/graphql',
    schema: (context) => context.lazydbSchema,
    graphiql: (request) => {
      const path = new URL(request.url).pathname;
      return { title: `lazydb — ${path.split('/')[2] ?? ''}`, endpoint: path };
    },
    renderGraphiQL,
    landingPage: false,
    logging: yogaLogger,
    plugins: [yogaPipeline(pipeline)],
    batching: yogaBatching(limits),
    parserAndValidationCache: yogaParserCache(documents, tokensOf),
  });
  const api = databasesApi(gateway, config);
  const dialects = dialectsApi();
  const usage = options.usage ? usageApi(options.usage.store, options.usage.recorder) : null;
  const fast = new GraphQLFastPath(pipeline, { cache: documents });
  const secured = options.access ?? null;
  const management = secured
    ? {
        auth: authApi(secured.access, {
          maxBody: config.maxBody,
          trustProxy: config.trustProxy,
          sessionTtlHours: config.sessionTtlHours ?? 12,
          providers: secured.providers ?? (() => []),
          catalogue: (context) => catalogueOf(context),
        }),
        users: usersApi(secured.access, config),
        roles: rolesApi(secured.access, config),
        keys: keysApi(secured.access, config),
        permissions: permissionsApi(secured.access, gateway, config),
        identities: identitiesApi(secured.access, config),
      }
    : null;
  /** Whether the request's principal may use database `name` (always, without access control). */
  const mayUse = (context: RequestContext, name: string) => !secured || mayUseDatabase(context.principal, name, (database, role) => secured.access.rules.sees(database, role));
  /** The management API is for admins (everyone, without access control). */
  const adminOnly = (context: RequestContext, what: string) => {
    if (secured) requireAdmin(context.principal, what);
  };
  /** The databases and tables the principal may read, as the admin's catalogue lists them. */
  const catalogueOf = (context: RequestContext) =>
    gateway
      .list()
      .filter((snapshot) => mayUse(context, snapshot.name))
      .map((snapshot) => {
        const base = { name: snapshot.name, dialect: snapshot.dialect.dialect, status: snapshot.status };
        if (!snapshot.built) return { ...base, resources: [] };
        if (isAdmin(context.principal) || !secured) return { ...base, resources: describeResources(snapshot.name, snapshot.built.named) };
        const view = secured.views.database(snapshot, context.principal.role);
        if (!view) return { ...base, resources: [] };
        const resources = describeResources(snapshot.name, view.named);
        return { ...base, resources: view.access ? withinAccess(resources, view.access) : resources };
      });
  const fastPath = config.graphqlFastPath;

  async function graphql(yoga: YogaServerInstance<YogaServerContext, object>, request: IncomingMessage, response: ServerResponse, context: RequestContext, schema: GraphQLSchema, snapshot?: Snapshot): Promise<void> {
    try {
      const method = request.method ?? 'GET';
      const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(request, config.maxBody);
      const refusal = method === 'POST' ? graphqlBodyRefusal(request, body!) : null;
      if (refusal) return sendGraphQLError(response, refusal);
      snapshot?.pool.acquire();
      try {
        if (body && fastPath && fast.accepts(request)) {
          const text = await fast.run(schema, body, context);
          if (text !== null) return sendJsonText(response, 200, text);
        }
        // What yoga would answer with its own words (and a JavaScript error's text in them) is refused here first.
        const unreadable = unreadableParams(method, body, request.url ?? '/');
        if (unreadable) return sendGraphQLError(response, unreadable);
        const result = await yoga.fetch(new URL(request.url ?? '/', 'http://lazydb'), { method, headers: yogaHeaders(request), body: body as BodyInit | undefined }, { lazydbSchema: schema, ...graphqlContextOf(context) });
        const payload = await sendResponse(response, result);
        // yoga answered a refusal (a limit, validation) or ran it: the response hook learns the code either way.
        context.errorCode ??= graphqlErrorCodeOfText(payload);
      } finally {
        snapshot?.pool.release();
      }
    } catch (error) {
      // A GraphQL endpoint answers in GraphQL's shape, whatever went wrong.
      if (response.headersSent) throw error;
      if (error instanceof LazydbError) {
        context.errorCode = error.code;
        return sendGraphQLError(response, error);
      }
      const masked = pipeline.unexpected(error, context, 'graphql');
      context.errorCode = 'INTERNAL_SERVER_ERROR';
      sendJson(response, 500, { errors: [{ message: masked.message, extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: context.requestId } }] });
    }
  }


  async function route(request: IncomingMessage, response: ServerResponse, url: URL, context: RequestContext): Promise<void> {
    const path = url.pathname;
    if (path === '/healthz') return sendJson(response, 200, { status: 'ok' });
    if (path === '/readyz') {
      const only = url.searchParams.get('database');
      // Who is not admin learns whether the service is up, and about the databases it may use: not every name and error.
      if (secured && !isAdmin(context.principal)) {
        if (only !== null && !mayUse(context, only)) throw refusal(context.principal, `database "${only}"`);
        return sendReadiness(response, gateway, only, (name) => mayUse(context, name), false);
      }
      return sendReadiness(response, gateway, only);
    }
    if (path === '/metrics') {
      if (!metrics) throw fail('NOT_FOUND', 'metrics are turned off on this server (LAZYDB_METRICS=0)');
      return serveMetrics(request, response, metrics, metricsAccess, secured !== null && isAdmin(context.principal));
    }
    if (path === '/graphql') {
      context.transport = 'gateway';
      let schema: GraphQLSchema;
      if (!secured || isAdmin(context.principal)) schema = gateway.gatewaySchema();
      else {
        const visible = secured.views.gateway(context.principal.role, context.principal.databases);
        if (!visible) return answerGraphQLRefusal(response, context, refusal(context.principal, 'the /graphql gateway'));
        schema = visible;
      }
      // A gateway request may touch any database: hold every pool it could use until it is done.
      const snapshots = gateway.list();
      for (const s of snapshots) s.pool.acquire();
      try {
        return await graphql(gatewayYoga, request, response, context, schema);
      } finally {
        for (const s of snapshots) s.pool.release();
      }
    }
    const db = /^\/db\/([^/]+)(\/.*)?$/.exec(path);
    if (db) {
      const name = decodeURIComponent(db[1]!);
      context.database = name;
      const rest = db[2] ?? '/';
      const isGraphQL = rest === '/graphql' || rest === '/graphql/';
      // A database the principal may not use answers as one that does not exist would: names do not leak.
      if (!mayUse(context, name)) {
        const refused = refusal(context.principal, `database "${name}"`);
        if (isGraphQL) return answerGraphQLRefusal(response, context, refused);
        throw refused;
      }
      const snapshot = gateway.get(name);
      if (!snapshot) throw databaseNotFound(name);
      if (!snapshot.built) {
        throw fail('DATABASE_UNAVAILABLE', `database "${name}" is unavailable: ${snapshot.lastError ?? 'still connecting'}`);
      }
      const view = !secured || isAdmin(context.principal) ? snapshot.built : secured.views.database(snapshot, context.principal.role);
      if (!view) {
        const refused = refusal(context.principal, `database "${name}"`);
        if (isGraphQL) return answerGraphQLRefusal(response, context, refused);
        throw refused;
      }
      if (isGraphQL) {
        context.transport = 'graphql';
        return graphql(databaseYoga, request, response, context, view.schema, snapshot);
      }
      const api = restApiFor(view, name, config.maxLimit, config, config);
      if (rest === '/rest' || rest.startsWith('/rest/')) {
        context.transport = 'rest';
        const method = request.method ?? 'GET';
        const body = method === 'GET' || method === 'HEAD' || method === 'DELETE' ? undefined : await readBody(request, config.maxBody);
        snapshot.pool.acquire();
        try {
          const reply = await api.handle({
            method,
            path: rest.slice('/rest'.length),
            search: url.searchParams,
            body,
            contentType: request.headers['content-type'],
            context,
            pipeline,
          });
          if (reply.status >= 400) context.errorCode ??= restErrorCodeOf(reply.body);
          return sendJsonText(response, reply.status, reply.body, reply.headers);
        } finally {
          snapshot.pool.release();
        }
      }
      if (rest === '/openapi.json') return sendJsonText(response, 200, api.openAPIText());
      if (rest === '/docs' || rest === '/docs/') {
        api.assertDescribed(); // the page shows the OpenAPI document: refused alike while introspection is off
        return serveDocs(response, name);
      }
      throw fail('NOT_FOUND', `no such endpoint under /db/${name}: ${rest} (try /graphql, /rest, /openapi.json or /docs)`);
    }
    if (path.startsWith('/assets/swagger-ui/')) return serveSwaggerAsset(response, path.slice('/assets/swagger-ui/'.length));
    if (path.startsWith('/api/')) context.transport = 'management';
    if (management && (path === '/api/auth' || path.startsWith('/api/auth/'))) {
      if (secured?.oidcSignIn && path.startsWith('/api/auth/oidc/')) return secured.oidcSignIn(request, response, path.slice('/api/auth/oidc'.length));
      return management.auth(request, response, path.slice('/api/auth'.length), context);
    }
    if (management && /^\/api\/databases\/[^/]+\/permissions(\/|$)/.test(path)) {
      adminOnly(context, 'the management API');
      return management.permissions(request, response, path.slice('/api/databases'.length), context);
    }
    if (path === '/api/databases' || path.startsWith('/api/databases/')) {
      adminOnly(context, 'the management API');
      return api(request, response, path.slice('/api/databases'.length));
    }
    if (path === '/api/dialects') {
      adminOnly(context, 'the management API');
      return dialects(request, response);
    }
    if (path === '/api/usage') {
      adminOnly(context, 'usage history');
      if (!usage) throw fail('NOT_FOUND', 'usage history is off (LAZYDB_USAGE_FLUSH_MS=0)');
      return usage(request, response, url.searchParams);
    }
    if (management) {
      const handlers = [['/api/users', management.users], ['/api/roles', management.roles], ['/api/keys', management.keys], ['/api/identities', management.identities], ...(secured?.identityProviders ? [['/api/identity-providers', secured.identityProviders] as const] : [])] as const;
      for (const [prefix, handler] of handlers) {
        if (path === prefix || path.startsWith(`${prefix}/`)) {
          adminOnly(context, 'the management API');
          return handler(request, response, path.slice(prefix.length), context);
        }
      }
    }
    if (path === '/' ) {
      response.writeHead(302, { location: '/admin/' });
      return void response.end();
    }
    if (path === '/admin' || path.startsWith('/admin/')) return serveAdmin(request, response, path);
    throw fail('NOT_FOUND', `no such endpoint: ${path}`);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let context: RequestContext | undefined;
    let failure: unknown;
    try {
      // Request received: host, URL, CORS (preflights are answered there) and CSRF, before anything reads the request.
      // One reading of the target for every hook and the router: dot segments (`/admin/../db/x`,
      // `%2e%2e`) and a leading `//` resolved once, so no hook (identity, rate limits) judges a
      // path other than the one routed.
      const url = new URL(request.url ?? '/', 'http://lazydb');
      context = pipeline.context(request, response, url.pathname);
      if (pipeline.received(request, response, context)) return;
      // Identity and admission (rate limits) may wait for a store; most requests do not wait at all.
      const admitting = pipeline.contextBuilt(context, response);
      if (admitting) await admitting;
      await route(request, response, url, context);
    } catch (error) {
      failure = error;
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof LazydbError) return sendError(response, error);
      const requestId = context?.requestId;
      log.error('unexpected error', { requestId, path: context?.path, error: (error as Error)?.message ?? String(error) });
      sendError(response, fail('INTERNAL', `unexpected server error; see the server log${requestId ? ` (request id ${requestId})` : ''}`, requestId ? { requestId } : {}));
    } finally {
      if (context) {
        context.errorCode ??= errorCodeOf(failure);
        try {
          pipeline.responded(context, { status: response.statusCode, code: context.errorCode });
        } catch (error) {
          log.error('a response hook failed', { requestId: context.requestId, error: (error as Error)?.message ?? String(error) });
        }
      }
    }
  }

  const server = createServer((request, response) => void handle(request, response));
  server.keepAliveTimeout = 65_000;
  return { server, handle, close: () => pipeline.close(), metrics };
}
