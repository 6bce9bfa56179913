import type { LazydbMetrics } from '../metrics/metrics';
import type { LazydbPlugin } from '../pipeline/plugin';
import { rootTablesOf } from '../pipeline/root-tables';

/**
 * Counting, for every path alike (GraphQL fast path and yoga, `/db/:name/graphql` and the
 * `/graphql` gateway, REST reads and writes, management, health): each request gets a
 * RequestStats the query layer reports its statements to; before execution the operation's root
 * tables are read off its document (cached per document; REST sets its table itself); when the
 * response is sent, the request is counted with bounded labels (server/metrics/). Served at
 * `GET /metrics` (server/metrics/endpoint.ts).
 */
export function useMetrics(metrics: LazydbMetrics): LazydbPlugin {
  return {
    name: 'metrics',
    onContext(context) {
      context.stats = metrics.requestStats();
    },
    onExecute(args, context) {
      context.tables ??= rootTablesOf(args.schema, args.document, args.operationName);
      return undefined;
    },
    onResponse(context, outcome) {
      metrics.recordRequest(context, outcome);
    },
  };
}
