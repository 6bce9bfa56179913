import { z } from 'zod';
import type { Access } from '../auth';
import { ANONYMOUS, ROLE_VARIABLE, type Principal } from '../auth/principal';
import { fail } from '../errors/catalogue';
import type { Gateway } from '../gateway/gateway';
import type { Snapshot } from '../gateway/snapshot';
import { databaseNotFound, readJson, sendJson } from '../http/io';
import type { PermissionDocument } from '../permissions/document';
import { PermissionedSource } from '../permissions/restricted-source';
import { validatePermissions } from '../permissions/validate';
import type { RequestContext } from '../pipeline/context';
import { parseInput } from './input';
import { routeTable } from './router';

const PREVIEW = z
  .object({
    /** The draft to preview; absent: the role's rules as saved (inheritance included). */
    document: z.unknown().optional(),
    /** Session variables to preview with (`x-lazydb-user-id`…); absent ones make their filters match nothing, as in a request. */
    variables: z.record(z.string().regex(/^x-lazydb-[a-z0-9_-]{1,64}$/i), z.string().max(1000)).optional(),
  })
  .strict();

/**
 * /api/databases/:name/permissions[/:role[/preview]] (admin only): each role's permission document
 * on a database, in Hasura's shape (server/permissions/document.ts). A PUT is checked against the
 * database's model (400 INVALID_PERMISSIONS naming each bad entry) and against every role that
 * inherits it (409 ROLE_CONFLICT) before it is saved; it applies on the next request. Preview
 * counts the rows each table would show that role, through the same enforcement requests get.
 */
export function permissionsApi(access: Access, gateway: Gateway, options: { maxBody: number; maxLimit: number }) {
  const builtOf = (name: string): NonNullable<Snapshot['built']> => {
    const snapshot = gateway.get(name);
    if (!snapshot) throw databaseNotFound(name);
    if (!snapshot.built) throw fail('DATABASE_UNAVAILABLE', `database "${name}" has not been introspected yet: ${snapshot.lastError ?? 'connecting'}`);
    return snapshot.built;
  };
  const knownRole = (role: string) => {
    if (!access.rules.hasRole(role)) throw fail('NOT_FOUND', `no role named "${role.slice(0, 64)}"`);
  };
  const validated = (input: unknown, built: NonNullable<Snapshot['built']>): PermissionDocument => {
    const result = validatePermissions(input, built.named, options.maxLimit);
    if (!result.ok) {
      throw fail('INVALID_PERMISSIONS', `invalid permissions — ${result.errors.slice(0, 20).map((e) => `${e.field}: ${e.message}`).join('; ')}${result.errors.length > 20 ? '; …' : ''}`, { fields: result.errors });
    }
    return result.value;
  };

  return routeTable<RequestContext>('/api/databases', {
    'GET /:name/permissions': async (_request, response, { name }) => {
      builtOf(name!);
      sendJson(response, 200, { database: name, roles: access.rules.ownAll(name!) });
    },
    'GET /:name/permissions/:role': async (_request, response, { name, role }) => {
      builtOf(name!);
      knownRole(role!);
      sendJson(response, 200, access.rules.own(name!, role!) ?? {});
    },
    'PUT /:name/permissions/:role': async (request, response, { name, role }) => {
      const built = builtOf(name!);
      knownRole(role!);
      const document = validated(await readJson(request, options.maxBody), built);
      await access.rules.putPermissions(name!, role!, document);
      await access.changed();
      sendJson(response, 200, document);
    },
    'POST /:name/permissions/:role/preview': async (request, response, { name, role }) => {
      const built = builtOf(name!);
      knownRole(role!);
      const input = parseInput(PREVIEW, await readJson(request, options.maxBody), 'preview');
      const document = input.document === undefined ? (access.rules.effective(name!, role!)?.document ?? {}) : validated(input.document, built);
      const source = new PermissionedSource(built.source, document);
      const principal: Principal = { ...ANONYMOUS, role: role!, roles: [role!], variables: { ...lowerCased(input.variables ?? {}), [ROLE_VARIABLE]: role! } };
      const context = { lazydb: { principal, stats: null } };
      const counts: Record<string, number | null> = {};
      for (const table of built.named.tables) {
        if (!document[table.typeName]?.select) continue;
        counts[table.typeName] = await source.count(table, null, context);
      }
      sendJson(response, 200, { counts });
    },
  });
}

function lowerCased(variables: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name.toLowerCase(), value]));
}
