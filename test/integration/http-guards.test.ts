import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayDatabase, requireOrSkip, type ThrowawayDb } from '../helpers/databases';
import { useRegisteredDatabase } from '../helpers/registered';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * The HTTP guards of issue 10, probed as a hostile page or client would, on loopback only:
 * bodies that are not JSON, foreign Host headers (DNS rebinding), cross-origin reads and
 * preflights, cross-site writes, malformed URLs, bytes that are not UTF-8, and internal
 * library texts in error answers. Requests go through node:http or node:net where fetch would
 * normalise the path, set the Host itself or add a Content-Type.
 */

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: any;
}

function raw(server: TestServer, options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<RawAnswer> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, method: options.method ?? 'GET', path: options.path, headers: { authorization: `Bearer ${server.adminSecret}`, ...options.headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, body });
      });
    });
    request.setTimeout(10_000, () => request.destroy(new Error('request timed out')));
    request.on('error', reject);
    request.end(options.body);
  });
}

/** An HTTP/1.0 request without a Host header, which fetch and node:http never send. */
function withoutHost(server: TestServer, path: string): Promise<{ status: number; text: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('timed out')));
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.0\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
  });
}

const MUTATION = (name: string) => `mutation { insert_artist_one(object: {name: "${name}"}) { artist_id } }`;

/** The same write in every body a page may send cross-site without a preflight. */
function simpleBodies(name: string): [string, Record<string, string>, string][] {
  const json = JSON.stringify({ query: MUTATION(name) });
  return [
    ['text/plain', { 'content-type': 'text/plain' }, json],
    ['text/plain;a=json', { 'content-type': 'text/plain;a=json' }, json],
    ['no content type', {}, json],
    ['a form', { 'content-type': 'application/x-www-form-urlencoded' }, `query=${encodeURIComponent(MUTATION(name))}`],
    ['multipart', { 'content-type': 'multipart/form-data; boundary=XyZ' }, `--XyZ\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${json}\r\n--XyZ--\r\n`],
  ];
}

