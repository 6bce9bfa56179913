import { z } from 'zod';
import { fail } from '../errors/catalogue';

/**
 * A management API body checked against its zod schema: 400 VALIDATION_FAILED naming every bad
 * field (`fields: [{field, message}]`), never echoing a value (it may be a password).
 */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({ field: issue.path.join('.') || '(body)', message: issue.message }));
  throw fail('VALIDATION_FAILED', `invalid ${what} — ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, { fields });
}

export const roleList = z.array(z.string().min(1).max(63)).max(50);
export const email = z.string().trim().min(3).max(320).regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address');
export const password = z.string().min(8, 'must be at least 8 characters').max(1024);
