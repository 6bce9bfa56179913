/**
 * Live introspection of test/fixtures/sql/mysql.sql on MariaDB (LAZYDB_TEST_MARIADB_URL,
 * default mysql://root@127.0.0.1:3306/) and, when LAZYDB_TEST_MYSQL_URL is set, on MySQL 8.
 * A server that cannot be reached is skipped unless LAZYDB_REQUIRE_DBS names it.
 */
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectModule } from '../../server/introspect/dialect';
import { mariadbDialect, mysqlDialect } from '../../server/introspect/mysql/index';
import { isMariaDbVersion } from '../../server/introspect/mysql/version';
import type { DbModel, Dialect } from '../../server/model/types';
import {
  connect,
  createFixtureDatabase,
  DEFAULT_MARIADB_URL,
  specFor,
  type ThrowawayDatabase,
} from '../fixtures/recorded/record-mariadb';
import { countQueries, describeFailure, findColumn as column, findTable as table, FIXTURE_TABLE_NAMES } from '../helpers/introspect';
import { compileStatement, sql, type SqlFragment } from '../../server/sql/fragment';
import { runStatement } from '../../server/query/runner';

const required = (process.env.LAZYDB_REQUIRE_DBS ?? '')
  .split(',')
  .map((name) => name.trim().toLowerCase())
  .filter(Boolean);

interface Target {
  dialect: Dialect;
  module: DialectModule;
  url: string | undefined;
}

const targets: Target[] = [
  { dialect: 'mariadb', module: mariadbDialect, url: process.env.LAZYDB_TEST_MARIADB_URL ?? DEFAULT_MARIADB_URL },
  { dialect: 'mysql', module: mysqlDialect, url: process.env.LAZYDB_TEST_MYSQL_URL },
];

