import type { Config } from '../config';
import type { Logger } from '../log';
import type { LazydbPlugin } from '../pipeline/plugin';
import type { LazydbMetrics } from '../metrics/metrics';
import { useAliasLimits } from './use-alias-limits';
import { useBatchLimit } from './use-batch-limit';
import { useCors } from './use-cors';
import { useCsrfGuard } from './use-csrf-guard';
import { documentLimitsOf, useDocumentLimits } from './use-document-limits';
import { useErrorMasking } from './use-error-masking';
import { useFieldSuggestions } from './use-field-suggestions';
import { useHostGuard } from './use-host-guard';
import { useIntrospection } from './use-introspection';
import { useMetrics } from './use-metrics';
import { useQueryCost } from './use-query-cost';
import { useRateLimit } from './use-rate-limit';
import { useRequestId } from './use-request-id';
import { useRequestLog } from './use-request-log';
import { useRequestTarget } from './use-request-target';
import { useUsage } from './use-usage';
import type { UsageRecorder } from '../usage/recorder';
import type { Identity } from '../auth/identity';
import { useIdentity } from './use-identity';
import type { RateStore } from '../rate-limit/store';
import type { PrincipalLimits } from '../rate-limit/policy';

export type PluginConfig = Pick<
  Config,
  | 'host'
  | 'allowedHosts'
  | 'corsOrigins'
  | 'introspection'
  | 'fieldSuggestions'
  | 'exposeDatabaseErrors'
  | 'logLevel'
  | 'maxSelections'
  | 'maxTokens'
  | 'maxInputDepth'
  | 'maxInValues'
  | 'maxFilterTerms'
  | 'maxAliases'
  | 'maxDirectives'
  | 'maxDepth'
  | 'maxCost'
  | 'maxLimit'
  | 'maxBatch'
  | 'anonymousRequestsPerMinute'
  | 'anonymousRowsPerMinute'
  | 'trustProxy'
  | 'redisUrl'
  | 'redisPrefix'
>;

/** What some plugins share with the rest of the app. */
export interface PluginServices {
  /** Where use-metrics counts (the app serves it at /metrics); null with LAZYDB_METRICS=0. */
  metrics?: LazydbMetrics | null;
  /** Where use-usage counts (written to the registry's rollups); absent with LAZYDB_USAGE_FLUSH_MS=0. */
  usage?: UsageRecorder | undefined;
  /** Who is calling (server/auth); absent: every request is anonymous and no access rule applies (embedding without auth). */
  identity?: Identity | undefined;
  /** The rate limits' store, shared with the sign-in guard; absent: the plugin makes its own. */
  rates?: RateStore | undefined;
  /** Where roles' rate limits are read (the access rules); absent: only anonymous traffic is limited. */
  principals?: PrincipalLimits | undefined;
}

/**
 * lazydb's cross-cutting features, in the order their hooks run (see LazydbPlugin). Each is one
 * file of this folder; taking a line out turns that feature off on every path at once.
 */
export function lazydbPlugins(config: PluginConfig, log: Logger, services: PluginServices = {}): LazydbPlugin[] {
  const limits = documentLimitsOf(config);
  return [
    // Request received: its id, who it was meant for (DNS rebinding), whether its URL reads, CORS, CSRF.
    useRequestId(),
    useHostGuard(config),
    useRequestTarget(),
    useCors(config),
    useCsrfGuard(config),
    // Context built: who is calling, then admission by the limits of that principal.
    ...(services.identity ? [useIdentity(services.identity)] : []),
    useRateLimit(config, log, { ...(services.rates ? { store: services.rates } : {}), ...(services.principals ? { principals: services.principals } : {}) }),
    // Counting: before the limits' execute hooks, so that a refused operation is counted with its tables too.
    ...(services.metrics ? [useMetrics(services.metrics)] : []),
    // The document and its variables, before validation and any SQL.
    useBatchLimit(limits),
    useDocumentLimits(limits),
    useAliasLimits(limits),
    useIntrospection(config),
    useFieldSuggestions(config),
    useQueryCost(limits),
    // Results and responses.
    useErrorMasking(log, config),
    useRequestLog(log, config),
    // Usage history (when on): counted in memory, written to the registry on a timer.
    ...(services.usage ? [useUsage(services.usage)] : []),
  ];
}
