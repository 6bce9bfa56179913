import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteDialect } from '../../server/introspect/sqlite';
import type { ColumnModel, DbModel, TableModel } from '../../server/model/types';
import { createThrowawayDatabase, requireOrSkip } from '../helpers/databases';
import type { ThrowawayDb } from '../helpers/databases';
import { describeFailure, findTable as tableOf } from '../helpers/introspect';

// SQLite is embedded: always available, but asked the same way as the servers.
const available = await requireOrSkip('sqlite');

function columnsOf(table: TableModel): Map<string, ColumnModel> {
  return new Map(table.columns.map((column) => [column.name, column]));
}

const expectError = (statement: PromiseLike<unknown>) => describeFailure(sqliteDialect.describeError, statement);

describe.skipIf(!available)('SQLite dialect against a real database file', () => {
  let db: ThrowawayDb;
  let knex: Knex;
  let model: DbModel;

  beforeAll(async () => {
    db = await createThrowawayDatabase('sqlite', { sqlFile: 'test/fixtures/sql/sqlite.sql' });
    knex = knexFactory(
      sqliteDialect.knexConfig({ name: 'fixture', dialect: 'sqlite', connection: { url: db.url } }, { connectTimeoutMs: 5_000 }),
    );
    const started = performance.now();
    model = await sqliteDialect.introspect(knex, sqliteDialect.defaultSchemas({ name: 'fixture', dialect: 'sqlite', connection: {} }));
    console.log(`sqlite introspect() on the fixture: ${(performance.now() - started).toFixed(1)} ms`);
  });

  afterAll(async () => {
    await knex?.destroy();
    await db?.drop();
  });

  it('introspects the fixture', () => {
    expect(model.dialect).toBe('sqlite');
    expect(model.serverVersion).toMatch(/^3\.\d+/);
    expect(model.tables).toHaveLength(12);
    expect(tableOf(model, 'album_tag').primaryKey).toEqual(['album_id', 'tag']);
    expect(tableOf(model, 'transfer').foreignKeys.map((key) => key.columns[0])).toEqual(['from_account', 'to_account']);
    expect(tableOf(model, 'album_with_artist').kind).toBe('view');
    expect(tableOf(model, 'event_log').primaryKey).toEqual([]);
    const allTypes = columnsOf(tableOf(model, 'all_types'));
    expect(allTypes.get('c_enum')?.enumValues).toEqual(['happy', 'sad', 'ok']);
    expect(allTypes.get('c_generated')?.generated).toBe(true);
    expect(allTypes.get('id')?.autoIncrement).toBe(true);
  });

  it('reads values back exactly through the decoder', async () => {
    const columns = columnsOf(tableOf(model, 'all_types'));
    const [row] = (await knex('all_types').where('id', 1)) as Record<string, unknown>[];
    expect(row).toBeDefined();
    const decoded = Object.fromEntries(
      Object.entries(row ?? {}).map(([name, value]) => [name, sqliteDialect.quirks.decode(columns.get(name) as ColumnModel, value)]),
    );
    expect(decoded).toMatchObject({
      id: 1,
      c_smallint: -32768,
      c_int: 1073741823,
      c_bigint: '9007199254740993',
      c_real: 1.5,
      c_double: 3.141592653589793,
      c_varchar: `it's "quoted"`,
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
    // Stored as a double by SQLite: documented as degraded, still a plain digit string.
    expect(decoded.c_decimal).toMatch(/^12345678901234\.12\d*$/);
  });

  it('writes encoded values and reads them back with RETURNING', async () => {
    const columns = columnsOf(tableOf(model, 'all_types'));
    const input: Record<string, unknown> = {
      c_bigint: '-9223372036854775808',
      c_bool: false,
      c_json: { list: [1, 'two'] },
      c_bytes: Buffer.from([1, 2, 255]).toString('base64'),
      c_timestamp: '2024-06-01T12:00:00.000001+02:00',
    };
    const encoded = Object.fromEntries(
      Object.entries(input).map(([name, value]) => [name, sqliteDialect.quirks.encode(columns.get(name) as ColumnModel, value)]),
    );
    const [returned] = (await knex('all_types').insert(encoded).returning(['id', 'c_bigint', 'c_bool', 'c_json', 'c_bytes', 'c_timestamp'])) as Record<
      string,
      unknown
    >[];
    const decoded = Object.fromEntries(
      Object.entries(returned ?? {}).map(([name, value]) => [name, sqliteDialect.quirks.decode(columns.get(name) as ColumnModel, value)]),
    );
    expect(decoded).toEqual({
      id: 3,
      c_bigint: '-9223372036854775808',
      c_bool: false,
      c_json: { list: [1, 'two'] },
      c_bytes: 'AQL/',
      c_timestamp: '2024-06-01T10:00:00.000001',
    });
  });

  it('classifies real constraint errors', async () => {
    expect(await expectError(knex('artist').insert({ name: 'AC/DC' }))).toEqual({
      kind: 'unique_violation',
      message: 'UNIQUE constraint failed: artist.name',
      constraint: 'artist.name',
    });
    // foreign_keys = ON is set per connection by the pool.
    expect((await expectError(knex('album').insert({ title: 'x', artist_id: 999 }))).kind).toBe('foreign_key_violation');
    expect((await expectError(knex('artist').insert({ name: null }))).kind).toBe('not_null_violation');
    const check = await expectError(knex('all_types').insert({ c_enum: 'angry' }));
    expect(check.kind).toBe('check_violation');
    expect(check.message).not.toMatch(/insert into/i);
    expect((await expectError(knex('album_tag').insert({ album_id: 1, tag: 'rock' }))).kind).toBe('unique_violation');
  });

  it('queues concurrent queries on its single connection', async () => {
    const counts = await Promise.all(
      Array.from({ length: 8 }, () => knex('album').count({ n: '*' }).first() as Promise<{ n: bigint } | undefined>),
    );
    expect(counts.map((row) => Number(row?.n))).toEqual(Array(8).fill(4));
  });

  it('refuses a missing file instead of creating an empty database', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lazydb-t-'));
    const missing = path.join(dir, 'missing.sqlite');
    const other = knexFactory(
      sqliteDialect.knexConfig({ name: 'missing', dialect: 'sqlite', connection: { filename: missing } }, { connectTimeoutMs: 2_000 }),
    );
    try {
      const info = await expectError(other.raw('select 1'));
      expect(info.kind).toBe('unknown_database');
      expect(existsSync(missing)).toBe(false);
    } finally {
      await other.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
