import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config';
import type { AppOptions } from '../../server/http/app';
import type { Logger } from '../../server/log';
import { useRateLimit } from '../../server/plugins/use-rate-limit';
import { rateLimitCounters } from '../../server/rate-limit/store';
import { createThrowawayDatabase, type ThrowawayDb } from '../helpers/databases';
import { REDIS_URL, deleteKeysUnder, keysUnder, redisClient, redisPrefix, requireRedisOrSkip } from '../helpers/redis';
import { startTestServer, type TestServer } from '../helpers/server';

const SQL = `
create table artist (artist_id integer primary key, name text not null);
--;;
insert into artist values (1, 'AC/DC'), (2, 'Accept'), (3, 'Aerosmith'), (4, 'Alanis Morissette');
`;

const redisUp = await requireRedisOrSkip();
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

let db: ThrowawayDb;
beforeAll(async () => {
  db = await createThrowawayDatabase('sqlite', { sql: SQL });
});
afterAll(async () => {
  await db?.drop();
});

const servers: TestServer[] = [];
const prefixes: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  for (const prefix of prefixes.splice(0)) await deleteKeysUnder(prefix);
});

/** What anonymous may do with `rl`: read `artist`, so that its requests are answered rather than hidden. */
const ANONYMOUS_READS_ARTIST = { artist: { select: { columns: '*', filter: {}, aggregate: true } } };

/**
 * A server with the demo-free test settings, `env` on top, the test database registered as `rl`
 * and readable by anonymous. Setting it up is the admin's work, which no anonymous budget is
 * charged for: every test's budget is the anonymous requests it sends.
 */
async function serverWith(env: Record<string, string>, app?: AppOptions): Promise<TestServer> {
  const server = await startTestServer({ env, app });
  servers.push(server);
  const registered = await server.request('/api/databases', { method: 'POST', json: { name: 'rl', dialect: 'sqlite', connection: db.connection } });
  expect(registered.status, registered.text).toBe(201);
  const granted = await server.request('/api/databases/rl/permissions/anonymous', { method: 'PUT', json: ANONYMOUS_READS_ARTIST });
  expect(granted.status, granted.text).toBe(200);
  return server;
}

/** A request without credentials: the traffic the anonymous policy limits. */
const anonymous = (server: TestServer, path: string, init: Parameters<TestServer['request']>[1] = {}) => server.request(path, { ...init, anonymous: true });

function sharedPrefix(): string {
  const prefix = redisPrefix();
  prefixes.push(prefix);
  return prefix;
}

const query = { query: '{ artist(order_by: [{artist_id: asc}], limit: 3) { name } }' };
const graphql = (server: TestServer) => anonymous(server, '/db/rl/graphql', { method: 'POST', json: query });

describe('rate limits for anonymous traffic, per client address', () => {
  it('answers 429 RATE_LIMITED with Retry-After once the budget is spent, on GraphQL, REST and the gateway alike (memory store)', async () => {
    const server = await serverWith({ LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: '3' });
    const first = await graphql(server);
    expect(first.status, first.text).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"anonymous";q=3;w=60');
    expect(first.headers.get('ratelimit')).toMatch(/^"anonymous";r=2;t=(\d+)$/);
    const rest = await anonymous(server, '/db/rl/rest/artist?limit=1');
    expect(rest.status).toBe(200);
    expect(rest.headers.get('ratelimit')).toMatch(/^"anonymous";r=1;t=\d+$/);
    const gateway = await anonymous(server, '/graphql', { method: 'POST', json: { query: '{ rl { artist(limit: 1) { name } } }' } });
    expect(gateway.status, gateway.text).toBe(200);
    expect(gateway.body.data.rl.artist).toEqual([{ name: 'AC/DC' }]);

    for (const refused of [await graphql(server), await anonymous(server, '/db/rl/rest/artist'), await anonymous(server, '/graphql', { method: 'POST', json: { query: '{ __typename }' } })]) {
      expect(refused.status).toBe(429);
      // Refused before routing, as the host and CSRF guards refuse: the catalogue's HTTP shape on every endpoint.
      expect(refused.body.error).toMatchObject({ code: 'RATE_LIMITED', policy: 'anonymous', quota: 'requests' });
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.body.error.retryAfter).toBe(retryAfter);
      expect(refused.headers.get('ratelimit')).toBe(`"anonymous";r=0;t=${retryAfter}`);
      expect(refused.headers.get('ratelimit-policy')).toBe('"anonymous";q=3;w=60');
      expect(refused.headers.get('x-request-id')).toBeTruthy();
    }
    // The admin is not anonymous: its requests are neither charged nor refused.
    const admin = await server.request('/db/rl/rest/artist?limit=1');
    expect(admin.status, admin.text).toBe(200);
    expect(admin.headers.get('ratelimit')).toBeNull();
    expect(server.logs.some((line) => line.includes('rate limits on') && line.includes('"store":"memory"'))).toBe(true);
  });

  it('refuses before the body is read: a spent budget answers 429, not the 400 of a broken body', async () => {
    const server = await serverWith({ LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: '1' });
    expect((await graphql(server)).status).toBe(200);
    const broken = await anonymous(server, '/db/rl/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    expect(broken.status).toBe(429);
    const write = await anonymous(server, '/db/rl/rest/artist', { method: 'POST', json: { artist_id: 9, name: 'never' } });
    expect(write.status).toBe(429);
    // Refused before the management API's own 401 for anonymous.
    expect((await anonymous(server, '/api/databases')).status).toBe(429);
  });

  it('never limits /healthz, /readyz or the admin, and leaves their answers without RateLimit headers', async () => {
    const server = await serverWith({ LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: '1' });
    expect((await graphql(server)).status).toBe(200);
    expect((await graphql(server)).status).toBe(429);
    for (let i = 0; i < 5; i++) {
      for (const path of ['/healthz', '/readyz', '/admin/']) {
        const answer = await anonymous(server, path);
        expect(answer.status, path).not.toBe(429);
        expect(answer.headers.get('ratelimit'), path).toBeNull();
        expect(answer.headers.get('ratelimit-policy'), path).toBeNull();
      }
    }
  });

  it('adds no headers and no waiting when the limit is off (0)', async () => {
    const server = await serverWith({ LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: '0' });
    for (let i = 0; i < 3; i++) {
      const answer = await graphql(server);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('ratelimit')).toBeNull();
      expect(answer.headers.get('ratelimit-policy')).toBeNull();
    }
    expect(server.logs.some((line) => line.includes('rate limits on'))).toBe(false);
  });

  it('charges estimated rows, and refuses once they are spent (LAZYDB_ANONYMOUS_ROWS_PER_MINUTE)', async () => {
    const server = await serverWith({ LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: '100', LAZYDB_ANONYMOUS_ROWS_PER_MINUTE: '5' });
    const first = await graphql(server);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"anonymous";q=100;w=60, "anonymous-rows";q=5;w=60;lazydb-unit="rows"');
    expect(first.headers.get('ratelimit')).toMatch(/^"anonymous";r=99;t=\d+, "anonymous-rows";r=5;t=\d+$/);
    // limit: 3 is 3 rows; 2 are left, so one more runs, and takes the budget past its end.
    const second = await graphql(server);
    expect(second.status).toBe(200);
    expect(second.headers.get('ratelimit')).toMatch(/"anonymous-rows";r=2;t=\d+$/);
    const third = await anonymous(server, '/db/rl/rest/artist?limit=1');
    expect(third.status).toBe(429);
    expect(third.body.error).toMatchObject({ code: 'RATE_LIMITED', quota: 'rows' });
    expect(third.headers.get('ratelimit')).toMatch(/"anonymous-rows";r=0;t=\d+$/);
  });
});

