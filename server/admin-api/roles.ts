import { z } from 'zod';
import type { Access } from '../auth';
import { fail } from '../errors/catalogue';
import { readJson, sendJson } from '../http/io';
import type { RequestContext } from '../pipeline/context';
import { parseInput, roleList } from './input';
import { rateLimitsSchema } from '../rate-limit/limits';
import { routeTable } from './router';

const CREATE = z.object({ name: z.string().min(1).max(63), inherits: roleList.default([]), limits: rateLimitsSchema.nullable().optional() }).strict();
const UPDATE = z.object({ inherits: roleList, limits: rateLimitsSchema.nullable().optional() }).strict();

/** /api/roles (admin only): custom roles and what they inherit; admin and anonymous are built in. */
export function rolesApi(access: Access, options: { maxBody: number }) {
  return routeTable<RequestContext>('/api/roles', {
    'GET /': async (_request, response) => sendJson(response, 200, { roles: access.rules.roles() }),
    'POST /': async (request, response) => {
      const input = parseInput(CREATE, await readJson(request, options.maxBody), 'role');
      const role = await access.rules.createRole(input.name, input.inherits, input.limits ?? null);
      await access.changed();
      sendJson(response, 201, role, { location: `/api/roles/${encodeURIComponent(role.name)}` });
    },
    'GET /:name': async (_request, response, { name }) => {
      const role = access.rules.roles().find((r) => r.name === name);
      if (!role) throw fail('NOT_FOUND', `no role named "${name!.slice(0, 64)}"`);
      sendJson(response, 200, role);
    },
    'PUT /:name': async (request, response, { name }) => {
      const input = parseInput(UPDATE, await readJson(request, options.maxBody), 'role');
      const role = await access.rules.updateRole(name!, input.inherits, input.limits);
      await access.changed();
      sendJson(response, 200, role);
    },
    'DELETE /:name': async (_request, response, { name }) => {
      await access.rules.deleteRole(name!);
      await access.changed();
      response.writeHead(204).end();
    },
  });
}
