import { isIntrospectionType, isSpecifiedDirective, isSpecifiedScalarType, printSchema, printType, validateSchema, type GraphQLSchema } from 'graphql';
import type { DatabaseStatus } from '../admin-api/types';
import { sameCapabilities, type DialectModule } from '../introspect/dialect';
import type { DatabaseSpec, DbModel, ReportEntry } from '../model/types';
import { KnexDataSource, type GuardedDataSource } from '../query/engine';
import { buildSchema } from '../schema/build';
import { nameModel, type NamedModel } from '../schema/naming';
import type { PoolHandle } from './pool';

/** What a database serves with: built together, swapped together, never changed in place. */
export interface Built {
  model: DbModel;
  named: NamedModel;
  /** What the schemas' resolvers read and write through; a role's schema wraps it (server/permissions/role-views.ts). */
  source: GuardedDataSource;
  /** `/db/:name/graphql`: names as in the database. */
  schema: GraphQLSchema;
  /**
   * The gateway's copy: type names prefixed with `<name>_`. Built and validated on first use
   * (the first /graphql request after a change): it costs as much as the schema itself, and
   * a database only served under /db/:name never needs it.
   */
  readonly namespaced: GraphQLSchema;
  /** Printed on first use, a slice of types at a time: printing is seconds at thousands of tables, and rarely wanted. */
  sdl(): Promise<string>;
  report: ReportEntry[];
  buildMs: number;
}

/** One database at one moment. Requests take the snapshot current when they start. */
export interface Snapshot {
  name: string;
  spec: DatabaseSpec;
  dialect: DialectModule;
  pool: PoolHandle;
  built: Built | null;
  status: DatabaseStatus;
  lastError: string | null;
  serverVersion: string | null;
  introspectedAt: string | null;
  introspectMs: number | null;
}

export class InvalidSchemaError extends Error {}

/** Model -> names -> schema (and, on first use, the namespaced copy), validated: an invalid schema is never served. */
export function buildDatabase(name: string, model: DbModel, dialect: DialectModule, pool: PoolHandle, limits: { maxLimit: number; maxAffectedRows?: number | undefined }): Built {
  const { maxLimit, maxAffectedRows } = limits;
  const started = performance.now();
  const named = nameModel(model);
  const capabilities = dialect.capabilitiesFor(model.serverVersion);
  const source = new KnexDataSource(pool.knex, dialect, name, capabilities, { statementTimeoutMs: pool.statementTimeoutMs, maxAffectedRows });
  const description = `Database ${name} (${model.dialect} ${model.serverVersion})`;
  const schema = valid(name, buildSchema(named, source, { maxLimit, description }));
  let namespaced: GraphQLSchema | undefined;
  let sdl: Promise<string> | undefined;
  return {
    model,
    named,
    source,
    schema,
    get namespaced() {
      namespaced ??= valid(name, buildSchema(named, source, { maxLimit, description, typePrefix: `${name}_` }));
      return namespaced;
    },
    sdl() {
      sdl ??= printSchemaInSlices(schema);
      return sdl;
    },
    report: [...model.report, ...named.report],
    buildMs: performance.now() - started,
  };
}

const TYPES_PER_SLICE = 200;

/**
 * `printSchema(schema)`, the same text, printed a slice of types at a time with the event loop
 * free in between: at 5,000 tables printing takes most of a second, which other requests would
 * otherwise wait out. Schemas with a printed schema block or custom directives (never built
 * by lazydb) are printed in one go.
 */
export async function printSchemaInSlices(schema: GraphQLSchema): Promise<string> {
  const conventional =
    !schema.description &&
    schema.getDirectives().every(isSpecifiedDirective) &&
    (schema.getQueryType()?.name ?? 'Query') === 'Query' &&
    (schema.getMutationType()?.name ?? 'Mutation') === 'Mutation' &&
    (schema.getSubscriptionType()?.name ?? 'Subscription') === 'Subscription';
  if (!conventional) return printSchema(schema);
  const types = Object.values(schema.getTypeMap()).filter((type) => !isSpecifiedScalarType(type) && !isIntrospectionType(type));
  const printed: string[] = [];
  for (let at = 0; at < types.length; at += TYPES_PER_SLICE) {
    if (at > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const type of types.slice(at, at + TYPES_PER_SLICE)) printed.push(printType(type));
  }
  return printed.join('\n\n');
}

function valid(name: string, schema: GraphQLSchema): GraphQLSchema {
  const errors = validateSchema(schema);
  if (errors.length > 0) {
    throw new InvalidSchemaError(`the GraphQL schema built for ${name} is invalid: ${errors.map((e) => e.message).join('; ')}`);
  }
  return schema;
}

/**
 * Whether a database introspected again can keep serving what was built before: the same
 * catalog content, and a server version the query layer makes the same choices for (RETURNING,
 * nested JSON: a MariaDB upgraded past 10.5, or a failover to an older node, changes them).
 */
export function servesAlike(dialect: DialectModule, before: DbModel, after: DbModel): boolean {
  return sameModel(before, after) && sameCapabilities(dialect.capabilitiesFor(before.serverVersion), dialect.capabilitiesFor(after.serverVersion));
}

/** Same catalog content, whatever the time of introspection or the server's patch level. */
export function sameModel(a: DbModel, b: DbModel): boolean {
  return JSON.stringify([a.dialect, a.schemas, a.tables, a.report]) === JSON.stringify([b.dialect, b.schemas, b.tables, b.report]);
}
