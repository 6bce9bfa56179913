import {
  GraphQLBoolean,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  isScalarType,
  type GraphQLFieldConfigMap,
  type GraphQLNamedType,
} from 'graphql';
import { lazydbError } from '../errors/graphql';

export interface NamespaceEntry {
  /** The database name: the namespace root field. */
  name: string;
  /** The database's schema built with type prefix `<name>_`; null while it has never been introspected. */
  schema: GraphQLSchema | null;
  /** Why there is no schema (shown when the namespace is queried). */
  unavailableReason?: string;
  description?: string;
  /**
   * Which of two databases whose type names clash keeps its namespace: the lower rank (the
   * gateway ranks databases by when they first joined it), then the name.
   */
  rank?: number;
}

/** What a namespace field's `extensions` say about it: the database whose root fields it holds. */
export type NamespaceFieldExtensions = {
  lazydbDatabase: string;
};

/**
 * The gateway schema: every database under a root field named after it, in both Query and
 * Mutation. The databases' types are reused as they are (built with a prefix, sharing the
 * scalars), so composing is a walk over existing types, not a rebuild.
 */
export function composeGateway(entries: NamespaceEntry[]): GraphQLSchema {
  const queryFields: GraphQLFieldConfigMap<unknown, object> = {};
  const mutationFields: GraphQLFieldConfigMap<unknown, object> = {};
  const namespace = () => ({});
  // Which database each type name of the gateway came from: a database that would redefine
  // one of an earlier-ranked database's is left out of the gateway rather than breaking every
  // namespace.
  const owners = new Map<string, string>();
  const clashes = new Map<string, GraphQLNamedType>();
  const types: GraphQLNamedType[] = [];
  const byRank = [...entries].sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.name.localeCompare(b.name));
  for (const entry of byRank) {
    const own = entry.schema ? ownTypes(entry.schema) : [];
    const taken = own.find((type) => owners.has(type.name));
    if (taken) {
      clashes.set(entry.name, taken);
      continue;
    }
    for (const type of own) {
      owners.set(type.name, entry.name);
      types.push(type);
    }
  }
  let unavailableType: GraphQLObjectType | undefined;
  for (const entry of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
    const schema = entry.schema;
    const taken = clashes.get(entry.name);
    if (!schema || taken) {
      const reason = taken
        ? `its GraphQL type ${taken.name} would also be a type of database "${owners.get(taken.name)}" in the /graphql gateway ` +
          `(type names there are <database>_<type>); query it at /db/${entry.name}/graphql, or register it under a name ` +
          `that does not start with "${owners.get(taken.name)}_"`
        : (entry.unavailableReason ?? 'it has not been introspected yet');
      // Named with a leading underscore: no database prefix (a letter first) can produce it.
      unavailableType ??= new GraphQLObjectType({ name: '_Unavailable', fields: { _unavailable: { type: GraphQLBoolean } } });
      queryFields[entry.name] = {
        type: unavailableType,
        description: `Database ${entry.name}: unavailable`,
        resolve: () => {
          throw lazydbError('DATABASE_UNAVAILABLE', `database "${entry.name}" is unavailable: ${reason}`);
        },
      };
      continue;
    }
    // Nullable on purpose: an error in one database nulls its namespace, not the whole response.
    // Marked with the database it stands for (server/pipeline/root-tables.ts reads it for metrics).
    const extensions: NamespaceFieldExtensions = { lazydbDatabase: entry.name };
    queryFields[entry.name] = {
      type: schema.getQueryType()!,
      description: entry.description ?? `Database ${entry.name}`,
      resolve: namespace,
      extensions,
    };
    const mutation = schema.getMutationType();
    if (mutation) {
      mutationFields[entry.name] = { type: mutation, description: `Database ${entry.name}`, resolve: namespace, extensions };
    }
  }
  queryFields._databases = {
    type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(GraphQLString))),
    description: 'The names of the databases in this gateway.',
    resolve: () => entries.map((e) => e.name).sort(),
  };
  return new GraphQLSchema({
    // Every database's types up front, for the same reason as in buildSchema: collecting them
    // from the roots would recurse once per relation.
    types,
    // Each database's schema was validated when it was built, composing adds only the
    // namespace fields (database names are GraphQL names, unique), and type names are
    // unique across databases (checked above). Validating the whole again would cost the
    // first request after every change hundreds of milliseconds at thousands of tables.
    assumeValid: true,
    query: new GraphQLObjectType({ name: 'Query', description: 'Every registered database, each under its own name.', fields: queryFields }),
    mutation:
      Object.keys(mutationFields).length > 0
        ? new GraphQLObjectType({ name: 'Mutation', description: 'Every writable database, each under its own name.', fields: mutationFields })
        : undefined,
  });
}

/**
 * The types a database brings to the gateway: all but GraphQL's introspection types and the
 * scalars, which every database shares (the same objects) and which are never prefixed.
 */
function ownTypes(schema: GraphQLSchema): GraphQLNamedType[] {
  return Object.values(schema.getTypeMap()).filter((type) => !type.name.startsWith('__') && !isScalarType(type));
}

export interface GatewayClash {
  /** The registered database whose gateway types the new one would redefine. */
  database: string;
  /** The gateway type name both would define. */
  typeName: string;
}

/**
 * Gateway type names are `<database>_<type>`, so databases `a` (with a type `b_c`) and
 * `a_b` (with a type `c`) would both define `a_b_c`. Compares the unprefixed schemas (what
 * a registration has at hand) of `name` with the others'. Only a pair where one name plus
 * `_` starts the other can clash, so this looks at few pairs and few names.
 */
export function findGatewayClash(
  name: string,
  schema: GraphQLSchema,
  others: Iterable<{ name: string; schema: GraphQLSchema | null }>,
): GatewayClash | null {
  const names = (s: GraphQLSchema) => ownTypes(s).map((type) => type.name);
  for (const other of others) {
    if (!other.schema || other.name === name) continue;
    // `longer`'s types, prefixed with the part of its name beyond `shorter_`, against `shorter`'s.
    const [shorter, longer] = name.length < other.name.length ? [{ name, schema }, other] : [other, { name, schema }];
    if (!longer.name.startsWith(`${shorter.name}_`)) continue;
    const infix = `${longer.name.slice(shorter.name.length + 1)}_`;
    const shorterNames = new Set(names(shorter.schema!));
    const clash = names(longer.schema!).find((type) => shorterNames.has(`${infix}${type}`));
    if (clash) return { database: other.name, typeName: `${longer.name}_${clash}` };
  }
  return null;
}
