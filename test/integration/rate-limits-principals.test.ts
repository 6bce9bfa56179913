import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayDatabase, type ThrowawayDb } from '../helpers/databases';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Rate limits of API keys and roles (`limits` on POST/PATCH /api/keys and POST/PUT /api/roles): a
 * key's own budget per key, a role's per identity acting as it, per minute and per day, with the
 * IETF headers naming each policy. Admin traffic is never limited.
 */
const SQL = `
create table artist (artist_id integer primary key, name varchar(100) not null);
--;;
insert into artist values (1, 'AC/DC'), (2, 'Accept');
`;

describe('rate limits of API keys and roles', () => {
  let server: TestServer;
  let db: ThrowawayDb;
  const as = (key: string) => ({ anonymous: true, headers: { authorization: `Bearer ${key}` } });
  const read = (key: string) => server.request('/db/rl/rest/artist', as(key));

  beforeAll(async () => {
    db = await createThrowawayDatabase('sqlite', { sql: SQL });
    server = await startTestServer();
    expect((await server.request('/api/databases', { method: 'POST', json: { name: 'rl', dialect: 'sqlite', connection: db.connection } })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('gives each identity acting as a role its own budget, and a key its own on top', async () => {
    const role = await server.request('/api/roles', { method: 'POST', json: { name: 'metered', limits: { requestsPerMinute: 3 } } });
    expect(role.body).toMatchObject({ name: 'metered', limits: { requestsPerMinute: 3 } });
    expect((await server.request('/api/databases/rl/permissions/metered', { method: 'PUT', json: { artist: { select: { columns: '*', filter: {} } } } })).status).toBe(200);
    const a = (await server.request('/api/keys', { method: 'POST', json: { name: 'a', role: 'metered' } })).body.key as string;
    const b = await server.request('/api/keys', { method: 'POST', json: { name: 'b', role: 'metered', limits: { requestsPerDay: 2 } } });
    expect(b.body.limits).toEqual({ requestsPerDay: 2 });

    const statusesA = [];
    for (let i = 0; i < 4; i++) statusesA.push((await read(a)).status);
    expect(statusesA).toEqual([200, 200, 200, 429]);
    const refusedA = await read(a);
    expect(refusedA.body.error).toMatchObject({ code: 'RATE_LIMITED', policy: 'role:metered', quota: 'requests' });
    expect(Number(refusedA.headers.get('retry-after'))).toBeGreaterThan(0);

    // b has its own role budget (another identity) and its own day quota, the smaller.
    const first = await read(b.body.key);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"key-day";q=2;w=86400, "role:metered";q=3;w=60');
    expect(first.headers.get('ratelimit')).toMatch(/^"key-day";r=1;t=\d+, "role:metered";r=2;t=\d+$/);
    expect((await read(b.body.key)).status).toBe(200);
    const refusedB = await read(b.body.key);
    expect([refusedB.status, refusedB.body.error.policy]).toEqual([429, 'key-day']);

    // The admin is never limited; limits can be changed and removed.
    for (let i = 0; i < 5; i++) expect((await server.request('/db/rl/rest/artist')).status).toBe(200);
    const changed = await server.request(`/api/keys/${b.body.id}`, { method: 'PATCH', json: { limits: null } });
    expect(changed.body.limits).toBeNull();
    const bad = await server.request('/api/roles', { method: 'POST', json: { name: 'bad', limits: { requestsPerMinute: 0 } } });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const unknown = await server.request('/api/roles/metered', { method: 'PUT', json: { inherits: [], limits: { perFortnight: 3 } } });
    expect(unknown.status).toBe(400);
  });
});
