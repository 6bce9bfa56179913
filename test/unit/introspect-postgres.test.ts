/**
 * The PostgreSQL dialect without a server: the recorded catalog rows of
 * test/fixtures/sql/postgres.sql (test/fixtures/recorded/postgres.json, re-recorded by
 * record-postgres.ts) through the pure normaliser, plus error classification, codecs,
 * the ILIKE filter and the connection config.
 */
import knexFactory from 'knex';
import type { Knex } from 'knex';
import { describe, expect, it } from 'vitest';
import type { PgCatalog } from '../../server/introspect/postgres/catalog';
import { columnsSql, keysSql, relationsSql } from '../../server/introspect/postgres/catalog';
import { knexConfig, pgTypes } from '../../server/introspect/postgres/connection';
import { describeError } from '../../server/introspect/postgres/errors';
import { postgresDialect } from '../../server/introspect/postgres/index';
import { normalise } from '../../server/introspect/postgres/normalise';
import { postgresQuirks, toUtcWallClock } from '../../server/introspect/postgres/quirks';
import type { DbModel } from '../../server/model/types';
import { codecColumn as col, findColumn as column, findTable, readRecording, FIXTURE_TABLE_NAMES } from '../helpers/introspect';
import { compileStatement, sql, type SqlFragment } from '../../server/sql/fragment';
import { postgresStatements } from '../../server/introspect/postgres/statements';

interface Recording {
  schemas: string[];
  catalog: PgCatalog;
}

const recording = readRecording<Recording>('postgres.json');

const AT = '2024-05-06T07:08:09.000Z';

/** What the catalog queries return for `schemas`: the recorded rows of those schemas only. */
function catalogFor(schemas: string[]): PgCatalog {
  const wanted = new Set(schemas);
  const { catalog } = recording;
  return {
    ...catalog,
    relations: catalog.relations.filter((row) => wanted.has(row.schema)),
    columns: catalog.columns.filter((row) => wanted.has(row.schema)),
    keys: catalog.keys.filter((row) => wanted.has(row.schema)),
  };
}

function model(schemas: string[]): DbModel {
  return normalise(catalogFor(schemas), schemas, AT);
}

const table = (db: DbModel, name: string, schema = 'public') => findTable(db, name, schema);

