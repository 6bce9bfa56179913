/**
 * The statement runner on the live engines: compiled fragments run on the driver's own
 * connection from knex's pool, inside knex transactions too; driver errors reach
 * describeError whole (no SQL text, nothing cut); every statement is announced on knex's
 * `query` event with its text and values apart.
 */
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectModule } from '../../server/introspect';
import type { DialectModule } from '../../server/introspect/dialect';
import { compileStatement, sql, type SqlFragment } from '../../server/query/fragment';
import { runStatement, type SentStatement } from '../../server/query/runner';
import { createThrowawayDatabase, requireOrSkip, type Engine, type ThrowawayDb } from '../helpers/databases';

const TABLE = 't ?`"\'';
const KEY = 'id ?';
const TEXT = 'te?xt `$1`';

for (const engine of ['postgres', 'mariadb', 'sqlite'] as Engine[]) {
  describe(`statement runner on ${engine}`, async () => {
    const available = await requireOrSkip(engine);
    let db: ThrowawayDb;
    let knex: Knex;
    let dialect: DialectModule;
    const run = (executor: Knex | Knex.Transaction, fragment: SqlFragment) => runStatement(executor, dialect.statements, compileStatement(fragment, dialect.statements));
    const table = sql.identifier(TABLE);
    const key = sql.identifier(KEY);
    const text = sql.identifier(TEXT);
    const selectAll = sql`select ${key}, ${text} from ${table} order by ${key}`;
    /** SQLite gives integers as BigInt (the connection's safe integers, kept by the runner). */
    const numbered = (rows: Record<string, unknown>[]) => rows.map((row) => ({ ...row, [KEY]: Number(row[KEY]) }));

    beforeAll(async () => {
      if (!available) return;
      const q = engine === 'mariadb' ? (n: string) => `\`${n.replaceAll('`', '``')}\`` : (n: string) => `"${n.replaceAll('"', '""')}"`;
      db = await createThrowawayDatabase(engine, { sql: `create table ${q(TABLE)} (${q(KEY)} integer primary key, ${q(TEXT)} text)` });
      dialect = dialectModule(db.dialect);
      knex = knexFactory(dialect.knexConfig({ name: 'runner', dialect: db.dialect, connection: db.connection }, { connectTimeoutMs: 5000 }));
    });
    afterAll(async () => {
      await knex?.destroy();
      await db?.drop();
    });

    it.skipIf(!available)('writes and reads values that look like SQL next to names that do too', async () => {
      const values = ["? ?? $1 :a '; drop table x; -- \\ ` \"", '🎵\u0001\t\n'];
      const inserted = await run(knex, sql`insert into ${table} (${key}, ${text}) values (${sql.value(1)}, ${sql.value(values[0])}), (${sql.value(2)}, ${sql.value(values[1])})`);
      expect(inserted.affectedRows).toBe(2);
      const { rows } = await run(knex, selectAll);
      expect(typeof rows[0]![KEY]).toBe(engine === 'sqlite' ? 'bigint' : 'number');
      expect(numbered(rows)).toEqual([
        { [KEY]: 1, [TEXT]: values[0] },
        { [KEY]: 2, [TEXT]: values[1] },
      ]);
      const found = await run(knex, sql`select ${key} from ${table} where ${text} = ${sql.value(values[0])}`);
      expect(numbered(found.rows)).toEqual([{ [KEY]: 1 }]);
      await run(knex, sql`delete from ${table}`);
    });

    it.skipIf(!available)('runs on the transaction connection inside a knex transaction', async () => {
      await knex
        .transaction(async (trx) => {
          await run(trx, sql`insert into ${table} (${key}, ${text}) values (${sql.value(7)}, ${sql.value('in trx')})`);
          // Seen on the transaction's own connection...
          expect(numbered((await run(trx, selectAll)).rows)).toEqual([{ [KEY]: 7, [TEXT]: 'in trx' }]);
          throw new Error('roll back');
        })
        .catch((error: Error) => expect(error.message).toBe('roll back'));
      // ...and gone with its rollback.
      expect((await run(knex, selectAll)).rows).toEqual([]);
    });

    it.skipIf(!available)('announces each statement with its text and values apart', async () => {
      const seen: SentStatement[] = [];
      const listen = (statement: SentStatement) => seen.push(statement);
      knex.on('query', listen);
      try {
        await run(knex, sql`select ${key} from ${table} where ${text} = ${sql.value('secret ?')}`);
      } finally {
        knex.off('query', listen);
      }
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ lazydb: true, bindings: ['secret ?'] });
      expect(seen[0]!.sql).not.toContain('secret');
    });

    it.skipIf(!available)('hands driver errors to describeError whole, without SQL text', async () => {
      await run(knex, sql`insert into ${table} (${key}, ${text}) values (${sql.value(9)}, ${sql.value('x')})`);
      const duplicate = await run(knex, sql`insert into ${table} (${key}, ${text}) values (${sql.value(9)}, ${sql.value('a - b')})`).then(
        () => null,
        (error: unknown) => dialect.describeError(error),
      );
      expect(duplicate?.kind).toBe('unique_violation');
      expect(duplicate?.message).not.toMatch(/insert into|a - b/);
      if (engine === 'postgres') {
        // knex would have prefixed "<sql> - "; a message quoting a value with " - " is kept whole.
        const invalid = await run(knex, sql`select ${sql.value('a - b')}::integer as ${sql.identifier('n')}`).then(
          () => null,
          (error: unknown) => dialect.describeError(error),
        );
        expect(invalid).toEqual({ kind: 'invalid_value', message: 'invalid input syntax for type integer: "a - b"' });
      }
      await run(knex, sql`delete from ${table}`);
    });
  });
}
