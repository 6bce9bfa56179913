import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayDatabase, type ThrowawayDb } from '../helpers/databases';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Hostile review of identity and permissions: each test is one attack that must fail. Real
 * server, real registry, a throwaway SQLite database, loopback only.
 */

const SQL = `
create table artist (artist_id integer primary key, name varchar(100) not null, secret_note varchar(100));
--;;
create table album (album_id integer primary key, title varchar(100) not null, artist_id integer not null, owner varchar(100), foreign key (artist_id) references artist (artist_id));
--;;
insert into artist values (1, 'AC/DC', 's1'), (2, 'Accept', 's2'), (3, 'Aerosmith', 's3');
--;;
insert into album values (1, 'Rock', 1, 'u1'), (2, 'Let There Be Rock', 1, 'u2'), (3, 'Balls', 2, 'u1'), (4, 'Toys', 3, 'u2'), (5, 'Jagged', 3, 'u2');
`;

const PASSWORD = 'correct horse battery';
const USER = 'X-Lazydb-User-Id';

/**
 * An editor may retitle any album (update filter: every row) and delete any, but reads only its own.
 * A write it may make must not tell it what its select rule hides.
 */
const EDITOR = {
  artist: { select: { columns: ['artist_id', 'name'], filter: {} } },
  album: {
    select: { columns: ['album_id', 'title', 'artist_id', 'owner'], filter: { owner: { _eq: USER } } },
    update: { columns: ['title'], filter: {} },
    delete: { filter: {} },
  },
};

/** Anonymous may read artists' names (as the demo's anonymous reads the demo). */
const ANONYMOUS = { artist: { select: { columns: ['artist_id', 'name'], filter: {} } } };

/** A request sent as written: no client-side normalisation of `..` segments (fetch would apply it). */
function rawRequest(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sent = httpRequest({ host: hostname, port, path, method: 'GET', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    sent.on('error', reject);
    sent.end();
  });
}