describe('postgres normalise: public schema', () => {
  const db = model(['public']);

  it('fills the model header', () => {
    expect(db.formatVersion).toBe(1);
    expect(db.dialect).toBe('postgres');
    expect(db.serverVersion).toBe(recording.catalog.serverVersion);
    expect(db.serverVersion).toMatch(/^\d+/);
    expect(db.schemas).toEqual(['public']);
    expect(db.introspectedAt).toBe(AT);
  });

  it('lists tables and views ordered by name (code-unit order)', () => {
    expect(db.tables.map((t) => t.name)).toEqual(FIXTURE_TABLE_NAMES);
    expect(db.tables.every((t) => t.schema === 'public')).toBe(true);
  });

  it('maps every all_types column to its kind', () => {
    const t = table(db, 'all_types');
    const kinds = Object.fromEntries(t.columns.map((c) => [c.name, c.kind]));
    expect(kinds).toEqual({
      id: 'int',
      c_smallint: 'int',
      c_int: 'int',
      c_bigint: 'bigint',
      c_real: 'float',
      c_double: 'float',
      c_decimal: 'decimal',
      c_varchar: 'string',
      c_char: 'string',
      c_text: 'string',
      c_bool: 'boolean',
      c_date: 'date',
      c_time: 'time',
      c_timestamp: 'datetime',
      c_timestamptz: 'datetime',
      c_json: 'json',
      c_uuid: 'uuid',
      c_bytes: 'bytes',
      c_enum: 'enum',
      c_generated: 'int',
    });
    // Columns stay in ordinal order.
    expect(t.columns[0]?.name).toBe('id');
    expect(t.columns.at(-1)?.name).toBe('c_generated');
  });

  it('reads lengths, precision, scale, time zones and enum labels', () => {
    const t = table(db, 'all_types');
    expect(column(t, 'c_varchar')).toMatchObject({ length: 50, sqlType: 'character varying(50)', precision: null });
    expect(column(t, 'c_char')).toMatchObject({ length: 3, sqlType: 'character(3)' });
    expect(column(t, 'c_text').length).toBeNull();
    expect(column(t, 'c_decimal')).toMatchObject({ precision: 20, scale: 6, sqlType: 'numeric(20,6)' });
    expect(column(t, 'c_timestamp')).toMatchObject({ withTimeZone: false, precision: 6 });
    expect(column(t, 'c_timestamptz')).toMatchObject({ withTimeZone: true, sqlType: 'timestamp with time zone' });
    expect(column(t, 'c_time')).toMatchObject({ withTimeZone: false });
    expect(column(t, 'c_int').withTimeZone).toBeUndefined();
    expect(column(t, 'c_enum')).toMatchObject({ enumValues: ['happy', 'sad', 'ok'], sqlType: 'mood' });
    expect(column(t, 'c_int').enumValues).toBeUndefined();
    expect(column(t, 'c_json').sqlType).toBe('jsonb');
  });

  it('flags identity and generated columns', () => {
    const t = table(db, 'all_types');
    expect(column(t, 'id')).toMatchObject({ autoIncrement: true, generated: false, hasDefault: true, nullable: false, defaultValue: null });
    expect(column(t, 'c_generated')).toMatchObject({ autoIncrement: false, generated: true, hasDefault: true, defaultValue: null });
    expect(column(t, 'c_int')).toMatchObject({ autoIncrement: false, generated: false, hasDefault: false, nullable: true });
    expect(column(table(db, 'artist'), 'artist_id')).toMatchObject({ autoIncrement: true, hasDefault: true });
    expect(column(table(db, 'album_tag'), 'album_id')).toMatchObject({ autoIncrement: false, hasDefault: false, nullable: false });
  });

  it('reads primary, unique and foreign keys', () => {
    const artist = table(db, 'artist');
    expect(artist.primaryKey).toEqual(['artist_id']);
    expect(artist.uniqueKeys).toEqual([{ name: 'artist_name_key', columns: ['name'] }]);
    expect(artist.comment).toBe('Recording artists');
    expect(column(artist, 'name')).toMatchObject({ comment: 'Display name', nullable: false, length: 120 });
    expect(column(artist, 'artist_id').comment).toBeNull();

    expect(table(db, 'album_tag').primaryKey).toEqual(['album_id', 'tag']);
    expect(table(db, 'album').foreignKeys).toEqual([
      { name: 'album_artist_fk', columns: ['artist_id'], refSchema: 'public', refTable: 'artist', refColumns: ['artist_id'] },
    ]);
    expect(table(db, 'employee').foreignKeys).toEqual([
      { name: 'employee_manager_fk', columns: ['manager_id'], refSchema: 'public', refTable: 'employee', refColumns: ['employee_id'] },
    ]);
    expect(table(db, 'transfer').foreignKeys).toEqual([
      { name: 'transfer_from_fk', columns: ['from_account'], refSchema: 'public', refTable: 'account', refColumns: ['account_id'] },
      { name: 'transfer_to_fk', columns: ['to_account'], refSchema: 'public', refTable: 'account', refColumns: ['account_id'] },
    ]);
    expect(column(table(db, 'transfer'), 'amount')).toMatchObject({ kind: 'decimal', precision: 12, scale: 2 });
  });

  it('keeps a table without primary key and a view without keys', () => {
    const log = table(db, 'event_log');
    expect(log.kind).toBe('table');
    expect(log.primaryKey).toEqual([]);
    expect(log.columns.map((c) => [c.name, c.kind, c.nullable])).toEqual([
      ['happened_at', 'datetime', true],
      ['level', 'string', false],
      ['message', 'string', true],
    ]);
    const view = table(db, 'album_with_artist');
    expect(view.kind).toBe('view');
    expect(view.primaryKey).toEqual([]);
    expect(view.uniqueKeys).toEqual([]);
    expect(view.foreignKeys).toEqual([]);
    expect(view.columns.map((c) => [c.name, c.kind])).toEqual([
      ['album_id', 'int'],
      ['title', 'string'],
      ['artist_name', 'string'],
    ]);
  });

  it('keeps odd identifiers exactly as spelt', () => {
    const odd = table(db, 'Odd Table');
    expect(odd.columns.map((c) => c.name)).toEqual(['ID', 'Mixed Case', 'select', 'quote"d', 'naïve', 'a b', 'a_b', 'col-with-dash']);
    expect(odd.primaryKey).toEqual(['ID']);
    expect(table(db, 'user data').primaryKey).toEqual(['id']);
    expect(table(db, 'user_data').primaryKey).toEqual(['id']);
  });

  it('reports nothing for the plain public schema', () => {
    expect(db.report).toEqual([]);
  });
});

