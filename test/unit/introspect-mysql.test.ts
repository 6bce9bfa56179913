import knexFactory from 'knex';
import { describe, expect, it } from 'vitest';
import type { ColumnRow, MysqlCatalog } from '../../server/introspect/mysql/catalog';
import { connectionFields, defaultSchemas, knexConfig } from '../../server/introspect/mysql/connection';
import { mariadbDialect, mysqlDialect } from '../../server/introspect/mysql/index';
import { classifyType, normaliseMysqlCatalog, parseEnumValues } from '../../server/introspect/mysql/normalise';
import { mysqlQuirks, toMysqlDateTime, toMysqlTime } from '../../server/introspect/mysql/quirks';
import type { ScalarKind } from '../../server/model/types';
import { codecColumn as col, findColumn as column, findTable as table, readRecording, FIXTURE_TABLE_NAMES } from '../helpers/introspect';
import { compileStatement, sql, type SqlFragment } from '../../server/sql/fragment';
import { mysqlStatements } from '../../server/introspect/mysql/statements';

const recorded = readRecording<MysqlCatalog>('mariadb.json');
const AT = '2024-01-01T00:00:00.000Z';

describe('normalise: recorded MariaDB catalog (test/fixtures/sql/mysql.sql)', () => {
  const model = normaliseMysqlCatalog(recorded, { dialect: 'mariadb', introspectedAt: AT });

  it('fills the model header', () => {
    expect(model.formatVersion).toBe(1);
    expect(model.dialect).toBe('mariadb');
    expect(model.serverVersion).toMatch(/MariaDB/);
    expect(model.schemas).toEqual(['lazydb_fixture']);
    expect(model.introspectedAt).toBe(AT);
    // Every fixture type is supported: nothing degraded or skipped.
    expect(model.report).toEqual([]);
  });

  it('orders tables by name (code units) and keeps every table and the view', () => {
    expect(model.tables.map((t) => t.name)).toEqual(FIXTURE_TABLE_NAMES);
    expect(model.tables.every((t) => t.schema === 'lazydb_fixture')).toBe(true);
  });

  it('maps every all_types column to its kind', () => {
    const kinds = Object.fromEntries(table(model, 'all_types').columns.map((c) => [c.name, c.kind]));
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
      c_json: 'json', // LONGTEXT + json_valid check on MariaDB
      c_uuid: 'string', // char(36): the fixture has no uuid type on MySQL
      c_bytes: 'bytes',
      c_enum: 'enum',
      c_generated: 'int',
    } satisfies Record<string, ScalarKind>);
  });

  it('reads sizes, enum values, flags and defaults of all_types', () => {
    const t = table(model, 'all_types');
    expect(column(t, 'c_enum').enumValues).toEqual(['happy', 'sad', 'ok']);
    expect(column(t, 'c_varchar')).toMatchObject({ length: 50, precision: null, scale: null, sqlType: 'varchar(50)' });
    expect(column(t, 'c_char').length).toBe(3);
    expect(column(t, 'c_decimal')).toMatchObject({ precision: 20, scale: 6, length: null });
    expect(column(t, 'c_timestamp')).toMatchObject({ precision: 6, withTimeZone: false, sqlType: 'datetime(6)' });
    expect(column(t, 'c_time')).toMatchObject({ precision: 6, withTimeZone: false });
    expect(column(t, 'c_json')).toMatchObject({ length: null, sqlType: 'longtext' });
    expect(column(t, 'id')).toMatchObject({ autoIncrement: true, hasDefault: true, generated: false, nullable: false });
    expect(column(t, 'c_generated')).toMatchObject({ generated: true, hasDefault: true, defaultValue: null, autoIncrement: false });
    // MariaDB writes "no default" of a nullable column as the text NULL.
    expect(column(t, 'c_int')).toMatchObject({ hasDefault: false, defaultValue: null, nullable: true, autoIncrement: false });
    expect(t.primaryKey).toEqual(['id']);
  });

  it('reads primary, unique and foreign keys', () => {
    const artist = table(model, 'artist');
    expect(artist.primaryKey).toEqual(['artist_id']);
    expect(artist.uniqueKeys).toEqual([{ name: 'artist_name_key', columns: ['name'] }]);
    expect(table(model, 'album').foreignKeys).toEqual([
      { name: 'album_artist_fk', columns: ['artist_id'], refSchema: 'lazydb_fixture', refTable: 'artist', refColumns: ['artist_id'] },
    ]);
    // Composite key, in key order.
    const tag = table(model, 'album_tag');
    expect(tag.primaryKey).toEqual(['album_id', 'tag']);
    expect(tag.foreignKeys.map((fk) => fk.refTable)).toEqual(['album']);
    // Self-reference.
    expect(table(model, 'employee').foreignKeys).toEqual([
      { name: 'employee_manager_fk', columns: ['manager_id'], refSchema: 'lazydb_fixture', refTable: 'employee', refColumns: ['employee_id'] },
    ]);
    // Two foreign keys to one table.
    expect(table(model, 'transfer').foreignKeys).toEqual([
      { name: 'transfer_from_fk', columns: ['from_account'], refSchema: 'lazydb_fixture', refTable: 'account', refColumns: ['account_id'] },
      { name: 'transfer_to_fk', columns: ['to_account'], refSchema: 'lazydb_fixture', refTable: 'account', refColumns: ['account_id'] },
    ]);
    expect(column(table(model, 'transfer'), 'amount')).toMatchObject({ kind: 'decimal', precision: 12, scale: 2, nullable: false });
  });

  it('models the view without keys or defaults', () => {
    const view = table(model, 'album_with_artist');
    expect(view.kind).toBe('view');
    expect(view.primaryKey).toEqual([]);
    expect(view.uniqueKeys).toEqual([]);
    expect(view.foreignKeys).toEqual([]);
    expect(view.comment).toBeNull();
    expect(view.columns.map((c) => [c.name, c.kind])).toEqual([
      ['album_id', 'int'],
      ['title', 'string'],
      ['artist_name', 'string'],
    ]);
    // MariaDB reports a default of 0 for album_id through the view; it must not leak.
    expect(view.columns.every((c) => !c.hasDefault && c.defaultValue === null && !c.autoIncrement)).toBe(true);
  });

  it('keeps a table without primary key', () => {
    const log = table(model, 'event_log');
    expect(log.kind).toBe('table');
    expect(log.primaryKey).toEqual([]);
    expect(log.columns.map((c) => [c.name, c.kind, c.nullable])).toEqual([
      ['happened_at', 'datetime', true],
      ['level', 'string', false],
      ['message', 'string', true],
    ]);
    expect(column(log, 'happened_at')).toMatchObject({ sqlType: 'timestamp(6)', precision: 6 });
  });

  it('keeps odd identifiers exactly as spelled', () => {
    const odd = table(model, 'Odd Table');
    expect(odd.columns.map((c) => c.name)).toEqual(['ID', 'Mixed Case', 'select', 'quote"d', 'naïve', 'a b', 'a_b', 'col-with-dash']);
    expect(odd.primaryKey).toEqual(['ID']);
    expect(table(model, 'user data').primaryKey).toEqual(['id']);
    expect(table(model, 'user_data').primaryKey).toEqual(['id']);
  });

  it('reads table and column comments', () => {
    const artist = table(model, 'artist');
    expect(artist.comment).toBe('Recording artists');
    expect(column(artist, 'name').comment).toBe('Display name');
    expect(column(artist, 'artist_id').comment).toBeNull();
    expect(table(model, 'album').comment).toBeNull();
  });
});

