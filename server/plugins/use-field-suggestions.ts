import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Config } from '../config';
import type { LazydbPlugin } from '../pipeline/plugin';

/** graphql-js ends a message with its suggestions: `Did you mean "title"?`, `Did you mean "a", "b", or "c"?`, `Did you mean the enum value "X"?`. */
const SUGGESTION = /\s*Did you mean [^?]*\?$/;

/** The error without its suggestion, everything else (locations, path, extensions) kept. */
function withoutSuggestion(error: GraphQLError): GraphQLError {
  if (!SUGGESTION.test(error.message)) return error;
  return new GraphQLError(error.message.replace(SUGGESTION, ''), {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
}

/**
 * Field suggestions on or off (`LAZYDB_FIELD_SUGGESTIONS`; off by default when
 * NODE_ENV=production). "Did you mean …" names tables, columns and enum values that exist, so
 * with introspection off a client could still map the schema by guessing; off, the messages stop
 * before the suggestion. Validation errors and variable-coercion errors (which graphql-js reports
 * from execute) alike.
 */
export function useFieldSuggestions(config: Pick<Config, 'fieldSuggestions'>): LazydbPlugin {
  if (config.fieldSuggestions) return { name: 'field-suggestions' };
  return {
    name: 'field-suggestions',
    onValidated: (errors) => errors.map(withoutSuggestion),
    onResult: (result: ExecutionResult) => (result.errors ? { ...result, errors: result.errors.map(withoutSuggestion) } : result),
  };
}
