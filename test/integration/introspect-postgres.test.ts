/**
 * Live introspection of test/fixtures/sql/postgres.sql on PostgreSQL (LAZYDB_TEST_PG_URL,
 * default postgres://postgres@127.0.0.1:5432/postgres), in a throwaway database.
 * Skipped when the server cannot be reached, unless LAZYDB_REQUIRE_DBS names postgres.
 */
import knexFactory from 'knex';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresDialect } from '../../server/introspect/postgres/index';
import type { DatabaseSpec, DbModel } from '../../server/model/types';
import { createThrowawayDatabase, requireOrSkip, type ThrowawayDb } from '../helpers/databases';
import { countQueries, describeFailure, findColumn as column, findTable, FIXTURE_TABLE_NAMES } from '../helpers/introspect';
import { compileStatement, sql } from '../../server/sql/fragment';
import { runStatement } from '../../server/query/runner';

const pgUp = await requireOrSkip('postgres');

const table = (model: DbModel, name: string, schema = 'public') => findTable(model, name, schema);

describe.skipIf(!pgUp)('postgres introspection (live)', () => {
  let db: ThrowawayDb;
  let knex: Knex;
  let spec: DatabaseSpec;
  let publicModel: DbModel;

  beforeAll(async () => {
    db = await createThrowawayDatabase('postgres', { sqlFile: 'test/fixtures/sql/postgres.sql' });
    spec = { name: 'pgtest', dialect: 'postgres', connection: db.connection };
    knex = knexFactory(postgresDialect.knexConfig(spec, { connectTimeoutMs: 5000, poolMax: 2 }));
    const started = performance.now();
    publicModel = await postgresDialect.introspect(knex, postgresDialect.defaultSchemas(spec));
    console.log(`postgres introspect() of the fixture (public): ${(performance.now() - started).toFixed(1)} ms, ${publicModel.tables.length} tables`);
  });

  afterAll(async () => {
    await knex?.destroy();
    await db?.drop();
  });

  it('introspects the public schema', () => {
    expect(publicModel.dialect).toBe('postgres');
    expect(publicModel.schemas).toEqual(['public']);
    expect(publicModel.serverVersion).toMatch(/^\d+(\.\d+)?/);
    expect(Date.parse(publicModel.introspectedAt)).not.toBeNaN();
    expect(publicModel.tables.map((t) => t.name)).toEqual(FIXTURE_TABLE_NAMES);
    expect(publicModel.report).toEqual([]);
  });

  it('reads kinds, keys and flags', () => {
    const allTypes = table(publicModel, 'all_types');
    expect(allTypes.columns.map((c) => c.kind)).toEqual([
      'int', 'int', 'int', 'bigint', 'float', 'float', 'decimal', 'string', 'string', 'string', 'boolean',
      'date', 'time', 'datetime', 'datetime', 'json', 'uuid', 'bytes', 'enum', 'int',
    ]);
    expect(column(allTypes, 'c_enum').enumValues).toEqual(['happy', 'sad', 'ok']);
    expect(column(allTypes, 'c_generated')).toMatchObject({ generated: true, hasDefault: true });
    expect(column(allTypes, 'id')).toMatchObject({ autoIncrement: true });
    expect(table(publicModel, 'album_tag').primaryKey).toEqual(['album_id', 'tag']);
    expect(table(publicModel, 'transfer').foreignKeys.map((fk) => [fk.columns, fk.refTable])).toEqual([
      [['from_account'], 'account'],
      [['to_account'], 'account'],
    ]);
    expect(table(publicModel, 'employee').foreignKeys[0]).toMatchObject({ refTable: 'employee', refColumns: ['employee_id'] });
    expect(table(publicModel, 'event_log').primaryKey).toEqual([]);
    expect(table(publicModel, 'album_with_artist').kind).toBe('view');
    expect(table(publicModel, 'Odd Table').columns.map((c) => c.name)).toEqual([
      'ID', 'Mixed Case', 'select', 'quote"d', 'naïve', 'a b', 'a_b', 'col-with-dash',
    ]);
  });

  it('includes the inventory schema when asked, after public', async () => {
    const model = await postgresDialect.introspect(knex, ['public', 'inventory']);
    expect(model.schemas).toEqual(['public', 'inventory']);
    expect(model.tables.slice(-2).map((t) => `${t.schema}.${t.name}`)).toEqual(['inventory.artist', 'inventory.item']);
    expect(table(model, 'artist', 'inventory').columns.map((c) => c.name)).toEqual(['id', 'label']);
    expect(table(model, 'item', 'inventory').foreignKeys).toEqual([
      { name: 'item_artist_fk', columns: ['artist_id'], refSchema: 'public', refTable: 'artist', refColumns: ['artist_id'] },
    ]);
    expect(model.report).toEqual([]);

    const alone = await postgresDialect.introspect(knex, ['inventory']);
    expect(table(alone, 'item', 'inventory').foreignKeys).toEqual([]);
    expect(alone.report.map((entry) => [entry.level, entry.object])).toEqual([['degraded', 'inventory.item']]);
  });

  it('runs a fixed number of catalog queries whatever the number of schemas', async () => {
    const count = async (schemas: string[]) => (await countQueries(knex, () => postgresDialect.introspect(knex, schemas))).queries;
    const few = await count(['public']);
    const many = await count(['public', 'inventory', 'extras']);
    expect(few).toBe(many);
    expect(few).toBe(6); // BEGIN + 4 catalog queries + COMMIT
  });

  it('reads the PostgreSQL-only cases', async () => {
    const model = await postgresDialect.introspect(knex, ['extras', 'public']);
    const gadget = table(model, 'gadget', 'extras');
    expect(column(gadget, 'code')).toMatchObject({ kind: 'string', length: 8, nullable: false });
    expect(column(gadget, 'tags').kind).toBe('unknown');
    expect(model.tables.some((t) => t.name === 'measurement_2024')).toBe(false);
    expect(table(model, 'gadget_count', 'extras').kind).toBe('view');
  });

  it('hands back values the codecs keep exact', async () => {
    const allTypes = table(publicModel, 'all_types');
    const row = (await knex('all_types').where('id', 1).first()) as Record<string, unknown>;
    const decoded = Object.fromEntries(allTypes.columns.map((c) => [c.name, postgresDialect.quirks.decode(c, row[c.name])]));
    expect(decoded).toMatchObject({
      c_bigint: '9007199254740993',
      c_decimal: '12345678901234.123456',
      c_date: '2024-02-29',
      c_time: '23:59:58.654321',
      c_timestamp: '2024-02-29T13:45:12.123456',
      c_timestamptz: '2024-02-29T11:45:12.123456+00:00',
      c_json: { a: { b: [1, 2, { c: null }] }, s: 'ü' },
      c_uuid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      c_bytes: 'AP8Q',
      c_enum: 'sad',
      c_text: 'naïve façade — 日本語 🎵',
      c_bool: true,
      c_generated: 2147483646,
    });
  });

  it('round-trips values through encode and RETURNING', async () => {
    const allTypes = table(publicModel, 'all_types');
    const input: Record<string, unknown> = {
      c_timestamp: '2024-03-01T00:30:00.000001+01:00',
      c_timestamptz: '2024-03-01T00:30:00.000001+01:00',
      c_json: 'just a string',
      c_bytes: 'AP8Q',
    };
    const encoded = Object.fromEntries(Object.entries(input).map(([name, value]) => [name, postgresDialect.quirks.encode(column(allTypes, name), value)]));
    const [row] = (await knex('all_types').insert(encoded).returning(['id', ...Object.keys(input)])) as Array<Record<string, unknown>>;
    expect(row).toBeDefined();
    const decode = (name: string) => postgresDialect.quirks.decode(column(allTypes, name), row?.[name]);
    expect(decode('c_timestamp')).toBe('2024-02-29T23:30:00.000001');
    expect(decode('c_timestamptz')).toBe('2024-02-29T23:30:00.000001+00:00');
    expect(decode('c_json')).toBe('just a string');
    expect(decode('c_bytes')).toBe('AP8Q');
    expect(row?.id).toBe(3); // the identity sequence was moved past the seeded ids
  });

  it('filters case-insensitively', async () => {
    const condition = postgresDialect.quirks.ilike(sql.identifier('artist', 'name'), 'ac%', false);
    const statement = compileStatement(sql`select ${sql.identifier('name')} from ${sql.identifier('artist')} where ${condition}`, postgresDialect.statements);
    const { rows } = await runStatement(knex, postgresDialect.statements, statement);
    expect(rows.map((r) => r.name).sort()).toEqual(['AC/DC', 'Accept']);
  });

  it('describes real errors', async () => {
    expect(await describeFailure(postgresDialect.describeError, knex('artist').insert({ name: 'AC/DC' }))).toEqual({
      kind: 'unique_violation',
      message: 'duplicate key value violates unique constraint "artist_name_key": Key (name)=(AC/DC) already exists.',
      constraint: 'artist_name_key',
    });
    const fk = await describeFailure(postgresDialect.describeError, knex('album').insert({ title: 'x', artist_id: 999 }));
    expect(fk).toMatchObject({ kind: 'foreign_key_violation', constraint: 'album_artist_fk' });

    const missing = knexFactory(
      postgresDialect.knexConfig({ ...spec, connection: { ...spec.connection, database: `${db.name}_missing` } }, { connectTimeoutMs: 3000 }),
    );
    try {
      expect((await describeFailure(postgresDialect.describeError, missing.raw('select 1'))).kind).toBe('unknown_database');
    } finally {
      await missing.destroy();
    }
  });
});
