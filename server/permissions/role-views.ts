import { validateSchema, type GraphQLSchema } from 'graphql';
import { composeGateway, type NamespaceEntry } from '../gateway/compose';
import { InvalidSchemaError } from '../gateway/snapshot';
import type { Built } from '../gateway/snapshot';
import { RestApi, type RestDisclosure } from '../rest/api';
import type { WhereLimits } from '../rest/params';
import { buildSchema } from '../schema/build';
import type { NamedModel } from '../schema/naming';
import type { DataSource } from '../schema/source';
import { roleNamedModel, schemaAccessOf, type SchemaAccess } from './access';
import type { PermissionDocument } from './document';
import { LruCache } from './lru';
import { servableRules, type DroppedRule } from './validate';

/**
 * Per-role views of the databases: a role's schema (and its namespaced copy, its REST API) is
 * built on the role's first request and cached, keyed by what it was built from — the
 * database's Built (a schema change makes a new one), the role, and the version of its rules —
 * so a change of either is a new view, never an edit of one in use. The caches are bounded
 * (least recently used first out): a view holds a whole schema, and roles are many.
 */

/** A role's rules on one database, as stored; `version` changes whenever the document does. */
export interface RoleRules {
  version: string;
  document: PermissionDocument;
}

/** The role's rules on a database, or null when it has none there (it does not see the database). */
export type RulesLookup = (database: string, role: string) => RoleRules | null;

/** The data source a role's resolvers use: `base` with the document's row rules enforced (PermissionedSource). */
export type SourceFactory<S extends DataSource = DataSource> = (base: S, document: PermissionDocument) => DataSource;

/** What a view is built from: a database's Built (its identity is the cache key); `S` is its source's type (a Built's: GuardedDataSource). */
export type ViewBase<S extends DataSource = DataSource> = Pick<Built, 'model' | 'named'> & { source: S };

export interface RoleViewsOptions<S extends DataSource = DataSource> {
  rules: RulesLookup;
  sourceFactory: SourceFactory<S>;
  /** LAZYDB_MAX_LIMIT, as the databases' own schemas have it. */
  maxLimit: number;
  whereLimits?: WhereLimits;
  disclosure?: RestDisclosure;
  /** Most views kept, and most role gateway schemas kept (each its own cache). @default 64 */
  capacity?: number;
  /** Told, once per view built, of the rules a schema change made unservable (and that were left out). */
  onDropped?: (database: string, role: string, dropped: DroppedRule[]) => void;
}

export interface RoleView {
  database: string;
  role: string;
  version: string;
  /** `/db/:name/graphql` for this role. */
  schema: GraphQLSchema;
  /** The gateway's copy (type prefix `<database>_`), built on first use. */
  readonly namespaced: GraphQLSchema;
  /** The model as the role sees it (REST: routes, parameters, OpenAPI). */
  named: NamedModel;
  access: SchemaAccess;
  /** The rules served: the stored ones minus those `dropped`. */
  document: PermissionDocument;
  dropped: DroppedRule[];
  /** The role's REST API and OpenAPI document, made on first use. */
  readonly rest: RestApi;
}

/** One database of a gateway composition: its Built, or null while it has none. */
export interface GatewayMember<S extends DataSource = DataSource> {
  name: string;
  built: ViewBase<S> | null;
  rank?: number;
  unavailableReason?: string;
}

interface CachedView {
  version: string;
  view: RoleView;
}

interface CachedGateway {
  versions: string;
  schema: GraphQLSchema;
}

export const DEFAULT_ROLE_VIEWS = 64;

export class RoleViews<S extends DataSource = DataSource> {
  private readonly views: LruCache<string, CachedView>;
  private readonly gateways: LruCache<string, CachedGateway>;
  /** A number per object used as a key (a Built, a composition): identity without holding it. */
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;

