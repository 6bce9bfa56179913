import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { emptyCounters, HOUR, MINUTE, UsageStore, USAGE_TABLE } from '../../server/usage/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageReport } from '../../server/admin-api/types';
import { createThrowawayDatabase, requireOrSkip, type ThrowawayDb } from '../helpers/databases';
import { startTestServer, type TestServer } from '../helpers/server';

const SQL = `
create table artist (artist_id integer primary key, name text not null unique);
--;;
create table album (album_id integer primary key, title text not null, artist_id integer not null references artist (artist_id));
--;;
insert into artist values (1, 'AC/DC'), (2, 'Accept'), (3, 'Aerosmith');
--;;
insert into album values (1, 'Highway to Hell', 1), (2, 'Balls to the Wall', 2);
`;

/** A timer that never fires within a test: GET /api/usage flushes this replica's counts itself. */
const QUIET = { LAZYDB_USAGE_FLUSH_MS: '3600000' };

async function usage(server: TestServer, query = ''): Promise<UsageReport> {
  const answer = await server.request(`/api/usage${query}`);
  expect(answer.status, answer.text).toBe(200);
  return answer.body as UsageReport;
}

async function load(server: TestServer, name: string, graphql: number, rest: number): Promise<void> {
  for (let i = 0; i < graphql; i++) {
    const answer = await server.request(`/db/${name}/graphql`, { method: 'POST', json: { query: '{ artist(limit: 2) { name } }' } });
    expect(answer.status, answer.text).toBe(200);
  }
  for (let i = 0; i < rest; i++) {
    const answer = await server.request(`/db/${name}/rest/album?limit=1`);
    expect(answer.status, answer.text).toBe(200);
  }
}

