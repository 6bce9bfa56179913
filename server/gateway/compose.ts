import { GraphQLBoolean, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, type GraphQLFieldConfigMap } from 'graphql';
import { lazydbError } from '../schema/errors';

export interface NamespaceEntry {
  /** The database name: the namespace root field. */
  name: string;
  /** The database's schema built with type prefix `<name>_`; null while it has never been introspected. */
  schema: GraphQLSchema | null;
  /** Why there is no schema (shown when the namespace is queried). */
  unavailableReason?: string;
  description?: string;
}

/**
 * The gateway schema: every database under a root field named after it, in both Query and
 * Mutation. The databases' types are reused as they are (built with a prefix, sharing the
 * scalars), so composing is a walk over existing types, not a rebuild.
 */
export function composeGateway(entries: NamespaceEntry[]): GraphQLSchema {
  const queryFields: GraphQLFieldConfigMap<unknown, object> = {};
  const mutationFields: GraphQLFieldConfigMap<unknown, object> = {};
  const namespace = () => ({});
  for (const entry of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.schema) {
      const reason = entry.unavailableReason ?? 'it has not been introspected yet';
      queryFields[entry.name] = {
        type: new GraphQLObjectType({
          name: `${entry.name}_Unavailable`,
          fields: { _unavailable: { type: GraphQLBoolean } },
        }),
        description: `Database ${entry.name}: unavailable`,
        resolve: () => {
          throw lazydbError('DATABASE_UNAVAILABLE', `database "${entry.name}" is unavailable: ${reason}`);
        },
      };
      continue;
    }
    // Nullable on purpose: an error in one database nulls its namespace, not the whole response.
    queryFields[entry.name] = {
      type: entry.schema.getQueryType()!,
      description: entry.description ?? `Database ${entry.name}`,
      resolve: namespace,
    };
    const mutation = entry.schema.getMutationType();
    if (mutation) {
      mutationFields[entry.name] = { type: mutation, description: `Database ${entry.name}`, resolve: namespace };
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
    types: entries.flatMap((entry) => (entry.schema ? Object.values(entry.schema.getTypeMap()).filter((type) => !type.name.startsWith('__')) : [])),
    // Each database's schema was validated when it was built, and composing adds only the
    // namespace fields (database names are GraphQL names, unique); duplicate type names are
    // still refused by this constructor. Validating the whole again would cost the first
    // request after every change hundreds of milliseconds at thousands of tables.
    assumeValid: true,
    query: new GraphQLObjectType({ name: 'Query', description: 'Every registered database, each under its own name.', fields: queryFields }),
    mutation:
      Object.keys(mutationFields).length > 0
        ? new GraphQLObjectType({ name: 'Mutation', description: 'Every writable database, each under its own name.', fields: mutationFields })
        : undefined,
  });
}
