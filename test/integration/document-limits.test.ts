import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayDatabase, requireOrSkip, type ThrowawayDb } from '../helpers/databases';
import { useRegisteredDatabase } from '../helpers/registered';
import { healthzDuring, startTestServer, type TestServer } from '../helpers/server';

/**
 * Bounded work per document (issue 10): documents and inputs beyond a limit are refused in
 * milliseconds on every GraphQL path and REST, while the server keeps serving; the document
 * cache stays within its byte budget.
 */

/** `fragment F1 on <type> { <fields> ...F2 ...F2 }` … `depth` deep. */
function fanOut(depth: number, root: string, type: string, fields: string): string {
  const fragments = Array.from({ length: depth }, (_, i) =>
    i === depth - 1 ? `fragment F${i + 1} on ${type} { ${fields} }` : `fragment F${i + 1} on ${type} { ${fields} ...F${i + 2} ...F${i + 2} }`,
  );
  return `${root}\n${fragments.join('\n')}`;
}

const FAN_OUT = fanOut(30, '{ artist(limit: 1) { ...F1 } }', 'artist', 'name');
const GATEWAY_FAN_OUT = fanOut(30, '{ fx { artist(limit: 1) { ...F1 } } }', 'fx_artist', 'name');
const GRAPHQL_RESPONSE = 'application/graphql-response+json';

function deepAnd(levels: number): Record<string, unknown> {
  let where: Record<string, unknown> = { name: { _eq: 'AC/DC' } };
  for (let i = 0; i < levels; i++) where = { _and: [where] };
  return where;
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}


