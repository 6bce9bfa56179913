import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_CLIENT, browse, ROLES_CLAIM, startTestIssuer, type TestIssuer } from '../helpers/oidc-issuer';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * An identity provider added in the admin (POST /api/identity-providers), then used as people and
 * programs use it: an admin signs in through it in a browser-like flow (authorization code + PKCE,
 * the session cookie at the end), and its JWTs are accepted as bearers with the roles they carry.
 */

describe('an identity provider added in the admin', () => {
  let server: TestServer;
  let issuer: TestIssuer;

  beforeAll(async () => {
    server = await startTestServer();
    issuer = await startTestIssuer({ redirectUri: `${server.url}/api/auth/oidc/callback` });
  });
  afterAll(async () => {
    await server?.stop();
    await issuer?.close();
  });

  it('is listed without its client secret, accepts its JWTs and lets an admin sign in through it', async () => {
    const before = await server.request('/api/databases', { anonymous: true, headers: { authorization: `Bearer ${await issuer.sign({ sub: 'x', [ROLES_CLAIM]: ['admin'] })}` } });
    expect([before.status, before.body.error.code]).toEqual([401, 'TOKEN_ISSUER_UNKNOWN']);

    const created = await server.request('/api/identity-providers', {
      method: 'POST',
      json: { issuer: issuer.url, audience: [issuer.audience, ADMIN_CLIENT.id], rolesClaim: ROLES_CLAIM, clientId: ADMIN_CLIENT.id, clientSecret: ADMIN_CLIENT.secret, name: 'corp', scope: 'openid email roles' },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ issuer: issuer.url, hasClientSecret: true, source: 'admin' });
    const listed = await server.request('/api/identity-providers');
    expect(listed.text).not.toContain(ADMIN_CLIENT.secret);
    const bad = await server.request('/api/identity-providers', { method: 'POST', json: { issuer: 'http://example.com', audience: 'x' } });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);

    // Its JWTs are bearers now, with the roles they carry.
    const bearer = await issuer.sign({ sub: 'svc', [ROLES_CLAIM]: ['admin'] });
    expect((await server.request('/api/databases', { anonymous: true, headers: { authorization: `Bearer ${bearer}` } })).status).toBe(200);
    const expired = await issuer.sign({ sub: 'svc', [ROLES_CLAIM]: ['admin'], exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 7200 });
    expect((await server.request('/api/databases', { anonymous: true, headers: { authorization: `Bearer ${expired}` } })).body.error.code).toBe('TOKEN_EXPIRED');

    // Sign-in in a browser: the session offers the provider, the flow ends with the session cookie.
    const session = await server.request('/api/auth/session', { anonymous: true });
    const provider = session.body.providers.find((p: { issuer: string }) => p.issuer === issuer.url);
    expect(provider).toMatchObject({ name: 'corp' });
    issuer.account = { sub: 'carol', email: 'carol@example.test', roles: ['admin'] };
    const { url, jar } = await browse(`${server.url}${provider.loginUrl}`, `${server.url}/api/auth/oidc/callback`);
    const back = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([n, v]) => `${n}=${v}`).join('; ') } });
    expect(back.status, await back.clone().text()).toBe(302);
    expect(back.headers.get('location')).toBe('/admin/');
    const sessionCookie = back.headers.getSetCookie().find((c) => c.startsWith('lazydb_session='))!;
    expect(sessionCookie).toContain('HttpOnly');
    const cookie = sessionCookie.split(';')[0]!;
    const signedIn = await server.request('/api/auth/session', { anonymous: true, headers: { cookie } });
    expect(signedIn.body).toMatchObject({ authenticated: true, principal: { kind: 'session', email: 'carol@example.test', role: 'admin' } });
    expect((await server.request('/api/users', { anonymous: true, headers: { cookie } })).status).toBe(200);

    // An open redirect is refused before the issuer is asked.
    const away = await fetch(`${server.url}/api/auth/oidc/corp/login?returnTo=${encodeURIComponent('//evil.example/')}`, { redirect: 'manual' });
    expect(away.status).toBe(400);

    // A token without roles is someone without rights, until an admin grants a role to that identity in lazydb.
    const plain = await issuer.sign({ sub: 'dave', email: 'dave@example.test' });
    const asDave = { anonymous: true, headers: { authorization: `Bearer ${plain}` } };
    expect((await server.request('/api/databases', asDave)).body.error.code).toBe('FORBIDDEN');
    const identities = (await server.request('/api/identities')).body.identities as { id: string; subject: string; roles: string[] }[];
    const dave = identities.find((identity) => identity.subject === 'dave')!;
    expect(dave).toMatchObject({ roles: [] });
    expect((await server.request(`/api/identities/${dave.id}`, { method: 'PATCH', json: { roles: ['ghost'] } })).status).toBe(400);
    expect((await server.request(`/api/identities/${dave.id}`, { method: 'PATCH', json: { roles: ['admin'] } })).body.roles).toEqual(['admin']);
    expect((await server.request('/api/databases', asDave)).status).toBe(200);
    expect((await server.request('/api/identities', asDave)).status).toBe(200);

    // Removed: its tokens are no longer accepted.
    expect((await server.request(`/api/identity-providers/${created.body.id}`, { method: 'DELETE' })).status).toBe(204);
    const after = await server.request('/api/databases', { anonymous: true, headers: { authorization: `Bearer ${await issuer.sign({ sub: 'svc2', [ROLES_CLAIM]: ['admin'] })}` } });
    expect(after.status).toBe(401);
  });
});