describe.skipIf(!redisUp)('rate limits shared through Redis', () => {
  it('gives two lazydb instances one budget: of N+1 requests split across them, exactly N succeed', async () => {
    const prefix = sharedPrefix();
    const N = 5;
    // Each instance's setup is the admin's, and not charged: the budget is N anonymous requests.
    const env = { LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: String(N), LAZYDB_REDIS_URL: REDIS_URL, LAZYDB_REDIS_PREFIX: prefix };
    const a = await serverWith(env);
    const b = await serverWith(env);
    const statuses: number[] = [];
    for (let i = 0; i <= N; i++) statuses.push((await graphql(i % 2 === 0 ? a : b)).status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(N);
    expect(statuses.filter((status) => status === 429)).toHaveLength(1);
    expect(statuses.at(-1)).toBe(429);
    const client = redisClient();
    try {
      expect(await keysUnder(client, prefix)).toEqual([`${prefix}rl:anonymous:requests:127.0.0.1`]);
      expect(Number(await client.get(`${prefix}rl:anonymous:requests:127.0.0.1`))).toBe(N + 1);
    } finally {
      client.disconnect();
    }
    for (const server of [a, b]) expect(server.logs.some((line) => line.includes('Redis is unreachable'))).toBe(false);
  });

  it.each(['redis', 'memory'])('says the right Retry-After, and the budget is back after the window (%s, a 2 s window)', async (store) => {
    const prefix = sharedPrefix();
    const config = loadConfig({ LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: '2', LAZYDB_REDIS_PREFIX: prefix, ...(store === 'redis' ? { LAZYDB_REDIS_URL: REDIS_URL } : {}) });
    const server = await serverWith({}, { plugins: (defaults) => defaults.map((plugin) => (plugin.name === 'rate-limit' ? useRateLimit(config, quiet, { windowSeconds: 2 }) : plugin)) });
    expect((await graphql(server)).headers.get('ratelimit-policy')).toBe('"anonymous";q=2;w=2');
    expect((await graphql(server)).status).toBe(200);
    const refused = await graphql(server);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
    const back = await graphql(server);
    expect(back.status).toBe(200);
    expect(back.headers.get('ratelimit')).toMatch(/^"anonymous";r=1;t=[12]$/);
  });

  it('keeps limiting with the in-memory insurance while Redis cannot be reached, answering all along, and logs the outage once', async () => {
    const before = rateLimitCounters();
    const server = await serverWith({ LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: '3', LAZYDB_REDIS_URL: 'redis://127.0.0.1:1', LAZYDB_REDIS_PREFIX: sharedPrefix() });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await graphql(server)).status);
      // Long enough for the client to fail to reconnect several times (each attempt emits an error).
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    expect((await server.request('/healthz')).status).toBe(200);
    // One store (the rate limits', shared with the sign-in guard) logs its outage once, however many reconnect attempts fail.
    const STORES = 1;
    const outages = server.logs.filter((line) => line.includes('Redis is unreachable'));
    expect(outages).toHaveLength(STORES);
    for (const outage of outages) expect(outage).toContain('redis://127.0.0.1:1');
    const after = rateLimitCounters();
    expect(after.outages - before.outages).toBe(STORES);
    // The six anonymous requests (the admin's setup is not limited).
    expect(after.insuredDecisions - before.insuredDecisions).toBe(6);
  });
});
