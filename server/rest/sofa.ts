import { filterSchema } from '@graphql-tools/utils';
import { execute, GraphQLError, Kind, type ExecutionArgs, type GraphQLSchema, type ObjectTypeDefinitionNode } from 'graphql';
import type { GraphQLContext } from '../pipeline/context';
import type { Pipeline } from '../pipeline/pipeline';
import { createSofaRouter, createSofa } from 'sofa-api';
import { headersOf, statusOf } from '../errors/catalogue';
import { customScalars } from './openapi';
import type { NamedModel, NamedTable } from '../schema/naming';

/** The operations lazydb's REST API offers per table, each a SOFA route over one root field. */
export type RouteKind = 'list' | 'byKey' | 'insert' | 'update' | 'delete';

/** SOFA's per-field route options (its `RouteConfig`, which the package does not export). */
interface RouteConfig {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  tags?: string[];
  description?: string;
  responseStatus?: 200 | 201;
}

export interface SofaRoute {
  method: string;
  path: string;
  handler: (request: Request, context: SofaContext) => Promise<Response> | Response;
}

export interface SofaRest {
  /** Keyed `${typeName} ${kind}`. */
  routes: Map<string, SofaRoute>;
  /** The OpenAPI document SOFA generated (before lazydb's corrections, see openapi.ts). */
  openAPIDocument: Record<string, unknown>;
  schema: GraphQLSchema;
}

interface SofaRouterInternals {
  __routes: { method: string; path: string; handler: SofaRoute['handler'] }[];
  openAPIDocument: Record<string, unknown>;
}

export function keyPath(table: NamedTable): string {
  return table.primaryKey.map((c) => `/:${c.field}`).join('');
}

export type RestOperations = Partial<Record<RouteKind, { type: 'Query' | 'Mutation'; field: string; route: RouteConfig }>>;

/**
 * Which GraphQL root field serves each REST operation of a table (none for what it cannot do).
 * With `schema`, only the operations whose root field it has: a role's schema leaves out what
 * the role may not do, and its REST API then has no such route.
 */
export function restOperations(table: NamedTable, schema?: GraphQLSchema): RestOperations {
  const ops = modelOperations(table);
  if (!schema) return ops;
  const roots = { Query: schema.getQueryType()?.getFields() ?? {}, Mutation: schema.getMutationType()?.getFields() ?? {} };
  for (const kind of Object.keys(ops) as RouteKind[]) if (!Object.hasOwn(roots[ops[kind]!.type], ops[kind]!.field)) delete ops[kind];
  return ops;
}

function modelOperations(table: NamedTable): RestOperations {
  const base = `/${table.typeName}`;
  const tags = [table.typeName];
  const hasKey = table.primaryKey.length > 0;
  const ops: RestOperations = {
    list: { type: 'Query', field: table.root.list, route: { method: 'GET', path: base, tags, description: `List rows of ${table.label}` } },
  };
  if (hasKey) ops.byKey = { type: 'Query', field: table.root.byPk, route: { method: 'GET', path: `${base}${keyPath(table)}`, tags, description: `One row of ${table.label} by its primary key` } };
  if (table.writable) {
    ops.insert = { type: 'Mutation', field: table.root.insertOne, route: { method: 'POST', path: base, tags, responseStatus: 201, description: `Insert one row into ${table.label}` } };
    if (hasKey) {
      ops.update = { type: 'Mutation', field: table.root.updateByPk, route: { method: 'PATCH', path: `${base}${keyPath(table)}`, tags, description: `Change one row of ${table.label}` } };
      ops.delete = { type: 'Mutation', field: table.root.deleteByPk, route: { method: 'DELETE', path: `${base}${keyPath(table)}`, tags, description: `Delete one row of ${table.label}` } };
    }
  }
  return ops;
}

/**
 * SOFA over the database's GraphQL schema, restricted to the root fields REST offers and to
 * column fields, with resource-style routes.
 */
