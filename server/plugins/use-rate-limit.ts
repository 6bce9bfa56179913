import type { ServerResponse } from 'node:http';
import { fail } from '../errors/catalogue';
import { LazydbError } from '../errors/lazydb-error';
import type { Logger } from '../log';
import type { RequestContext } from '../pipeline/context';
import type { LazydbPlugin } from '../pipeline/plugin';
import { limitHeader, policyHeader, secondsOf } from '../rate-limit/headers';
import { isLimitedPath, policyResolver, WINDOW_SECONDS, type PolicyConfig, type RatePolicy, type RateSubject } from '../rate-limit/policy';
import { RateStore, type Budget, type Decision, type StoreConfig } from '../rate-limit/store';

export type RateLimitConfig = PolicyConfig & StoreConfig;

export interface RateLimitOptions {
  /**
   * Length of every policy's window in seconds (tests shorten it; the settings say "per minute").
   * @default 60
   */
  windowSeconds?: number;
  /** The store to keep budgets in, shared with the sign-in guard (one Redis connection); absent: one of its own, closed with the plugin. */
  store?: RateStore;
}

/** A policy's budgets in the store and its `RateLimit-Policy` header, made once per policy. */
interface PolicyBudgets {
  requests: Budget | undefined;
  rows: Budget | undefined;
  header: string;
}

/**
 * Rate limits (server/rate-limit): each request to an API is charged to the policy its principal
 * resolves to (today: anonymous traffic, per client address), before its body is read or any SQL
 * runs, and refused 429 RATE_LIMITED with `Retry-After` once the policy's budget is spent. Every
 * answer under a policy carries `RateLimit-Policy` and `RateLimit`. Rows are charged after the
 * answer, by the estimate use-query-cost put on the context; a spent rows budget refuses the
 * partition's next requests. With no policy on, the plugin has no hooks at all.
 */
export function useRateLimit(config: RateLimitConfig, log: Logger, options: RateLimitOptions = {}): LazydbPlugin {
  const windowSeconds = options.windowSeconds ?? WINDOW_SECONDS;
  const resolve = policyResolver(config, windowSeconds);
  if (!resolve) return { name: 'rate-limit' };
  const owned = options.store === undefined;
  const store = options.store ?? new RateStore(config, log);
  const byPolicy = new Map<RatePolicy, PolicyBudgets>();
  const budgetsOf = (policy: RatePolicy): PolicyBudgets => {
    let budgets = byPolicy.get(policy);
    if (!budgets) {
      budgets = {
        requests: policy.requests > 0 ? store.budget(policy.name, 'requests', policy.requests, policy.windowSeconds) : undefined,
        rows: policy.rows > 0 ? store.budget(policy.name, 'rows', policy.rows, policy.windowSeconds) : undefined,
        header: policyHeader(policy),
      };
      byPolicy.set(policy, budgets);
    }
    return budgets;
  };
  /** The requests whose rows are to be charged once they are answered, with whom to charge. */
  const rowsOwed = new WeakMap<RequestContext, RateSubject>();
  log.info('rate limits on', {
    anonymous: { requestsPerWindow: config.anonymousRequestsPerMinute || 'off', rowsPerWindow: config.anonymousRowsPerMinute || 'off', windowSeconds, per: 'client address' },
    store: store.kind,
    ...(store.kind === 'redis' ? { keyPrefix: config.redisPrefix } : {}),
  });

  async function admit(subject: RateSubject, context: RequestContext, response: ServerResponse): Promise<void> {
    const { policy, key } = subject;
    const budgets = budgetsOf(policy);
    let requests: Decision | undefined;
    let rows: Decision | undefined;
    try {
      [requests, rows] = await Promise.all([budgets.requests?.consume(key), budgets.rows?.peek(key)]);
    } catch (error) {
      // The store failed and its insurance too (a bug, not an outage): limits must not take the API down.
      log.error('a rate limit could not be decided; the request is let through', { requestId: context.requestId, error: (error as Error)?.message ?? String(error) });
      return;
    }
    response.setHeader('ratelimit-policy', budgets.header);
    response.setHeader('ratelimit', limitHeader(policy, requests, rows));
    if (rows) rowsOwed.set(context, subject);
    const refusal = requests?.allowed === false ? { quota: 'requests' as const, decision: requests } : rows?.allowed === false ? { quota: 'rows' as const, decision: rows } : null;
    if (refusal) throw rateLimited(policy, refusal.quota, secondsOf(refusal.decision.resetMs));
  }

  return {
    name: 'rate-limit',
    onContext(context, response) {
      if (!isLimitedPath(context.path)) return;
      const subject = resolve(context, response.req);
      if (!subject) return;
      return admit(subject, context, response);
    },
    onResponse(context) {
      const subject = rowsOwed.get(context);
      const rows = Math.ceil(context.estimatedRows);
      if (!subject || rows <= 0) return;
      budgetsOf(subject.policy)
        .rows!.charge(subject.key, rows)
        .catch((error: unknown) => log.error('estimated rows could not be charged to a rate limit', { requestId: context.requestId, error: (error as Error)?.message ?? String(error) }));
    },
    close: () => (owned ? store.close() : undefined),
  };
}

function rateLimited(policy: RatePolicy, quota: 'requests' | 'rows', retryAfter: number): LazydbError {
  const budget = quota === 'requests' ? `${policy.requests} requests` : `${policy.rows} estimated rows`;
  const advice = quota === 'rows' ? ' (smaller pages spend fewer rows)' : '';
  return fail(
    'RATE_LIMITED',
    `the "${policy.name}" rate limit allows ${budget} per ${policy.windowSeconds} s per ${policy.per}, and they are spent: try again in ${retryAfter} s${advice}`,
    { policy: policy.name, quota, retryAfter },
    { 'retry-after': String(retryAfter) },
  );
}