describe('attacks on identity and permissions', () => {
  let server: TestServer;
  let px: ThrowawayDb;
  let hidden: ThrowawayDb;

  const as = (credential: string) => ({ anonymous: true, headers: { authorization: `Bearer ${credential}` } });
  const gql = async (credential: string, query: string, path = '/db/px/graphql') => (await server.request(path, { method: 'POST', json: { query }, ...as(credential) })).body;

  beforeAll(async () => {
    px = await createThrowawayDatabase('sqlite', { sql: SQL });
    hidden = await createThrowawayDatabase('sqlite', { sql: SQL });
    server = await startTestServer({ env: { LAZYDB_ADMIN_PASSWORD: PASSWORD, LAZYDB_LOGIN_MAX_FAILURES: '3' } });
    for (const [name, target] of [['px', px], ['hidden', hidden]] as const) {
      const answer = await server.request('/api/databases', { method: 'POST', json: { name, dialect: target.dialect, connection: target.connection } });
      expect(answer.status, answer.text).toBe(201);
    }
    expect((await server.request('/api/roles', { method: 'POST', json: { name: 'editor' } })).status).toBe(201);
    const put = await server.request('/api/databases/px/permissions/editor', { method: 'PUT', json: EDITOR });
    expect(put.status, put.text).toBe(200);
    const anonymous = await server.request('/api/databases/px/permissions/anonymous', { method: 'PUT', json: ANONYMOUS });
    expect(anonymous.status, anonymous.text).toBe(200);
  });
  afterAll(async () => {
    await server?.stop();
    await px?.drop();
    await hidden?.drop();
  });

  async function editorToken(): Promise<string> {
    return (await editor()).token;
  }

  async function editor(): Promise<{ token: string; id: string }> {
    const created = await server.request('/api/users', { method: 'POST', json: { email: `u${Math.random().toString(36).slice(2)}@example.com`, password: PASSWORD, roles: ['editor'] } });
    expect(created.status, created.text).toBe(201);
    const signedIn = await server.request('/api/auth/login', { method: 'POST', json: { email: created.body.email, password: PASSWORD }, anonymous: true });
    expect(signedIn.status, signedIn.text).toBe(200);
    return { token: signedIn.body.token, id: signedIn.body.user.id };
  }

  it("does not answer an update's returning with rows the role's select filter hides", async () => {
    const token = await editorToken();
    // The editor sees none of the albums (its subject owns none), yet may retitle them all.
    expect((await gql(token, '{ album { album_id } }')).data.album).toEqual([]);
    const updated = await gql(token, 'mutation { update_album(where: {}, _set: {title: "x"}) { affected_rows returning { album_id artist_id owner } } }');
    expect(updated.errors).toBeUndefined();
    expect(updated.data.update_album.affected_rows).toBe(5);
    // Hasura's rule: returning shows the affected rows the role may select, which here is none.
    expect(updated.data.update_album.returning).toEqual([]);
  });

  it('still answers the rows the role may read in returning, and hides the others over REST too', async () => {
    const { token, id } = await editor();
    const owned = await server.request('/db/px/rest/album', { method: 'POST', json: { album_id: 20, title: 'Mine', artist_id: 1, owner: id } });
    expect(owned.status, owned.text).toBe(201);
    const updated = await gql(token, 'mutation { update_album(where: {album_id: {_in: [1, 20]}}, _set: {title: "y"}) { affected_rows returning { album_id owner } } }');
    expect(updated.data.update_album).toEqual({ affected_rows: 2, returning: [{ album_id: 20, owner: id }] });
    const byKey = await gql(token, 'mutation { update_album_by_pk(pk_columns: {album_id: 1}, _set: {title: "z"}) { album_id owner } }');
    expect(byKey.data.update_album_by_pk).toBeNull();
    const patched = await server.request('/db/px/rest/album/2', { method: 'PATCH', json: { title: 'w' }, ...as(token) });
    expect(patched.text).not.toContain('u2');
  });

  it("does not answer a delete's returning with rows the role's select filter hides", async () => {
    const token = await editorToken();
    const deleted = await gql(token, 'mutation { delete_album(where: {album_id: {_eq: 5}}) { affected_rows returning { album_id artist_id owner } } }');
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data.delete_album.affected_rows).toBe(1);
    expect(deleted.data.delete_album.returning).toEqual([]);
  });

  it("keeps an admin-role API key to the databases it names (or refuses to make such a key)", async () => {
    const created = await server.request('/api/keys', { method: 'POST', json: { name: 'px only', role: 'admin', databases: ['px'] } });
    if (created.status === 400) return; // refused at creation: no such key can exist
    expect(created.status, created.text).toBe(201);
    const key = created.body.key as string;
    const other = await server.request('/db/hidden/rest/artist', as(key));
    expect(other.status, other.text).toBeGreaterThanOrEqual(400);
    const gateway = await gql(key, '{ hidden { artist { secret_note } } }', '/graphql');
    expect(gateway.data?.hidden).toBeUndefined();
    // With the management API it could make itself an unlimited key.
    const keys = await server.request('/api/keys', { method: 'POST', json: { name: 'escalated', role: 'admin' }, ...as(key) });
    expect(keys.status).toBeGreaterThanOrEqual(400);
  });

  it('counts parallel failed sign-ins: no more than LAZYDB_LOGIN_MAX_FAILURES passwords are tried', async () => {
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => server.request('/api/auth/login', { method: 'POST', json: { email: 'admin@localhost', password: `guess-${i}` }, anonymous: true })),
    );
    const tried = guesses.filter((answer) => answer.body?.error?.code === 'INVALID_CREDENTIALS').length;
    const limited = guesses.filter((answer) => answer.body?.error?.code === 'LOGIN_RATE_LIMITED').length;
    expect(tried + limited).toBe(12);
    expect(tried).toBeLessThanOrEqual(3);
  });

  it("ends a user's sessions when an admin sets a new password (a stolen session must not outlive the reset)", async () => {
    const { token, id } = await editor();
    expect((await server.request('/db/px/rest/artist', as(token))).status).toBe(200);
    const reset = await server.request(`/api/users/${encodeURIComponent(id)}`, { method: 'PATCH', json: { password: 'a brand new password 42' } });
    expect(reset.status, reset.text).toBe(200);
    const after = await server.request('/db/px/rest/artist', as(token));
    expect([after.status, after.body?.error?.code]).toEqual([401, 'SESSION_INVALID']);
  });

  it('refuses a forged credential whatever dot segments the path takes (never served as anonymous)', async () => {
    const forged = { authorization: 'Bearer lzk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
    const straight = await rawRequest(server.url, '/db/px/rest/artist', forged);
    expect(straight.status).toBe(401);
    for (const path of ['/admin/../db/px/rest/artist', '/admin/%2e%2e/db/px/rest/artist', '/api/auth/../../db/px/rest/artist']) {
      const answer = await rawRequest(server.url, path, forged);
      expect([path, answer.status]).toEqual([path, 401]);
    }
  });

});

