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

  // Documents and variables beyond a document limit (server/plugins/use-document-limits.ts): yoga answers them on both servers.
  const fanOut = ['{ artist(limit: 1) { ...F1 } }', ...Array.from({ length: 30 }, (_, i) => `fragment F${i + 1} on artist { name${i < 29 ? ` ...F${i + 2} ...F${i + 2}` : ''} }`)].join('\n');
  let deepWhere: Record<string, unknown> = { name: { _eq: 'AC/DC' } };
  for (let i = 0; i < 1000; i++) deepWhere = { _and: [deepWhere] };
  const ids = Array.from({ length: 10_001 }, (_, i) => i);
  const refusals: [string, Record<string, unknown>][] = [
    ['a fragment fan-out (TOO_MANY_SELECTIONS)', { query: fanOut }],
    ['too many tokens (TOO_MANY_TOKENS)', { query: `{ artist(limit: 1) { ${'name '.repeat(20_001)}} }` }],
    ['an argument nested 2,000 deep (INPUT_TOO_DEEP)', { query: `{ artist(where: ${'{_and: ['.repeat(1000)}{name: {_eq: "AC/DC"}}${']}'.repeat(1000)}) { name } }` }],
    ['variables nested 2,000 deep (INPUT_TOO_DEEP)', { query: 'query ($w: artist_bool_exp) { artist(where: $w) { name } }', variables: { w: deepWhere } }],
    ['a long literal _in list (TOO_MANY_VALUES)', { query: `{ artist(where: {artist_id: {_in: [${ids.join(',')}]}}) { name } }` }],
    ['a long _in list in variables (TOO_MANY_VALUES)', { query: 'query ($w: artist_bool_exp) { artist(where: $w) { name } }', variables: { w: { artist_id: { _in: ids } } } }],
    // The operation limits of issue 12 (use-alias-limits, use-query-cost): yoga answers them too.
    ['relations nested 31 deep (QUERY_TOO_DEEP)', { query: `{ album(limit: 1) { ${'artist { albums(limit: 1) { '.repeat(15)}title${' } }'.repeat(15)} } }` }],
    ['101 aliases (TOO_MANY_ALIASES)', { query: `{ ${Array.from({ length: 101 }, (_, i) => `a${i}: artist_by_pk(artist_id: ${i}) { name }`).join(' ')} }` }],
    ['a field with 6 directives (TOO_MANY_DIRECTIVES)', { query: `{ artist(limit: 1) { name ${'@include(if: true) '.repeat(6)}} }` }],
    ['four nested lists of default pages (QUERY_TOO_COSTLY)', { query: '{ artist { albums { artist { albums { artist { albums { title } } } } } } }' }],
    ['a limit above LAZYDB_MAX_LIMIT (LIMIT_TOO_LARGE)', { query: '{ artist(limit: 101) { name } }' }],
    ['a limit above LAZYDB_MAX_LIMIT in variables (LIMIT_TOO_LARGE)', { query: 'query ($n: Int) { artist(limit: 1) { albums(limit: $n) { title } } }', variables: { n: 101 } }],
  ];

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
    ['an array body while batching is off (yoga answers it: TOO_MANY_OPERATIONS)', [{ query: '{ artist(limit: 1) { name } }' }] as unknown as Record<string, unknown>],
    ...refusals,
  ];

  it.each(cases)('%s', async (_label, body) => {
    const path = String(body.query).includes('fx {') ? '/graphql' : '/db/fx/graphql';
    const [a, b] = await Promise.all([fast.request(path, { method: 'POST', json: body }), yoga.request(path, { method: 'POST', json: body })]);
    expect([a.status, a.body]).toEqual([b.status, b.body]);
  });

  it.each(refusals)('%s: the code, and 400 for application/graphql-response+json', async (label, body) => {
    const code = /\((\w+)\)$/.exec(label)![1];
    for (const server of [fast, yoga]) {
      for (const [accept, status] of [['application/json', 200], ['application/graphql-response+json', 400]] as const) {
        const answer = await server.request('/db/fx/graphql', { method: 'POST', json: body, headers: { accept } });
        expect([answer.status, answer.body.errors?.[0]?.extensions], answer.text.slice(0, 300)).toEqual([status, { code }]);
        expect(answer.body.data).toBeUndefined();
      }
    }
  });
});