describe('postgres normalise: several schemas', () => {
  it('orders tables by the configured schema order, then name', () => {
    const db = model(['public', 'inventory']);
    const names = db.tables.map((t) => `${t.schema}.${t.name}`);
    expect(names.slice(-2)).toEqual(['inventory.artist', 'inventory.item']);
    expect(names.indexOf('public.user_data')).toBe(names.length - 3);
    const reversed = model(['inventory', 'public']).tables.map((t) => `${t.schema}.${t.name}`);
    expect(reversed.slice(0, 2)).toEqual(['inventory.artist', 'inventory.item']);
  });

  it('keeps same-named tables apart and follows cross-schema foreign keys', () => {
    const db = model(['public', 'inventory']);
    expect(table(db, 'artist', 'inventory').columns.map((c) => c.name)).toEqual(['id', 'label']);
    expect(table(db, 'artist', 'public').columns.map((c) => c.name)).toEqual(['artist_id', 'name']);
    const item = table(db, 'item', 'inventory');
    expect(item.primaryKey).toEqual(['item_id']);
    expect(item.foreignKeys).toEqual([
      { name: 'item_artist_fk', columns: ['artist_id'], refSchema: 'public', refTable: 'artist', refColumns: ['artist_id'] },
    ]);
    expect(db.report).toEqual([]);
  });

  it('drops a foreign key into a schema that is not introspected, and says so', () => {
    const db = model(['inventory']);
    expect(table(db, 'item', 'inventory').foreignKeys).toEqual([]);
    expect(db.report).toEqual([
      {
        level: 'degraded',
        object: 'inventory.item',
        reason: expect.stringContaining('item_artist_fk references public.artist, outside the introspected schemas'),
      },
    ]);
  });

  it('reports a schema with nothing in it', () => {
    const db = normalise(catalogFor(['public']), ['public', 'nowhere'], AT);
    expect(db.report).toEqual([{ level: 'info', object: 'nowhere', reason: expect.stringContaining('no tables or views') }]);
  });
});

