import type { LazydbPlugin } from '../pipeline/plugin';
import { rootTablesOf } from '../pipeline/root-tables';
import type { RequestContext } from '../pipeline/context';
import { operationShapeOf, type OperationShape } from '../usage/operations';
import type { UsageRecorder } from '../usage/recorder';

/**
 * Usage history (server/usage): every answered request of the data APIs is counted in memory by
 * the recorder, which adds the per-minute deltas to the registry on a timer. Before execution
 * the root fields of the GraphQL operation name the tables it touches (`context.tables`), unless
 * the REST layer named its table already, and its normalised text is noted for the top operations.
 */
export function useUsage(recorder: UsageRecorder): LazydbPlugin {
  // A GraphQL request's (first) operation, for the top operations; REST's own documents are not the client's.
  const operations = new WeakMap<RequestContext, OperationShape>();
  return {
    name: 'usage',
    onExecute(args, context) {
      context.tables ??= rootTablesOf(args.schema, args.document, args.operationName);
      if (context.transport !== 'rest' && !operations.has(context)) operations.set(context, operationShapeOf(args.document));
      return undefined;
    },
    onResponse(context, outcome) {
      recorder.record(context, outcome, operations.get(context));
    },
    close: () => recorder.close(),
  };
}
