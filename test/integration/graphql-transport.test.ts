import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayDatabase, type ThrowawayDb } from '../helpers/databases';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * The direct path for plain POST JSON requests must answer exactly what graphql-yoga answers:
 * the same requests go to a server with the fast path and to one without, over one database.
 */
describe('GraphQL fast path answers as graphql-yoga does', () => {
  let db: ThrowawayDb;
  let fast: TestServer;
  let yoga: TestServer;

  beforeAll(async () => {
    db = await createThrowawayDatabase('sqlite', { sqlFile: 'test/fixtures/sql/sqlite.sql' });
    fast = await startTestServer();
    yoga = await startTestServer({ env: { LAZYDB_GRAPHQL_FAST_PATH: '0' } });
    for (const server of [fast, yoga]) {
      expect((await server.request('/api/databases', { method: 'POST', json: { name: 'fx', dialect: 'sqlite', connection: db.connection } })).status).toBe(201);
    }
  });

  afterAll(async () => {
    await fast?.stop();
    await yoga?.stop();
    await db?.drop();
  });

  const cases: [string, Record<string, unknown>][] = [
    ['a query with variables and a fragment', { query: 'query Q($id: Int!) { artist_by_pk(artist_id: $id) { ...F } } fragment F on artist { name albums { title } }', variables: { id: 1 } }],
    ['one of several operations', { query: 'query A { artist(limit: 1) { name } } query B { album(limit: 1) { title } }', operationName: 'B' }],
    ['an error raised on purpose', { query: '{ artist(limit: 100000) { name } }' }],
    ['a constraint violation', { query: 'mutation { insert_artist_one(object: {name: "AC/DC"}) { artist_id } }' }],
    ['a validation error (yoga answers it)', { query: '{ artist { nope } }' }],
    ['a syntax error (yoga answers it)', { query: '{ artist { ' }],
    ['a bad variable (yoga answers it)', { query: 'query ($id: Int!) { artist_by_pk(artist_id: $id) { name } }', variables: { id: 'x' } }],
    ['no operation named so (yoga answers it)', { query: 'query A { artist { name } }', operationName: 'Z' }],
    ['a gateway query', { query: '{ fx { employee(order_by: [{employee_id: asc}]) { name manager { name } } } }' }],
  ];

  it.each(cases)('%s', async (_label, body) => {
    const path = String(body.query).includes('fx {') ? '/graphql' : '/db/fx/graphql';
    const [a, b] = await Promise.all([fast.request(path, { method: 'POST', json: body }), yoga.request(path, { method: 'POST', json: body })]);
    expect([a.status, a.body]).toEqual([b.status, b.body]);
  });
});
