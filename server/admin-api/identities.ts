import { z } from 'zod';
import type { Access } from '../auth';
import { ACCESS_TABLES, stringList, type IdentityRow } from '../auth/store';
import { fail } from '../errors/catalogue';
import { readJson, sendJson } from '../http/io';
import type { RequestContext } from '../pipeline/context';
import { parseInput, roleList } from './input';
import { routeTable } from './router';

const PATCH = z.object({ roles: roleList }).strict();

/** An identity's id in the API: its issuer and subject, which together name it, as one URL-safe token. */
function idOf(row: Pick<IdentityRow, 'issuer' | 'subject'>): string {
  return Buffer.from(`${row.issuer}|${row.subject}`).toString('base64url');
}

function describe(row: IdentityRow) {
  return { id: idOf(row), issuer: row.issuer, subject: row.subject, email: row.email, roles: stringList(row.roles), firstSeenAt: row.first_seen_at, lastSeenAt: row.last_seen_at };
}

/**
 * /api/identities (admin only): the people and services of OpenID Connect issuers lazydb has seen
 * (recorded on first sign-in or first token), and the roles granted to them in lazydb, which are
 * merged with the roles their tokens carry.
 */
export function identitiesApi(access: Access, options: { maxBody: number }) {
  const find = async (id: string): Promise<IdentityRow> => {
    const decoded = Buffer.from(id, 'base64url').toString('utf8');
    const separator = decoded.lastIndexOf('|');
    const row = separator < 0 ? undefined : await access.store.db<IdentityRow>(ACCESS_TABLES.identities).where({ issuer: decoded.slice(0, separator), subject: decoded.slice(separator + 1) }).first();
    if (!row) throw fail('NOT_FOUND', 'no identity with that id (GET /api/identities lists them)');
    return row;
  };
  return routeTable<RequestContext>('/api/identities', {
    'GET /': async (_request, response) => {
      const rows = await access.store.db<IdentityRow>(ACCESS_TABLES.identities).orderBy('last_seen_at', 'desc').limit(1000);
      sendJson(response, 200, { identities: rows.map(describe) });
    },
    'PATCH /:id': async (request, response, { id }) => {
      const input = parseInput(PATCH, await readJson(request, options.maxBody), 'identity change');
      const unknown = input.roles.filter((role) => !access.rules.hasRole(role));
      if (unknown.length > 0) throw fail('VALIDATION_FAILED', `no such role: ${unknown.join(', ')}`, { fields: [{ field: 'roles', message: `unknown: ${unknown.join(', ')}` }] });
      const row = await find(id!);
      const roles = JSON.stringify([...new Set(input.roles)]);
      await access.store.write((trx) => trx(ACCESS_TABLES.identities).where({ issuer: row.issuer, subject: row.subject }).update({ roles }));
      await access.changed();
      sendJson(response, 200, describe({ ...row, roles }));
    },
  });
}
