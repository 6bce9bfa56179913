import { GraphQLError } from 'graphql';
import type { LazydbPlugin } from '../pipeline/plugin';

/**
 * Operations per batched request, a JSON array of `{ query, variables }` (`LAZYDB_MAX_BATCH`).
 * Batching is off by default (1): every other limit bounds one operation, and a batch would
 * multiply them (1,000 operations each just within the cost bound read 1,000 times as much),
 * while a client gains little over HTTP keep-alive or HTTP/2. When it is raised, graphql-yoga
 * runs each operation of the batch through every plugin, so each passes every other limit.
 * The fast path leaves array bodies to yoga, so both paths answer them alike.
 */
export interface BatchLimits {
  /** @default 1 (batching off) */
  maxBatch: number;
}

/** graphql-yoga's `batching` option for the limit: off at 1. */
export function yogaBatching(limits: BatchLimits): false | { limit: number } {
  return limits.maxBatch > 1 ? { limit: limits.maxBatch } : false;
}

/** The refusal of a batch of `operations` operations, or null when it may run. */
export function checkBatch(operations: number, limits: BatchLimits): GraphQLError | null {
  if (limits.maxBatch > 1 && operations <= limits.maxBatch) return null;
  const why =
    limits.maxBatch > 1
      ? `at most ${limits.maxBatch} are allowed in one request (LAZYDB_MAX_BATCH): send the rest in another request`
      : `batching is off (LAZYDB_MAX_BATCH is 1): send each operation as its own request, a JSON object { "query": … }`;
  // Not `spec`: an array body has no single GraphQL response, so it is a 400 whatever the Accept.
  return new GraphQLError(`the request is a batch (a JSON array) of ${operations} operations; ${why}`, {
    extensions: { code: 'TOO_MANY_OPERATIONS', http: { status: 400 } },
  });
}

/** The plugin: runs as soon as the body is parsed, before any document is (and, on yoga, before its own batching check). */
export function useBatchLimit(limits: BatchLimits): LazydbPlugin {
  return {
    name: 'batch-limit',
    onParams(params) {
      return Array.isArray(params) ? (checkBatch(params.length, limits) ?? undefined) : undefined;
    },
  };
}
