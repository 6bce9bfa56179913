import { GraphQLError, type ASTNode } from 'graphql';
import type { ErrorCode } from './catalogue';

/**
 * An error a resolver raises on purpose, in GraphQL's shape: the catalogue code in
 * `extensions.code`. It is a field error: GraphQL answers HTTP 200 with it in `errors` (as
 * clients expect); REST answers the catalogue's status for the code.
 */
export function lazydbError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export const badInput = (message: string): GraphQLError => lazydbError('BAD_USER_INPUT', message);

/**
 * A refusal of the request as a whole, before anything runs. `http.spec` marks it as
 * GraphQL-over-HTTP's request error, as yoga marks validation errors: 400 for
 * `application/graphql-response+json`, 200 with the error for `application/json` (the spec asks
 * for 200 there). yoga answers every refusal on every path, so the status and body never depend
 * on the path.
 */
export function requestRefusal(code: ErrorCode, message: string, node?: ASTNode): GraphQLError {
  return new GraphQLError(message, { nodes: node ? [node] : undefined, extensions: { code, http: { spec: true, status: 400 } } });
}