describe('anonymous rate limits', () => {
  let server: TestServer;
  let px: ThrowawayDb;

  beforeAll(async () => {
    px = await createThrowawayDatabase('sqlite', { sql: SQL });
    server = await startTestServer({ env: { LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: '2' } });
    const answer = await server.request('/api/databases', { method: 'POST', json: { name: 'px', dialect: px.dialect, connection: px.connection } });
    expect(answer.status, answer.text).toBe(201);
    expect((await server.request('/api/databases/px/permissions/anonymous', { method: 'PUT', json: ANONYMOUS })).status).toBe(200);
  });
  afterAll(async () => {
    await server?.stop();
    await px?.drop();
  });

  it('apply whatever dot segments the path takes', async () => {
    // LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE is 2 here: the straight path is refused 429 by the third request.
    const straight: number[] = [];
    for (let i = 0; i < 3; i++) straight.push((await rawRequest(server.url, '/db/px/rest/artist')).status);
    expect(straight).toContain(429);
    // The same address, the same resource, through a dot segment: still over the limit.
    const dotted = await rawRequest(server.url, '/admin/../db/px/rest/artist');
    expect(dotted.status).toBe(429);
  });
});

describe('remembered credentials', () => {
  let server: TestServer;
  let px: ThrowawayDb;

  beforeAll(async () => {
    px = await createThrowawayDatabase('sqlite', { sql: SQL });
    // No access poll during the test: only the credential's own expiry can end what identity remembers.
    server = await startTestServer({ env: { LAZYDB_ACCESS_POLL_MS: '600000' } });
    const answer = await server.request('/api/databases', { method: 'POST', json: { name: 'px', dialect: px.dialect, connection: px.connection } });
    expect(answer.status, answer.text).toBe(201);
    expect((await server.request('/api/roles', { method: 'POST', json: { name: 'editor' } })).status).toBe(201);
    expect((await server.request('/api/databases/px/permissions/editor', { method: 'PUT', json: EDITOR })).status).toBe(200);
  });
  afterAll(async () => {
    await server?.stop();
    await px?.drop();
  });

  const as = (credential: string) => ({ anonymous: true, headers: { authorization: `Bearer ${credential}` } });

  it('refuses an API key once it expired, even one verified moments before', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const created = await server.request('/api/keys', { method: 'POST', json: { name: 'short', role: 'editor', expiresAt } });
    expect(created.status, created.text).toBe(201);
    const key = created.body.key as string;
    expect((await server.request('/db/px/rest/artist', as(key))).status).toBe(200);
    while (Date.now() <= Date.parse(expiresAt) + 100) await new Promise((resolve) => setTimeout(resolve, 100));
    const after = await server.request('/db/px/rest/artist', as(key));
    expect([after.status, after.body?.error?.code]).toEqual([401, 'API_KEY_INVALID']);
  });

});
