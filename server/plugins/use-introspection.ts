import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Config } from '../config';
import type { LazydbPlugin } from '../pipeline/plugin';

/**
 * GraphQL introspection on or off (`LAZYDB_INTROSPECTION`; off by default when
 * NODE_ENV=production). Off, a document that selects `__schema` or `__type` fails validation on
 * every path, before anything runs; `__typename` stays (clients need it for caching).
 * GraphiQL then has no schema to show.
 */
export function useIntrospection(config: Pick<Config, 'introspection'>): LazydbPlugin {
  return { name: 'introspection', validationRules: config.introspection ? [] : [NoSchemaIntrospectionCustomRule] };
}
