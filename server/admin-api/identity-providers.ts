import type { Access } from '../auth';
import type { IdentityProviders } from '../auth/providers';
import { fail } from '../errors/catalogue';
import { readJson, sendJson } from '../http/io';
import type { RequestContext } from '../pipeline/context';
import { routeTable } from './router';

/**
 * /api/identity-providers (admin only): the OpenID Connect issuers whose JWTs are accepted and
 * that the admin can sign in with. Those of LAZYDB_OIDC_ISSUERS are listed read-only; those added
 * here are kept in the registry (client secrets sealed, never answered) and apply at once.
 */
export function identityProvidersApi(providers: IdentityProviders, access: Access, options: { maxBody: number; changed: () => void }) {
  const body = async (request: Parameters<typeof readJson>[0]) => {
    const input = await readJson(request, options.maxBody);
    if (input === null || typeof input !== 'object' || Array.isArray(input)) throw fail('BAD_BODY', 'send the identity provider as a JSON object');
    return input as Record<string, unknown>;
  };
  const checked = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof Error && !('code' in error)) throw fail('VALIDATION_FAILED', error.message, { fields: [{ field: '(body)', message: error.message }] });
      throw error;
    }
  };
  const after = async () => {
    await access.changed();
    options.changed();
  };
  return routeTable<RequestContext>('/api/identity-providers', {
    'GET /': async (_request, response) => sendJson(response, 200, { providers: providers.list() }),
    'POST /': async (request, response) => {
      const input = await body(request);
      const created = await checked(() => providers.create(input));
      await after();
      sendJson(response, 201, created);
    },
    'PUT /:id': async (request, response, { id }) => {
      if (providers.isFromEnv(id!)) throw fail('FORBIDDEN', 'this issuer comes from LAZYDB_OIDC_ISSUERS: change the setting');
      const input = await body(request);
      const updated = await checked(() => providers.update(id!, input));
      if (!updated) throw fail('NOT_FOUND', `no identity provider with id ${id!.slice(0, 64)}`);
      await after();
      sendJson(response, 200, updated);
    },
    'DELETE /:id': async (_request, response, { id }) => {
      if (providers.isFromEnv(id!)) throw fail('FORBIDDEN', 'this issuer comes from LAZYDB_OIDC_ISSUERS: change the setting');
      if (!(await providers.remove(id!))) throw fail('NOT_FOUND', `no identity provider with id ${id!.slice(0, 64)}`);
      await after();
      response.writeHead(204).end();
    },
  });
}
