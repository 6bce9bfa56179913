import { GraphQLError } from 'graphql';
import type { DbErrorKind, DialectModule } from '../introspect/dialect';
import { lazydbError, type LazydbErrorCode } from '../schema/errors';
import { TooManyBindingsError } from './fragment';

const CODE_FOR_KIND: Record<DbErrorKind, LazydbErrorCode> = {
  unique_violation: 'CONSTRAINT_VIOLATION',
  foreign_key_violation: 'CONSTRAINT_VIOLATION',
  not_null_violation: 'BAD_USER_INPUT',
  check_violation: 'BAD_USER_INPUT',
  invalid_value: 'BAD_USER_INPUT',
  auth_failed: 'DATABASE_UNAVAILABLE',
  unreachable: 'DATABASE_UNAVAILABLE',
  unknown_database: 'DATABASE_UNAVAILABLE',
  timeout: 'DATABASE_UNAVAILABLE',
  other: 'DATABASE_ERROR',
};

/**
 * A driver error -> a GraphQL error with a stable code, an HTTP status and the driver's
 * reason (never the SQL text, a stack or a password: describeError strips those).
 */
export function toGraphQLError(error: unknown, dialect: DialectModule, database: string): GraphQLError {
  if (error instanceof GraphQLError) return error;
  // Refused before it was sent: the request asked for more than one statement can carry.
  if (error instanceof TooManyBindingsError) return lazydbError('BAD_USER_INPUT', error.message, { reason: 'too_many_bindings' });
  const info = dialect.describeError(error);
  const code = CODE_FOR_KIND[info.kind];
  const prefix = code === 'DATABASE_UNAVAILABLE' ? `database "${database}" is unavailable: ` : '';
  return lazydbError(code, `${prefix}${info.message}`, {
    reason: info.kind,
    ...(info.constraint ? { constraint: info.constraint } : {}),
  });
}
