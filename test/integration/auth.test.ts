import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayDatabase, requireOrSkip, type ThrowawayDb } from '../helpers/databases';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Identity and the management API's access rules, as clients meet them: the first admin, local
 * sign-in (cookie and bearer), sessions that end, API keys, roles, users, the admin secret, role
 * choice, and refusals with their codes. Real server, real registry, no mocks.
 */

const SQL = `
create table artist (artist_id integer primary key, name varchar(100) not null);
--;;
insert into artist values (1, 'AC/DC'), (2, 'Accept');
`;

const PASSWORD = 'correct horse battery';

async function login(server: TestServer, email: string, password: string, headers: Record<string, string> = {}) {
  return server.request('/api/auth/login', { method: 'POST', json: { email, password }, anonymous: true, headers });
}

describe('identity and the management API', () => {
  let server: TestServer;
  let db: ThrowawayDb;

  beforeAll(async () => {
    db = await createThrowawayDatabase('sqlite', { sql: SQL });
    server = await startTestServer({ env: { LAZYDB_ADMIN_PASSWORD: PASSWORD, LAZYDB_LOGIN_MAX_FAILURES: '3' } });
    const registered = await server.request('/api/databases', { method: 'POST', json: { name: 'fx', dialect: 'sqlite', connection: db.connection } });
    expect(registered.status, registered.text).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('keeps only a scrypt hash of the first admin password', () => {
    const registry = new Database(join(server.dataDir, 'registry.sqlite'), { readonly: true });
    try {
      const row = registry.prepare('select email, password_hash, roles from lazydb_users').get() as { email: string; password_hash: string; roles: string };
      expect(row.email).toBe('admin@localhost');
      expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$3\$/);
      expect(row.password_hash).not.toContain(PASSWORD);
      expect(JSON.parse(row.roles)).toEqual(['admin']);
    } finally {
      registry.close();
    }
    expect(server.logs.join('\n')).not.toContain(PASSWORD);
  });

  it('refuses the management API without an identity (401) and to a role that is not admin (403)', async () => {
    for (const path of ['/api/databases', '/api/users', '/api/roles', '/api/keys', '/api/dialects']) {
      const answer = await server.request(path, { anonymous: true });
      expect([path, answer.status, answer.body.error?.code]).toEqual([path, 401, 'UNAUTHENTICATED']);
      expect(answer.headers.get('www-authenticate')).toContain('Bearer');
    }
    const register = await server.request('/api/databases', { method: 'POST', json: { name: 'sneaky', dialect: 'sqlite', connection: db.connection }, anonymous: true });
    expect([register.status, register.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await server.request('/api/databases')).body.databases.map((d: { name: string }) => d.name)).toEqual(['fx']);

    await server.request('/api/roles', { method: 'POST', json: { name: 'reader' } });
    const key = (await server.request('/api/keys', { method: 'POST', json: { name: 'ci', role: 'reader' } })).body.key as string;
    const asReader = await server.request('/api/databases', { headers: { authorization: `Bearer ${key}` } });
    expect([asReader.status, asReader.body.error.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('signs in with email and password: an HttpOnly SameSite=Lax cookie and a bearer token, both ending at sign-out', async () => {
    const answer = await login(server, 'Admin@Localhost', PASSWORD);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.token).toMatch(/^lzs_[a-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
    expect(answer.body.user).toMatchObject({ email: 'admin@localhost', roles: ['admin'] });
    expect(Date.parse(answer.body.expiresAt)).toBeGreaterThan(Date.now());
    const setCookie = answer.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^lazydb_session=lzs_/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).not.toContain('Secure'); // plain http on loopback
    const cookie = setCookie.split(';')[0]!;

    const session = await server.request('/api/auth/session', { anonymous: true, headers: { cookie } });
    expect(session.body).toMatchObject({ authenticated: true, principal: { kind: 'session', email: 'admin@localhost', role: 'admin' } });
    expect((await server.request('/api/databases', { anonymous: true, headers: { cookie } })).status).toBe(200);
    expect((await server.request('/api/databases', { anonymous: true, headers: { authorization: `Bearer ${answer.body.token}` } })).status).toBe(200);

    // A cookie-carrying POST must show where it comes from (the CSRF guard): a browser sends Origin.
    expect((await server.request('/api/auth/logout', { method: 'POST', anonymous: true, headers: { cookie } })).body.error.code).toBe('CSRF_REJECTED');
    const out = await server.request('/api/auth/logout', { method: 'POST', anonymous: true, headers: { cookie, origin: server.url } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    for (const headers of [{ cookie }, { authorization: `Bearer ${answer.body.token}` }] as Record<string, string>[]) {
      const after = await server.request('/api/databases', { anonymous: true, headers });
      expect([after.status, after.body.error.code]).toEqual([401, 'SESSION_INVALID']);
    }
    // Signing in again works with the stale cookie still sent.
    const stale = await server.request('/api/auth/session', { anonymous: true, headers: { cookie } });
    expect(stale.body).toMatchObject({ authenticated: false, refused: 'SESSION_INVALID' });
    expect((await login(server, 'admin@localhost', PASSWORD, { cookie, origin: server.url })).status).toBe(200);
  });

  it('limits failed sign-ins per account and address, and answers a wrong email like a wrong password', async () => {
    const email = `guess-${randomBytes(3).toString('hex')}@example.com`;
    await server.request('/api/users', { method: 'POST', json: { email, password: PASSWORD, roles: [] } });
    const unknown = await login(server, 'nobody@example.com', 'whatever-it-is');
    const wrong = await login(server, email, 'not the password');
    expect([unknown.status, unknown.body.error.code, unknown.body.error.message]).toEqual([401, 'INVALID_CREDENTIALS', wrong.body.error.message]);
    await login(server, email, 'not the password either');
    await login(server, email, 'still not the password');
    const limited = await login(server, email, PASSWORD);
    expect([limited.status, limited.body.error.code]).toEqual([429, 'LOGIN_RATE_LIMITED']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('issues API keys once, lists them without secrets, and refuses them once revoked or expired', async () => {
    const created = await server.request('/api/keys', { method: 'POST', json: { name: 'etl', role: 'admin' } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.key).toMatch(/^lzk_[a-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
    const listed = await server.request('/api/keys');
    const row = listed.body.keys.find((k: { id: string }) => k.id === created.body.id);
    expect(row).toMatchObject({ name: 'etl', role: 'admin', revokedAt: null });
    // The secret is what follows `lzk_<16-character id>_` (it may hold `_` itself).
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key.slice('lzk_'.length + 16 + 1));
    const bearer = { authorization: `Bearer ${created.body.key}` };
    expect((await server.request('/api/databases', { anonymous: true, headers: bearer })).status).toBe(200);
    // A forged secret of a real key id is no key.
    const forged = created.body.key.replace(/_[^_]+$/, `_${'A'.repeat(43)}`);
    expect((await server.request('/api/databases', { anonymous: true, headers: { authorization: `Bearer ${forged}` } })).body.error.code).toBe('API_KEY_INVALID');

    expect((await server.request(`/api/keys/${created.body.id}`, { method: 'DELETE' })).status).toBe(204);
    const revoked = await server.request('/api/databases', { anonymous: true, headers: bearer });
    expect([revoked.status, revoked.body.error.code]).toEqual([401, 'API_KEY_INVALID']);

    const past = await server.request('/api/keys', { method: 'POST', json: { name: 'old', role: 'admin', expiresAt: '2001-01-01T00:00:00Z' } });
    expect([past.status, past.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const unknownRole = await server.request('/api/keys', { method: 'POST', json: { name: 'x', role: 'no-such-role' } });
    expect([unknownRole.status, unknownRole.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('never serves a credential that fails verification as anonymous', async () => {
    for (const authorization of ['Bearer not-a-known-token', 'Bearer lzk_0000000000000000_' + 'A'.repeat(43), 'Basic YWRtaW46YWRtaW4=', `Bearer ${server.adminSecret}x`]) {
      const answer = await server.request('/healthz', { anonymous: true, headers: { authorization } });
      expect(answer.status).toBe(200); // public paths ignore credentials
      const refused = await server.request('/db/fx/rest/artist', { anonymous: true, headers: { authorization } });
      expect([authorization, refused.status]).toEqual([authorization, 401]);
    }
  });

  it('lets a request pick one of its roles with X-Lazydb-Role, and no other', async () => {
    await server.request('/api/roles', { method: 'POST', json: { name: 'editor' } });
    const user = await server.request('/api/users', { method: 'POST', json: { email: 'ed@example.com', password: PASSWORD, roles: ['editor', 'reader'] } });
    expect(user.status, user.text).toBe(201);
    const { token } = (await login(server, 'ed@example.com', PASSWORD)).body;
    const as = (role?: string) => server.request('/api/auth/session', { anonymous: true, headers: { authorization: `Bearer ${token}`, ...(role ? { 'x-lazydb-role': role } : {}) } });
    expect((await as()).body.principal).toMatchObject({ role: 'editor', roles: ['editor', 'reader'] });
    expect((await as('reader')).body.principal.role).toBe('reader');
    const refused = await server.request('/db/fx/rest/artist', { anonymous: true, headers: { authorization: `Bearer ${token}`, 'x-lazydb-role': 'admin' } });
    expect([refused.status, refused.body.error.code]).toEqual([403, 'ROLE_NOT_ALLOWED']);
    const anonymous = await server.request('/db/fx/rest/artist', { anonymous: true, headers: { 'x-lazydb-role': 'editor' } });
    expect([anonymous.status, anonymous.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    // The admin secret may act as any role that exists (to try a role's view), not one that does not.
    expect((await server.request('/api/auth/session', { headers: { 'x-lazydb-role': 'editor' } })).body.principal.role).toBe('editor');
    expect((await server.request('/api/auth/session', { headers: { 'x-lazydb-role': 'ghost' } })).body.error.code).toBe('ROLE_NOT_ALLOWED');
  });

  it('blocks a user: their sessions end and they cannot sign in; an admin cannot block themselves', async () => {
    const created = await server.request('/api/users', { method: 'POST', json: { email: 'bo@example.com', password: PASSWORD, roles: ['admin'] } });
    const { token } = (await login(server, 'bo@example.com', PASSWORD)).body;
    const bearer = { authorization: `Bearer ${token}` };
    expect((await server.request('/api/users', { anonymous: true, headers: bearer })).status).toBe(200);
    const self = await server.request(`/api/users/${created.body.id}`, { method: 'PATCH', json: { blocked: true }, anonymous: true, headers: bearer });
    expect([self.status, self.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const blocked = await server.request(`/api/users/${created.body.id}`, { method: 'PATCH', json: { blocked: true } });
    expect([blocked.status, blocked.body.blocked]).toEqual([200, true]);
    expect((await server.request('/api/users', { anonymous: true, headers: bearer })).body.error.code).toBe('SESSION_INVALID');
    expect((await login(server, 'bo@example.com', PASSWORD)).body.error.code).toBe('INVALID_CREDENTIALS');
    const listed = await server.request('/api/users?search=bo%40');
    expect(listed.body).toMatchObject({ directory: { kind: 'local' }, total: 1 });
    expect(listed.body.directory.capabilities).toContain('setRoles');
    expect(JSON.stringify(listed.body)).not.toContain('scrypt');
  });

  it('keeps roles consistent: inheritance cycles, unknown parents, built-ins and heirs are refused', async () => {
    await server.request('/api/roles', { method: 'POST', json: { name: 'base' } });
    expect((await server.request('/api/roles', { method: 'POST', json: { name: 'child', inherits: ['base'] } })).status).toBe(201);
    const cycle = await server.request('/api/roles/base', { method: 'PUT', json: { inherits: ['child'] } });
    expect([cycle.status, cycle.body.error.code]).toEqual([409, 'ROLE_CONFLICT']);
    const unknown = await server.request('/api/roles', { method: 'POST', json: { name: 'orphan', inherits: ['ghost'] } });
    expect(unknown.status).toBe(404);
    const admin = await server.request('/api/roles', { method: 'POST', json: { name: 'sneak', inherits: ['admin'] } });
    expect([admin.status, admin.body.error.code]).toEqual([409, 'ROLE_CONFLICT']);
    expect((await server.request('/api/roles/admin', { method: 'DELETE' })).body.error.code).toBe('ROLE_BUILT_IN');
    expect((await server.request('/api/roles/base', { method: 'DELETE' })).body.error.code).toBe('ROLE_CONFLICT');
    expect((await server.request('/api/roles/Bad Name', { method: 'PUT', json: { inherits: [] } })).status).toBe(404);
    const roles = (await server.request('/api/roles')).body.roles as { name: string; builtIn: boolean; inherits: string[] }[];
    expect(roles.find((r) => r.name === 'admin')).toEqual({ name: 'admin', inherits: [], builtIn: true, limits: null });
    expect(roles.find((r) => r.name === 'child')).toEqual({ name: 'child', inherits: ['base'], builtIn: false, limits: null });
  });

  it('answers /metrics to an admin even when a metrics token is set, and not to a wrong token', async () => {
    const metricsToken = randomBytes(16).toString('hex');
    const withToken = await startTestServer({ env: { LAZYDB_METRICS_TOKEN: metricsToken } });
    try {
      expect((await withToken.request('/metrics')).status).toBe(200);
      expect((await withToken.request('/metrics', { anonymous: true, headers: { authorization: `Bearer ${metricsToken}` } })).status).toBe(200);
      const wrong = await withToken.request('/metrics', { anonymous: true, headers: { authorization: 'Bearer wrong-token-of-some-length' } });
      expect([wrong.status, wrong.body.error.code]).toEqual([401, 'METRICS_TOKEN_INVALID']);
    } finally {
      await withToken.stop();
    }
  });
});

const pgUp = await requireOrSkip('postgres');

describe.skipIf(!pgUp)('access changes on a shared PostgreSQL registry reach the other replica', () => {
  it('a key revoked on one replica is refused by the other within the poll', async () => {
    const registry = await createThrowawayDatabase('postgres');
    const env = { LAZYDB_REGISTRY_URL: registry.url, LAZYDB_SECRET_KEY: randomBytes(32).toString('hex'), LAZYDB_ACCESS_POLL_MS: '200' };
    const a = await startTestServer({ env });
    const b = await startTestServer({ env: { ...env, LAZYDB_ADMIN_SECRET: a.adminSecret } });
    try {
      const key = (await a.request('/api/keys', { method: 'POST', json: { name: 'shared', role: 'admin' } })).body;
      const bearer = { authorization: `Bearer ${key.key}` };
      expect((await b.request('/api/databases', { anonymous: true, headers: bearer })).status).toBe(200);
      expect((await a.request(`/api/keys/${key.id}`, { method: 'DELETE' })).status).toBe(204);
      let status = 200;
      for (let i = 0; i < 50 && status === 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await b.request('/api/databases', { anonymous: true, headers: bearer })).status;
      }
      expect(status).toBe(401);
      // A permission changed on one replica applies on the other within the poll.
      const db = await createThrowawayDatabase('sqlite', { sql: SQL });
      try {
        for (const server of [a, b]) expect((await server.request('/api/databases', { method: 'POST', json: { name: 'fx', dialect: 'sqlite', connection: db.connection } })).status).toBeLessThan(500);
        await a.request('/api/roles', { method: 'POST', json: { name: 'reader' } });
        const reader = (await a.request('/api/keys', { method: 'POST', json: { name: 'r', role: 'reader' } })).body.key as string;
        const asReader = { anonymous: true, headers: { authorization: `Bearer ${reader}` } };
        const put = await a.request('/api/databases/fx/permissions/reader', { method: 'PUT', json: { artist: { select: { columns: ['name'], filter: { artist_id: { _eq: 1 } } } } } });
        expect(put.status, put.text).toBe(200);
        let names: unknown = null;
        for (let i = 0; i < 50; i++) {
          const answer = await b.request('/db/fx/rest/artist', asReader);
          if (answer.status === 200) {
            names = answer.body;
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(names).toEqual([{ name: 'AC/DC' }]);
      } finally {
        await db.drop();
      }
      // Only one first admin, although both replicas started on an empty registry.
      expect((await a.request('/api/users')).body.total).toBe(1);
    } finally {
      await a.stop();
      await b.stop();
      await registry.drop();
    }
  });
});
