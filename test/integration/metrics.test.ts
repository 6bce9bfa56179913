import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayDatabase, requireOrSkip, type Engine, type ThrowawayDb } from '../helpers/databases';
import { histogramOf, ownSeries, sampleOf, scrape, valueOf, type Scrape } from '../helpers/prometheus';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * GET /metrics as a Prometheus server reads it (a real parser, promtool), after known traffic over
 * every path: the GraphQL fast path, graphql-yoga, the /graphql gateway, REST reads and writes.
 */

const SQL = `
create table artist (artist_id integer primary key, name varchar(100) not null);
--;;
create table album (album_id integer primary key, title varchar(100) not null, artist_id integer not null, foreign key (artist_id) references artist (artist_id));
--;;
insert into artist values (1, 'AC/DC'), (2, 'Accept'), (3, 'Aerosmith');
--;;
insert into album values (1, 'For Those About To Rock', 1), (2, 'Let There Be Rock', 1), (3, 'Balls to the Wall', 2);
`;

/** Two artists and their three albums: 5 rows, in one statement where the server builds JSON (PostgreSQL, MariaDB). */
const NESTED = '{ artist(order_by: [{artist_id: asc}], limit: 2) { name albums(order_by: [{album_id: asc}]) { title } } }';
const YOGA = { accept: 'application/graphql-response+json' };

const engines: Engine[] = ['postgres', 'mariadb'];
const reachable = Object.fromEntries(await Promise.all(engines.map(async (engine) => [engine, await requireOrSkip(engine)] as const)));

async function register(server: TestServer, name: string, db: ThrowawayDb): Promise<void> {
  const answer = await server.request('/api/databases', { method: 'POST', json: { name, dialect: db.dialect, connection: db.connection } });
  expect(answer.status, answer.text).toBe(201);
}

function requestId(): Record<string, string> {
  return { 'x-request-id': `m-${randomBytes(6).toString('hex')}` };
}

function delta(before: Scrape, after: Scrape, name: string, labels: Record<string, string>): number {
  return valueOf(after, name, labels) - valueOf(before, name, labels);
}

const ok = (database: string, transport: string, operation: string) => ({ database, transport, operation, status_class: '2xx', code: '' });