export function buildSofaRest(database: string, named: NamedModel, schema: GraphQLSchema): SofaRest {
  const routesConfig: Record<string, RouteConfig> = {};
  const allowed = new Set<string>();
  const owners = new Map<string, { table: NamedTable; kind: RouteKind }>();
  for (const table of named.tables) {
    for (const [kind, op] of Object.entries(restOperations(table, schema)) as [RouteKind, NonNullable<ReturnType<typeof restOperations>[RouteKind]>][]) {
      routesConfig[`${op.type}.${op.field}`] = op.route;
      allowed.add(`${op.type}.${op.field}`);
      owners.set(`${op.route.method} ${op.route.path}`, { table, kind });
    }
  }
  // Relation fields are left out of the REST schema: SOFA selects every field of the types it
  // returns (and follows every relation of types whose key is not named `id`), so a row would
  // drag its whole neighbourhood along. Related rows come with `include=` instead.
  const relationFields = new Set(named.tables.flatMap((t) => t.relations.map((r) => `${t.typeName}.${r.field}`)));
  const restSchema = filterSchema({
    schema,
    rootFieldFilter: (operation, field) => allowed.has(`${operation}.${field}`),
    objectFieldFilter: (type, field) => !relationFields.has(`${type}.${field}`),
  });
  // SOFA looks up each route's and each argument's description in the AST of the root type:
  // when the type has none (built in code, as ours is) it prints and re-parses the whole root
  // type every time, and with one it scans the type's field list — quadratic in the number of
  // tables either way (40 s at 5,000). Those descriptions never reach lazydb's document
  // (correctOpenAPI writes every route's parameters, bodies and summaries from the model), so
  // the roots get an AST without fields: every lookup finds nothing at once.
  for (const root of [restSchema.getQueryType(), restSchema.getMutationType()]) {
    if (root && !root.astNode) {
      const bare: ObjectTypeDefinitionNode = { kind: Kind.OBJECT_TYPE_DEFINITION, name: { kind: Kind.NAME, value: root.name }, fields: [] };
      (root as { astNode?: ObjectTypeDefinitionNode }).astNode = bare;
    }
  }
  const router = createSofaRouter(
    createSofa({
      basePath: `/db/${database}/rest`,
      schema: restSchema,
      depthLimit: 1,
      customScalars: customScalars(),
      routes: routesConfig,
      // A fresh context per request (the query layer keeps its per-request batches on it) that
      // carries the request's: its signal cancels the write's statements when the client goes
      // away, its pipeline runs the execute and result hooks (see pipelineExecute).
      context: (serverContext: SofaContext) => ({ ...serverContext }),
      execute: pipelineExecute,
      // fets types its own Response; ours is the platform's, which is what fets runs with.
      errorHandler: ((errors: readonly unknown[]) => errorResponse(errors)) as unknown as Parameters<typeof createSofa>[0]['errorHandler'],
      openAPI: {
        info: {
          title: `lazydb REST API: ${database}`,
          version: '1.0.0',
          description: `REST for database "${database}", derived by SOFA from its GraphQL schema (/db/${database}/graphql).`,
        },
      },
    }),
  ) as unknown as SofaRouterInternals;

  const routes = new Map<string, SofaRoute>();
  for (const route of router.__routes) {
    const owner = owners.get(`${route.method.toUpperCase()} ${route.path}`);
    if (owner) routes.set(`${owner.table.typeName} ${owner.kind}`, { method: route.method.toUpperCase(), path: route.path, handler: route.handler });
  }
  return { routes, openAPIDocument: router.openAPIDocument, schema: restSchema };
}

/** What RestApi hands SOFA's route handlers as the server context of a write. */
export type SofaContext = GraphQLContext & { pipeline: Pipeline };

/** graphql-js's execute with the pipeline's execute hooks before (no SQL yet) and its result hooks after, as every other path runs them. */
const pipelineExecute = ((args: ExecutionArgs) => {
  const { pipeline, lazydb } = args.contextValue as SofaContext;
  const refusal = pipeline.beforeExecute({ schema: args.schema, document: args.document, operationName: args.operationName ?? undefined, variables: args.variableValues }, lazydb);
  if (refusal) return { errors: [refusal] };
  const result = execute(args);
  return isPromise(result) ? result.then((done) => pipeline.result(done, lazydb)) : pipeline.result(result, lazydb);
}) as typeof execute;

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T>)?.then === 'function';
}

/** The REST error a list of GraphQL errors stands for: the first one decides. */
export interface RestError {
  status: number;
  code: string;
  message: string;
  details: Record<string, unknown>;
  /** Extra response headers (`Retry-After` when the database is down). */
  headers: Record<string, string>;
}

/** GraphQL errors -> one HTTP status, code and message; unexpected errors are masked. */
export function describeErrors(errors: readonly unknown[]): RestError {
  const error = errors[0];
  let status = 500;
  let code = 'INTERNAL';
  let message = 'unexpected server error; see the server log';
  const details: Record<string, unknown> = {};
  // Only a GraphQLError says what it is; anything else (a plain Error thrown in a hook and caught
  // by SOFA) is unexpected, and its text stays in the server log.
  if (error instanceof GraphQLError) {
    const extensions = (error.extensions ?? {}) as Record<string, unknown>;
    const http = extensions.http as { status?: number } | undefined;
    const original = error.originalError;
    if (typeof extensions.code === 'string') {
      code = extensions.code;
      status = statusOf(code);
      message = error.message;
      if (extensions.constraint) details.constraint = extensions.constraint;
    } else if (http?.status) {
      status = http.status;
      code = status === 400 ? 'BAD_REQUEST' : 'ERROR';
      message = error.message;
    } else if (!original || original instanceof GraphQLError) {
      // Validation and variable coercion: the request was wrong, and the message says how.
      status = 400;
      code = 'BAD_REQUEST';
      message = error.message;
    }
    if (typeof extensions.requestId === 'string') details.requestId = extensions.requestId;
  }
  return { status, code, message, details, headers: { ...headersOf(code) } };
}

/** `{ error: { code, message } }` with its status, as SOFA's error handler answers. */
export function errorResponse(errors: readonly unknown[]): Response {
  const { status, code, message, details, headers } = describeErrors(errors);
  return new Response(JSON.stringify({ error: { code, message, ...details } }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}