describe('usage history: /api/usage after a known load (SQLite registry)', () => {
  let server: TestServer;
  let db: ThrowawayDb;
  beforeAll(async () => {
    db = await createThrowawayDatabase('sqlite', { sql: SQL });
    server = await startTestServer({ env: QUIET });
    const registered = await server.request('/api/databases', { method: 'POST', json: { name: 'us', dialect: 'sqlite', connection: db.connection } });
    expect(registered.status, registered.text).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('counts N GraphQL and M REST requests exactly, per database and per table, with latency percentiles', async () => {
    await load(server, 'us', 5, 3);
    // An error of each kind: a REST table that does not exist, a GraphQL refusal.
    expect((await server.request('/db/us/rest/nope')).status).toBe(404);
    const refused = await server.request('/db/us/graphql', { method: 'POST', json: { query: '{ artist(limit: -1) { name } }' } });
    expect(refused.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    // The gateway, with one database's namespace.
    expect((await server.request('/graphql', { method: 'POST', json: { query: '{ us { album { title } } }' } })).status).toBe(200);
    // Not counted: management requests, and a name that is not registered (user input, not a label).
    await server.request('/api/databases');
    expect((await server.request('/db/not-registered/graphql', { method: 'POST', json: { query: '{ a }' } })).status).toBe(404);

    const report = await usage(server);
    expect(report.step).toBe('minute');
    // The last hour, whole minutes: the current one included.
    expect(report.series.length).toBeGreaterThanOrEqual(60);
    expect(report.series.length).toBeLessThanOrEqual(61);
    expect(report.totals).toMatchObject({ requests: 11, errors: 2, rows: 0 });
    expect(report.totals.p50Ms).toBeGreaterThan(0);
    expect(report.totals.p95Ms).toBeGreaterThanOrEqual(report.totals.p50Ms!);
    expect(report.series.reduce((sum, point) => sum + point.requests, 0)).toBe(11);
    const byDatabase = Object.fromEntries(report.databases.map((d) => [d.database, [d.requests, d.errors]]));
    // The gateway's request is counted under the database whose namespace it queried.
    expect(byDatabase).toEqual({ us: [11, 2] });
    const byTable = Object.fromEntries(report.tables.map((t) => [`${t.database}.${t.table}`, [t.requests, t.errors]]));
    expect(byTable).toEqual({ 'us.artist': [6, 1], 'us.album': [4, 0], 'us.': [1, 1] });

    // Top operations: GraphQL only, literal values replaced, so the refused one is the same operation.
    expect(report.operations.map(({ database, sample, requests, errors }) => ({ database, sample, requests, errors }))).toEqual([
      { database: 'us', sample: '{ artist(limit: _) { name } }', requests: 6, errors: 1 },
      { database: 'us', sample: '{ us { album { title } } }', requests: 1, errors: 0 },
    ]);
    expect(report.operations[0]!.hash).toMatch(/^[0-9a-f]{16}$/);

    // Filters.
    expect((await usage(server, '?database=us&table=album')).totals.requests).toBe(4);
    expect((await usage(server, '?database=other')).totals.requests).toBe(0);
    // The load was sent with the admin secret (the test helper's default): counted under its kind, not anonymous.
    expect((await usage(server, '?principal=admin-secret')).totals.requests).toBe(11);
    expect((await usage(server, '?principal=anonymous')).totals.requests).toBe(0);
    const hourly = await usage(server, '?step=hour');
    expect(hourly.series.length).toBeLessThanOrEqual(2);
    expect(hourly.totals.requests).toBe(11);
  });

  it.each([
    ['?step=day', /step must be minute or hour/],
    ['?from=yesterday', /from must be an ISO-8601 time/],
    ['?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', /from must be before to/],
    ['?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&step=hour', /at most 31 days/],
    ['?from=2026-01-01T00:00:00Z&to=2026-01-03T00:00:00Z', /more than 2000 steps/],
    ['?databse=us', /unknown query parameter "databse"/],
    ['?database=a&database=b', /database is given more than once/],
    [`?table=${'t'.repeat(200)}`, /table must be at most 128 characters/],
  ])('refuses %s with 400 BAD_PARAMETER', async (query, message) => {
    const answer = await server.request(`/api/usage${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('BAD_PARAMETER');
    expect(answer.body.error.message).toMatch(message);
  });

  it('answers only GET', async () => {
    const answer = await server.request('/api/usage', { method: 'POST', json: {} });
    expect(answer.status).toBe(405);
  });
});

describe('usage history off (LAZYDB_USAGE_FLUSH_MS=0)', () => {
  it('answers /api/usage with 404 and counts nothing', async () => {
    const server = await startTestServer({ env: { LAZYDB_USAGE_FLUSH_MS: '0' } });
    try {
      const answer = await server.request('/api/usage');
      expect(answer.status).toBe(404);
      expect(answer.body.error.message).toMatch(/usage history is off/);
    } finally {
      await server.stop();
    }
  });
});

const pgUp = await requireOrSkip('postgres');

describe.skipIf(!pgUp)('usage history: two replicas sharing a PostgreSQL registry add up', () => {
  let registry: ThrowawayDb;
  let db: ThrowawayDb;
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    registry = await createThrowawayDatabase('postgres');
    db = await createThrowawayDatabase('sqlite', { sql: SQL });
    const env = { ...QUIET, LAZYDB_REGISTRY_URL: registry.url, LAZYDB_SECRET_KEY: randomBytes(32).toString('hex') };
    first = await startTestServer({ env });
    second = await startTestServer({ env });
    const registered = await first.request('/api/databases', { method: 'POST', json: { name: 'shared', dialect: 'sqlite', connection: db.connection } });
    expect(registered.status, registered.text).toBe(201);
    // The second replica learns of it through the registry's change feed.
    for (let i = 0; i < 100 && !second.gateway.get('shared')?.built; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(second.gateway.get('shared')?.built).toBeTruthy();
  });
  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await registry?.drop();
    await db?.drop();
  });

  it('each adds its own deltas; a replica that stops flushes what it counted', async () => {
    await load(first, 'shared', 4, 2);
    await load(second, 'shared', 3, 5);
    // Each /api/usage flushes its own replica first.
    expect((await usage(second)).totals.requests).toBe(8);
    const both = await usage(first);
    expect(both.totals).toMatchObject({ requests: 14, errors: 0 });
    const byTable = Object.fromEntries(both.tables.map((t) => [`${t.database}.${t.table}`, t.requests]));
    expect(byTable).toEqual({ 'shared.artist': 7, 'shared.album': 7 });
    // Counted, not flushed yet: written on shutdown.
    await load(second, 'shared', 2, 0);
    await second.stop();
    expect((await usage(first, '?database=shared&table=artist')).totals.requests).toBe(9);
  });

  it('folds old minutes into hours once, even when two replicas fold at the same time', async () => {
    const raw = knexFactory({ client: 'pg', connection: registry.url, pool: { min: 0, max: 4 } });
    try {
      const store = new UsageStore(raw);
      const now = Math.floor(Date.now() / 1000);
      const old = now - (now % HOUR) - 3 * 24 * HOUR;
      const counters = { ...emptyCounters(), requests: 2 };
      const labels = { database: 'compacted', table: 't', transport: 'rest', statusClass: '2xx', principalKind: 'anonymous', principalRole: 'anonymous' };
      await store.add([0, 1, 2, 30].map((minute) => ({ bucket: old + minute * MINUTE, ...labels, ...counters, histogram: [...counters.histogram] })));
      await Promise.all([store.compact(now - 24 * HOUR, now - 30 * 24 * HOUR), store.compact(now - 24 * HOUR, now - 30 * 24 * HOUR)]);
      const rows = await raw(USAGE_TABLE).where({ database: 'compacted' }).select('resolution', 'bucket', 'requests');
      expect(rows.map((r) => [r.resolution, Number(r.bucket), Number(r.requests)])).toEqual([[HOUR, old, 8]]);
    } finally {
      await raw.destroy();
    }
  });
});