// MySQL 8 spells things differently: upper-case EXTRA markers, unquoted literal defaults,
// a real JSON type, no display widths except tinyint(1), and INT UNSIGNED numbers.
function mysqlColumn(name: string, position: number, over: Partial<ColumnRow>): ColumnRow {
  return {
    table_schema: 'shop',
    table_name: 'orders',
    column_name: name,
    ordinal_position: position,
    column_default: null,
    is_nullable: 'YES',
    data_type: 'int',
    column_type: 'int',
    character_maximum_length: null,
    numeric_precision: null,
    numeric_scale: null,
    datetime_precision: null,
    extra: '',
    generation_expression: '',
    column_comment: '',
    ...over,
  };
}

const mysql8: MysqlCatalog = {
  version: '8.0.36',
  schemas: ['shop'],
  tables: [
    { table_schema: 'shop', table_name: 'orders', table_type: 'BASE TABLE', table_comment: 'Customer orders' },
    { table_schema: 'shop', table_name: 'open_orders', table_type: 'VIEW', table_comment: 'VIEW' },
    { table_schema: 'shop', table_name: 'SYSTEM_VIEW_X', table_type: 'SYSTEM VIEW', table_comment: '' },
  ],
  columns: [
    // Deliberately out of ordinal order: the normaliser sorts.
    mysqlColumn('payload', 4, { data_type: 'json', column_type: 'json' }),
    mysqlColumn('id', 1, { data_type: 'int', column_type: 'int unsigned', is_nullable: 'NO', extra: 'auto_increment', numeric_precision: 10, numeric_scale: 0 }),
    mysqlColumn('created_at', 2, {
      data_type: 'datetime',
      column_type: 'datetime(3)',
      is_nullable: 'NO',
      column_default: 'CURRENT_TIMESTAMP(3)',
      extra: 'DEFAULT_GENERATED on update CURRENT_TIMESTAMP(3)',
      datetime_precision: 3,
    }),
    mysqlColumn('status', 3, { data_type: 'varchar', column_type: 'varchar(20)', column_default: 'new', character_maximum_length: 20, is_nullable: 'NO' }),
    mysqlColumn('doubled', 5, { extra: 'STORED GENERATED', generation_expression: '(`qty` * 2)' }),
    mysqlColumn('halved', 6, { extra: 'VIRTUAL GENERATED', generation_expression: '(`qty` / 2)', data_type: 'decimal', column_type: 'decimal(14,4)', numeric_precision: 14, numeric_scale: 4 }),
    mysqlColumn('flag', 7, { data_type: 'tinyint', column_type: 'tinyint(1)', column_default: '1', is_nullable: 'NO' }),
    mysqlColumn('small', 8, { data_type: 'tinyint', column_type: 'tinyint unsigned' }),
    mysqlColumn('token', 9, { data_type: 'varchar', column_type: 'varchar(36)', column_default: 'uuid()', extra: 'DEFAULT_GENERATED', character_maximum_length: 36 }),
    mysqlColumn('note', 10, { data_type: 'varchar', column_type: 'varchar(40)', column_default: "it's", character_maximum_length: 40 }),
    mysqlColumn('empty', 11, { data_type: 'varchar', column_type: 'varchar(5)', column_default: '', is_nullable: 'NO', character_maximum_length: 5 }),
    mysqlColumn('total', 12, { data_type: 'decimal', column_type: 'decimal(10,2)', column_default: '0.00', numeric_precision: 10, numeric_scale: 2 }),
    mysqlColumn('place', 13, { data_type: 'point', column_type: 'point' }),
    mysqlColumn('customer_id', 14, { data_type: 'bigint', column_type: 'bigint unsigned' }),
    mysqlColumn('qty', 15, { column_default: '1', column_comment: 'How many' }),
    mysqlColumn('id', 1, { table_name: 'open_orders', column_default: '0' }),
  ],
  indexes: [
    { table_schema: 'shop', table_name: 'orders', index_name: 'PRIMARY', seq_in_index: 1, column_name: 'id' },
    { table_schema: 'shop', table_name: 'orders', index_name: 'orders_token_unique', seq_in_index: 1, column_name: 'token' },
    { table_schema: 'shop', table_name: 'orders', index_name: 'orders_status_total', seq_in_index: 2, column_name: 'total' },
    { table_schema: 'shop', table_name: 'orders', index_name: 'orders_status_total', seq_in_index: 1, column_name: 'status' },
    { table_schema: 'shop', table_name: 'orders', index_name: 'orders_lower_note', seq_in_index: 1, column_name: null },
  ],
  foreignKeys: [
    {
      table_schema: 'shop',
      table_name: 'orders',
      constraint_name: 'orders_customer_fk',
      column_name: 'customer_id',
      ordinal_position: 1,
      referenced_table_schema: 'crm',
      referenced_table_name: 'customer',
      referenced_column_name: 'id',
    },
  ],
  checks: [],
};