describe.each(engines)('metrics on %s', (engine) => {
  let db: ThrowawayDb;
  let server: TestServer;
  let nextArtist = 100;

  beforeAll(async () => {
    if (!reachable[engine]) return;
    db = await createThrowawayDatabase(engine, { sql: SQL });
    server = await startTestServer();
    await register(server, 'mx', db);
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  /** One request of each kind; each statement and row it costs is known. */
  async function round(): Promise<void> {
    const fast = await server.request('/db/mx/graphql', { method: 'POST', json: { query: NESTED }, headers: requestId() });
    expect(fast.body.data.artist).toHaveLength(2);
    const yoga = await server.request('/db/mx/graphql', { method: 'POST', json: { query: NESTED }, headers: { ...YOGA, ...requestId() } });
    expect(yoga.text).toBe(fast.text);
    const gateway = await server.request('/graphql', { method: 'POST', json: { query: '{ mx { album(order_by: [{album_id: asc}], limit: 1) { title } } }' }, headers: requestId() });
    expect(gateway.body.data.mx.album).toHaveLength(1);
    const read = await server.request('/db/mx/rest/artist/1', { headers: requestId() });
    expect(read.status, read.text).toBe(200);
    const id = nextArtist++;
    const write = await server.request('/db/mx/rest/artist', { method: 'POST', json: { artist_id: id, name: `Artist ${id}` }, headers: requestId() });
    expect(write.status, write.text).toBe(201);
  }

  it.skipIf(!reachable[engine])('counts N known requests of every path exactly N times, with their tables, statements and rows', async () => {
    const N = 4;
    const before = await scrape(server);
    for (let i = 0; i < N; i++) await round();
    const after = await scrape(server);

    expect(delta(before, after, 'lazydb_requests_total', ok('mx', 'graphql', 'query'))).toBe(2 * N);
    // A gateway request may touch any database: it is counted under none, its tables under theirs.
    expect(delta(before, after, 'lazydb_requests_total', ok('', 'gateway', 'query'))).toBe(N);
    expect(delta(before, after, 'lazydb_requests_total', ok('mx', 'rest', 'rest_read'))).toBe(N);
    expect(delta(before, after, 'lazydb_requests_total', ok('mx', 'rest', 'rest_write'))).toBe(N);

    expect(delta(before, after, 'lazydb_table_requests_total', { database: 'mx', table: 'artist', operation: 'query' })).toBe(2 * N);
    expect(delta(before, after, 'lazydb_table_requests_total', { database: 'mx', table: 'album', operation: 'query' })).toBe(N);
    expect(delta(before, after, 'lazydb_table_requests_total', { database: 'mx', table: 'artist', operation: 'rest_read' })).toBe(N);
    expect(delta(before, after, 'lazydb_table_requests_total', { database: 'mx', table: 'artist', operation: 'rest_write' })).toBe(N);

    // One statement per request (nested reads in the parent's statement, the insert RETURNING its row);
    // rows: 5 per nested read (2 artists, 3 albums), 1 per gateway read, REST read and insert.
    expect(delta(before, after, 'lazydb_sql_statements_total', { database: 'mx' })).toBe(5 * N);
    expect(delta(before, after, 'lazydb_rows_returned_total', {})).toBe(13 * N);

    // Histograms: declared so, with cumulative buckets up to +Inf, a sum and a count.
    expect(after.types.get('lazydb_request_duration_seconds')).toBe('histogram');
    expect(after.types.get('lazydb_sql_statement_duration_seconds')).toBe('histogram');
    const graphql = { database: 'mx', transport: 'graphql', operation: 'query' };
    const requests = histogramOf(after, 'lazydb_request_duration_seconds', graphql);
    expect(requests.count - histogramOf(before, 'lazydb_request_duration_seconds', graphql).count).toBe(2 * N);
    expect(requests.sum).toBeGreaterThan(histogramOf(before, 'lazydb_request_duration_seconds', graphql).sum);
    expect(requests.buckets.get('+Inf')).toBe(requests.count);
    const bounds = [...requests.buckets.keys()].filter((le) => le !== '+Inf').sort((a, b) => Number(a) - Number(b));
    expect(bounds.length).toBeGreaterThan(5);
    for (let i = 1; i < bounds.length; i++) expect(requests.buckets.get(bounds[i]!)!).toBeGreaterThanOrEqual(requests.buckets.get(bounds[i - 1]!)!);
    const statements = histogramOf(after, 'lazydb_sql_statement_duration_seconds', { database: 'mx' });
    expect(statements.count - histogramOf(before, 'lazydb_sql_statement_duration_seconds', { database: 'mx' }).count).toBe(5 * N);
    expect(statements.buckets.get('+Inf')).toBe(statements.count);
    expect(statements.sum).toBeGreaterThan(0);
    for (const suffix of ['_bucket{', '_sum{', '_count{']) {
      expect(after.text).toContain(`lazydb_request_duration_seconds${suffix}`);
      expect(after.text).toContain(`lazydb_sql_statement_duration_seconds${suffix}`);
    }
    expect(after.text).toMatch(/^lazydb_request_duration_seconds_bucket\{le="0\.001",database="mx",transport="rest",operation="rest_read"\} \d+$/m);
  });

  it.skipIf(!reachable[engine])('reads pools, databases and schema builds when scraped', async () => {
    const scraped = await scrape(server);
    expect(valueOf(scraped, 'lazydb_databases', { status: 'ready' })).toBe(1);
    expect(valueOf(scraped, 'lazydb_databases', { status: 'error' })).toBe(0);
    expect(sampleOf(scraped, 'lazydb_pool_connections', { database: 'mx', state: 'used' })?.value).toBe('0');
    expect(valueOf(scraped, 'lazydb_pool_connections', { database: 'mx', state: 'free' })).toBeGreaterThan(0);
    expect(sampleOf(scraped, 'lazydb_pool_pending_acquires', { database: 'mx' })?.value).toBe('0');
    expect(valueOf(scraped, 'lazydb_pool_max_connections', { database: 'mx' })).toBe(10);
    const builds = valueOf(scraped, 'lazydb_schema_builds_total');
    expect(builds).toBeGreaterThanOrEqual(1);
    expect((await server.request('/api/databases/mx/refresh', { method: 'POST' })).status).toBe(200);
    // Nothing changed: nothing was built.
    expect(valueOf(await scrape(server), 'lazydb_schema_builds_total')).toBe(builds);
  });

  it.skipIf(!reachable[engine])('counts refusals by their limit and code, on every path', async () => {
    const before = await scrape(server);
    const tooLarge = '{ artist(limit: 100000) { name } }';
    await server.request('/db/mx/graphql', { method: 'POST', json: { query: tooLarge } });
    await server.request('/db/mx/graphql', { method: 'POST', json: { query: tooLarge }, headers: YOGA });
    await server.request('/graphql', { method: 'POST', json: { query: `{ mx ${tooLarge} }` } });
    expect((await server.request('/db/mx/rest/artist?limit=100000')).status).toBe(400);
    const after = await scrape(server);
    expect(delta(before, after, 'lazydb_limit_rejections_total', { limit: 'LIMIT_TOO_LARGE' })).toBe(4);
    expect(delta(before, after, 'lazydb_requests_total', { database: 'mx', transport: 'graphql', operation: 'query', status_class: '2xx', code: 'LIMIT_TOO_LARGE' })).toBe(1);
    expect(delta(before, after, 'lazydb_requests_total', { database: 'mx', transport: 'graphql', operation: 'query', status_class: '4xx', code: 'LIMIT_TOO_LARGE' })).toBe(1);
    expect(delta(before, after, 'lazydb_requests_total', { database: '', transport: 'gateway', operation: 'query', status_class: '2xx', code: 'LIMIT_TOO_LARGE' })).toBe(1);
    expect(delta(before, after, 'lazydb_requests_total', { database: 'mx', transport: 'rest', operation: 'rest_read', status_class: '4xx', code: 'LIMIT_TOO_LARGE' })).toBe(1);
    // Refused before any SQL: no statement.
    expect(delta(before, after, 'lazydb_sql_statements_total', { database: 'mx' })).toBe(0);
  });

  it.skipIf(!reachable[engine])('keeps the series bounded: 1,000 operation names, random databases, paths and request ids make none', async () => {
    // Every kind of request below once, so that its series exist.
    const kinds = async (i: number) => {
      const tag = `${i}_${randomBytes(4).toString('hex')}`;
      await server.request('/db/mx/graphql', { method: 'POST', json: { query: `query Op_${tag} { artist_by_pk(artist_id: 1) { name } }`, operationName: `Op_${tag}` }, headers: requestId() });
      await server.request('/db/mx/graphql', { method: 'POST', json: { query: `query Op_${tag} { artist_by_pk(artist_id: 1) { name } }` }, headers: { ...YOGA, ...requestId() } });
      await server.request('/graphql', { method: 'POST', json: { query: `query Op_${tag} { mx { album_by_pk(album_id: 1) { title } } }` }, headers: requestId() });
      await server.request(`/db/db_${tag}/graphql`, { method: 'POST', json: { query: '{ x }' }, headers: requestId() });
      await server.request(`/db/db_${tag}/rest/artist/${tag}`, { headers: requestId() });
      await server.request(`/db/mx/rest/t_${tag}/${tag}`, { headers: requestId() });
      await server.request(`/db/mx/rest/artist/${100_000 + i}`, { headers: requestId() });
      await server.request(`/path_${tag}?q=${tag}`, { headers: requestId() });
    };
    await kinds(0);
    const before = await scrape(server);
    const series = ownSeries(before);
    // 1,000 distinct operation names on the fast path, and 50 rounds of every other kind.
    for (let i = 1; i <= 1000; i++) {
      const name = `Named_${i}_${randomBytes(4).toString('hex')}`;
      const answer = await server.request('/db/mx/graphql', { method: 'POST', json: { query: `query ${name} { artist_by_pk(artist_id: 1) { name } }`, operationName: name }, headers: requestId() });
      expect(answer.body.data.artist_by_pk.name).toBe('AC/DC');
    }
    for (let i = 1; i <= 50; i++) await kinds(i);
    const after = await scrape(server);
    expect(ownSeries(after)).toEqual(series);
    expect(delta(before, after, 'lazydb_requests_total', ok('mx', 'graphql', 'query'))).toBe(1000 + 2 * 50);
    expect(delta(before, after, 'lazydb_requests_total', { database: '', transport: 'other', operation: '', status_class: '4xx', code: 'DATABASE_NOT_FOUND' })).toBe(100);
    expect(delta(before, after, 'lazydb_requests_total', { database: 'mx', transport: 'rest', operation: '', status_class: '4xx', code: 'NOT_FOUND' })).toBe(50);
    expect(delta(before, after, 'lazydb_requests_total', { database: 'mx', transport: 'rest', operation: 'rest_read', status_class: '4xx', code: 'NOT_FOUND' })).toBe(50);
    expect(after.text).not.toMatch(/Named_|Op_|db_\d+_[0-9a-f]{8}|t_\d+_[0-9a-f]{8}|path_\d+|m-[0-9a-f]{12}/);
  });

  it.skipIf(!reachable[engine])('passes promtool check metrics', async () => {
    const promtool = process.env.LAZYDB_PROMTOOL;
    if (!promtool) {
      if (process.env.LAZYDB_REQUIRE_PROMTOOL === '1') throw new Error('LAZYDB_REQUIRE_PROMTOOL=1 but LAZYDB_PROMTOOL (the path of promtool) is not set');
      console.info('[metrics] promtool check skipped: set LAZYDB_PROMTOOL to the path of promtool (Debian package prometheus; .ci/run unpacks it)');
      return;
    }
    await round();
    const { text } = await scrape(server);
    // Exit status 0 and no complaint (promtool prints lint findings and exits 3).
    const output = execFileSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    expect(output.trim()).toBe('');
  });
});

describe.skipIf(!reachable.postgres)('metrics settings', () => {
  let db: ThrowawayDb;
  const servers: TestServer[] = [];
  const TOKEN = `tok-${randomBytes(16).toString('hex')}`;

  beforeAll(async () => {
    db = await createThrowawayDatabase('postgres', { sql: SQL });
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
    await db?.drop();
  });
  const start = async (env: Record<string, string>) => {
    const server = await startTestServer({ env });
    servers.push(server);
    return server;
  };

  // These are about a scraper, who is not signed in: an admin skips the token and loopback checks.
  it('asks for LAZYDB_METRICS_TOKEN as a bearer token when it is set, compared whole', async () => {
    const server = await start({ LAZYDB_METRICS_TOKEN: TOKEN });
    const none = await server.request('/metrics', { anonymous: true });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('METRICS_TOKEN_INVALID');
    expect(none.body.error.message).toContain('LAZYDB_METRICS_TOKEN');
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="lazydb metrics"');
    for (const wrong of [`Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN, 'Bearer ']) {
      const answer = await server.request('/metrics', { headers: { authorization: wrong } });
      expect(answer.status, wrong).toBe(401);
      expect(answer.text).not.toContain('lazydb_requests_total');
    }
    const right = await server.request('/metrics', { headers: { authorization: `bearer ${TOKEN}` } });
    expect(right.status).toBe(200);
    expect(right.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(right.text).toContain('# TYPE lazydb_requests_total counter');
    // The refusals were counted, their code in the label.
    expect(right.text).toMatch(/^lazydb_requests_total\{database="",transport="other",operation="",status_class="4xx",code="METRICS_TOKEN_INVALID"\} 6$/m);
    expect((await server.request('/metrics', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
    // The admin secret is not the metrics token, but an admin may read the metrics all the same.
    expect((await server.request('/metrics')).status).toBe(200);
  });

  it('answers loopback clients without a token when none is set', async () => {
    const server = await start({});
    expect((await server.request('/metrics', { anonymous: true })).status).toBe(200);
    expect(server.app.metrics).not.toBeNull();
    // A reverse proxy on this host connects from loopback for everyone: what it forwards is not this host's own.
    for (const headers of [{ 'x-forwarded-for': '203.0.113.7' }, { forwarded: 'for=203.0.113.7' }, { 'x-real-ip': '203.0.113.7' }] as Record<string, string>[]) {
      const forwarded = await server.request('/metrics', { headers, anonymous: true });
      expect(forwarded.status, JSON.stringify(headers)).toBe(403);
      expect(forwarded.body.error.code).toBe('METRICS_LOOPBACK_ONLY');
      // An admin, wherever it connects from, may read them.
      expect((await server.request('/metrics', { headers })).status, JSON.stringify(headers)).toBe(200);
    }
  });

  it('is off with LAZYDB_METRICS=0: no /metrics, no counting', async () => {
    const server = await start({ LAZYDB_METRICS: '0' });
    const answer = await server.request('/metrics', { anonymous: true });
    expect(answer.status).toBe(404);
    expect(answer.body.error.message).toContain('LAZYDB_METRICS=0');
    expect(server.app.metrics).toBeNull();
  });

  it('folds tables beyond LAZYDB_METRICS_MAX_TABLES into (other), and counts what it folded', async () => {
    const server = await start({ LAZYDB_METRICS_MAX_TABLES: '1' });
    await register(server, 'cap', db);
    const before = await scrape(server);
    await server.request('/db/cap/rest/artist');
    await server.request('/db/cap/rest/album');
    await server.request('/db/cap/rest/album/1');
    await server.request('/db/cap/graphql', { method: 'POST', json: { query: '{ album(limit: 1) { title } artist(limit: 1) { name } }' } });
    const after = await scrape(server);
    expect(delta(before, after, 'lazydb_table_requests_total', { database: 'cap', table: 'artist', operation: 'rest_read' })).toBe(1);
    expect(delta(before, after, 'lazydb_table_requests_total', { database: 'cap', table: '(other)', operation: 'rest_read' })).toBe(2);
    expect(delta(before, after, 'lazydb_table_requests_total', { database: 'cap', table: 'artist', operation: 'query' })).toBe(1);
    expect(delta(before, after, 'lazydb_table_requests_total', { database: 'cap', table: '(other)', operation: 'query' })).toBe(1);
    expect(delta(before, after, 'lazydb_metrics_label_folds_total', { label: 'table' })).toBe(3);
    expect(after.text).not.toContain('table="album"');
  });
});
