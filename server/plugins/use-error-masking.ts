import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Config } from '../config';
import type { DbErrorKind } from '../introspect/dialect';
import type { Logger } from '../log';
import type { RequestContext } from '../pipeline/context';
import type { LazydbPlugin } from '../pipeline/plugin';

/**
 * What a client is told, when database texts are not shown (LAZYDB_EXPOSE_DB_ERRORS off), for
 * the kinds of database error whose text is the database's own: it can quote the values of a
 * row, parts of the SQL or names from the catalog. The code, the kind and the constraint's name
 * stay (a client acts on those); the text goes to the log under the request id.
 */
const FIXED_DATABASE_MESSAGE: Record<Exclude<DbErrorKind, 'statement_timeout' | 'not_populated'>, string> = {
  unique_violation: 'a row with the same unique value already exists',
  foreign_key_violation: 'the row refers to a row that does not exist, or other rows still refer to it',
  not_null_violation: 'a value the table requires is missing',
  check_violation: 'a value breaks a check constraint of the table',
  invalid_value: 'a value does not fit the type of its column',
  // What made a database unavailable is its own text too (a proxy's or a foreign server's, whose
  // hosts it can name); the code says what to do: try again later.
  auth_failed: 'the database is unavailable; try again shortly',
  unreachable: 'the database is unavailable; try again shortly',
  unknown_database: 'the database is unavailable; try again shortly',
  timeout: 'the database is unavailable; try again shortly',
  other: 'the database refused the statement',
};

/**
 * The last word on errors before they are answered, on every path: an unexpected error (one no
 * part of lazydb raised on purpose) becomes "Unexpected error." with code INTERNAL_SERVER_ERROR
 * and the request id, and is logged with that id; database texts are replaced by a fixed message
 * unless `exposeDatabaseErrors`. Constraint names and "not found" stay.
 */
export function useErrorMasking(log: Logger, config: Pick<Config, 'exposeDatabaseErrors'>): LazydbPlugin {
  const mask = (error: GraphQLError, context: RequestContext): GraphQLError => {
    const original = error.originalError;
    if (original && !(original instanceof GraphQLError)) {
      log.error('unexpected error in a resolver', { requestId: context.requestId, path: error.path?.join('.'), error: original.message });
      return new GraphQLError('Unexpected error.', {
        nodes: error.nodes,
        path: error.path,
        extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: context.requestId },
      });
    }
    const reason = error.extensions?.reason;
    // Only kinds of database error carry database text (statement_timeout and not_populated are lazydb's own words).
    const fixed = typeof reason !== 'string' || config.exposeDatabaseErrors || !Object.hasOwn(FIXED_DATABASE_MESSAGE, reason) ? undefined : FIXED_DATABASE_MESSAGE[reason as keyof typeof FIXED_DATABASE_MESSAGE];
    if (fixed === undefined) return error;
    log.info('database error', { requestId: context.requestId, database: context.database, code: error.extensions.code, reason, error: error.message });
    const constraint = error.extensions.constraint;
    return new GraphQLError(`${fixed}${typeof constraint === 'string' ? ` (constraint "${constraint}")` : ''}; request id ${context.requestId}`, {
      nodes: error.nodes,
      path: error.path,
      extensions: { ...error.extensions, requestId: context.requestId },
    });
  };
  return {
    name: 'error-masking',
    onResult(result: ExecutionResult, context) {
      if (!result.errors) return result;
      return { ...result, errors: result.errors.map((error) => mask(error, context)) };
    },
  };
}