describe('document limits over HTTP (SQLite)', () => {
  const registeredDb = useRegisteredDatabase('sqlite', { available: true, name: 'fx', sqlFile: 'test/fixtures/sql/sqlite.sql' });
  let db: ThrowawayDb;
  let server: TestServer;

  beforeAll(async () => {
    db = registeredDb.db;
    server = registeredDb.server;
    // Warm every path once, so that timings below are of the refusal only.
    for (const accept of ['application/json', GRAPHQL_RESPONSE]) {
      for (const path of ['/db/fx/graphql', '/graphql']) {
        const query = path === '/graphql' ? '{ fx { artist(limit: 1) { name } } }' : '{ artist(limit: 1) { name } }';
        expect((await server.request(path, { method: 'POST', json: { query }, headers: { accept } })).status).toBe(200);
      }
    }
  });

  it('answers a fragment fan-out with TOO_MANY_SELECTIONS in milliseconds on every path, while /healthz keeps answering', async () => {
    const requests: [string, () => Promise<{ status: number; body: any }>, number][] = [
      ['POST JSON (fast path)', () => server.request('/db/fx/graphql', { method: 'POST', json: { query: FAN_OUT } }), 200],
      ['POST graphql-response+json (yoga)', () => server.request('/db/fx/graphql', { method: 'POST', json: { query: FAN_OUT }, headers: { accept: GRAPHQL_RESPONSE } }), 400],
      ['GET (yoga)', () => server.request(`/db/fx/graphql?query=${encodeURIComponent(FAN_OUT)}`, { headers: { accept: GRAPHQL_RESPONSE } }), 400],
      ['gateway POST JSON', () => server.request('/graphql', { method: 'POST', json: { query: GATEWAY_FAN_OUT } }), 200],
      ['gateway GET', () => server.request(`/graphql?query=${encodeURIComponent(GATEWAY_FAN_OUT)}`, { headers: { accept: GRAPHQL_RESPONSE } }), 400],
    ];
    const slowestHealthz = await healthzDuring(server, async () => {
      for (const [label, send, status] of requests) {
        const { result, ms } = await timed(send);
        expect([label, result.status], JSON.stringify(result.body)).toEqual([label, status]);
        expect(result.body.data).toBeUndefined();
        expect(result.body.errors).toHaveLength(1);
        const [error] = result.body.errors;
        expect(error.extensions).toEqual({ code: 'TOO_MANY_SELECTIONS' });
        // 2^30 selections below the root field (one more in the gateway's namespace field).
        expect(error.message).toMatch(/expands to 107374182[45] field selections/);
        expect(error.message).toContain('at most 10000');
        expect(error.message).toContain('LAZYDB_MAX_SELECTIONS');
        expect(ms, label).toBeLessThan(100);
      }
    });
    expect(slowestHealthz).toBeLessThan(250);
  });

  it('runs a fan-out just under the limit, with the same data as the plain query', async () => {
    const fields = 'name albums(order_by: [{album_id: asc}]) { title }';
    // 1 + 3 × (2^11 − 1) = 6,142 selections once spread out.
    const fanned = fanOut(11, '{ artist(order_by: [{artist_id: asc}]) { ...F1 } }', 'artist', fields);
    const plain = await server.graphql('/db/fx/graphql', `{ artist(order_by: [{artist_id: asc}]) { ${fields} } }`);
    expect(plain.errors).toBeUndefined();
    expect(plain.data.artist[0]).toEqual({ name: 'AC/DC', albums: [{ title: 'For Those About To Rock' }, { title: 'Let There Be Rock' }] });
    for (const accept of ['application/json', GRAPHQL_RESPONSE]) {
      const answer = await server.request('/db/fx/graphql', { method: 'POST', json: { query: fanned }, headers: { accept } });
      expect([answer.status, answer.body]).toEqual([200, plain]);
    }
  });

  it('refuses _and nested 1,000 deep as a literal, as variables and as REST where=, and keeps serving', async () => {
    const levels = 1000;
    const literal = `{ artist(where: ${'{_and: ['.repeat(levels)}{name: {_eq: "AC/DC"}}${']}'.repeat(levels)}) { name } }`;
    const withVariables = { query: 'query ($w: artist_bool_exp) { artist(where: $w) { name } }', variables: { w: deepAnd(levels) } };
    for (const body of [{ query: literal }, withVariables]) {
      for (const [accept, status] of [['application/json', 200], [GRAPHQL_RESPONSE, 400]] as const) {
        const answer = await server.request('/db/fx/graphql', { method: 'POST', json: body, headers: { accept } });
        expect(answer.status, answer.text).toBe(status);
        expect(answer.body.errors[0].extensions).toEqual({ code: 'INPUT_TOO_DEEP' });
        expect(answer.body.errors[0].message).toContain('LAZYDB_MAX_INPUT_DEPTH');
      }
    }
    // The object form of _and (a list of one may be given as the item itself) keeps the URL short.
    let where = '{"name":{"_eq":"AC/DC"}}';
    for (let i = 0; i < levels; i++) where = `{"_and":${where}}`;
    const rest = await server.request(`/db/fx/rest/artist?where=${where}`);
    expect(rest.status, rest.text).toBe(400);
    expect(rest.body.error.code).toBe('INPUT_TOO_DEEP');
    expect(rest.body.error.message).toContain('LAZYDB_MAX_INPUT_DEPTH');

    expect((await server.request('/healthz')).status).toBe(200);
    const shallow = await server.graphql('/db/fx/graphql', 'query ($w: artist_bool_exp) { artist(where: $w) { name } }', { w: deepAnd(10) });
    expect(shallow).toEqual({ data: { artist: [{ name: 'AC/DC' }] } });
  });

  it('refuses _in with 100,000 values before any SQL', async () => {
    const values = Array.from({ length: 100_000 }, (_, i) => i);
    const answer = await server.request('/db/fx/graphql', {
      method: 'POST',
      json: { query: 'query ($ids: [Int!]) { artist(where: {artist_id: {_in: $ids}}) { name } }', variables: { ids: values } },
      headers: { accept: GRAPHQL_RESPONSE },
    });
    expect(answer.status, answer.text).toBe(400);
    expect(answer.body.errors[0].extensions).toEqual({ code: 'TOO_MANY_VALUES' });
    expect(answer.body.errors[0].message).toContain('100000');
    expect(answer.body.errors[0].message).toContain('LAZYDB_MAX_IN_VALUES');
    const inFilter = await server.request('/db/fx/graphql', {
      method: 'POST',
      json: { query: 'query ($w: artist_bool_exp) { artist(where: $w) { name } }', variables: { w: { artist_id: { _in: values } } } },
    });
    expect([inFilter.status, inFilter.body.errors?.[0]?.extensions]).toEqual([200, { code: 'TOO_MANY_VALUES' }]);
  });
});

