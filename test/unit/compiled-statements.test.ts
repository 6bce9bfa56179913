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
    const questionMark = byId(cache, 'question mark', (id) => knex('t').select('a?b').where('id', id));
    expect(await questionMark.run(1)).toEqual([{ 'a?b': 'q1' }]);
    expect(await questionMark.run(2)).toEqual([{ 'a?b': 'q2' }]);
    const twice = byId(cache, 'twice', (id) => knex('t').select('id').where('id', id).orWhere('id', id));
    expect(await twice.run(3)).toEqual([{ id: 3 }]);
    expect(await twice.run(4)).toEqual([{ id: 4 }]);
    // Compiled (and refused) on the first call, then built for each of the two calls: 3 builds each.
    expect(questionMark.builds + twice.builds).toBe(6);
  });

  it('builds every time where the dialect cannot run raw statements', async () => {
    const plain = byId(new StatementCache(knex, undefined), 'plain', (id) => knex('t').select('id').where('id', id));
    expect(await plain.run(1)).toEqual([{ id: 1 }]);
    expect(await plain.run(2)).toEqual([{ id: 2 }]);
    expect(plain.builds).toBe(2);
  });
});

/** A one-value statement run through the cache, counting how often its builder is called. */
function byId(cache: StatementCache, signature: string, query: (id: number) => Knex.QueryBuilder) {
  const counter = {
    builds: 0,
    run: (id: number) =>
      cache
        .rows(signature, [id], [false], (params) => {
          counter.builds++;
          return { query: query(params[0] as number), extra: null };
        })
        .then((result) => result.rows),
  };
  return counter;
}
