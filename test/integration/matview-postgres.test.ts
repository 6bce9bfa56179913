/**
 * Materialized views on a real PostgreSQL: listed as read-only views; one created WITH NO
 * DATA is named in the introspection report and answers a clear 409 VIEW_NOT_POPULATED (REST)
 * or that code (GraphQL) instead of a 500, until its owner refreshes it. lazydb itself never
 * runs REFRESH or any DDL.
 */
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireOrSkip } from '../helpers/databases';
import { RestContract } from '../helpers/openapi-contract';
import { useRegisteredDatabase } from '../helpers/registered';

const SQL = `
create table sale (id integer primary key, amount integer not null)
--;;
insert into sale (id, amount) values (1, 10), (2, 32)
--;;
create materialized view sale_total as select count(*)::int as n, sum(amount)::int as total from sale
--;;
create materialized view "Sale Later" as select id, amount from sale with no data
`;

const pgUp = await requireOrSkip('postgres');

describe.skipIf(!pgUp)('PostgreSQL materialized views', () => {
  const database = useRegisteredDatabase('postgres', { available: pgUp, name: 'mv', sql: SQL });
  let contract: RestContract;
  const rest = async (path: string, init?: RequestInit & { json?: unknown }) => {
    const response = await database.server.request(`/db/mv/rest${path}`, init);
    expect(contract.check({ method: init?.method ?? 'GET', path }, response)).toEqual([]);
    return response;
  };

  beforeAll(async () => {
    if (!pgUp) return;
    contract = await RestContract.load((await database.server.request('/db/mv/openapi.json')).body);
  });

  it('lists both as read-only views and names the unpopulated one in the report', async () => {
    const { body } = await database.server.request('/api/databases/mv');
    const model = (await database.server.request('/api/databases/mv/model')).body;
    const kinds = Object.fromEntries(model.tables.map((t: { name: string; kind: string }) => [t.name, t.kind]));
    expect(kinds).toEqual({ sale: 'table', sale_total: 'view', 'Sale Later': 'view' });
    const entries = body.report.filter((r: { level: string; object: string }) => r.level === 'degraded' && /sale_total|Sale Later/.test(r.object));
    expect(entries).toEqual([
      { level: 'degraded', object: 'public.Sale Later', reason: expect.stringMatching(/no data.*VIEW_NOT_POPULATED.*REFRESH MATERIALIZED VIEW/) },
    ]);
  });

  it('answers GraphQL reads of the unpopulated view with VIEW_NOT_POPULATED and reads the populated one', async () => {
    const { result, statements } = await database.counted(() =>
      database.server.graphql('/db/mv/graphql', '{ Sale_Later(order_by: [{id: asc}]) { id amount } }'),
    );
    expect(result.data).toBeNull();
    expect(result.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([
      ['VIEW_NOT_POPULATED', 'materialized view "Sale Later" has no data yet: it is filled when its owner runs REFRESH MATERIALIZED VIEW "Sale Later" (lazydb never runs it)'],
    ]);
    const aggregate = await database.server.graphql('/db/mv/graphql', '{ Sale_Later_aggregate { aggregate { count } } }');
    expect(aggregate.errors?.[0]?.extensions?.code).toBe('VIEW_NOT_POPULATED');
    expect(await database.ok('{ sale_total { n total } }')).toEqual({ sale_total: [{ n: 2, total: 42 }] });
    // lazydb only read: no REFRESH, no DDL.
    expect(statements.filter((sql) => !/^\s*select\b/i.test(sql))).toEqual([]);
  });

  it('answers REST reads of the unpopulated view with 409, as the OpenAPI document says, and refuses writes', async () => {
    const list = await rest('/Sale_Later');
    expect([list.status, list.body.error.code]).toEqual([409, 'VIEW_NOT_POPULATED']);
    expect(list.body.error.message).toMatch(/has no data yet: it is filled when its owner runs REFRESH MATERIALIZED VIEW "Sale Later"/);
    const populated = await rest('/sale_total');
    expect([populated.status, populated.body]).toEqual([200, [{ n: 2, total: 42 }]]);
    expect((await rest('/Sale_Later', { method: 'POST', json: { id: 3, amount: 1 } })).status).toBe(405);
  });

  it('reads the view once its owner has refreshed it', async () => {
    const owner = new pg.Client({ connectionString: database.db.url });
    await owner.connect();
    try {
      await owner.query('refresh materialized view "Sale Later"');
    } finally {
      await owner.end();
    }
    expect(await database.ok('{ Sale_Later(order_by: [{id: asc}]) { id amount } }')).toEqual({ Sale_Later: [{ id: 1, amount: 10 }, { id: 2, amount: 32 }] });
    const list = await rest('/Sale_Later?order_by=id.asc');
    expect([list.status, list.body, list.headers.get('x-total-count')]).toEqual([200, [{ id: 1, amount: 10 }, { id: 2, amount: 32 }], '2']);
  });
});
