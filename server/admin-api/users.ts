import { z } from 'zod';
import type { Access } from '../auth';
import { ADMIN_ROLE } from '../auth/principal';
import { fail } from '../errors/catalogue';
import { readJson, sendJson } from '../http/io';
import type { RequestContext } from '../pipeline/context';
import { email, parseInput, password, roleList } from './input';
import { routeTable } from './router';

const CREATE = z.object({ email, password: password.optional(), roles: roleList.default([]) }).strict();
const PATCH = z.object({ roles: roleList.optional(), blocked: z.boolean().optional(), password: password.optional() }).strict();

/**
 * /api/users (admin only): the users of the active directory (local, Auth0 or Firebase). What
 * the directory cannot do is refused 400 DIRECTORY_ACTION_UNSUPPORTED; GET says what it can.
 * An admin cannot block, delete or take admin from their own account (no one locks themselves out).
 */
export function usersApi(access: Access, options: { maxBody: number }) {
  const directory = () => access.directory;
  const can = (action: Parameters<typeof access.directory.capabilities.has>[0]) => {
    if (!directory().capabilities.has(action)) throw fail('DIRECTORY_ACTION_UNSUPPORTED', `the ${directory().kind} user directory cannot ${action}`);
  };
  const knownRoles = (roles: string[]) => {
    const unknown = roles.filter((role) => !access.rules.hasRole(role));
    if (unknown.length > 0) throw fail('VALIDATION_FAILED', `no such role: ${unknown.join(', ')} (create it first: POST /api/roles)`, { fields: [{ field: 'roles', message: `unknown: ${unknown.join(', ')}` }] });
    return [...new Set(roles)];
  };
  const notSelf = (context: RequestContext, id: string, what: string) => {
    if (context.principal.kind === 'session' && context.principal.id === id) throw fail('FORBIDDEN', `you cannot ${what} your own account; ask another admin`);
  };

  return routeTable<RequestContext>('/api/users', {
    'GET /': async (request, response) => {
      can('list');
      const url = new URL(request.url ?? '/', 'http://lazydb');
      const search = url.searchParams.get('search') ?? undefined;
      if (search) can('search');
      const page = await directory().list({ search: search?.slice(0, 200), page: url.searchParams.get('page'), perPage: Number(url.searchParams.get('perPage') ?? 50) || 50 });
      sendJson(response, 200, { directory: { kind: directory().kind, capabilities: [...directory().capabilities] }, ...page });
    },
    'POST /': async (request, response) => {
      can('create');
      const input = parseInput(CREATE, await readJson(request, options.maxBody), 'user');
      const user = await directory().create({ email: input.email, roles: knownRoles(input.roles), ...(input.password !== undefined ? { password: input.password } : {}) });
      await access.changed();
      sendJson(response, 201, user, { location: `/api/users/${encodeURIComponent(user.id)}` });
    },
    'GET /:id': async (_request, response, { id }) => {
      const user = await directory().get(id!);
      if (!user) throw fail('NOT_FOUND', `no user with id ${id!.slice(0, 64)}`);
      sendJson(response, 200, user);
    },
    'PATCH /:id': async (request, response, { id }, context) => {
      const input = parseInput(PATCH, await readJson(request, options.maxBody), 'user change');
      let user = await directory().get(id!);
      if (!user) throw fail('NOT_FOUND', `no user with id ${id!.slice(0, 64)}`);
      if (input.blocked !== undefined) {
        can('block');
        if (input.blocked) notSelf(context, id!, 'block');
        user = await directory().setBlocked(id!, input.blocked);
      }
      if (input.roles !== undefined) {
        can('setRoles');
        if (!input.roles.includes(ADMIN_ROLE)) notSelf(context, id!, 'take the admin role from');
        user = await directory().setRoles(id!, knownRoles(input.roles));
      }
      if (input.password !== undefined) {
        can('setPassword');
        if (directory() !== access.local) throw fail('DIRECTORY_ACTION_UNSUPPORTED', `the ${directory().kind} directory keeps its own passwords`);
        user = await access.local.setPassword(id!, input.password);
      }
      await access.changed();
      sendJson(response, 200, user);
    },
    'DELETE /:id': async (_request, response, { id }, context) => {
      can('delete');
      notSelf(context, id!, 'delete');
      await directory().remove(id!);
      await access.changed();
      response.writeHead(204).end();
    },
  });
}