  constructor(private readonly options: RoleViewsOptions<S>) {
    const capacity = options.capacity ?? DEFAULT_ROLE_VIEWS;
    this.views = new LruCache(capacity);
    this.gateways = new LruCache(capacity);
  }

  /** Views cached now (for metrics and tests). */
  get size(): number {
    return this.views.size;
  }

  /** The role's view of `database`, built on first use; null when the role has no rules there. */
  view(database: string, base: ViewBase<S>, role: string): RoleView | null {
    const rules = this.options.rules(database, role);
    if (!rules) return null;
    const key = `${this.idOf(base)}\u0000${database}\u0000${role}`;
    const cached = this.views.get(key);
    if (cached && cached.version === rules.version) return cached.view;
    // A new version replaces the entry: the old view is let go at once, not when it ages out.
    const view = this.build(database, base, role, rules);
    this.views.set(key, { version: rules.version, view });
    return view;
  }

  /**
   * The gateway schema for `role`: the namespaced view of every database of `composition` it has
   * rules for (the others are not there at all), composed as the gateway composes the full ones.
   * Cached per (composition, role, versions of the role's rules on each database).
   */
  gateway(composition: readonly GatewayMember<S>[], role: string): GraphQLSchema {
    const visible = composition.flatMap((member) => {
      const rules = this.options.rules(member.name, role);
      return rules ? [{ member, version: rules.version }] : [];
    });
    const versions = JSON.stringify(visible.map(({ member, version }) => [member.name, version]));
    const key = `${this.idOf(composition)}\u0000${role}`;
    const cached = this.gateways.get(key);
    if (cached && cached.versions === versions) return cached.schema;
    const entries: NamespaceEntry[] = visible.map(({ member }) => {
      const views = this;
      return {
        name: member.name,
        rank: member.rank,
        unavailableReason: member.unavailableReason,
        // Read when composing, as the gateway's own entries are.
        get schema() {
          return member.built ? (views.view(member.name, member.built, role)?.namespaced ?? null) : null;
        },
      };
    });
    const schema = composeGateway(entries);
    this.gateways.set(key, { versions, schema });
    return schema;
  }

  clear(): void {
    this.views.clear();
    this.gateways.clear();
  }

  private idOf(object: object): number {
    let id = this.ids.get(object);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(object, id);
    }
    return id;
  }

  private build(database: string, base: ViewBase<S>, role: string, rules: RoleRules): RoleView {
    const { maxLimit, whereLimits, disclosure } = this.options;
    const { document, dropped } = servableRules(rules.document, base.named, maxLimit);
    if (dropped.length > 0) this.options.onDropped?.(database, role, dropped);
    const access = schemaAccessOf(document, base.named);
    const source = this.options.sourceFactory(base.source, document);
    const description = `Database ${database} (${base.model.dialect} ${base.model.serverVersion}) as role ${role}`;
    const schema = valid(database, role, buildSchema(base.named, source, { maxLimit, description, access }));
    const named = roleNamedModel(base.named, access);
    let namespaced: GraphQLSchema | undefined;
    let rest: RestApi | undefined;
    return {
      database,
      role,
      version: rules.version,
      schema,
      get namespaced() {
        namespaced ??= valid(database, role, buildSchema(base.named, source, { maxLimit, description, access, typePrefix: `${database}_` }));
        return namespaced;
      },
      named,
      access,
      document,
      dropped,
      get rest() {
        rest ??= new RestApi(database, named, schema, maxLimit, whereLimits, disclosure);
        return rest;
      },
    };
  }
}

/** Validated once here (graphql-js keeps the verdict, so executing does not validate again): an invalid schema is never served. */
function valid(database: string, role: string, schema: GraphQLSchema): GraphQLSchema {
  const errors = validateSchema(schema);
  if (errors.length > 0) {
    throw new InvalidSchemaError(`the GraphQL schema built for role ${role} on ${database} is invalid: ${errors.map((e) => e.message).join('; ')}`);
  }
  return schema;
}
