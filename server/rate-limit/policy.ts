import type { IncomingMessage } from 'node:http';
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

/** The policy and partition a request is charged to, from its principal (and its address); null when no limit applies to it. */
export type PolicyResolver = (context: RequestContext, request: IncomingMessage) => RateSubject | null;

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
 * Today's resolver: an anonymous request is charged to the anonymous policy under its client
 * address's key (IPv6 by /64); any other principal (none exists yet) to nothing. Null when no
 * policy is on, so that the plugin adds no hook at all.
 */
export function policyResolver(config: PolicyConfig, windowSeconds = WINDOW_SECONDS): PolicyResolver | null {
  const anonymous = anonymousPolicy(config, windowSeconds);
  if (!anonymous) return null;
  const { trustProxy } = config;
  return (context, request) => (context.principal.kind === 'anonymous' ? { policy: anonymous, key: addressKey(clientAddressOf(request, trustProxy)) } : null);
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