describe('HTTP guards', () => {
  const registeredDb = useRegisteredDatabase('sqlite', { available: true, name: 'fx', sqlFile: 'test/fixtures/sql/sqlite.sql' });
  let db: ThrowawayDb;
  let server: TestServer;

  beforeAll(async () => {
    db = registeredDb.db;
    server = registeredDb.server;
  });

  const artistNames = async (): Promise<string[]> => {
    const result = await server.graphql('/db/fx/graphql', '{ artist(order_by: [{artist_id: asc}]) { name } }');
    expect(result.errors).toBeUndefined();
    return result.data.artist.map((a: { name: string }) => a.name);
  };

  describe('bodies that are not JSON get 415 and write nothing', () => {
    it.each(['/db/fx/graphql', '/graphql'])('GraphQL on %s', async (path) => {
      const before = await artistNames();
      for (const [label, headers, body] of simpleBodies('csrf')) {
        const gatewayBody = path === '/graphql' ? body.replace('mutation { insert_artist_one', 'mutation { fx { insert_artist_one').replace('artist_id } }', 'artist_id } } }') : body;
        const answer = await raw(server, { method: 'POST', path, headers, body: gatewayBody });
        expect([label, answer.status], answer.text).toEqual([label, 415]);
        expect(answer.body.errors[0].extensions.code, label).toBe('UNSUPPORTED_MEDIA_TYPE');
        expect(answer.body.errors[0].message, label).toMatch(/Content-Type: application\/json/);
      }
      expect(await artistNames()).toEqual(before);
      // A JSON type yoga does not read as a request is refused the same way.
      const answerType = await raw(server, { method: 'POST', path, headers: { 'content-type': 'application/graphql-response+json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect([answerType.status, answerType.body.errors?.[0]?.extensions?.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      // JSON with parameters is JSON; so is application/graphql+json.
      for (const type of ['application/json; charset=utf-8', 'application/graphql+json']) {
        const ok = await raw(server, { method: 'POST', path: '/db/fx/graphql', headers: { 'content-type': type }, body: JSON.stringify({ query: '{ artist(limit: 1) { name } }' }) });
        expect([type, ok.status, ok.body.data?.artist]).toEqual([type, 200, [{ name: 'AC/DC' }]]);
      }
    });

    it('a mutation over GET stays refused', async () => {
      const answer = await raw(server, { path: `/db/fx/graphql?query=${encodeURIComponent(MUTATION('get'))}`, headers: { accept: 'application/json' } });
      expect(answer.status).toBe(405);
      expect(await artistNames()).not.toContain('get');
    });

    it('REST writes', async () => {
      const before = await artistNames();
      for (const [label, headers] of simpleBodies('x')) {
        const insert = await raw(server, { method: 'POST', path: '/db/fx/rest/artist', headers, body: '{"name":"csrf"}' });
        expect([label, insert.status, insert.body.error?.code], insert.text).toEqual([label, 415, 'UNSUPPORTED_MEDIA_TYPE']);
        const update = await raw(server, { method: 'PATCH', path: '/db/fx/rest/artist/1', headers, body: '{"name":"csrf"}' });
        expect([label, update.status, update.body.error?.code], update.text).toEqual([label, 415, 'UNSUPPORTED_MEDIA_TYPE']);
      }
      expect(await artistNames()).toEqual(before);
      const empty = await raw(server, { method: 'POST', path: '/db/fx/rest/artist', headers: { 'content-type': 'application/json' } });
      expect([empty.status, empty.body.error.code]).toEqual([400, 'BAD_BODY']);
      const created = await raw(server, { method: 'POST', path: '/db/fx/rest/artist', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"name":"json"}' });
      expect(created.status, created.text).toBe(201);
    });

    it('the management API', async () => {
      const spec = JSON.stringify({ name: 'sneaky', dialect: 'sqlite', connection: db.connection });
      for (const [label, headers] of simpleBodies('x')) {
        for (const path of ['/api/databases', '/api/databases/test']) {
          const answer = await raw(server, { method: 'POST', path, headers, body: spec });
          expect([label, path, answer.status, answer.body.error?.code], answer.text).toEqual([label, path, 415, 'UNSUPPORTED_MEDIA_TYPE']);
          expect(answer.body.error.message).toMatch(/Content-Type: application\/json/);
        }
        const patch = await raw(server, { method: 'PATCH', path: '/api/databases/fx', headers, body: '{"schemas":["main"]}' });
        expect([label, patch.status], patch.text).toEqual([label, 415]);
      }
      const names = (await server.request('/api/databases')).body.databases.map((d: { name: string }) => d.name);
      expect(names).toEqual(['fx']);
      expect(server.gateway.get('fx')!.spec.schemas).toBeUndefined();
      const empty = await raw(server, { method: 'POST', path: '/api/databases', headers: { 'content-type': 'application/json' } });
      expect([empty.status, empty.body.error.code]).toEqual([400, 'BAD_BODY']);
      expect(empty.body.error.message).toMatch(/the body is empty/);
    });
  });

  describe('Host allow-list', () => {
    const port = () => new URL(server.url).port;

    it('a loopback server refuses foreign Host headers on every path', async () => {
      for (const path of ['/readyz', '/graphql', '/db/fx/graphql', '/db/fx/rest/artist', '/api/databases', '/admin/', '/db/fx/openapi.json']) {
        for (const host of ['evil.example', `evil.example:${port()}`, 'localhost.evil.example', '10.0.0.1', 'localhost.']) {
          const answer = await raw(server, { path, headers: { host } });
          expect([path, host, answer.status, answer.body.error?.code]).toEqual([path, host, 403, 'HOST_NOT_ALLOWED']);
          expect(answer.body.error.message).toMatch(/LAZYDB_ALLOWED_HOSTS/);
        }
      }
      // A rebinding page's write is refused before it reaches the database.
      const write = await raw(server, { method: 'POST', path: '/db/fx/rest/artist', headers: { host: 'evil.example', 'content-type': 'application/json' }, body: '{"name":"rebound"}' });
      expect(write.status).toBe(403);
      expect(await artistNames()).not.toContain('rebound');
    });

    it('and serves loopback names with any port', async () => {
      for (const host of [`localhost:${port()}`, `127.0.0.1:${port()}`, `[::1]:${port()}`, 'app.localhost:1', '127.9.9.9', 'LOCALHOST']) {
        const answer = await raw(server, { path: '/readyz', headers: { host } });
        expect([host, answer.status]).toEqual([host, 200]);
      }
    });

    it('/healthz answers whatever the Host; a request without one is refused elsewhere', async () => {
      expect((await raw(server, { path: '/healthz', headers: { host: '10.1.2.3:4000' } })).status).toBe(200);
      expect((await withoutHost(server, '/healthz')).status).toBe(200);
      const anonymous = await withoutHost(server, '/readyz');
      expect(anonymous.status).toBe(403);
      expect(anonymous.text).toContain('HOST_NOT_ALLOWED');
    });

    it('follows LAZYDB_ALLOWED_HOSTS', async () => {
      const listed = await startTestServer({ env: { LAZYDB_ALLOWED_HOSTS: 'lazydb.example.com, .corp.example' } });
      try {
        for (const [host, status] of [
          ['lazydb.example.com', 200],
          ['LazyDB.Example.com:8443', 200],
          ['corp.example', 200],
          ['db.eu.corp.example:80', 200],
          ['evilcorp.example', 403],
          ['lazydb.example.com.evil', 403],
          [`127.0.0.1:${new URL(listed.url).port}`, 403],
          ['localhost', 403],
        ] as const) {
          expect([host, (await raw(listed, { path: '/api/databases', headers: { host } })).status]).toEqual([host, status]);
        }
        expect((await withoutHost(listed, '/readyz')).status).toBe(403);
      } finally {
        await listed.stop();
      }
      const any = await startTestServer({ env: { LAZYDB_ALLOWED_HOSTS: '*' } });
      try {
        expect((await raw(any, { path: '/api/databases', headers: { host: 'anything.example' } })).status).toBe(200);
        expect((await withoutHost(any, '/readyz')).status).toBe(200);
      } finally {
        await any.stop();
      }
    });
  });

  describe('CORS', () => {
    const preflight = (target: TestServer, path: string, origin: string) =>
      raw(target, { method: 'OPTIONS', path, headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });

    it('by default no origin may read answers or pass a preflight', async () => {
      for (const path of ['/graphql', '/db/fx/graphql', '/db/fx/rest/artist', '/api/databases']) {
        const answer = await preflight(server, path, 'http://evil.example');
        expect([path, answer.status, answer.body.error?.code]).toEqual([path, 403, 'CORS_ORIGIN_NOT_ALLOWED']);
        expect(answer.body.error.message).toMatch(/LAZYDB_CORS_ORIGINS/);
        expect(Object.keys(answer.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
      }
      // A read a page may send without a preflight: the answer carries nothing that lets the page read it.
      for (const [path, headers] of [
        ['/graphql?query=%7B__typename%7D', { accept: 'application/graphql-response+json' }],
        ['/db/fx/graphql?query=%7B__typename%7D', { accept: 'application/json' }],
        ['/db/fx/rest/artist', {}],
      ] as const) {
        const answer = await raw(server, { path, headers: { origin: 'http://evil.example', ...headers } });
        expect([path, answer.status]).toEqual([path, 200]);
        expect(answer.headers['access-control-allow-origin'], path).toBeUndefined();
        expect(answer.headers['access-control-allow-credentials'], path).toBeUndefined();
      }
    });

    it('LAZYDB_CORS_ORIGINS opens the same door on the fast path, yoga, REST and the management API', async () => {
      const cors = await startTestServer({ env: { LAZYDB_CORS_ORIGINS: 'http://app.example:5173' } });
      try {
        expect((await cors.request('/api/databases', { method: 'POST', json: { name: 'fx', dialect: 'sqlite', connection: db.connection } })).status).toBe(201);
        for (const path of ['/graphql', '/db/fx/graphql', '/db/fx/rest/artist', '/api/databases']) {
          const allowed = await preflight(cors, path, 'http://app.example:5173');
          expect([path, allowed.status]).toEqual([path, 204]);
          expect(allowed.headers['access-control-allow-origin']).toBe('http://app.example:5173');
          expect(allowed.headers['access-control-allow-methods']).toMatch(/POST/);
          expect(allowed.headers['access-control-allow-headers']).toMatch(/content-type/i);
          expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
          const foreign = await preflight(cors, path, 'http://evil.example');
          expect([path, foreign.status, foreign.headers['access-control-allow-origin']]).toEqual([path, 403, undefined]);
        }
        const query = JSON.stringify({ query: '{ artist(limit: 1) { name } }' });
        // application/json is served by the fast path, graphql-response+json by yoga.
        for (const accept of ['application/json', 'application/graphql-response+json']) {
          for (const [origin, expected] of [['http://app.example:5173', 'http://app.example:5173'], ['http://evil.example', undefined]] as const) {
            const answer = await raw(cors, { method: 'POST', path: '/db/fx/graphql', headers: { origin, accept, 'content-type': 'application/json' }, body: query });
            expect([accept, origin, answer.headers['access-control-allow-origin']]).toEqual([accept, origin, expected]);
            expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
            expect(answer.headers.vary, accept).toMatch(/Origin/);
          }
        }
        const list = await raw(cors, { path: '/db/fx/rest/artist', headers: { origin: 'http://app.example:5173' } });
        expect(list.headers['access-control-allow-origin']).toBe('http://app.example:5173');
        expect(list.headers['access-control-expose-headers']).toMatch(/X-Total-Count/);
        expect(list.headers.vary).toMatch(/Origin/);
      } finally {
        await cors.stop();
      }
    });
  });

  describe('cross-site writes', () => {
    const self = () => server.url;

    it('a request with cookies must come from this server or an allowed origin', async () => {
      const before = await artistNames();
      const json = { 'content-type': 'application/json', cookie: 'session=abc' };
      const foreign = await raw(server, { method: 'POST', path: '/db/fx/rest/artist', headers: { ...json, origin: 'http://evil.example' }, body: '{"name":"forged"}' });
      expect([foreign.status, foreign.body.error?.code]).toEqual([403, 'CSRF_REJECTED']);
      const nowhere = await raw(server, { method: 'POST', path: '/db/fx/rest/artist', headers: json, body: '{"name":"forged"}' });
      expect([nowhere.status, nowhere.body.error?.code]).toEqual([403, 'CSRF_REJECTED']);
      const foreignReferer = await raw(server, { method: 'DELETE', path: '/db/fx/rest/artist/3', headers: { cookie: 'session=abc', referer: 'http://evil.example/page' } });
      expect([foreignReferer.status, foreignReferer.body.error?.code]).toEqual([403, 'CSRF_REJECTED']);
      const nullOrigin = await raw(server, { method: 'POST', path: '/db/fx/graphql', headers: { ...json, origin: 'null' }, body: JSON.stringify({ query: MUTATION('forged') }) });
      expect([nullOrigin.status, nullOrigin.body.error?.code]).toEqual([403, 'CSRF_REJECTED']);
      expect(await artistNames()).toEqual(before);

      const sameOrigin = await raw(server, { method: 'POST', path: '/db/fx/rest/artist', headers: { ...json, origin: self() }, body: '{"name":"same origin"}' });
      expect(sameOrigin.status, sameOrigin.text).toBe(201);
      const sameReferer = await raw(server, { method: 'POST', path: '/db/fx/rest/artist', headers: { ...json, referer: `${self()}/admin/` }, body: '{"name":"same referer"}' });
      expect(sameReferer.status, sameReferer.text).toBe(201);
      // Reads are not state changes.
      expect((await raw(server, { path: '/db/fx/rest/artist/1', headers: { cookie: 'session=abc', origin: 'http://evil.example' } })).status).toBe(200);
    });

    it('a bodiless POST from another origin is refused too', async () => {
      const refresh = await raw(server, { method: 'POST', path: '/api/databases/fx/refresh', headers: { origin: 'http://evil.example' } });
      expect([refresh.status, refresh.body.error?.code]).toEqual([403, 'CSRF_REJECTED']);
      expect(refresh.body.error.message).toMatch(/LAZYDB_CORS_ORIGINS/);
      // A non-browser client (no Origin, no cookie) is not affected.
      expect((await raw(server, { method: 'POST', path: '/api/databases/fx/refresh' })).status).toBe(200);
    });
  });

  describe('malformed URLs get 400 BAD_URL_ENCODING', () => {
    it.each(['/db/%E0%A4%A/graphql', '/db/%/rest', '/api/databases/%ZZ', '/db/fx/rest/artist/%FF', '/db/fx/rest/artist?name=%E0%A4', '/db/fx/graphql?query=%', '/admin/%ZZ'])('%s', async (path) => {
      const answer = await raw(server, { path });
      expect([answer.status, answer.body.error?.code], answer.text).toEqual([400, 'BAD_URL_ENCODING']);
      expect(answer.body.error.message).toMatch(/percent-encoding/);
    });
  });

  describe('bodies that are not UTF-8 get 400 INVALID_UTF8 and write nothing', () => {
    const withBadByte = (json: string) => {
      const [head, tail] = json.split('BAD');
      return Buffer.concat([Buffer.from(head!), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(tail!)]);
    };

    it('REST, GraphQL (fast path and yoga) and the management API', async () => {
      const before = await artistNames();
      const json = { 'content-type': 'application/json' };
      const rest = await raw(server, { method: 'POST', path: '/db/fx/rest/artist', headers: json, body: withBadByte('{"name":"BAD"}') });
      expect([rest.status, rest.body.error?.code], rest.text).toEqual([400, 'INVALID_UTF8']);
      const patch = await raw(server, { method: 'PATCH', path: '/db/fx/rest/artist/1', headers: json, body: withBadByte('{"name":"BAD"}') });
      expect([patch.status, patch.body.error?.code]).toEqual([400, 'INVALID_UTF8']);
      for (const [path, accept] of [['/db/fx/graphql', 'application/json'], ['/db/fx/graphql', 'application/graphql-response+json'], ['/graphql', 'application/json']] as const) {
        const mutation = path === '/graphql' ? 'mutation { fx { insert_artist_one(object: {name: \\"BAD\\"}) { artist_id } } }' : 'mutation { insert_artist_one(object: {name: \\"BAD\\"}) { artist_id } }';
        const answer = await raw(server, { method: 'POST', path, headers: { ...json, accept }, body: withBadByte(`{"query":"${mutation}"}`) });
        expect([path, accept, answer.status, answer.body.errors?.[0]?.extensions?.code], answer.text).toEqual([path, accept, 400, 'INVALID_UTF8']);
      }
      expect(await artistNames()).toEqual(before);
      const spec = await raw(server, { method: 'POST', path: '/api/databases', headers: json, body: withBadByte(`{"name":"BAD","dialect":"sqlite","connection":${JSON.stringify(db.connection)}}`) });
      expect([spec.status, spec.body.error?.code]).toEqual([400, 'INVALID_UTF8']);
      expect((await server.request('/api/databases')).body.databases).toHaveLength(1);
    });
  });
});

const pgUp = await requireOrSkip('postgres');

describe.skipIf(!pgUp)('internal library texts never reach clients', () => {
  let db: ThrowawayDb;
  let server: TestServer;

  beforeAll(async () => {
    db = await createThrowawayDatabase('postgres', {
      sql: 'create table t (id integer primary key)\n--;;\ninsert into t values (1)\n--;;\ncreate view slow as select 1 as x from pg_sleep(1.5)',
    });
    // One connection, given up on after 300 ms: a slow read makes the next request wait past it.
    server = await startTestServer({ env: { LAZYDB_POOL_MAX: '1', LAZYDB_CONNECT_TIMEOUT_MS: '300', LAZYDB_POOL_WAIT_MS: '300', LAZYDB_HEALTH_INTERVAL_MS: '0' } });
    const registered = await server.request('/api/databases', { method: 'POST', json: { name: 'pg', dialect: 'postgres', connection: db.connection } });
    expect(registered.status, registered.text).toBe(201);
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it("a full pool answers a clear 503, not knex's advice", async () => {
    const slow = server.graphql('/db/pg/graphql', '{ slow { x } }');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [graphql, yoga, rest] = await Promise.all([
      server.graphql('/db/pg/graphql', '{ t { id } }'),
      raw(server, { method: 'POST', path: '/db/pg/graphql', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' }, body: JSON.stringify({ query: '{ t { id } }' }) }),
      server.request('/db/pg/rest/t/1'),
    ]);
    expect((await slow).data).toEqual({ slow: [{ x: 1 }] });
    for (const text of [JSON.stringify(graphql), yoga.text, rest.text]) {
      expect(text).not.toMatch(/transacting|knex|pool is probably full/i);
    }
    // A pool that stays full past LAZYDB_POOL_WAIT_MS is its own answer (issue 12's pool fairness).
    expect(graphql.errors?.[0]?.extensions?.code).toBe('POOL_EXHAUSTED');
    expect(graphql.errors?.[0]?.message).toMatch(/^database "pg" is busy: .*LAZYDB_POOL_WAIT_MS.*try again shortly$/);
    expect(yoga.body.errors?.[0]?.extensions?.code).toBe('POOL_EXHAUSTED');
    expect([rest.status, rest.body.error.code, rest.headers.get('retry-after')]).toEqual([503, 'POOL_EXHAUSTED', '5']);
  });
});
