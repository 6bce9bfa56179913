import type { IncomingMessage } from 'node:http';
import type { RateLimits } from './limits';
import type { Config } from '../config';
import type { RequestContext } from '../pipeline/context';
import { addressKey, clientAddressOf } from './client-address';

/** The window every policy counts in today; LAZYDB_*_PER_MINUTE name it. */
export const WINDOW_SECONDS = 60;

/**
 * A rate-limit policy: budgets per window for one kind of caller. Today there is one, for
 * anonymous traffic per client address; API keys, users and roles (issue 13) will bring
 * policies of their own (their `limits`), resolved the same way from the request's principal.
 */
export interface RatePolicy {
  /** Names the policy in the RateLimit headers, the messages and the store's keys (`anonymous`). */
  readonly name: string;
  /** Length of the (fixed) window in seconds: a partition's budget is back that long after its first request in the window. */
  readonly windowSeconds: number;
  /** Requests per window; 0: not limited. */
  readonly requests: number;
  /** Estimated rows per window (use-query-cost's rule); 0: not limited. */
  readonly rows: number;
  /** What one budget belongs to, for messages ("client address"). */
  readonly per: string;
}

/** Who pays for a request: a policy and its partition key (an address today; a key id, a user id later). */
export interface RateSubject {
  readonly policy: RatePolicy;
  readonly key: string;
}

/** The policies and partitions a request is charged to, from its principal (and its address); none when no limit applies to it. */
export type PolicyResolver = (context: RequestContext, request: IncomingMessage) => readonly RateSubject[];

const DAY_SECONDS = 86_400;

/** One policy object per (name, quotas), so that the plugin's per-policy budgets are made once. */
const interned = new Map<string, RatePolicy>();
function policy(name: string, windowSeconds: number, requests: number, rows: number, per: string): RatePolicy {
  const id = `${name}\u0000${windowSeconds}\u0000${requests}\u0000${rows}`;
  let found = interned.get(id);
  if (!found) {
    if (interned.size > 10_000) interned.clear();
    found = Object.freeze({ name, windowSeconds, requests, rows, per });
    interned.set(id, found);
  }
  return found;
}

/** The policies a `limits` object makes: per minute (requests, rows) and per day (requests); none for an empty one. */
export function policiesOf(name: string, limits: RateLimits | null | undefined, per: string, windowSeconds = WINDOW_SECONDS): RatePolicy[] {
  if (!limits) return [];
  const out: RatePolicy[] = [];
  const minuteRequests = limits.requestsPerMinute ?? 0;
  const minuteRows = limits.rowsPerMinute ?? 0;
  if (minuteRequests > 0 || minuteRows > 0) out.push(policy(name, windowSeconds, minuteRequests, minuteRows, per));
  if ((limits.requestsPerDay ?? 0) > 0) out.push(policy(`${name}-day`, windowSeconds === WINDOW_SECONDS ? DAY_SECONDS : windowSeconds * 1440, limits.requestsPerDay!, 0, per));
  return out;
}

/** Where a principal's own limits come from: its key's (on the principal) and its role's (the access rules). */
export interface PrincipalLimits {
  roleLimits(role: string): RateLimits | null;
}

export type PolicyConfig = Pick<Config, 'anonymousRequestsPerMinute' | 'anonymousRowsPerMinute' | 'trustProxy'>;

/** The anonymous policy of the configuration; null when both of its budgets are off. */
export function anonymousPolicy(config: PolicyConfig, windowSeconds = WINDOW_SECONDS): RatePolicy | null {
  if (config.anonymousRequestsPerMinute === 0 && config.anonymousRowsPerMinute === 0) return null;
  return Object.freeze({
    name: 'anonymous',
    windowSeconds,
    requests: config.anonymousRequestsPerMinute,
    rows: config.anonymousRowsPerMinute,
    per: 'client address',
  });
}

/**
 * The resolver: an anonymous request is charged to the anonymous policy under its client address's
 * key (IPv6 by /64); a request with an identity to its API key's limits (per key) and its role's
 * (per identity acting as that role). The admin role is never limited. Null when nothing can ever
 * be limited (no anonymous policy and no access rules), so that the plugin adds no hook at all.
 */
export function policyResolver(config: PolicyConfig, windowSeconds = WINDOW_SECONDS, principals?: PrincipalLimits): PolicyResolver | null {
  const anonymous = anonymousPolicy(config, windowSeconds);
  if (!anonymous && !principals) return null;
  const { trustProxy } = config;
  return (context, request) => {
    const { principal } = context;
    if (principal.kind === 'anonymous') return anonymous ? [{ policy: anonymous, key: addressKey(clientAddressOf(request, trustProxy)) }] : [];
    if (!principals || principal.role === 'admin') return [];
    const subjects: RateSubject[] = [];
    if (principal.kind === 'key' && principal.id !== null) {
      for (const keyPolicy of policiesOf('key', principal.limits, 'API key', windowSeconds)) subjects.push({ policy: keyPolicy, key: principal.id });
    }
    const identity = `${principal.kind}:${principal.id ?? principal.subject ?? ''}`;
    for (const rolePolicy of policiesOf(`role:${principal.role}`, principals.roleLimits(principal.role), `identity acting as ${principal.role}`, windowSeconds)) subjects.push({ policy: rolePolicy, key: identity });
    return subjects;
  };
}

/**
 * The requests a policy counts: the APIs (`/graphql`, `/db/:name/...`: GraphQL, REST, the
 * OpenAPI document and docs page) and the management API (`/api/...`: served to anonymous
 * callers today, and the costliest, since a connection test dials out). Never the probes
 * (`/healthz`, `/readyz`), the admin's static files or the docs' assets, which an orchestrator
 * or a browser fetches without a person asking.
 */
export function isLimitedPath(path: string): boolean {
  return path === '/graphql' || path.startsWith('/db/') || path.startsWith('/api/');
}