async function reachable(url: string | undefined, dialect: Dialect): Promise<boolean> {
  if (!url) return false;
  const knex = connect(url, dialect);
  try {
    await knex.raw('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await knex.destroy();
  }
}

const available = new Map<Dialect, boolean>();
for (const target of targets) available.set(target.dialect, await reachable(target.url, target.dialect));

for (const target of targets) {
  const run = available.get(target.dialect) === true || required.includes(target.dialect);

  describe.skipIf(!run)(`introspect ${target.dialect} (live)`, () => {
    let db: ThrowawayDatabase;
    let model: DbModel;
    let queries = 0;

    beforeAll(async () => {
      if (!target.url) throw new Error(`LAZYDB_${target.dialect.toUpperCase()}_URL is not set`);
      db = await createFixtureDatabase(target.url, target.dialect);
      const schemas = target.module.defaultSchemas(specFor(target.url, target.dialect, db.name));
      const started = performance.now();
      ({ result: model, queries } = await countQueries(db.knex, () => target.module.introspect(db.knex, schemas)));
      const elapsed = performance.now() - started;
      console.log(
        `[${target.dialect}] introspect() of the fixture (${model.tables.length} tables) took ${elapsed.toFixed(1)} ms, ${queries} queries`,
      );
    });

    afterAll(async () => {
      await db?.drop();
    });

    it('reads the whole fixture with a fixed number of catalog queries', () => {
      expect(model.dialect).toBe(target.dialect);
      expect(model.schemas).toEqual([db.name]);
      expect(model.report).toEqual([]);
      expect(model.tables.map((t) => t.name)).toEqual(FIXTURE_TABLE_NAMES);
      // version + tables, columns, unique indexes, foreign keys (+ json checks on MariaDB)
      expect(queries).toBe(isMariaDbVersion(model.serverVersion) ? 6 : 5);
    });

    it('maps the hard cases', () => {
      const allTypes = table(model, 'all_types');
      expect(column(allTypes, 'c_bool').kind).toBe('boolean');
      expect(column(allTypes, 'c_json').kind).toBe('json');
      expect(column(allTypes, 'c_bigint').kind).toBe('bigint');
      expect(column(allTypes, 'c_enum')).toMatchObject({ kind: 'enum', enumValues: ['happy', 'sad', 'ok'] });
      expect(column(allTypes, 'c_generated')).toMatchObject({ generated: true, hasDefault: true });
      expect(column(allTypes, 'id')).toMatchObject({ autoIncrement: true });
      expect(table(model, 'album_tag').primaryKey).toEqual(['album_id', 'tag']);
      expect(table(model, 'transfer').foreignKeys.map((fk) => [fk.columns, fk.refTable])).toEqual([
        [['from_account'], 'account'],
        [['to_account'], 'account'],
      ]);
      expect(table(model, 'employee').foreignKeys[0]).toMatchObject({ refTable: 'employee', refColumns: ['employee_id'] });
      expect(table(model, 'album_with_artist').kind).toBe('view');
      expect(table(model, 'event_log').primaryKey).toEqual([]);
      expect(table(model, 'artist').uniqueKeys).toEqual([{ name: 'artist_name_key', columns: ['name'] }]);
      expect(table(model, 'Odd Table').columns.map((c) => c.name)).toEqual([
        'ID',
        'Mixed Case',
        'select',
        'quote"d',
        'naïve',
        'a b',
        'a_b',
        'col-with-dash',
      ]);
    });

    it('decodes the seed row exactly', async () => {
      const allTypes = table(model, 'all_types');
      const [row] = (await db.knex('all_types').where({ id: 1 })) as Record<string, unknown>[];
      const decoded = Object.fromEntries(
        allTypes.columns.map((c) => [c.name, target.module.quirks.decode(c, row?.[c.name])]),
      );
      expect(decoded).toEqual({
        id: 1,
        c_smallint: -32768,
        c_int: 1073741823,
        c_bigint: '9007199254740993',
        c_real: 1.5,
        c_double: 3.141592653589793,
        c_decimal: '12345678901234.123456',
        c_varchar: 'it\'s "quoted"',
        c_char: 'abc',
        c_text: 'naïve façade — 日本語 🎵',
        c_bool: true,
        c_date: '2024-02-29',
        c_time: '23:59:58.654321',
        c_timestamp: '2024-02-29T13:45:12.123456',
        c_json: { a: { b: [1, 2, { c: null }] }, s: 'ü' },
        c_uuid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        c_bytes: 'AP8Q',
        c_enum: 'sad',
        c_generated: 2147483646,
      });
    });

    it('writes canonical values through encode and reads them back', async () => {
      const allTypes = table(model, 'all_types');
      const input: Record<string, unknown> = {
        c_bigint: '-9223372036854775808',
        c_decimal: '-12345678901234.000001',
        c_bool: false,
        c_time: '01:15:00.25+02:00',
        c_timestamp: '2024-03-01T01:02:03.123456+01:00',
        c_json: '123',
        c_bytes: Buffer.from([0, 255, 0]).toString('base64'),
        c_enum: 'ok',
      };
      const encoded = Object.fromEntries(
        Object.entries(input).map(([name, value]) => [name, target.module.quirks.encode(column(allTypes, name), value)]),
      );
      const [id] = (await db.knex('all_types').insert(encoded)) as number[];
      const [row] = (await db.knex('all_types').where({ id })) as Record<string, unknown>[];
      const decode = (name: string): unknown => target.module.quirks.decode(column(allTypes, name), row?.[name]);
      expect(decode('c_bigint')).toBe('-9223372036854775808');
      expect(decode('c_decimal')).toBe('-12345678901234.000001');
      expect(decode('c_bool')).toBe(false);
      expect(decode('c_time')).toBe('23:15:00.25'); // trailing zeros of the fraction are not significant
      expect(decode('c_timestamp')).toBe('2024-03-01T00:02:03.123456');
      expect(decode('c_json')).toBe('123'); // a JSON string stays a string
      expect(decode('c_bytes')).toBe('AP8A');

      // TIMESTAMP goes through the session zone, which must be UTC.
      const log = table(model, 'event_log');
      await db.knex('event_log').insert({
        happened_at: target.module.quirks.encode(column(log, 'happened_at'), '2030-05-06T07:08:09.5-02:00'),
        level: 'debug',
      });
      const [event] = (await db.knex('event_log').where({ level: 'debug' })) as Record<string, unknown>[];
      expect(target.module.quirks.decode(column(log, 'happened_at'), event?.happened_at)).toBe('2030-05-06T09:08:09.5');
    });

    it('matches case-insensitively, also on non-ASCII text', async () => {
      const { quirks, statements } = target.module;
      const names = async (condition: SqlFragment) =>
        (await runStatement(db.knex, statements, compileStatement(sql`select ${sql.identifier('name')} from ${sql.identifier('artist')} where ${condition} order by ${sql.identifier('artist_id')}`, statements))).rows;
      expect(await names(quirks.ilike(sql.identifier('artist', 'name'), '%BJÖ%', false))).toEqual([{ name: 'Björk' }]);
      expect(await names(quirks.ilike(sql.identifier('name'), 'a%', true))).toEqual([{ name: 'Björk' }]);
    });

    it('classifies real server errors', async () => {
      const failure = (run: () => PromiseLike<unknown>) => describeFailure(target.module.describeError, run);
      expect(await failure(() => db.knex('artist').insert({ name: 'AC/DC' }))).toMatchObject({
        kind: 'unique_violation',
        constraint: 'artist_name_key',
      });
      const fk = await failure(() => db.knex('album').insert({ title: 'x', artist_id: 999 }));
      expect(fk).toMatchObject({ kind: 'foreign_key_violation', constraint: 'album_artist_fk' });
      expect(fk.message).not.toMatch(/insert into/);
      expect((await failure(() => db.knex('artist').insert({ name: null }))).kind).toBe('not_null_violation');
      expect((await failure(() => db.knex('all_types').insert({ c_timestamp: '2024-13-45 00:00:00' }))).kind).toBe(
        'invalid_value',
      );
      expect((await failure(() => db.knex('all_types').insert({ c_enum: 'angry' }))).kind).toBe('invalid_value');
    });

    it('classifies connection failures', async () => {
      const url = target.url ?? '';
      const missing = knexFactory(target.module.knexConfig(specFor(url, target.dialect, `${db.name}_missing`), { connectTimeoutMs: 3000 }));
      try {
        await expect(missing.raw('select 1')).rejects.toSatisfy(
          (error: unknown) => target.module.describeError(error).kind === 'unknown_database',
        );
      } finally {
        await missing.destroy();
      }
      const spec = specFor(url, target.dialect, db.name);
      const wrong = knexFactory(
        target.module.knexConfig({ ...spec, connection: { ...spec.connection, user: 'lazydb_no_such_user', password: 'not-it' } }, { connectTimeoutMs: 3000 }),
      );
      try {
        const error = await wrong.raw('select 1').then(
          () => undefined,
          (e: unknown) => e,
        );
        const info = target.module.describeError(error);
        expect(info.kind).toBe('auth_failed');
        expect(info.message).not.toContain('not-it');
      } finally {
        await wrong.destroy();
      }
    });
  });
}
