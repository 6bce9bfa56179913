import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../server/pipeline/context';
import type { LazydbPlugin, ResponseOutcome } from '../../server/pipeline/plugin';
import type { DataSource } from '../../server/schema/source';
import { createThrowawayDatabase, type ThrowawayDb } from '../helpers/databases';
import { startTestServer, type TestServer } from '../helpers/server';

const SQL = `
create table artist (artist_id integer primary key, name text not null unique);
--;;
insert into artist values (1, 'AC/DC'), (2, 'Accept'), (3, 'Aerosmith');
`;

/** Which hooks ran for which request (by the client's X-Request-Id), and what the response hook was told. */
const seen = new Map<string, string[]>();
const outcomes = new Map<string, { outcome: ResponseOutcome; transport: string; database: string | null; operation: string | null }>();
const note = (id: string | undefined, hook: string) => {
  if (id === undefined) return;
  const hooks = seen.get(id) ?? [];
  if (!hooks.includes(hook)) hooks.push(hook);
  seen.set(id, hooks);
};

/** A plugin that only records: every hook, and every data-source call made through its wrapper. */
const recorder: LazydbPlugin = {
  name: 'recorder',
  onRequest(request) {
    note(request.headers['x-request-id'] as string | undefined, 'request');
  },
  onContext(context) {
    note(context.requestId, 'context');
  },
  onParams(_params, context) {
    note(context.requestId, 'params');
    return undefined;
  },
  onExecute(_args, context) {
    note(context.requestId, 'execute');
    return undefined;
  },
  wrapDataSource(source: DataSource, context: RequestContext): DataSource {
    return new Proxy(source, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          note(context.requestId, `source.${String(property)}`);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  },
  onResult(result, context) {
    note(context.requestId, 'result');
    return result;
  },
  onResponse(context, outcome) {
    note(context.requestId, 'response');
    outcomes.set(context.requestId, { outcome, transport: context.transport, database: context.database, operation: context.operation });
  },
};

describe('one pipeline: every path runs the same hooks', () => {
  let server: TestServer;
  let db: ThrowawayDb;
  beforeAll(async () => {
    db = await createThrowawayDatabase('sqlite', { sql: SQL });
    server = await startTestServer({ app: { plugins: (defaults) => [...defaults, recorder] } });
    const registered = await server.request('/api/databases', { method: 'POST', json: { name: 'pl', dialect: 'sqlite', connection: db.connection } });
    expect(registered.status, registered.text).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const query = '{ artist(order_by: [{artist_id: asc}], limit: 2) { name } }';
  const paths: [string, string, RequestInit & { json?: unknown }, { transport: string; operation: string; source: string; params: boolean }][] = [
    ['the fast path', '/db/pl/graphql', { method: 'POST', json: { query } }, { transport: 'graphql', operation: 'query', source: 'source.list', params: true }],
    [
      'graphql-yoga',
      '/db/pl/graphql',
      { method: 'POST', json: { query }, headers: { accept: 'application/graphql-response+json' } },
      { transport: 'graphql', operation: 'query', source: 'source.list', params: true },
    ],
    ['GraphQL over GET (yoga)', `/db/pl/graphql?query=${encodeURIComponent(query)}`, { headers: { accept: 'application/json' } }, { transport: 'graphql', operation: 'query', source: 'source.list', params: true }],
    ['the gateway', '/graphql', { method: 'POST', json: { query: `{ pl ${query} }` } }, { transport: 'gateway', operation: 'query', source: 'source.list', params: true }],
    ['a REST read', '/db/pl/rest/artist?limit=2&order_by=artist_id.asc', {}, { transport: 'rest', operation: 'rest_read', source: 'source.list', params: false }],
    ['a REST write', '/db/pl/rest/artist', { method: 'POST', json: { artist_id: 10, name: 'Alice in Chains' } }, { transport: 'rest', operation: 'rest_write', source: 'source.insert', params: true }],
  ];

  it.each(paths)('%s: request, context, params, execute, the wrapped data source, result and response', async (_label, path, init, expected) => {
    const id = `pl-${Math.random().toString(36).slice(2)}`;
    const answer = await server.request(path, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-request-id': id } });
    expect(answer.status, answer.text).toBeLessThan(300);
    expect(answer.headers.get('x-request-id')).toBe(id);
    const hooks = seen.get(id) ?? [];
    expect(hooks).toEqual(expect.arrayContaining(['request', 'context', 'execute', expected.source, 'result', 'response']));
    expect(hooks.includes('params')).toBe(expected.params);
    // The fixed order: received, built, (params), executed, (data source), result, sent.
    const order = ['request', 'context', 'params', 'execute', expected.source, 'result', 'response'].filter((hook) => hooks.includes(hook));
    expect(hooks.filter((hook) => order.includes(hook))).toEqual(order);
    expect(outcomes.get(id)).toMatchObject({ outcome: { status: answer.status, code: null }, transport: expected.transport, operation: expected.operation });
  });

  it('the fast path and yoga give the same answer, through the same hooks', async () => {
    const fast = await server.request('/db/pl/graphql', { method: 'POST', json: { query } });
    const yoga = await server.request('/db/pl/graphql', { method: 'POST', json: { query }, headers: { accept: 'application/graphql-response+json' } });
    expect(fast.text).toBe(yoga.text);
  });

  it('tells the response hook the code a refused request was answered with, and the request id of every answer', async () => {
    const id = `pl-${Math.random().toString(36).slice(2)}`;
    const answer = await server.request('/db/nope/rest/artist', { headers: { 'x-request-id': id } });
    expect(answer.status).toBe(404);
    expect(outcomes.get(id)?.outcome).toEqual({ status: 404, code: 'DATABASE_NOT_FOUND' });
    const ask = async (init: RequestInit & { json?: unknown }) => {
      const one = `pl-${Math.random().toString(36).slice(2)}`;
      await server.request('/db/pl/graphql', { ...init, headers: { ...(init.headers as Record<string, string>), 'x-request-id': one } });
      return outcomes.get(one)?.outcome;
    };
    // A refusal before anything runs (answered by yoga), and a field error of the fast path.
    expect(await ask({ method: 'POST', json: { query: '{ artist(limit: 100000) { name } }' } })).toEqual({ status: 200, code: 'LIMIT_TOO_LARGE' });
    expect(await ask({ method: 'POST', json: { query: '{ artist(limit: -1) { name } }' } })).toEqual({ status: 200, code: 'BAD_USER_INPUT' });
    // A client's id is kept only when it is a short plain token; otherwise lazydb makes one.
    const odd = await server.request('/healthz', { headers: { 'x-request-id': 'a'.repeat(65) } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
    const none = await server.request('/healthz');
    expect(none.headers.get('x-request-id')).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
  });
});

describe('production hardening (NODE_ENV=production)', () => {
  let production: TestServer;
  let development: TestServer;
  let db: ThrowawayDb;
  beforeAll(async () => {
    db = await createThrowawayDatabase('sqlite', { sql: SQL });
    production = await startTestServer({ env: { NODE_ENV: 'production' } });
    development = await startTestServer();
    for (const server of [production, development]) {
      const registered = await server.request('/api/databases', { method: 'POST', json: { name: 'pl', dialect: 'sqlite', connection: db.connection } });
      expect(registered.status, registered.text).toBe(201);
    }
  });
  afterAll(async () => {
    await production?.stop();
    await development?.stop();
    await db?.drop();
  });

  const transports = (query: string): [string, string, RequestInit & { json?: unknown }][] => [
    ['the fast path', '/db/pl/graphql', { method: 'POST', json: { query } }],
    ['yoga', '/db/pl/graphql', { method: 'POST', json: { query }, headers: { accept: 'application/graphql-response+json' } }],
    ['GET', `/db/pl/graphql?query=${encodeURIComponent(query)}`, { headers: { accept: 'application/json' } }],
    ['the gateway', '/graphql', { method: 'POST', json: { query } }],
  ];

  it('refuses introspection on every path, keeps __typename, and answers it in development', async () => {
    for (const [label, path, init] of transports('{ __schema { queryType { name } } }')) {
      const answer = await production.request(path, init);
      expect(answer.body.data, label).toBeUndefined();
      expect(answer.body.errors?.[0]?.message, label).toMatch(/introspection/i);
      const open = await development.request(path, init);
      expect(open.body.data?.__schema?.queryType?.name, label).toBeTruthy();
    }
    expect((await production.graphql('/db/pl/graphql', '{ __typename }')).data).toEqual({ __typename: expect.any(String) });
  });

  it('hides "Did you mean" on every path (validation and variable coercion alike)', async () => {
    for (const [label, path, init] of transports('{ artis { name } }')) {
      const hidden = (await production.request(path, init)).body.errors?.[0]?.message as string;
      expect(hidden, label).toMatch(/^Cannot query field "artis"/);
      expect(hidden, label).not.toMatch(/Did you mean/);
    }
    const shown = (await development.request('/db/pl/graphql', { method: 'POST', json: { query: '{ artis { name } }' } })).body.errors[0].message;
    expect(shown).toMatch(/Did you mean "artist/);
    const coerced = await production.request('/db/pl/graphql', {
      method: 'POST',
      json: { query: 'query ($o: [artist_order_by!]) { artist(order_by: $o) { name } }', variables: { o: [{ name: 'ascc' }] } },
    });
    expect(JSON.stringify(coerced.body.errors)).not.toMatch(/Did you mean/);
  });

  it("keeps the database's own text out of answers, with the constraint and the request id, and logs it under that id", async () => {
    const graphql = await production.request('/db/pl/graphql', { method: 'POST', json: { query: 'mutation { insert_artist_one(object: {artist_id: 1, name: "x"}) { name } }' } });
    const error = graphql.body.errors[0];
    expect(error.extensions).toMatchObject({ code: 'CONSTRAINT_VIOLATION', reason: 'unique_violation', requestId: expect.any(String) });
    expect(error.message).toMatch(/^a row with the same unique value already exists/);
    expect(error.message).toContain(error.extensions.requestId);
    expect(graphql.text).not.toMatch(/UNIQUE constraint failed/);
    expect(production.logs.some((line) => line.includes(error.extensions.requestId) && line.includes('UNIQUE constraint failed'))).toBe(true);

    const rest = await production.request('/db/pl/rest/artist', { method: 'POST', json: { artist_id: 1, name: 'x' } });
    expect(rest.status).toBe(409);
    expect(rest.body.error.code).toBe('CONSTRAINT_VIOLATION');
    expect(rest.text).not.toMatch(/UNIQUE constraint failed/);

    // In development the database's text stays: it says what to fix.
    const open = await development.request('/db/pl/graphql', { method: 'POST', json: { query: 'mutation { insert_artist_one(object: {artist_id: 1, name: "x"}) { name } }' } });
    expect(open.body.errors[0].message).toMatch(/UNIQUE/i);
  });
});
