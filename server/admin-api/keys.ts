import { z } from 'zod';
import type { Access } from '../auth';
import { ADMIN_ROLE } from '../auth/principal';
import { fail } from '../errors/catalogue';
import { readJson, sendJson } from '../http/io';
import type { RequestContext } from '../pipeline/context';
import { parseInput } from './input';
import { rateLimitsSchema } from '../rate-limit/limits';
import { routeTable } from './router';

const CREATE = z
  .object({
    name: z.string().trim().min(1).max(200),
    role: z.string().min(1).max(63),
    databases: z.array(z.string().min(1).max(63)).max(1000).nullable().optional(),
    expiresAt: z.iso.datetime({ offset: true }).nullable().optional(),
    limits: rateLimitsSchema.nullable().optional(),
  })
  .strict();

const PATCH = z.object({ name: z.string().trim().min(1).max(200).optional(), limits: rateLimitsSchema.nullable().optional() }).strict();

/** /api/keys (admin only): API keys, answered once at creation (`lzk_…`), listed without secrets, revoked by DELETE. */
export function keysApi(access: Access, options: { maxBody: number }) {
  return routeTable<RequestContext>('/api/keys', {
    'GET /': async (_request, response) => sendJson(response, 200, { keys: await access.keys.list() }),
    'POST /': async (request, response) => {
      const input = parseInput(CREATE, await readJson(request, options.maxBody), 'API key');
      if (!access.rules.hasRole(input.role)) throw fail('VALIDATION_FAILED', `no role named "${input.role}"`, { fields: [{ field: 'role', message: 'unknown role' }] });
      // Admin reaches every database and the management API: a database list could not hold it.
      if (input.role === ADMIN_ROLE && input.databases != null) {
        throw fail('VALIDATION_FAILED', 'an admin key reaches every database and the management API: leave databases out, or give the key a role with rules on those databases', { fields: [{ field: 'databases', message: 'not allowed with the admin role' }] });
      }
      const expiresAt = input.expiresAt ? new Date(input.expiresAt).toISOString() : null;
      if (expiresAt !== null && Date.parse(expiresAt) <= Date.now()) throw fail('VALIDATION_FAILED', 'expiresAt is in the past', { fields: [{ field: 'expiresAt', message: 'must be in the future' }] });
      const key = await access.keys.create({ name: input.name, role: input.role, databases: input.databases ?? null, expiresAt, limits: input.limits ?? null });
      sendJson(response, 201, key, { location: `/api/keys/${key.id}`, 'cache-control': 'no-store' });
    },
    'PATCH /:id': async (request, response, { id }) => {
      const input = parseInput(PATCH, await readJson(request, options.maxBody), 'API key change');
      const key = await access.keys.change(id!, { ...(input.name !== undefined ? { name: input.name } : {}), ...(input.limits !== undefined ? { limits: input.limits } : {}) });
      if (!key) throw fail('NOT_FOUND', `no API key with id ${id!.slice(0, 64)}`);
      await access.changed();
      sendJson(response, 200, key);
    },
    'DELETE /:id': async (_request, response, { id }) => {
      await access.keys.revoke(id!);
      await access.changed();
      response.writeHead(204).end();
    },
  });
}
