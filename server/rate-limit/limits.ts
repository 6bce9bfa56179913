import { z } from 'zod';

/**
 * Limits an admin sets on an API key or a role (`limits` in POST /api/keys, PATCH /api/keys/:id,
 * POST and PUT /api/roles): requests and estimated rows per minute, requests per day. A role's
 * limits apply to each identity acting as it (each key, user or token subject its own budget).
 */
export interface RateLimits {
  requestsPerMinute?: number;
  requestsPerDay?: number;
  rowsPerMinute?: number;
}


const quota = z.number().int('must be a whole number').min(1, 'must be at least 1').max(1_000_000_000, 'must be at most 1,000,000,000');

/** The `limits` object of the management API: the three quotas, each optional, nothing else. */
export const rateLimitsSchema = z.object({ requestsPerMinute: quota.optional(), requestsPerDay: quota.optional(), rowsPerMinute: quota.optional() }).strict();

/** Limits read back from the registry (a JSON column): checked again, anything else reads as none. */
export function storedLimits(text: string | null | undefined): RateLimits | null {
  if (!text) return null;
  try {
    const parsed = rateLimitsSchema.safeParse(JSON.parse(text));
    return parsed.success && Object.keys(parsed.data).length > 0 ? parsed.data : null;
  } catch {
    return null;
  }
}
