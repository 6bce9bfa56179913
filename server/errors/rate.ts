import type { ErrorFamily } from './lazydb-error';

/** A client spent the budget its rate-limit policy gives it (server/rate-limit): trying again after the window works. */
export const RATE_ERRORS = {
  /**
   * 429 with `Retry-After` in seconds until the budget is back (rounded up, per answer: the
   * catalogue has no fixed value for it), beside the `RateLimit` and `RateLimit-Policy` headers
   * every answer under a policy carries.
   */
  RATE_LIMITED: { status: 429, hint: 'wait the seconds Retry-After gives; RateLimit-Policy says the budget', variableHeaders: ['Retry-After'] },
} as const satisfies ErrorFamily;
