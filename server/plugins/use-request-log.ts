import type { Config } from '../config';
import type { Logger } from '../log';
import type { LazydbPlugin } from '../pipeline/plugin';

/**
 * One log line per request at debug level (`LAZYDB_LOG_LEVEL=debug`): request id, method, path
 * without its query string (which may hold filter values), status, error code, database,
 * transport, operation kind and time taken. Nothing from headers or bodies.
 */
export function useRequestLog(log: Logger, config: Pick<Config, 'logLevel'>): LazydbPlugin {
  // Nothing to do per request unless the line is written at all.
  if (config.logLevel !== 'debug') return { name: 'request-log' };
  return {
    name: 'request-log',
    onResponse(context, outcome) {
      log.debug('request', {
        requestId: context.requestId,
        method: context.method,
        path: context.path,
        status: outcome.status,
        ...(outcome.code ? { code: outcome.code } : {}),
        ...(context.database !== null ? { database: context.database } : {}),
        transport: context.transport,
        ...(context.operation ? { operation: context.operation } : {}),
        ms: Math.round((performance.now() - context.startedAt) * 10) / 10,
      });
    },
  };
}
