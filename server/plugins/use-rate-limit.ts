import type { ServerResponse } from 'node:http';
import { fail } from '../errors/catalogue';
import { LazydbError } from '../errors/lazydb-error';
import type { Logger } from '../log';
import type { RequestContext } from '../pipeline/context';
import type { LazydbPlugin } from '../pipeline/plugin';
import { limitHeader, policyHeader, secondsOf } from '../rate-limit/headers';
import { isLimitedPath, policyResolver, WINDOW_SECONDS, type PolicyConfig, type PrincipalLimits, type RatePolicy, type RateSubject } from '../rate-limit/policy';
import { RateStore, type Budget, type Decision, type StoreConfig } from '../rate-limit/store';

export type RateLimitConfig = PolicyConfig & StoreConfig;

export interface RateLimitOptions {
  /**
   * Length of every policy's window in seconds (tests shorten it; the settings say "per minute").
   * @default 60
   */
  windowSeconds?: number;
  /** Where the limits of API keys' roles are read (the access rules); absent: only anonymous traffic is limited. */
  principals?: PrincipalLimits;
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
 * Rate limits (server/rate-limit): each request to an API is charged to the policies its principal
 * resolves to (anonymous traffic per client address; an API key's limits per key; a role's limits
 * per identity acting as it), before its body is read or any SQL
 * runs, and refused 429 RATE_LIMITED with `Retry-After` once the policy's budget is spent. Every
 * answer under a policy carries `RateLimit-Policy` and `RateLimit`. Rows are charged after the
 * answer, by the estimate use-query-cost put on the context; a spent rows budget refuses the
 * partition's next requests. With no policy on, the plugin has no hooks at all.
 */
export function useRateLimit(config: RateLimitConfig, log: Logger, options: RateLimitOptions = {}): LazydbPlugin {
  const windowSeconds = options.windowSeconds ?? WINDOW_SECONDS;
  const resolve = policyResolver(config, windowSeconds, options.principals);
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
  const rowsOwed = new WeakMap<RequestContext, readonly RateSubject[]>();
  // Keys' and roles' limits are set (and seen) in the management API; the start-up line is about the anonymous one.
  if (config.anonymousRequestsPerMinute > 0 || config.anonymousRowsPerMinute > 0) log.info('rate limits on', {
    anonymous: { requestsPerWindow: config.anonymousRequestsPerMinute || 'off', rowsPerWindow: config.anonymousRowsPerMinute || 'off', windowSeconds, per: 'client address' },
    store: store.kind,
    ...(store.kind === 'redis' ? { keyPrefix: config.redisPrefix } : {}),
  });

  /** What one subject's budgets said, or null when the store could not say. */
  async function decide(subject: RateSubject, context: RequestContext): Promise<{ subject: RateSubject; requests: Decision | undefined; rows: Decision | undefined } | null> {
    const budgets = budgetsOf(subject.policy);
    try {
      const [requests, rows] = await Promise.all([budgets.requests?.consume(subject.key), budgets.rows?.peek(subject.key)]);
      return { subject, requests, rows };
    } catch (error) {
      // The store failed and its insurance too (a bug, not an outage): limits must not take the API down.
      log.error('a rate limit could not be decided; the request is let through', { requestId: context.requestId, error: (error as Error)?.message ?? String(error) });
      return null;
    }
  }

  /** Charges the request to every policy it falls under (an API key's, its role's, or the anonymous one), refusing on the first that is spent. */
  async function admit(subjects: readonly RateSubject[], context: RequestContext, response: ServerResponse): Promise<void> {
    const decided = (await Promise.all(subjects.map((subject) => decide(subject, context)))).filter((d) => d !== null);
    if (decided.length === 0) return;
    response.setHeader('ratelimit-policy', decided.map(({ subject }) => budgetsOf(subject.policy).header).join(', '));
    response.setHeader('ratelimit', decided.map(({ subject, requests, rows }) => limitHeader(subject.policy, requests, rows)).join(', '));
    const owed = decided.filter(({ rows }) => rows !== undefined).map(({ subject }) => subject);
    if (owed.length > 0) rowsOwed.set(context, owed);
    for (const { subject, requests, rows } of decided) {
      const refusal = requests?.allowed === false ? { quota: 'requests' as const, decision: requests } : rows?.allowed === false ? { quota: 'rows' as const, decision: rows } : null;
      if (refusal) throw rateLimited(subject.policy, refusal.quota, secondsOf(refusal.decision.resetMs));
    }
  }

  return {
    name: 'rate-limit',
    onContext(context, response) {
      if (!isLimitedPath(context.path)) return;
      const subjects = resolve(context, response.req);
      if (subjects.length === 0) return;
      return admit(subjects, context, response);
    },
    onResponse(context) {
      const subjects = rowsOwed.get(context);
      const rows = Math.ceil(context.estimatedRows);
      if (!subjects || rows <= 0) return;
      for (const subject of subjects) {
        budgetsOf(subject.policy)
          .rows!.charge(subject.key, rows)
          .catch((error: unknown) => log.error('estimated rows could not be charged to a rate limit', { requestId: context.requestId, error: (error as Error)?.message ?? String(error) }));
      }
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