describe('postgres normalise: PostgreSQL-only cases (schema extras)', () => {
  const db = model(['extras', 'public']);
  const gadget = table(db, 'gadget', 'extras');

  it('resolves domains (stacked too) to their base type, NOT NULL and default', () => {
    expect(column(gadget, 'code')).toMatchObject({
      kind: 'string',
      sqlType: 'extras.upper_code',
      length: 8,
      nullable: false,
      hasDefault: true,
      defaultValue: "'ZZ'::character varying",
    });
    expect(column(gadget, 'alt_code')).toMatchObject({ kind: 'string', sqlType: 'extras.short_code', length: 8, nullable: true, hasDefault: true });
    expect(column(gadget, 'feeling')).toMatchObject({ kind: 'enum', enumValues: ['happy', 'sad', 'ok'], sqlType: 'extras.mood_d' });
  });

  it('treats serial as auto-increment and keeps plain defaults', () => {
    expect(column(gadget, 'gadget_id')).toMatchObject({ autoIncrement: true, hasDefault: true, kind: 'int' });
    expect(column(gadget, 'gadget_id').defaultValue).toMatch(/^nextval\(/);
    expect(column(table(db, 'part_use', 'extras'), 'use_id')).toMatchObject({ autoIncrement: true, kind: 'bigint' });
    expect(column(gadget, 'label')).toMatchObject({ autoIncrement: false, hasDefault: true, defaultValue: "'none'::character varying" });
  });

  it('reads precision from type modifiers, null when there is none', () => {
    expect(column(gadget, 'price')).toMatchObject({ kind: 'decimal', precision: null, scale: null });
    expect(column(gadget, 'stamp')).toMatchObject({ kind: 'datetime', withTimeZone: true, precision: 3 });
    expect(column(gadget, 'clock')).toMatchObject({ kind: 'time', withTimeZone: true, precision: 0 });
  });

  it('exposes arrays and interval as unknown, with a report entry each', () => {
    expect(column(gadget, 'tags')).toMatchObject({ kind: 'unknown', sqlType: 'text[]', comment: 'Free-form tags' });
    expect(column(gadget, 'scores').kind).toBe('unknown');
    expect(column(gadget, 'wait').kind).toBe('unknown');
    const degraded = db.report.filter((entry) => entry.level === 'degraded').map((entry) => [entry.object, entry.reason]);
    expect(degraded).toEqual([
      ['extras.gadget.tags', 'unsupported type text[]: exposed read-only as text'],
      ['extras.gadget.scores', 'unsupported type integer[]: exposed read-only as text'],
      ['extras.gadget.wait', 'unsupported type interval: exposed read-only as text'],
    ]);
  });

  it('takes unique indexes but not partial or expression ones', () => {
    expect(gadget.uniqueKeys).toEqual([{ name: 'gadget_serial_no_idx', columns: ['serial_no'] }]);
    expect(table(db, 'part', 'extras').uniqueKeys).toEqual([{ name: 'part_name_code_key', columns: ['name', 'part_no'] }]);
  });

  it('aligns composite foreign key columns with the referenced ones', () => {
    expect(table(db, 'part', 'extras').primaryKey).toEqual(['gadget_id', 'part_no']);
    expect(table(db, 'part_use', 'extras').foreignKeys).toEqual([
      { name: 'part_use_part_fk', columns: ['part_no', 'gadget_id'], refSchema: 'extras', refTable: 'part', refColumns: ['part_no', 'gadget_id'] },
    ]);
    expect(gadget.foreignKeys).toEqual([
      { name: 'gadget_artist_id_fkey', columns: ['artist_id'], refSchema: 'public', refTable: 'artist', refColumns: ['artist_id'] },
    ]);
  });

  it('exposes a partitioned table once and skips its partitions; a materialized view is a view', () => {
    expect(table(db, 'measurement', 'extras').kind).toBe('table');
    expect(db.tables.some((t) => t.name === 'measurement_2024')).toBe(false);
    expect(db.report).toContainEqual({ level: 'skipped', object: 'extras.measurement_2024', reason: expect.stringContaining('partition of extras.measurement') });
    const count = table(db, 'gadget_count', 'extras');
    expect(count).toMatchObject({ kind: 'view', comment: 'How many gadgets', primaryKey: [] });
    expect(column(count, 'n').kind).toBe('bigint');
  });
});

describe('postgres catalog SQL', () => {
  const count = (sql: string) => (sql.match(/\?/g) ?? []).length;

  it('binds one placeholder per schema and embeds no schema name', () => {
    expect(count(relationsSql(3, 150000))).toBe(3);
    expect(count(columnsSql(3, 150000))).toBe(3);
    expect(count(keysSql(3, 150000))).toBe(6);
    expect(relationsSql(3, 150000)).not.toContain("'public'");
  });

  it('avoids columns that older servers lack', () => {
    expect(columnsSql(1, 110000)).not.toContain('attgenerated');
    expect(columnsSql(1, 150000)).toContain('attgenerated');
    expect(keysSql(1, 100000)).not.toContain('conparentid');
  });
});

describe('postgres describeError', () => {
  // Shapes as knex/pg produce them (captured from PostgreSQL 15 with compileSqlOnError: false).
  const serverError = (fields: Record<string, unknown>) => Object.assign(new Error(String(fields.message)), { name: 'error', severity: 'ERROR', ...fields });

  it('classifies constraint violations and keeps the detail but not the SQL', () => {
    const unique = describeError(
      serverError({
        message: 'insert into "artist" ("name") values ($1) - duplicate key value violates unique constraint "artist_name_key"',
        code: '23505',
        detail: 'Key (name)=(AC/DC) already exists.',
        constraint: 'artist_name_key',
      }),
    );
    expect(unique).toEqual({
      kind: 'unique_violation',
      message: 'duplicate key value violates unique constraint "artist_name_key": Key (name)=(AC/DC) already exists.',
      constraint: 'artist_name_key',
    });
    const fk = describeError(
      serverError({
        message: 'insert into "album" ("artist_id", "title") values ($1, $2) - insert or update on table "album" violates foreign key constraint "album_artist_fk"',
        code: '23503',
        detail: 'Key (artist_id)=(99) is not present in table "artist".',
        constraint: 'album_artist_fk',
      }),
    );
    expect(fk.kind).toBe('foreign_key_violation');
    expect(fk.constraint).toBe('album_artist_fk');
    expect(fk.message).not.toContain('insert into');
  });

  it('does not echo the failing row of a not-null or check violation', () => {
    const notNull = describeError(
      serverError({
        message: 'insert into "album" ("artist_id", "title") values ($1, $2) - null value in column "title" of relation "album" violates not-null constraint',
        code: '23502',
        detail: 'Failing row contains (6, null, 1).',
        column: 'title',
      }),
    );
    expect(notNull).toEqual({ kind: 'not_null_violation', message: 'null value in column "title" of relation "album" violates not-null constraint' });
    const check = describeError(
      serverError({ message: 'update "t" set "x" = $1 - new row for relation "t" violates check constraint "t_x_check"', code: '23514', detail: 'Failing row contains (1, secret).', constraint: 't_x_check' }),
    );
    expect(check).toEqual({ kind: 'check_violation', message: 'new row for relation "t" violates check constraint "t_x_check"', constraint: 't_x_check' });
  });

  it('maps class 22 to invalid_value and keeps a quoted " - " inside the message', () => {
    const invalid = describeError(
      serverError({ message: 'select * from "album" where "album_id" = $1 - invalid input syntax for type integer: "abc - def"', code: '22P02' }),
    );
    expect(invalid).toEqual({ kind: 'invalid_value', message: 'invalid input syntax for type integer: "abc - def"' });
    expect(describeError(serverError({ message: 'insert into "artist" ("name") values ($1) - value too long for type character varying(120)', code: '22001' })).kind).toBe('invalid_value');
  });

  it('classifies connection failures', () => {
    const fatal = (message: string, code: string) => serverError({ message, code, severity: 'FATAL' });
    expect(describeError(fatal('password authentication failed for user "app"', '28P01'))).toEqual({
      kind: 'auth_failed',
      message: 'password authentication failed for user "app"',
    });
    expect(describeError(fatal('role "nobody" does not exist', '28000')).kind).toBe('auth_failed');
    expect(describeError(fatal('database "nope" does not exist', '3D000'))).toEqual({ kind: 'unknown_database', message: 'database "nope" does not exist' });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect' });
    expect(describeError(refused)).toEqual({ kind: 'unreachable', message: 'connect ECONNREFUSED 127.0.0.1:1' });
    expect(describeError(Object.assign(new Error('getaddrinfo ENOTFOUND db.invalid'), { code: 'ENOTFOUND' })).kind).toBe('unreachable');
    const aggregate = Object.assign(new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })], ''), {});
    expect(describeError(aggregate).kind).toBe('unreachable');
    expect(describeError(new Error('Connection terminated unexpectedly')).kind).toBe('unreachable');
  });

  it('classifies timeouts', () => {
    expect(describeError(new Error('timeout expired')).kind).toBe('timeout');
    expect(describeError(new Error('Connection terminated due to connection timeout')).kind).toBe('timeout');
    const acquire = Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?'), {
      name: 'KnexTimeoutError',
    });
    expect(describeError(acquire).kind).toBe('timeout');
    expect(describeError(Object.assign(new Error('connect ETIMEDOUT 10.0.0.1:5432'), { code: 'ETIMEDOUT' })).kind).toBe('timeout');
    // Changed on purpose (issue 12): a statement cut at statement_timeout is its own kind (STATEMENT_TIMEOUT, 504).
    expect(describeError(serverError({ message: 'select 1 - canceling statement due to statement timeout', code: '57014' })).kind).toBe('statement_timeout');
  });

  it('falls back to other without leaking a stack', () => {
    const info = describeError(serverError({ message: 'select * from "nope" - relation "nope" does not exist', code: '42P01' }));
    expect(info).toEqual({ kind: 'other', message: 'relation "nope" does not exist' });
    expect(describeError('boom')).toEqual({ kind: 'other', message: 'boom' });
    expect(describeError(new Error('x')).message).not.toContain('at ');
  });
});

