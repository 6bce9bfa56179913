import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteQuirks } from '../../server/introspect/sqlite/quirks';
import { StatementCache } from '../../server/query/compiled';

describe('StatementCache', () => {
  let knex: Knex;
  beforeAll(async () => {
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    await knex.raw('create table t (id integer primary key, "a?b" text, name text)');
    await knex('t').insert([1, 2, 3, 4, 5].map((id) => ({ id, 'a?b': `q${id}`, name: `n${id}` })));
  });
  afterAll(() => knex.destroy());

  it('builds a statement once per signature and binds each call its own values', async () => {
    const cache = new StatementCache(knex, sqliteQuirks.rowsOfRaw);
    let builds = 0;
    const statements: string[] = [];
    const listen = (q: { sql: string }) => statements.push(q.sql);
    knex.on('query', listen);
    const byId = (id: number, limit: number) =>
      cache.rows('by id', [id, limit], [false, true], (params) => {
        builds++;
        return { query: knex('t').select('id', 'name').where('id', '>=', params[0] as number).orderBy('id').limit(params[1] as number), extra: null };
      }).then((r) => r.rows);
    expect(await byId(2, 2)).toEqual([{ id: 2, name: 'n2' }, { id: 3, name: 'n3' }]);
    expect(await byId(4, 5)).toEqual([{ id: 4, name: 'n4' }, { id: 5, name: 'n5' }]);
    expect(await byId(1, 0)).toEqual([]);
    knex.off('query', listen);
    expect(builds).toBe(1);
    expect(statements).toEqual(Array(3).fill('select `id`, `name` from `t` where `id` >= ? order by `id` asc limit ?'));
  });

  it('builds every time where a value does not map to one binding or the text holds a question mark', async () => {
    const cache = new StatementCache(knex, sqliteQuirks.rowsOfRaw);
    let builds = 0;
    const questionMark = (id: number) =>
      cache.rows('question mark', [id], [false], (params) => {
        builds++;
        return { query: knex('t').select('a?b').where('id', params[0] as number), extra: null };
      }).then((r) => r.rows);
    expect(await questionMark(1)).toEqual([{ 'a?b': 'q1' }]);
    expect(await questionMark(2)).toEqual([{ 'a?b': 'q2' }]);
    const twice = (id: number) =>
      cache.rows('twice', [id], [false], (params) => {
        builds++;
        return { query: knex('t').select('id').where('id', params[0] as number).orWhere('id', params[0] as number), extra: null };
      }).then((r) => r.rows);
    expect(await twice(3)).toEqual([{ id: 3 }]);
    expect(await twice(4)).toEqual([{ id: 4 }]);
    // compile + run on the first call, run on the second: 2 builds each.
    expect(builds).toBe(6);
  });

  it('builds every time where the dialect cannot run raw statements', async () => {
    const cache = new StatementCache(knex, undefined);
    let builds = 0;
    const run = (id: number) =>
      cache.rows('plain', [id], [false], (params) => {
        builds++;
        return { query: knex('t').select('id').where('id', params[0] as number), extra: null };
      }).then((r) => r.rows);
    expect(await run(1)).toEqual([{ id: 1 }]);
    expect(await run(2)).toEqual([{ id: 2 }]);
    expect(builds).toBe(2);
  });
});