describe('normalise: MySQL 8 style rows', () => {
  const model = normaliseMysqlCatalog(mysql8, { dialect: 'mysql', introspectedAt: AT });
  const orders = table(model, 'orders');

  it('keeps tables and views, skipping system views with a report entry', () => {
    expect(model.dialect).toBe('mysql');
    expect(model.tables.map((t) => [t.name, t.kind])).toEqual([
      ['open_orders', 'view'],
      ['orders', 'table'],
    ]);
    expect(model.report).toContainEqual({ level: 'skipped', object: 'shop.SYSTEM_VIEW_X', reason: 'system view: not exposed' });
    expect(orders.comment).toBe('Customer orders');
  });

  it('orders columns by ordinal position and maps MySQL 8 types', () => {
    expect(orders.columns.map((c) => [c.name, c.kind])).toEqual([
      ['id', 'bigint'], // int unsigned does not fit 32-bit signed
      ['created_at', 'datetime'],
      ['status', 'string'],
      ['payload', 'json'],
      ['doubled', 'int'],
      ['halved', 'decimal'],
      ['flag', 'boolean'],
      ['small', 'int'],
      ['token', 'string'],
      ['note', 'string'],
      ['empty', 'string'],
      ['total', 'decimal'],
      ['place', 'unknown'],
      ['customer_id', 'bigint'],
      ['qty', 'int'],
    ]);
    expect(column(orders, 'qty').comment).toBe('How many');
  });

  it('reads EXTRA: auto_increment, DEFAULT_GENERATED, STORED/VIRTUAL GENERATED', () => {
    expect(column(orders, 'id')).toMatchObject({ autoIncrement: true, hasDefault: true, generated: false, defaultValue: null });
    expect(column(orders, 'created_at')).toMatchObject({
      defaultValue: 'CURRENT_TIMESTAMP(3)',
      hasDefault: true,
      generated: false,
      autoIncrement: false,
      precision: 3,
    });
    expect(column(orders, 'doubled')).toMatchObject({ generated: true, hasDefault: true, defaultValue: null });
    expect(column(orders, 'halved')).toMatchObject({ generated: true, precision: 14, scale: 4 });
    expect(column(orders, 'token')).toMatchObject({ defaultValue: 'uuid()', hasDefault: true, generated: false });
  });

  it('quotes MySQL literal defaults like MariaDB does, leaving numbers and expressions alone', () => {
    expect(column(orders, 'status').defaultValue).toBe("'new'");
    expect(column(orders, 'note').defaultValue).toBe("'it''s'");
    expect(column(orders, 'empty')).toMatchObject({ defaultValue: "''", hasDefault: true });
    expect(column(orders, 'total').defaultValue).toBe('0.00');
    expect(column(orders, 'flag').defaultValue).toBe('1');
    expect(column(orders, 'payload')).toMatchObject({ defaultValue: null, hasDefault: false });
  });

  it('reads keys, drops expression indexes and foreign keys leaving the schemas, and reports both', () => {
    expect(orders.primaryKey).toEqual(['id']);
    expect(orders.uniqueKeys).toEqual([
      { name: 'orders_status_total', columns: ['status', 'total'] },
      { name: 'orders_token_unique', columns: ['token'] },
    ]);
    expect(orders.foreignKeys).toEqual([]);
    expect(model.report).toContainEqual({
      level: 'degraded',
      object: 'shop.orders.orders_customer_fk',
      reason: 'foreign key references crm.customer, outside the introspected schemas: relation not exposed',
    });
    expect(model.report).toContainEqual({
      level: 'info',
      object: 'shop.orders.orders_lower_note',
      reason: 'unique index on an expression: not used as a key',
    });
    expect(model.report).toContainEqual({
      level: 'degraded',
      object: 'shop.orders.place',
      reason: 'unsupported type point: exposed read-only as text',
    });
    expect(model.report).toHaveLength(4);
  });

  it('does not give view columns defaults', () => {
    expect(column(table(model, 'open_orders'), 'id')).toMatchObject({ hasDefault: false, defaultValue: null });
  });

  it('matches a schema case-insensitively when the server folds names (lower_case_table_names=1)', () => {
    const folded = normaliseMysqlCatalog({ ...mysql8, schemas: ['Shop', 'CRM'] }, { dialect: 'mysql', introspectedAt: AT });
    expect(folded.schemas).toEqual(['Shop', 'CRM']);
    expect(folded.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(['shop.open_orders', 'shop.orders']);
    // crm is now introspected, so the foreign key into it stays.
    expect(table(folded, 'orders').foreignKeys.map((fk) => `${fk.refSchema}.${fk.refTable}`)).toEqual(['crm.customer']);
  });
});

describe('normalise: MariaDB specifics', () => {
  const base: MysqlCatalog = {
    version: '10.11.6-MariaDB',
    schemas: ['app', 'audit'],
    tables: [
      { table_schema: 'audit', table_name: 'entry', table_type: 'SYSTEM VERSIONED', table_comment: '' },
      { table_schema: 'app', table_name: 'seq', table_type: 'SEQUENCE', table_comment: '' },
      { table_schema: 'app', table_name: 'thing', table_type: 'BASE TABLE', table_comment: '' },
      { table_schema: 'other', table_name: 'ignored', table_type: 'BASE TABLE', table_comment: '' },
    ],
    columns: [
      mysqlColumn('id', 1, { table_schema: 'app', table_name: 'thing', data_type: 'uuid', column_type: 'uuid', column_default: 'uuid()', is_nullable: 'NO' }),
      mysqlColumn('doc', 2, { table_schema: 'app', table_name: 'thing', data_type: 'longtext', column_type: 'longtext', column_default: "'{}'" }),
      mysqlColumn('we`ird', 3, { table_schema: 'app', table_name: 'thing', data_type: 'longtext', column_type: 'longtext', column_default: 'NULL' }),
      mysqlColumn('plain', 4, { table_schema: 'app', table_name: 'thing', data_type: 'longtext', column_type: 'longtext', column_default: "'NULL'" }),
      mysqlColumn('label', 5, { table_schema: 'app', table_name: 'thing', data_type: 'varchar', column_type: 'varchar(10)', column_default: "'x''y'" }),
      mysqlColumn('on', 6, { table_schema: 'app', table_name: 'thing', data_type: 'bit', column_type: 'bit(1)', column_default: "b'1'" }),
      mysqlColumn('mask', 7, { table_schema: 'app', table_name: 'thing', data_type: 'bit', column_type: 'bit(8)' }),
      mysqlColumn('tags', 8, { table_schema: 'app', table_name: 'thing', data_type: 'set', column_type: "set('a','b')" }),
      mysqlColumn('ip', 9, { table_schema: 'app', table_name: 'thing', data_type: 'inet6', column_type: 'inet6' }),
      mysqlColumn('old_gen', 10, { table_schema: 'app', table_name: 'thing', extra: 'PERSISTENT', column_default: 'NULL' }),
      mysqlColumn('born', 11, { table_schema: 'app', table_name: 'thing', data_type: 'year', column_type: 'year(4)' }),
      mysqlColumn('at', 12, { table_schema: 'app', table_name: 'thing', data_type: 'timestamp', column_type: 'timestamp', column_default: 'current_timestamp()', extra: 'on update current_timestamp()', is_nullable: 'NO' }),
      mysqlColumn('id', 1, { table_schema: 'audit', table_name: 'entry', column_type: 'int(11)', extra: 'auto_increment', is_nullable: 'NO' }),
      mysqlColumn('thing_id', 2, { table_schema: 'audit', table_name: 'entry', data_type: 'uuid', column_type: 'uuid' }),
    ],
    indexes: [{ table_schema: 'app', table_name: 'thing', index_name: 'PRIMARY', seq_in_index: '1', column_name: 'id' }],
    foreignKeys: [
      {
        table_schema: 'audit',
        table_name: 'entry',
        constraint_name: 'entry_thing_fk',
        column_name: 'thing_id',
        ordinal_position: '1',
        referenced_table_schema: 'app',
        referenced_table_name: 'thing',
        referenced_column_name: 'id',
      },
    ],
    checks: [
      { table_schema: 'app', table_name: 'thing', constraint_name: 'doc', check_clause: 'json_valid(`doc`)' },
      { table_schema: 'app', table_name: 'thing', constraint_name: 'we`ird', check_clause: '`we``ird` is null or json_valid(`we``ird`)' },
      // Same column name in another table: must not make app.thing.plain JSON.
      { table_schema: 'app', table_name: 'other', constraint_name: 'plain', check_clause: 'json_valid(`plain`)' },
    ],
  };
  const model = normaliseMysqlCatalog(base, { dialect: 'mariadb', introspectedAt: AT });
  const thing = table(model, 'thing');

  it('orders tables by schema position, skips sequences and other schemas', () => {
    expect(model.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(['app.thing', 'audit.entry']);
    expect(model.report).toEqual([{ level: 'skipped', object: 'app.seq', reason: 'sequence: not exposed' }]);
  });

  it('maps uuid, json_valid-checked longtext, bit, set, inet6, year', () => {
    expect(thing.columns.map((c) => [c.name, c.kind])).toEqual([
      ['id', 'uuid'],
      ['doc', 'json'],
      ['we`ird', 'json'],
      ['plain', 'string'],
      ['label', 'string'],
      ['on', 'boolean'],
      ['mask', 'bytes'],
      ['tags', 'string'],
      ['ip', 'string'],
      ['old_gen', 'int'],
      ['born', 'int'],
      ['at', 'datetime'],
    ]);
  });

  it('reads MariaDB defaults: quoted literals kept, the text NULL means none', () => {
    expect(column(thing, 'id')).toMatchObject({ defaultValue: 'uuid()', hasDefault: true });
    expect(column(thing, 'doc').defaultValue).toBe("'{}'");
    expect(column(thing, 'we`ird')).toMatchObject({ defaultValue: null, hasDefault: false });
    expect(column(thing, 'plain').defaultValue).toBe("'NULL'");
    expect(column(thing, 'label').defaultValue).toBe("'x''y'");
    expect(column(thing, 'on').defaultValue).toBe("b'1'");
    expect(column(thing, 'at')).toMatchObject({ defaultValue: 'current_timestamp()', hasDefault: true, generated: false });
    expect(column(thing, 'old_gen')).toMatchObject({ generated: true, defaultValue: null, hasDefault: true });
  });

  it('keeps foreign keys across introspected schemas and system-versioned tables', () => {
    const entry = table(model, 'entry');
    expect(entry.kind).toBe('table');
    expect(entry.foreignKeys).toEqual([
      { name: 'entry_thing_fk', columns: ['thing_id'], refSchema: 'app', refTable: 'thing', refColumns: ['id'] },
    ]);
    expect(column(entry, 'id').autoIncrement).toBe(true);
    expect(thing.primaryKey).toEqual(['id']);
  });

  it('decides MariaDB vs MySQL quirks by the server version, not the module', () => {
    // A MariaDB registered as "mysql" still drops the text NULL default.
    const asMysql = normaliseMysqlCatalog(base, { dialect: 'mysql', introspectedAt: AT });
    expect(asMysql.dialect).toBe('mysql');
    expect(column(table(asMysql, 'thing'), 'we`ird').defaultValue).toBeNull();
  });
});

describe('type helpers', () => {
  it('parses enum values with quotes, commas and parentheses', () => {
    expect(parseEnumValues("enum('a','it''s','x,y','(z)','')")).toEqual(['a', "it's", 'x,y', '(z)', '']);
    expect(parseEnumValues("enum('happy','sad','ok')")).toEqual(['happy', 'sad', 'ok']);
  });

  it('classifies integer widths and signedness', () => {
    expect(classifyType('tinyint', 'tinyint(1)', false).kind).toBe('boolean');
    expect(classifyType('tinyint', 'tinyint(4)', false).kind).toBe('int');
    expect(classifyType('mediumint', 'mediumint unsigned', false).kind).toBe('int');
    expect(classifyType('int', 'int(10) unsigned', false).kind).toBe('bigint');
    expect(classifyType('bigint', 'bigint(20) unsigned', false).kind).toBe('bigint');
    expect(classifyType('float', 'float', false).kind).toBe('float');
    expect(classifyType('varbinary', 'varbinary(16)', false).kind).toBe('bytes');
    expect(classifyType('geometry', 'geometry', false).kind).toBe('unknown');
    expect(classifyType('text', 'text', true).kind).toBe('json');
  });
});

describe('quirks', () => {
  it('declares no RETURNING and no native NULLS ordering', () => {
    expect(mysqlDialect.capabilitiesFor('8.0.36')).toEqual({ insertReturning: false, updateReturning: false, nestedJson: null });
    expect(mariadbDialect.capabilitiesFor('10.11.19-MariaDB').updateReturning).toBe(false);
    expect(Object.isFrozen(mariadbDialect.capabilitiesFor('10.11.19-MariaDB'))).toBe(true);
    expect(mysqlQuirks.nativeNullsOrdering).toBe(false);
  });

  it('encodes datetimes as UTC MySQL text, keeping fractional digits', () => {
    expect(toMysqlDateTime('2024-01-02T03:04:05.123456Z')).toBe('2024-01-02 03:04:05.123456');
    expect(toMysqlDateTime('2024-01-02T03:04:05.123456+02:00')).toBe('2024-01-02 01:04:05.123456');
    expect(toMysqlDateTime('2024-01-01T01:30:00.5+0230')).toBe('2023-12-31 23:00:00.5');
    expect(toMysqlDateTime('2024-02-28T22:00:00-03:00')).toBe('2024-02-29 01:00:00');
    expect(toMysqlDateTime('2024-01-02T03:04:05.1234567')).toBe('2024-01-02 03:04:05.1234567');
    expect(toMysqlDateTime('2024-01-02 03:04')).toBe('2024-01-02 03:04:00');
    expect(toMysqlDateTime('0099-01-01T00:30:00+01:00')).toBe('0098-12-31 23:30:00');
    expect(toMysqlDateTime('2024-01-02')).toBe('2024-01-02');
    expect(toMysqlDateTime('not a date')).toBe('not a date');
    expect(mysqlQuirks.encode(col('datetime'), '2024-06-30T23:59:59.999999-00:30')).toBe('2024-07-01 00:29:59.999999');
    expect(mysqlQuirks.encode(col('datetime'), null)).toBeNull();
  });

  it('encodes times with an offset as UTC wall time', () => {
    expect(toMysqlTime('01:15:00.25+02:00')).toBe('23:15:00.25');
    expect(toMysqlTime('23:00:00Z')).toBe('23:00:00');
    expect(toMysqlTime('12:34:56.789')).toBe('12:34:56.789');
    expect(mysqlQuirks.encode(col('time'), '22:30:00-02:00')).toBe('00:30:00');
  });

  it('leaves the rest to the generic codec', () => {
    expect(mysqlQuirks.encode(col('json'), { a: [1, '2'] })).toBe('{"a":[1,"2"]}');
    expect(mysqlQuirks.encode(col('json'), '123')).toBe('"123"');
    expect(mysqlQuirks.encode(col('bytes'), 'AP8Q')).toEqual(Buffer.from([0x00, 0xff, 0x10]));
    expect(mysqlQuirks.encode(col('boolean'), true)).toBe(true);
    expect(mysqlQuirks.encode(col('bigint'), '9007199254740993')).toBe('9007199254740993');
  });

  it('decodes what mysql2 returns under our connection options', () => {
    expect(mysqlQuirks.decode(col('json'), '{"a": {"b": [1, 2, {"c": null}]}, "s": "ü"}')).toEqual({ a: { b: [1, 2, { c: null }] }, s: 'ü' });
    expect(mysqlQuirks.decode(col('json'), '"123"')).toBe('123');
    expect(mysqlQuirks.decode(col('boolean'), 1)).toBe(true);
    expect(mysqlQuirks.decode(col('boolean'), 0)).toBe(false);
    expect(mysqlQuirks.decode(col('boolean'), Buffer.from([1]))).toBe(true); // BIT(1)
    expect(mysqlQuirks.decode(col('bytes'), Buffer.from([0x00, 0xff, 0x10]))).toBe('AP8Q');
    expect(mysqlQuirks.decode(col('bigint'), '9007199254740993')).toBe('9007199254740993');
    expect(mysqlQuirks.decode(col('bigint'), 4294967295)).toBe('4294967295'); // INT UNSIGNED
    expect(mysqlQuirks.decode(col('datetime'), '2024-02-29 13:45:12.123456')).toBe('2024-02-29T13:45:12.123456');
    expect(mysqlQuirks.decode(col('uuid'), 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11')).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
  });

  it('builds a case-insensitive LIKE with the identifier quoted and the pattern bound', () => {
    const compile = (condition: SqlFragment) => compileStatement(sql`select * from ${sql.identifier('t')} where (${condition})`, mysqlStatements);
    const like = compile(mysqlQuirks.ilike(sql.identifier('t', 'na`me'), "%o'k%", false));
    expect(like.text).toBe('select * from `t` where (lower(`t`.`na``me`) like lower(?))');
    expect(like.values).toEqual(["%o'k%"]);
    const notLike = compile(mysqlQuirks.ilike(sql.identifier('name'), 'x', true));
    expect(notLike.text).toBe('select * from `t` where (lower(`name`) not like lower(?))');
  });
});

describe('connection', () => {
  it('parses a URL, decoding user, password and database', () => {
    expect(connectionFields({ url: 'mysql://app%40x:p%40ss%3Aw%2Frd@db.example:3307/my%20db?ssl=true' })).toEqual({
      host: 'db.example',
      port: 3307,
      user: 'app@x',
      password: 'p@ss:w/rd',
      database: 'my db',
      ssl: true,
    });
    expect(connectionFields({ url: 'mariadb://root@[::1]/' })).toEqual({ host: '::1', user: 'root' });
  });

  it('lets discrete fields override the URL', () => {
    expect(connectionFields({ url: 'mysql://u:old@h/a', password: 'new', database: 'b' })).toMatchObject({
      user: 'u',
      password: 'new',
      database: 'b',
      host: 'h',
    });
  });

  it('does not echo a bad URL (it may hold a password)', () => {
    expect(() => connectionFields({ url: 'mysql://u:secret@bad host/x' })).toThrow(/Invalid MySQL\/MariaDB connection URL/);
    try {
      connectionFields({ url: 'mysql://u:secret@bad host/x' });
    } catch (error) {
      expect(String(error)).not.toContain('secret');
    }
  });

  it('defaults the schemas to the connection database unless given', () => {
    expect(defaultSchemas({ name: 'n', dialect: 'mysql', connection: { url: 'mysql://u@h/shop' } })).toEqual(['shop']);
    expect(defaultSchemas({ name: 'n', dialect: 'mysql', connection: { host: 'h', database: 'crm' } })).toEqual(['crm']);
    expect(defaultSchemas({ name: 'n', dialect: 'mysql', connection: { host: 'h' }, schemas: ['a', 'b'] })).toEqual(['a', 'b']);
    expect(defaultSchemas({ name: 'n', dialect: 'mysql', connection: { url: 'mysql://u@h/' } })).toEqual([]);
    expect(mariadbDialect.defaultSchemas({ name: 'n', dialect: 'mariadb', connection: { database: 'x' } })).toEqual(['x']);
  });

  it('builds a mysql2 config that keeps values exact and bounds connecting', async () => {
    const config = knexConfig(
      { name: 'n', dialect: 'mysql', connection: { host: 'h', port: 3306, user: 'u', password: 'pw', database: 'd', ssl: true } },
      { connectTimeoutMs: 1234, poolMax: 3 },
    );
    expect(config.client).toBe('mysql2');
    expect(config.acquireConnectionTimeout).toBe(1234);
    expect(config.connection).toMatchObject({
      host: 'h',
      port: 3306,
      user: 'u',
      password: 'pw',
      database: 'd',
      ssl: { rejectUnauthorized: true },
      charset: 'utf8mb4',
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      jsonStrings: true,
      timezone: 'Z',
      connectTimeout: 1234,
    });
    expect(config.pool).toMatchObject({ min: 0, max: 3 });
    expect(knexConfig({ name: 'n', dialect: 'mysql', connection: {} }, { connectTimeoutMs: 1 }).pool).toMatchObject({ max: 10 });

    const sent: string[] = [];
    const conn = { query: (sql: string, cb: (e: Error | null) => void) => (sent.push(sql), cb(null)) };
    const afterCreate = (config.pool as { afterCreate: (c: unknown, done: (e: Error | null, c: unknown) => void) => void }).afterCreate;
    const result = await new Promise<unknown[]>((done) => afterCreate(conn, (...args) => done(args)));
    expect(sent).toEqual(["set session sql_mode = replace(@@session.sql_mode, 'NO_BACKSLASH_ESCAPES', ''), time_zone = '+00:00', group_concat_max_len = 1073741824"]);
    expect(result).toEqual([null, conn]);
  });
});

describe('describeError', () => {
  // Shapes as mysql2 + knex produce them (recorded from MariaDB 10.11; MySQL 8 texts from its docs).
  const knexed = (sql: string, fields: Record<string, unknown>) => {
    const error = Object.assign(new Error(`${sql} - ${String(fields.sqlMessage)}`), { sql }, fields);
    return error;
  };

  it('classifies a duplicate entry and names the key (MariaDB)', () => {
    const error = knexed("insert into `artist` (`name`) values ('AC/DC')", {
      errno: 1062,
      code: 'ER_DUP_ENTRY',
      sqlState: '23000',
      sqlMessage: "Duplicate entry 'AC/DC' for key 'artist_name_key'",
    });
    expect(mariadbDialect.describeError(error)).toEqual({
      kind: 'unique_violation',
      message: "Duplicate entry 'AC/DC' for key 'artist_name_key'",
      constraint: 'artist_name_key',
    });
  });

  it('strips the table prefix MySQL 8 puts on the key', () => {
    const error = knexed('insert ...', {
      errno: 1062,
      code: 'ER_DUP_ENTRY',
      sqlState: '23000',
      sqlMessage: "Duplicate entry 'it's for key 'x' for key 'orders.orders_token_unique'",
    });
    expect(mysqlDialect.describeError(error)).toMatchObject({ kind: 'unique_violation', constraint: 'orders_token_unique' });
    expect(mariadbDialect.describeError(error).constraint).toBe('orders.orders_token_unique');
  });

  it('names the foreign key in both directions', () => {
    const child = knexed('insert into `album` ...', {
      errno: 1452,
      code: 'ER_NO_REFERENCED_ROW_2',
      sqlState: '23000',
      sqlMessage:
        'Cannot add or update a child row: a foreign key constraint fails (`db`.`album`, CONSTRAINT `album_artist_fk` FOREIGN KEY (`artist_id`) REFERENCES `artist` (`artist_id`))',
    });
    const parent = knexed('delete from `artist` where `artist_id` = 1', {
      errno: 1451,
      code: 'ER_ROW_IS_REFERENCED_2',
      sqlState: '23000',
      sqlMessage:
        'Cannot delete or update a parent row: a foreign key constraint fails (`db`.`album`, CONSTRAINT `we``ird fk` FOREIGN KEY (`artist_id`) REFERENCES `artist` (`artist_id`))',
    });
    expect(mysqlDialect.describeError(child)).toMatchObject({ kind: 'foreign_key_violation', constraint: 'album_artist_fk' });
    expect(mysqlDialect.describeError(parent)).toMatchObject({ kind: 'foreign_key_violation', constraint: 'we`ird fk' });
    expect(mysqlDialect.describeError(parent).message).not.toContain('delete from');
  });

  it('classifies not-null, check and invalid values', () => {
    const cases: [Record<string, unknown>, string, string | undefined][] = [
      [{ errno: 1048, code: 'ER_BAD_NULL_ERROR', sqlState: '23000', sqlMessage: "Column 'name' cannot be null" }, 'not_null_violation', undefined],
      [{ errno: 1364, code: 'ER_NO_DEFAULT_FOR_FIELD', sqlState: 'HY000', sqlMessage: "Field 'artist_id' doesn't have a default value" }, 'not_null_violation', undefined],
      [{ errno: 3819, code: 'ER_CHECK_CONSTRAINT_VIOLATED', sqlState: 'HY000', sqlMessage: "Check constraint 'orders_chk_1' is violated." }, 'check_violation', 'orders_chk_1'],
      [{ errno: 4025, code: 'ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE', sqlState: '23000', sqlMessage: 'CONSTRAINT `pos` failed for `db`.`d`' }, 'check_violation', 'pos'],
      [{ errno: 1264, code: 'ER_WARN_DATA_OUT_OF_RANGE', sqlState: '22003', sqlMessage: "Out of range value for column 'c_smallint' at row 1" }, 'invalid_value', undefined],
      [{ errno: 1265, code: 'WARN_DATA_TRUNCATED', sqlState: '01000', sqlMessage: "Data truncated for column 'c_enum' at row 1" }, 'invalid_value', undefined],
      [{ errno: 1292, code: 'ER_TRUNCATED_WRONG_VALUE', sqlState: '22007', sqlMessage: "Incorrect uuid value: 'x' for column `db`.`d`.`j` at row 1" }, 'invalid_value', undefined],
      [{ errno: 1366, code: 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD', sqlState: '22007', sqlMessage: "Incorrect integer value: 'abc' for column `db`.`t`.`c` at row 1" }, 'invalid_value', undefined],
      [{ errno: 1406, code: 'ER_DATA_TOO_LONG', sqlState: '22001', sqlMessage: "Data too long for column 'c_char' at row 1" }, 'invalid_value', undefined],
      [{ errno: 3140, code: 'ER_INVALID_JSON_TEXT', sqlState: '22032', sqlMessage: 'Invalid JSON text: "Invalid value." at position 1' }, 'invalid_value', undefined],
      [{ errno: 9999, code: 'ER_SOMETHING_NEW', sqlState: '22023', sqlMessage: 'some data exception' }, 'invalid_value', undefined],
      [{ errno: 1064, code: 'ER_PARSE_ERROR', sqlState: '42000', sqlMessage: 'You have an error in your SQL syntax' }, 'other', undefined],
    ];
    for (const [fields, kind, constraint] of cases) {
      const info = mariadbDialect.describeError(knexed('insert into t values (1)', fields));
      expect(info.kind, String(fields.sqlMessage)).toBe(kind);
      expect(info.message).toBe(fields.sqlMessage);
      expect(info.constraint).toBe(constraint);
    }
  });

  it('classifies connection failures without leaking secrets', () => {
    const auth = Object.assign(new Error("Access denied for user 'root'@'127.0.0.1' (using password: YES)"), {
      errno: 1045,
      code: 'ER_ACCESS_DENIED_ERROR',
      sqlState: '28000',
      sqlMessage: "Access denied for user 'root'@'127.0.0.1' (using password: YES)",
    });
    expect(mysqlDialect.describeError(auth)).toEqual({ kind: 'auth_failed', message: auth.sqlMessage });
    expect(mysqlDialect.describeError({ errno: 1698, code: 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR', sqlMessage: "Access denied for user 'nobody'@'h'" }).kind).toBe('auth_failed');
    expect(mysqlDialect.describeError({ errno: 1049, code: 'ER_BAD_DB_ERROR', sqlMessage: "Unknown database 'nope'" })).toEqual({
      kind: 'unknown_database',
      message: "Unknown database 'nope'",
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3399'), { errno: -111, code: 'ECONNREFUSED', fatal: true });
    expect(mysqlDialect.describeError(refused)).toEqual({ kind: 'unreachable', message: 'connect ECONNREFUSED 127.0.0.1:3399' });
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND no-such-host.invalid'), { errno: -3008, code: 'ENOTFOUND' });
    expect(mysqlDialect.describeError(notFound).kind).toBe('unreachable');
    const lost = Object.assign(new Error('select 1 - Connection lost: The server closed the connection.'), {
      code: 'PROTOCOL_CONNECTION_LOST',
      fatal: true,
      sql: 'select 1',
    });
    expect(mysqlDialect.describeError(lost)).toEqual({
      kind: 'unreachable',
      message: 'Could not reach the database server (PROTOCOL_CONNECTION_LOST)',
    });
  });

  it('classifies timeouts', () => {
    const pool = Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?'), {
      name: 'KnexTimeoutError',
      sql: 'select 1',
    });
    expect(mysqlDialect.describeError(pool)).toEqual({ kind: 'timeout', message: 'Timed out waiting for a database connection' });
    const connect = Object.assign(new Error('connect ETIMEDOUT'), { errno: 'ETIMEDOUT', code: 'ETIMEDOUT', fatal: true });
    expect(mysqlDialect.describeError(connect)).toEqual({ kind: 'timeout', message: 'connect ETIMEDOUT' });
    // Changed on purpose (issue 12): a statement cut at the statement timeout is its own kind (STATEMENT_TIMEOUT, 504).
    expect(mysqlDialect.describeError({ errno: 1969, sqlMessage: 'Query execution was interrupted (max_statement_time exceeded)' }).kind).toBe('statement_timeout');
    expect(mysqlDialect.describeError({ errno: 3024, sqlMessage: 'Query execution was interrupted, maximum statement execution time exceeded' }).kind).toBe('statement_timeout');
  });

  it('never shows knex-prefixed SQL, and copes with non-errors', () => {
    const bare = Object.assign(new Error("select * from `t` where `password` = 'x' - something odd"), { sql: 'select ...' });
    expect(mysqlDialect.describeError(bare)).toEqual({ kind: 'other', message: 'Database error' });
    expect(mysqlDialect.describeError('boom')).toEqual({ kind: 'other', message: 'Database error' });
    expect(mysqlDialect.describeError(null).kind).toBe('other');
  });
});

describe('INSERT … RETURNING by server version', () => {
  it('is used on MariaDB 10.5 and later only, never on MySQL', () => {
    const has = (version: string) => mysqlDialect.capabilitiesFor(version).insertReturning;
    expect(has('10.11.19-MariaDB-0+deb12u1')).toBe(true);
    expect(has('10.5.0-MariaDB')).toBe(true);
    expect(has('11.4.2-MariaDB-ubu2404')).toBe(true);
    expect(has('5.5.5-10.6.12-MariaDB')).toBe(true);
    expect(has('10.4.32-MariaDB')).toBe(false);
    expect(has('8.0.36')).toBe(false);
    expect(has('8.4.0-commercial')).toBe(false);
    expect(has('')).toBe(false);
  });

  it('reads nested relations as JSON on MariaDB 10.6 and later only', () => {
    const nests = (version: string) => mariadbDialect.capabilitiesFor(version).nestedJson !== null;
    expect([nests('10.11.19-MariaDB'), nests('10.6.0-MariaDB'), nests('11.4.2-MariaDB')]).toEqual([true, true, true]);
    expect([nests('10.5.27-MariaDB'), nests('8.0.36'), nests('')]).toEqual([false, false, false]);
  });
});

describe('a refresh after a server version change', () => {
  it('rebuilds when the version changes what the query layer does, not for a patch level', async () => {
    const { servesAlike } = await import('../../server/gateway/snapshot');
    const base = { formatVersion: 1, dialect: 'mariadb', schemas: ['db'], tables: [], report: [], introspectedAt: 'x' } as const;
    const at = (serverVersion: string) => ({ ...base, serverVersion }) as unknown as Parameters<typeof servesAlike>[1];
    expect(servesAlike(mariadbDialect, at('10.11.5-MariaDB'), at('10.11.19-MariaDB-0+deb12u1'))).toBe(true);
    expect(servesAlike(mariadbDialect, at('10.4.32-MariaDB'), at('10.11.19-MariaDB'))).toBe(false);
    expect(servesAlike(mariadbDialect, at('10.11.19-MariaDB'), at('10.4.32-MariaDB'))).toBe(false);
    // RETURNING on both, nested JSON reads from 10.6 only.
    expect(servesAlike(mariadbDialect, at('10.5.27-MariaDB'), at('10.6.0-MariaDB'))).toBe(false);
    expect(servesAlike(mysqlDialect, at('8.0.36'), at('8.4.0'))).toBe(true);
  });
});