describe('postgres quirks', () => {
  it('decodes driver values to canonical forms', () => {
    const { decode } = postgresQuirks;
    expect(decode(col('datetime', { withTimeZone: true }), '2024-02-29 11:45:12.123456+00')).toBe('2024-02-29T11:45:12.123456+00:00');
    expect(decode(col('datetime', { withTimeZone: false }), '2024-02-29 13:45:12.123456')).toBe('2024-02-29T13:45:12.123456');
    expect(decode(col('time', { withTimeZone: true }), '10:11:12+02')).toBe('10:11:12+02:00');
    expect(decode(col('date'), '2024-02-29')).toBe('2024-02-29');
    expect(decode(col('bigint'), '9007199254740993')).toBe('9007199254740993');
    expect(decode(col('bytes'), Buffer.from([0x00, 0xff, 0x10]))).toBe('AP8Q');
    expect(decode(col('unknown'), '{1,2,3}')).toBe('{1,2,3}');
    expect(decode(col('int'), null)).toBeNull();
  });

  it('does not parse JSON twice: pg already did', () => {
    const json = col('json');
    expect(postgresQuirks.decode(json, '123')).toBe('123');
    expect(postgresQuirks.decode(json, { a: [1] })).toEqual({ a: [1] });
  });

  it('encodes: JSON as text, bytes as Buffer, offsets converted for timestamp without time zone', () => {
    const { encode } = postgresQuirks;
    expect(encode(col('json'), { a: 1 })).toBe('{"a":1}');
    expect(encode(col('bytes'), 'AP8Q')).toEqual(Buffer.from([0x00, 0xff, 0x10]));
    expect(encode(col('datetime', { withTimeZone: false }), '2024-01-02T03:04:05.123456+02:00')).toBe('2024-01-02 01:04:05.123456');
    expect(encode(col('datetime', { withTimeZone: false }), '2024-01-02T03:04:05.123456')).toBe('2024-01-02T03:04:05.123456');
    expect(encode(col('datetime', { withTimeZone: true }), '2024-01-02T03:04:05+02:00')).toBe('2024-01-02T03:04:05+02:00');
    expect(encode(col('int'), 5)).toBe(5);
  });

  it('converts offsets across day, month and year boundaries', () => {
    expect(toUtcWallClock('2024-01-01T00:30:00+01:00')).toBe('2023-12-31 23:30:00');
    expect(toUtcWallClock('2024-02-28T23:00:00.5-02:30')).toBe('2024-02-29 01:30:00.5');
    expect(toUtcWallClock('0099-06-01T12:00:00Z')).toBe('0099-06-01 12:00:00');
    expect(toUtcWallClock('not a date')).toBe('not a date');
  });

  it('builds an ILIKE filter with a bound pattern', () => {
    const column = sql.identifier('a b', 'c');
    const compile = (condition: SqlFragment) => compileStatement(sql`select * from ${sql.identifier('t')} where ${condition}`, postgresStatements);
    const query = compile(postgresQuirks.ilike(column, '%x%', false));
    expect({ sql: query.text, bindings: query.values }).toEqual({ sql: 'select * from "t" where "a b"."c"::text ilike $1', bindings: ['%x%'] });
    expect(compile(postgresQuirks.ilike(column, 'y', true)).text).toBe('select * from "t" where "a b"."c"::text not ilike $1');
    expect(postgresQuirks.nativeNullsOrdering).toBe(true);
  });

  it('has RETURNING and nested JSON reads on every server version, in one frozen object', () => {
    const capabilities = postgresDialect.capabilitiesFor('16.4');
    expect(capabilities).toMatchObject({ insertReturning: true, updateReturning: true });
    expect(capabilities.nestedJson).not.toBeNull();
    expect(Object.isFrozen(capabilities)).toBe(true);
    expect(postgresDialect.capabilitiesFor('12.0')).toBe(capabilities);
  });
});

