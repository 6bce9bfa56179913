import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteStatements } from '../../server/introspect/sqlite/statements';
import { StatementCache } from '../../server/query/compiled';
import { sql, type SqlFragment } from '../../server/sql/fragment';
import { runStatement, type SentStatement } from '../../server/query/runner';

describe('StatementCache', () => {
  let knex: Knex;
  beforeAll(async () => {
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    await knex.raw('create table t (id integer primary key, "a?b" text, "??" text, "$1" text, name text)');
    await knex('t').insert([1, 2, 3, 4, 5].map((id) => ({ id, 'a?b': `q${id}`, '??': `w${id}`, $1: `d${id}`, name: `n${id}` })));
  });
  afterAll(() => knex.destroy());

  /** Runs the cached statement and records what reached the driver. */
  async function sent<T>(work: () => Promise<T>): Promise<{ result: T; statements: SentStatement[] }> {
    const statements: SentStatement[] = [];
    const listen = (q: SentStatement) => statements.push(q);
    knex.on('query', listen);
    try {
      return { result: await work(), statements };
    } finally {
      knex.off('query', listen);
    }
  }

  function cached(cache: StatementCache, signature: string, build: (params: readonly SqlFragment[]) => SqlFragment) {
    const counter = {
      builds: 0,
      run: async (...values: unknown[]) => {
        const { statement } = cache.prepare(signature, values, (params) => {
          counter.builds++;
          return { statement: build(params), extra: null };
        });
        return (await runStatement(knex, sqliteStatements, statement)).rows;
      },
    };
    return counter;
  }

  it('builds a statement once per signature and binds each call its own values', async () => {
    const cache = new StatementCache(sqliteStatements);
    const byId = cached(cache, 'by id', ([from, limit]) => sql`select ${sql.identifier('id')}, ${sql.identifier('name')} from ${sql.identifier('t')} where ${sql.identifier('id')} >= ${from!} order by ${sql.identifier('id')} limit ${limit!}`);
    const { result, statements } = await sent(async () => [await byId.run(2, 2), await byId.run(4, 5), await byId.run(1, 0)]);
    expect(result).toEqual([[{ id: 2, name: 'n2' }, { id: 3, name: 'n3' }], [{ id: 4, name: 'n4' }, { id: 5, name: 'n5' }], []]);
    expect(byId.builds).toBe(1);
    expect(statements.map((s) => s.sql)).toEqual(Array(3).fill('select "id", "name" from "t" where "id" >= ? order by "id" limit ?'));
    expect(statements.map((s) => s.bindings)).toEqual([[2, 2], [4, 5], [1, 0]]);
  });

  it('keeps statements whose identifiers hold `?`, `??` or `$1`, and values used twice', async () => {
    const cache = new StatementCache(sqliteStatements);
    const odd = cached(cache, 'odd', ([id]) => sql`select ${sql.join(['a?b', '??', '$1'].map((c) => sql.identifier(c)), ', ')} from ${sql.identifier('t')} where ${sql.identifier('id')} = ${id!}`);
    expect(await odd.run(1)).toEqual([{ 'a?b': 'q1', '??': 'w1', $1: 'd1' }]);
    expect(await odd.run(2)).toEqual([{ 'a?b': 'q2', '??': 'w2', $1: 'd2' }]);
    const twice = cached(cache, 'twice', ([id]) => sql`select ${sql.identifier('id')} from ${sql.identifier('t')} where ${sql.identifier('id')} = ${id!} or ${sql.identifier('id')} = ${id!}`);
    expect(await twice.run(3)).toEqual([{ id: 3 }]);
    expect(await twice.run(4)).toEqual([{ id: 4 }]);
    expect([odd.builds, twice.builds]).toEqual([1, 1]);
    expect(cache.size).toBe(2);
  });

  it('builds every time, with the values bound, where the signature is too long to keep', async () => {
    const cache = new StatementCache(sqliteStatements);
    const long = cached(cache, 'x'.repeat(5000), ([id]) => sql`select ${sql.identifier('id')} from ${sql.identifier('t')} where ${sql.identifier('id')} = ${id!}`);
    expect(await long.run(1)).toEqual([{ id: 1 }]);
    expect(await long.run(2)).toEqual([{ id: 2 }]);
    expect(long.builds).toBe(2);
    expect(cache.size).toBe(0);
  });
});
