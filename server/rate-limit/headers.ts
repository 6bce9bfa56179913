import type { RatePolicy } from './policy';
import type { Decision } from './store';

/**
 * The IETF rate-limit headers (draft-ietf-httpapi-ratelimit-headers, revision 11 and later):
 * `RateLimit-Policy` lists each quota of the policy as a Structured Fields string with its
 * quota `q` and window `w` in seconds; `RateLimit` gives, per quota, what is left `r` and the
 * seconds `t` until the window ends. The requests quota is named after the policy and counted in
 * the draft's default unit, requests; the rows quota (`<policy>-rows`) has no unit in the draft's
 * registry, so it says so in a parameter of lazydb's own (`lazydb-unit="rows"`, the draft asks
 * for a vendor prefix).
 *
 *   RateLimit-Policy: "anonymous";q=600;w=60, "anonymous-rows";q=100000;w=60;lazydb-unit="rows"
 *   RateLimit: "anonymous";r=599;t=42, "anonymous-rows";r=99000;t=42
 */
export function policyHeader(policy: RatePolicy): string {
  const items: string[] = [];
  if (policy.requests > 0) items.push(`${sfString(policy.name)};q=${policy.requests};w=${policy.windowSeconds}`);
  if (policy.rows > 0) items.push(`${sfString(`${policy.name}-rows`)};q=${policy.rows};w=${policy.windowSeconds};lazydb-unit="rows"`);
  return items.join(', ');
}

/** The `RateLimit` header for what the request's budgets said (a quota the policy does not have is left out). */
export function limitHeader(policy: RatePolicy, requests: Decision | undefined, rows: Decision | undefined): string {
  const items: string[] = [];
  if (requests) items.push(`${sfString(policy.name)};r=${requests.remaining};t=${secondsOf(requests.resetMs)}`);
  if (rows) items.push(`${sfString(`${policy.name}-rows`)};r=${rows.remaining};t=${secondsOf(rows.resetMs)}`);
  return items.join(', ');
}

/** Whole seconds until a window ends, rounded up (as `Retry-After` and `t` count): never 0 while any of it is left. */
export function secondsOf(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** A Structured Fields string (RFC 8941 §3.3.3): printable ASCII, `"` and `\` escaped; anything else becomes `?` (policy names may come from roles and keys later). */
function sfString(text: string): string {
  return `"${text.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, '\\$&')}"`;
}