describe('postgres connection config', () => {
  it('builds a pg config from discrete fields', () => {
    const config = knexConfig(
      { name: 'x', dialect: 'postgres', connection: { host: 'db', port: 5433, user: 'app', password: 'pw', database: 'shop', ssl: true } },
      { connectTimeoutMs: 1234 },
    );
    expect(config.client).toBe('pg');
    expect(config.pool).toEqual({ min: 0, max: 10 });
    expect(config.acquireConnectionTimeout).toBe(1234);
    expect(config.connection).toMatchObject({
      host: 'db',
      port: 5433,
      user: 'app',
      password: 'pw',
      database: 'shop',
      ssl: true,
      application_name: 'lazydb',
      connectionTimeoutMillis: 1234,
      options: '-c TimeZone=UTC',
    });
    expect((config.connection as { types?: unknown }).types).toBe(pgTypes);
  });

  // Changed on purpose (issue 10): pg no longer parses the URL itself, so the target policy checks
  // exactly where it goes and pg reads no certificate file and no PG* variable for it.
  it('parses a URL into the fields pg takes, never handing pg the URL', () => {
    const config = knexConfig({ name: 'x', dialect: 'postgres', connection: { url: 'postgres://u:p%40ss@h:6543/my%20db?sslmode=disable&application_name=app' } }, { connectTimeoutMs: 50, poolMax: 3 });
    expect(config.pool).toEqual({ min: 0, max: 3 });
    expect(config.connection).toMatchObject({ host: 'h', port: 6543, user: 'u', password: 'p@ss', database: 'my db', ssl: false, application_name: 'app' });
    expect(config.connection).not.toHaveProperty('connectionString');
    const query = knexConfig({ name: 'x', dialect: 'postgres', connection: { url: 'postgres://h/db?user=q&password=s%26t&sslmode=require' } }, { connectTimeoutMs: 50 });
    expect(query.connection).toMatchObject({ host: 'h', user: 'q', password: 's&t', database: 'db', ssl: true });
  });

  it('never lets pg fall back to PGPASSWORD or ~/.pgpass', () => {
    const config = knexConfig({ name: 'x', dialect: 'postgres', connection: { url: 'postgres://u@h/db' } }, { connectTimeoutMs: 50 });
    const password = (config.connection as { password?: unknown }).password;
    expect(typeof password).toBe('function');
    expect((password as () => string)()).toBe('');
  });

  it('keeps date/time, interval and array values as text; other parsers stay pg defaults', () => {
    for (const oid of [1082, 1083, 1114, 1184, 1266, 1186, 1007]) {
      expect(pgTypes.getTypeParser(oid, 'text')('2024-01-02 03:04:05.123456+00')).toBe('2024-01-02 03:04:05.123456+00');
    }
    expect(pgTypes.getTypeParser(16, 'text')('t')).toBe(true);
    expect(pgTypes.getTypeParser(23, 'text')('42')).toBe(42);
    expect(pgTypes.getTypeParser(20, 'text')('9007199254740993')).toBe('9007199254740993');
    expect(pgTypes.getTypeParser(1700, 'text')('1.10')).toBe('1.10');
    expect(pgTypes.getTypeParser(3802, 'text')('{"a":1}')).toEqual({ a: 1 });
  });

  it('defaults to the public schema', () => {
    expect(postgresDialect.defaultSchemas({ name: 'x', dialect: 'postgres', connection: {} })).toEqual(['public']);
    expect(postgresDialect.defaultSchemas({ name: 'x', dialect: 'postgres', connection: {}, schemas: ['a', 'b'] })).toEqual(['a', 'b']);
  });
});