describe('document limits raised: big documents stay bounded in time and memory (SQLite)', () => {
  let db: ThrowawayDb;
  let server: TestServer;
  const cacheBytes = 16 * 1024 * 1024;

  beforeAll(async () => {
    db = await createThrowawayDatabase('sqlite', { sqlFile: 'test/fixtures/sql/sqlite.sql' });
    server = await startTestServer({
      env: { LAZYDB_MAX_TOKENS: '60000', LAZYDB_MAX_SELECTIONS: '2000000', LAZYDB_DOCUMENT_CACHE_BYTES: String(cacheBytes), LAZYDB_LOG_LEVEL: 'info' },
    });
    const registered = await server.request('/api/databases', { method: 'POST', json: { name: 'fx', dialect: 'sqlite', connection: db.connection } });
    expect(registered.status, registered.text).toBe(201);
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('runs a fan-out of 1.5 million selections (limit raised) on graphql-js with the memoised walk, in bounded time', async () => {
    const fields = 'name albums(order_by: [{album_id: asc}]) { title }';
    const fanned = fanOut(19, '{ artist(order_by: [{artist_id: asc}]) { ...F1 } }', 'artist', fields);
    const plain = await server.graphql('/db/fx/graphql', `{ artist(order_by: [{artist_id: asc}]) { ${fields} } }`);
    const slowestHealthz = await healthzDuring(server, async () => {
      const { result, ms } = await timed(() => server.request('/db/fx/graphql', { method: 'POST', json: { query: fanned } }));
      expect([result.status, result.body]).toEqual([200, plain]);
      expect(ms).toBeLessThan(2000);
    });
    expect(slowestHealthz).toBeLessThan(1000);
  });

  it('keeps the heap bounded over 300 unique ~1 MB documents, on the fast path and through yoga', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    /**
     * A valid, unique document just under LAZYDB_MAX_BODY once sent as JSON: two `_in` lists of
     * 10,000 strings each (20,000 tokens: LAZYDB_MAX_TOKENS is raised), the shape that costs the
     * most heap per byte of text among what the limits let through.
     */
    const document = (i: number) => {
      const list = (half: number) => Array.from({ length: 10_000 }, (_, k) => `"${i}-${half}-${k}-${'y'.repeat(34)}"`).join(',');
      return `query Q${i} { artist(limit: 1, where: {_or: [{name: {_in: [${list(0)}]}}, {name: {_in: [${list(1)}]}}]}) { name } }`;
    };
    const send = async (i: number) => {
      const body = JSON.stringify({ query: document(i) });
      expect(body.length).toBeLessThan(1_048_576);
      const accept = i % 2 === 0 ? 'application/json' : GRAPHQL_RESPONSE;
      const answer = await server.request('/db/fx/graphql', { method: 'POST', body, headers: { 'content-type': 'application/json', accept } });
      expect([answer.status, answer.body], answer.text.slice(0, 300)).toEqual([200, { data: { artist: [] } }]);
    };
    for (let i = 0; i < 10; i++) await send(i);
    const baseline = heap();
    const started = performance.now();
    let growth = 0;
    for (let i = 10; i < 300; i++) {
      await send(i);
      if (i % 50 === 49) {
        growth = heap() - baseline;

        // Each document held costs several MB; the cache may hold 16 MB of estimate in all.
        expect(growth, `heap grew by ${Math.round(growth / 1e6)} MB after ${i + 1} documents`).toBeLessThan(100e6);
      }
      expect(performance.now() - started).toBeLessThan(150_000);
    }
    growth = heap() - baseline;
    expect(growth, `heap grew by ${Math.round(growth / 1e6)} MB`).toBeLessThan(100e6);
  }, 180_000);
});

const pgUp = await requireOrSkip('postgres');

describe.skipIf(!pgUp)('long _in lists on PostgreSQL', () => {
  const registeredDb = useRegisteredDatabase('postgres', { available: pgUp, name: 'pg', sqlFile: 'test/fixtures/sql/postgres.sql' });
  let db: ThrowawayDb;
  let server: TestServer;

  beforeAll(async () => {
    db = registeredDb.db;
    server = registeredDb.server;
  });

  const query = 'query ($ids: [Int!]) { artist(where: {artist_id: {_in: $ids}}, order_by: [{artist_id: asc}]) { artist_id } }';
  const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it('refuses 100,000 values with TOO_MANY_VALUES, naming the limit', async () => {
    const answer = await server.request('/db/pg/graphql', { method: 'POST', json: { query, variables: { ids: ids(100_000) } }, headers: { accept: GRAPHQL_RESPONSE } });
    expect(answer.status, answer.text).toBe(400);
    expect(answer.body.errors[0].extensions).toEqual({ code: 'TOO_MANY_VALUES' });
    expect(answer.body.errors[0].message).toContain('at most 10000');
    expect(answer.body.errors[0].message).toContain('LAZYDB_MAX_IN_VALUES');
  });

  it('answers 10,000 values', async () => {
    const answer = await server.graphql('/db/pg/graphql', query, { ids: ids(10_000) });
    expect(answer.errors).toBeUndefined();
    expect(answer.data.artist.map((a: { artist_id: number }) => a.artist_id)).toEqual([1, 2, 3]);
  });

  it('refuses several lists together beyond what one statement may bind, before the driver sees them', async () => {
    const many = 'query ($a: [Int!], $b: [Int!], $c: [Int!], $d: [Int!]) { artist(where: {_or: [{artist_id: {_in: $a}}, {artist_id: {_in: $b}}, {artist_id: {_in: $c}}, {artist_id: {_in: $d}}]}) { artist_id } }';
    const answer = await server.graphql('/db/pg/graphql', many, { a: ids(10_000), b: ids(10_000), c: ids(10_000), d: ids(10_000) });
    expect(answer.errors?.[0]?.extensions?.code).toBe('TOO_MANY_VALUES');
    expect(answer.errors?.[0]?.message).toContain('30000');
  });
});

describe('configured limits hold on REST as on GraphQL (SQLite)', () => {
  const fx = useRegisteredDatabase('sqlite', {
    available: true,
    name: 'fx',
    sqlFile: 'test/fixtures/sql/sqlite.sql',
    // LAZYDB_MAX_FILTER_TERMS raised: the _or of 2,000 branches below is about SQLite's expression depth.
    env: { LAZYDB_MAX_INPUT_DEPTH: '4', LAZYDB_MAX_IN_VALUES: '3', LAZYDB_MAX_FILTER_TERMS: '5000' },
  });

  it('refuses a where= deeper than LAZYDB_MAX_INPUT_DEPTH and an _in longer than LAZYDB_MAX_IN_VALUES, as GraphQL does', async () => {
    const { server } = fx;
    const deep = encodeURIComponent(JSON.stringify({ _and: [{ _and: [{ name: { _eq: 'x' } }] }] }));
    const rest = await server.request(`/db/fx/rest/artist?where=${deep}`);
    expect(rest.status, rest.text).toBe(400);
    expect(rest.body.error.code).toBe('INPUT_TOO_DEEP');
    const gql = await server.graphql('/db/fx/graphql', '{ artist(where: {_and: [{_and: [{name: {_eq: "x"}}]}]}) { name } }');
    expect(gql.errors?.[0]?.extensions?.code).toBe('INPUT_TOO_DEEP');

    const many = encodeURIComponent(JSON.stringify({ artist_id: { _in: [1, 2, 3, 4] } }));
    const list = await server.request(`/db/fx/rest/artist?where=${many}`);
    expect(list.status, list.text).toBe(400);
    expect(list.body.error.code).toBe('TOO_MANY_VALUES');
    const fits = encodeURIComponent(JSON.stringify({ artist_id: { _in: [1, 2, 3] } }));
    expect((await server.request(`/db/fx/rest/artist?where=${fits}`)).status).toBe(200);
  });

  it('answers an _or of 2,000 branches on SQLite (which refuses expressions over 1,000 deep)', async () => {
    const branches = Array.from({ length: 2000 }, (_, i) => ({ artist_id: { _eq: i } }));
    const result = await fx.server.graphql('/db/fx/graphql', 'query($w: artist_bool_exp) { artist(where: $w, limit: 3, order_by: [{artist_id: asc}]) { artist_id } }', { w: { _or: branches } });
    expect(result.errors).toBeUndefined();
    expect(result.data.artist.map((a: { artist_id: number }) => a.artist_id)).toEqual([1, 2, 3]);
  });

  it('refuses filters of more terms than LAZYDB_MAX_FILTER_TERMS, in variables, literals and REST where=, before any SQL', async () => {
    const { server } = fx;
    const terms = (n: number) => ({ _or: Array.from({ length: n }, (_, i) => ({ artist_id: { _eq: i } })) });
    const { result, statements } = await fx.counted(() =>
      server.graphql('/db/fx/graphql', 'query($w: artist_bool_exp) { artist(where: $w) { artist_id } }', { w: terms(5001) }),
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('TOO_MANY_VALUES');
    expect(result.errors?.[0]?.message).toContain('LAZYDB_MAX_FILTER_TERMS');
    expect(statements).toEqual([]);
    const literal = `{ artist(where: {_or: [${Array.from({ length: 5001 }, (_, i) => `{artist_id: {_eq: ${i}}}`).join(' ')}]}) { artist_id } }`;
    expect((await server.request('/db/fx/graphql', { method: 'POST', json: { query: literal } })).body.errors?.[0]?.extensions?.code).toMatch(/TOO_MANY_VALUES|TOO_MANY_TOKENS/);
  });
});
