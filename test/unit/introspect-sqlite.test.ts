import { describe, expect, it } from 'vitest';
import type { SqliteCatalog } from '../../server/introspect/sqlite/catalog';
import { sqliteFilename } from '../../server/introspect/sqlite/connection';
import { readCreateTable } from '../../server/introspect/sqlite/ddl';
import { describeSqliteError } from '../../server/introspect/sqlite/errors';
import { mapDeclaredType, normaliseSqlite } from '../../server/introspect/sqlite/normalise';
import { plainNumberText, sqliteQuirks, toSqliteDateTime } from '../../server/introspect/sqlite/quirks';
import { sqliteDialect } from '../../server/introspect/sqlite';
import { codecColumn as col, findColumn as columnOf, findTable as tableOf, readRecording, FIXTURE_TABLE_NAMES } from '../helpers/introspect';

const recorded = readRecording<SqliteCatalog>('sqlite.json');
const AT = '2026-01-01T00:00:00.000Z';

describe('normaliseSqlite on the recorded fixture', () => {
  const model = normaliseSqlite(recorded, ['main'], AT);

  it('describes the database', () => {
    expect(model.formatVersion).toBe(1);
    expect(model.dialect).toBe('sqlite');
    expect(model.serverVersion).toMatch(/^3\.\d+\.\d+/);
    expect(model.schemas).toEqual(['main']);
    expect(model.introspectedAt).toBe(AT);
  });

  it('lists tables and the view in binary name order, without SQLite internals', () => {
    expect(model.tables.map((table) => table.name)).toEqual(FIXTURE_TABLE_NAMES);
    expect(model.tables.every((table) => table.schema === null)).toBe(true);
    expect(model.tables.some((table) => table.name.startsWith('sqlite_'))).toBe(false);
  });

  it('maps every all_types column to its kind', () => {
    const allTypes = tableOf(model, 'all_types');
    const kinds = Object.fromEntries(allTypes.columns.map((column) => [column.name, column.kind]));
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
      c_json: 'json',
      c_uuid: 'uuid',
      c_bytes: 'bytes',
      c_enum: 'enum',
      c_generated: 'int',
    });
    expect(columnOf(allTypes, 'c_enum').enumValues).toEqual(['happy', 'sad', 'ok']);
    expect(columnOf(allTypes, 'c_varchar')).toMatchObject({ length: 50, sqlType: 'varchar(50)', nullable: true });
    expect(columnOf(allTypes, 'c_char').length).toBe(3);
    expect(columnOf(allTypes, 'c_decimal')).toMatchObject({ precision: 20, scale: 6 });
    expect(columnOf(allTypes, 'c_timestamp').withTimeZone).toBe(false);
  });

  it('flags the rowid key as auto-increment and the generated column as generated', () => {
    const allTypes = tableOf(model, 'all_types');
    expect(columnOf(allTypes, 'id')).toMatchObject({
      autoIncrement: true,
      hasDefault: true,
      nullable: false,
      generated: false,
    });
    expect(columnOf(allTypes, 'c_generated')).toMatchObject({ generated: true, hasDefault: true, autoIncrement: false });
    expect(columnOf(allTypes, 'c_int')).toMatchObject({ generated: false, hasDefault: false, autoIncrement: false });
    expect(columnOf(tableOf(model, 'artist'), 'artist_id').autoIncrement).toBe(true);
  });

  it('reads the composite primary key in key order, not column order', () => {
    const albumTag = tableOf(model, 'album_tag');
    expect(albumTag.primaryKey).toEqual(['album_id', 'tag']);
    // A composite key is not a rowid alias.
    expect(albumTag.columns.some((column) => column.autoIncrement)).toBe(false);
    expect(columnOf(albumTag, 'tag').nullable).toBe(false);
    expect(albumTag.foreignKeys).toEqual([
      { name: 'album_tag_album_id_fkey', columns: ['album_id'], refSchema: null, refTable: 'album', refColumns: ['album_id'] },
    ]);
  });

  it('keeps two foreign keys to one table in declaration order', () => {
    const transfer = tableOf(model, 'transfer');
    expect(transfer.foreignKeys).toEqual([
      { name: 'transfer_from_account_fkey', columns: ['from_account'], refSchema: null, refTable: 'account', refColumns: ['account_id'] },
      { name: 'transfer_to_account_fkey', columns: ['to_account'], refSchema: null, refTable: 'account', refColumns: ['account_id'] },
    ]);
  });

  it('reads the self-reference and its declared constraint name', () => {
    const employee = tableOf(model, 'employee');
    expect(employee.foreignKeys).toEqual([
      { name: 'employee_manager_fk', columns: ['manager_id'], refSchema: null, refTable: 'employee', refColumns: ['employee_id'] },
    ]);
    expect(columnOf(employee, 'manager_id').nullable).toBe(true);
  });

  it('reads the inline UNIQUE as a unique key', () => {
    const artist = tableOf(model, 'artist');
    expect(artist.uniqueKeys).toEqual([{ name: 'artist_name_key', columns: ['name'] }]);
    expect(artist.primaryKey).toEqual(['artist_id']);
  });

  it('describes the view without keys', () => {
    const view = tableOf(model, 'album_with_artist');
    expect(view.kind).toBe('view');
    expect(view.primaryKey).toEqual([]);
    expect(view.uniqueKeys).toEqual([]);
    expect(view.foreignKeys).toEqual([]);
    expect(view.columns.map((column) => [column.name, column.kind])).toEqual([
      ['album_id', 'int'],
      ['title', 'string'],
      ['artist_name', 'string'],
    ]);
    expect(view.columns.every((column) => !column.autoIncrement)).toBe(true);
  });

  it('keeps the table without a primary key', () => {
    const eventLog = tableOf(model, 'event_log');
    expect(eventLog.primaryKey).toEqual([]);
    expect(eventLog.columns.map((column) => [column.name, column.kind, column.nullable])).toEqual([
      ['happened_at', 'datetime', true],
      ['level', 'string', false],
      ['message', 'string', true],
    ]);
  });

  it('keeps odd identifiers exactly', () => {
    const odd = tableOf(model, 'Odd Table');
    expect(odd.columns.map((column) => column.name)).toEqual([
      'ID',
      'Mixed Case',
      'select',
      'quote"d',
      'naïve',
      'a b',
      'a_b',
      'col-with-dash',
    ]);
    expect(odd.primaryKey).toEqual(['ID']);
    expect(columnOf(odd, 'ID').autoIncrement).toBe(true);
    expect(tableOf(model, 'user data').primaryKey).toEqual(['id']);
    expect(tableOf(model, 'user_data').primaryKey).toEqual(['id']);
  });

  it('reports the decimal columns as degraded and nothing else', () => {
    expect(model.report).toEqual([
      expect.objectContaining({ level: 'degraded', object: 'all_types.c_decimal' }),
      expect.objectContaining({ level: 'degraded', object: 'transfer.amount' }),
    ]);
    expect(model.report[0]?.reason).toMatch(/not kept exactly/);
  });

  it('reports a requested schema other than main as skipped', () => {
    const other = normaliseSqlite(recorded, ['main', 'aux'], AT);
    expect(other.tables).toHaveLength(12);
    expect(other.report).toContainEqual(expect.objectContaining({ level: 'skipped', object: 'aux' }));
    expect(normaliseSqlite(recorded, ['aux'], AT).tables).toEqual([]);
  });
});

/** A small hand-written catalog for the cases the fixture does not reach. */
function handCatalog(): SqliteCatalog {
  const col = (table_name: string, cid: number, name: string, type: string, extra: Partial<SqliteCatalog['columns'][number]> = {}) => ({
    table_name,
    cid,
    name,
    type,
    notnull: 0,
    dflt_value: null,
    pk: 0,
    hidden: 0,
    ...extra,
  });
  return {
    serverVersion: '3.45.0',
    objects: [
      { name: 'parent', type: 'table', ncol: 2, wr: 0, strict: 0, sql: 'CREATE TABLE parent (a TEXT, b TEXT, PRIMARY KEY (a, b))' },
      {
        name: 'child',
        type: 'table',
        ncol: 5,
        wr: 1,
        strict: 0,
        sql:
          'CREATE TABLE child (id INTEGER PRIMARY KEY, pa TEXT, pb TEXT, ghost INT, anything, ' +
          'CONSTRAINT child_parent_fk FOREIGN KEY (pa, pb) REFERENCES parent, ' +
          'CONSTRAINT [child uq] UNIQUE (pa COLLATE nocase, pb)) WITHOUT ROWID',
      },
      { name: 'broken_view', type: 'view', ncol: 0, wr: 0, strict: 0, sql: 'CREATE VIEW broken_view AS SELECT * FROM gone' },
      { name: 'docs', type: 'virtual', ncol: 1, wr: 0, strict: 0, sql: 'CREATE VIRTUAL TABLE docs USING fts5(body)' },
      { name: 'docs_data', type: 'shadow', ncol: 2, wr: 0, strict: 0, sql: 'CREATE TABLE docs_data(id INTEGER PRIMARY KEY, block BLOB)' },
    ],
    columns: [
      col('parent', 0, 'a', 'TEXT', { pk: 1 }),
      col('parent', 1, 'b', 'TEXT', { pk: 2 }),
      col('child', 0, 'id', 'INTEGER', { pk: 1, notnull: 1 }),
      col('child', 1, 'pa', 'TEXT'),
      col('child', 2, 'pb', 'TEXT'),
      col('child', 3, 'ghost', 'INT', { dflt_value: '42' }),
      col('child', 4, 'anything', ''),
      col('docs', 0, 'body', ''),
      col('docs', 1, 'docs', '', { hidden: 1 }),
      col('docs_data', 0, 'id', 'INTEGER', { pk: 1 }),
    ],
    foreignKeys: [
      { table_name: 'child', id: 0, seq: 1, ref_table: 'nowhere', from_column: 'ghost', to_column: 'x' },
      { table_name: 'child', id: 1, seq: 0, ref_table: 'PARENT', from_column: 'pa', to_column: null },
      { table_name: 'child', id: 1, seq: 1, ref_table: 'PARENT', from_column: 'pb', to_column: null },
    ],
    indexes: [
      { table_name: 'child', index_name: 'sqlite_autoindex_child_1', origin: 'pk', partial: 0, seqno: 0, cid: 0, column_name: 'id' },
      { table_name: 'child', index_name: 'sqlite_autoindex_child_2', origin: 'u', partial: 0, seqno: 1, cid: 2, column_name: 'pb' },
      { table_name: 'child', index_name: 'sqlite_autoindex_child_2', origin: 'u', partial: 0, seqno: 0, cid: 1, column_name: 'pa' },
      { table_name: 'child', index_name: 'child_lower_pa', origin: 'c', partial: 0, seqno: 0, cid: -2, column_name: null },
      { table_name: 'child', index_name: 'child_ghost_live', origin: 'c', partial: 1, seqno: 0, cid: 3, column_name: 'ghost' },
      { table_name: 'parent', index_name: 'parent_b_unique', origin: 'c', partial: 0, seqno: 0, cid: 1, column_name: 'b' },
    ],
  };
}

describe('normaliseSqlite on hand-written edge cases', () => {
  const model = normaliseSqlite(handCatalog(), ['main'], AT);

  it('skips shadow tables and views that no longer compile, with report entries', () => {
    expect(model.tables.map((table) => table.name)).toEqual(['child', 'docs', 'parent']);
    expect(model.report).toContainEqual(expect.objectContaining({ level: 'skipped', object: 'broken_view' }));
    expect(model.report).toContainEqual(expect.objectContaining({ level: 'skipped', object: 'docs_data' }));
  });

  it('does not treat INTEGER PRIMARY KEY of a WITHOUT ROWID table as auto-increment', () => {
    const child = tableOf(model, 'child');
    expect(columnOf(child, 'id').autoIncrement).toBe(false);
    expect(columnOf(child, 'id').hasDefault).toBe(false);
    expect(columnOf(child, 'ghost')).toMatchObject({ hasDefault: true, defaultValue: '42', kind: 'int' });
  });

  it('exposes a column without declared type as unknown and reports it', () => {
    expect(columnOf(tableOf(model, 'child'), 'anything').kind).toBe('unknown');
    expect(model.report).toContainEqual({
      level: 'degraded',
      object: 'child.anything',
      reason: 'no declared type: exposed read-only as text',
    });
  });

  it('hides the hidden columns of a virtual table', () => {
    expect(tableOf(model, 'docs').columns.map((column) => column.name)).toEqual(['body']);
  });

  it('resolves an implicit reference to the parent primary key and keeps the declared name', () => {
    expect(tableOf(model, 'child').foreignKeys).toEqual([
      { name: 'child_parent_fk', columns: ['pa', 'pb'], refSchema: null, refTable: 'parent', refColumns: ['a', 'b'] },
    ]);
  });

  it('drops a foreign key to a table that does not exist, with a report entry', () => {
    expect(model.report).toContainEqual(
      expect.objectContaining({ level: 'degraded', object: 'child(ghost)', reason: expect.stringMatching(/nowhere/) }),
    );
  });

  it('uses unique constraints and plain unique indexes, but not partial or expression ones', () => {
    expect(tableOf(model, 'child').uniqueKeys).toEqual([{ name: 'child uq', columns: ['pa', 'pb'] }]);
    expect(tableOf(model, 'parent').uniqueKeys).toEqual([{ name: 'parent_b_unique', columns: ['b'] }]);
    expect(model.report).toContainEqual(expect.objectContaining({ level: 'info', object: 'child.child_ghost_live' }));
    expect(model.report).toContainEqual(expect.objectContaining({ level: 'info', object: 'child.child_lower_pa' }));
  });
});

describe('mapDeclaredType', () => {
  it.each([
    ['INTEGER', 'int'],
    ['tinyint', 'int'],
    ['MEDIUMINT', 'int'],
    ['BIGINT', 'bigint'],
    ['int8', 'bigint'],
    ['UNSIGNED BIG INT', 'bigint'],
    ['NVARCHAR(20)', 'string'],
    ['character varying(5)', 'string'],
    ['CLOB', 'string'],
    ['BLOB', 'bytes'],
    ['REAL', 'float'],
    ['FLOAT', 'float'],
    ['DOUBLE PRECISION', 'float'],
    ['NUMERIC', 'decimal'],
    ['DECIMAL(10,5)', 'decimal'],
    ['BOOLEAN', 'boolean'],
    ['bool', 'boolean'],
    ['DATE', 'date'],
    ['DATETIME', 'datetime'],
    ['TIMESTAMP(6)', 'datetime'],
    ['TIME', 'time'],
    ['JSON', 'json'],
    ['UUID', 'uuid'],
    ['', 'unknown'],
    ['MONEY', 'unknown'],
  ])('%s -> %s', (declared, kind) => {
    expect(mapDeclaredType(declared).kind).toBe(kind);
  });

  it('reads length, precision and scale, and time zones', () => {
    expect(mapDeclaredType('varchar(120)').length).toBe(120);
    expect(mapDeclaredType('DECIMAL(12, 2)')).toMatchObject({ precision: 12, scale: 2 });
    expect(mapDeclaredType('timestamp with time zone')).toMatchObject({ kind: 'datetime', withTimeZone: true });
    expect(mapDeclaredType('TIMESTAMPTZ').withTimeZone).toBe(true);
  });
});

describe('readCreateTable', () => {
  it('finds IN-list checks on columns and tables, with quoted names and escaped quotes', () => {
    const facts = readCreateTable(
      `CREATE TABLE t ("Mood" text CHECK ("Mood" IN ('ok', 'it''s')), level text,
       /* a comment, with a comma */ CONSTRAINT lvl CHECK (level in ('a','b')), x int CHECK (x > 0))`,
    );
    expect(facts.enumChecks.get('mood')).toEqual(['ok', "it's"]);
    expect(facts.enumChecks.get('level')).toEqual(['a', 'b']);
    expect(facts.enumChecks.has('x')).toBe(false);
  });

  it('ignores checks that are more than a plain IN list', () => {
    const facts = readCreateTable(`CREATE TABLE t (m text CHECK (m IN ('a') OR m IS NULL), n text CHECK (m IN ('b')))`);
    expect(facts.enumChecks.size).toBe(0);
  });

  it('finds constraint names on columns and tables', () => {
    const facts = readCreateTable(
      'CREATE TABLE t (a int CONSTRAINT a_fk REFERENCES p(id), b int CONSTRAINT b_nn NOT NULL UNIQUE, ' +
        'c int, CONSTRAINT `c key` UNIQUE (c, b DESC), CONSTRAINT c_fk FOREIGN KEY (c) REFERENCES p)',
    );
    expect(facts.foreignKeyNames).toEqual([
      { name: 'a_fk', columns: ['a'] },
      { name: 'c_fk', columns: ['c'] },
    ]);
    expect(facts.uniqueNames).toEqual([{ name: 'c key', columns: ['c', 'b'] }]);
  });

  it('survives statements without a column list', () => {
    expect(readCreateTable('CREATE TABLE t AS SELECT 1').enumChecks.size).toBe(0);
    expect(readCreateTable(null).uniqueNames).toEqual([]);
  });
});

describe('SQLite connection settings', () => {
  it('reads the file name from the URL forms', () => {
    expect(sqliteFilename({ url: 'sqlite:///abs/path/db.sqlite' })).toBe('/abs/path/db.sqlite');
    expect(sqliteFilename({ url: 'sqlite:relative/db.sqlite' })).toBe('relative/db.sqlite');
    expect(sqliteFilename({ url: 'sqlite://relative/db.sqlite' })).toBe('relative/db.sqlite');
    expect(sqliteFilename({ url: 'file:///abs/my%20db.sqlite' })).toBe('/abs/my db.sqlite');
    expect(sqliteFilename({ url: 'file:data/x.db?mode=ro' })).toBe('data/x.db');
    expect(sqliteFilename({ filename: '/a/b.db', url: 'sqlite:///c.db' })).toBe('/a/b.db');
    expect(() => sqliteFilename({})).toThrow(/filename/);
  });

  it('builds a one-connection pool that refuses to create a missing file', () => {
    const config = sqliteDialect.knexConfig(
      { name: 'x', dialect: 'sqlite', connection: { filename: '/tmp/x.db' } },
      { connectTimeoutMs: 1234, poolMax: 10 },
    );
    expect(config.useNullAsDefault).toBe(true);
    expect(config.acquireConnectionTimeout).toBe(1234);
    expect(config.pool).toMatchObject({ min: 0, max: 1 });
    expect(config.connection).toMatchObject({ filename: '/tmp/x.db', options: { fileMustExist: true } });
    expect(sqliteDialect.defaultSchemas({ name: 'x', dialect: 'sqlite', connection: {} })).toEqual(['main']);
  });
});

describe('describeSqliteError', () => {
  const sqliteError = (code: string, message: string) =>
    Object.assign(new Error(`insert into \`artist\` (\`name\`) values (?) - ${message}`), { name: 'SqliteError', code });

  it('classifies constraint violations and keeps the column list as the constraint', () => {
    expect(describeSqliteError(sqliteError('SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed: artist.name'))).toEqual({
      kind: 'unique_violation',
      message: 'UNIQUE constraint failed: artist.name',
      constraint: 'artist.name',
    });
    expect(
      describeSqliteError(sqliteError('SQLITE_CONSTRAINT_PRIMARYKEY', 'UNIQUE constraint failed: album_tag.album_id, album_tag.tag')),
    ).toMatchObject({ kind: 'unique_violation', constraint: 'album_tag.album_id, album_tag.tag' });
    expect(describeSqliteError(sqliteError('SQLITE_CONSTRAINT_FOREIGNKEY', 'FOREIGN KEY constraint failed'))).toEqual({
      kind: 'foreign_key_violation',
      message: 'FOREIGN KEY constraint failed',
    });
    expect(describeSqliteError(sqliteError('SQLITE_CONSTRAINT_NOTNULL', 'NOT NULL constraint failed: artist.name'))).toMatchObject({
      kind: 'not_null_violation',
      constraint: 'artist.name',
    });
    expect(describeSqliteError(sqliteError('SQLITE_CONSTRAINT_CHECK', 'CHECK constraint failed: mood_check'))).toMatchObject({
      kind: 'check_violation',
      constraint: 'mood_check',
    });
  });

  it('classifies value, availability and lock errors without repeating the SQL', () => {
    const mismatch = describeSqliteError(sqliteError('SQLITE_MISMATCH', 'datatype mismatch'));
    expect(mismatch).toEqual({ kind: 'invalid_value', message: 'datatype mismatch' });
    expect(describeSqliteError(sqliteError('SQLITE_BUSY', 'database is locked'))).toMatchObject({ kind: 'timeout' });
    expect(describeSqliteError(Object.assign(new Error('unable to open database file'), { code: 'SQLITE_CANTOPEN' }))).toEqual({
      kind: 'unknown_database',
      message: 'unable to open database file',
    });
    expect(describeSqliteError(new TypeError('Cannot open database because the directory does not exist')).kind).toBe(
      'unknown_database',
    );
    expect(describeSqliteError(Object.assign(new Error('file is not a database'), { code: 'SQLITE_NOTADB' })).kind).toBe(
      'unknown_database',
    );
    const timeout = Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), {
      name: 'KnexTimeoutError',
    });
    expect(describeSqliteError(timeout).kind).toBe('timeout');
    const other = describeSqliteError(sqliteError('SQLITE_ERROR', 'no such table: nope'));
    expect(other).toEqual({ kind: 'other', message: 'no such table: nope' });
  });
});

describe('sqliteQuirks codecs', () => {
  it('decodes safe-integer BigInts by kind', () => {
    expect(sqliteQuirks.decode(col('int'), 42n)).toBe(42);
    expect(sqliteQuirks.decode(col('bigint'), 9007199254740993n)).toBe('9007199254740993');
    expect(sqliteQuirks.decode(col('boolean'), 1n)).toBe(true);
    expect(sqliteQuirks.decode(col('boolean'), 0n)).toBe(false);
    expect(sqliteQuirks.decode(col('float'), 3n)).toBe(3);
    expect(sqliteQuirks.decode(col('decimal'), 100n)).toBe('100');
    expect(sqliteQuirks.decode(col('decimal'), 0.01)).toBe('0.01');
    expect(sqliteQuirks.decode(col('decimal'), 1e-7)).toBe('0.0000001');
    expect(sqliteQuirks.decode(col('int'), null)).toBeNull();
  });

  it('decodes text-stored values', () => {
    expect(sqliteQuirks.decode(col('datetime'), '2024-02-29 13:45:12.123456')).toBe('2024-02-29T13:45:12.123456');
    expect(sqliteQuirks.decode(col('json'), '{"a":[1,{"b":null}]}')).toEqual({ a: [1, { b: null }] });
    expect(sqliteQuirks.decode(col('bytes'), Buffer.from([0, 255, 16]))).toBe('AP8Q');
    expect(sqliteQuirks.decode(col('uuid'), 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11')).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(sqliteQuirks.decode(col('uuid'), Buffer.from('a0eebc999c0b4ef8bb6d6bb9bd380a11', 'hex'))).toBe(
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    );
    expect(sqliteQuirks.decode(col('unknown'), 7n)).toBe('7');
  });

  it('encodes for the driver', () => {
    expect(sqliteQuirks.encode(col('boolean'), true)).toBe(1);
    expect(sqliteQuirks.encode(col('boolean'), false)).toBe(0);
    expect(sqliteQuirks.encode(col('bigint'), '9007199254740993')).toBe(9007199254740993n);
    expect(sqliteQuirks.encode(col('json'), { a: 1 })).toBe('{"a":1}');
    expect(sqliteQuirks.encode(col('bytes'), 'AP8Q')).toEqual(Buffer.from([0, 255, 16]));
    expect(sqliteQuirks.encode(col('datetime'), '2024-01-02T03:04:05.123456Z')).toBe('2024-01-02 03:04:05.123456');
    expect(sqliteQuirks.encode(col('datetime'), '2024-01-01T01:30:00+02:00')).toBe('2023-12-31 23:30:00');
    expect(sqliteQuirks.encode(col('datetime', { withTimeZone: true }), '2024-01-01T01:30:00+02:00')).toBe(
      '2024-01-01T01:30:00+02:00',
    );
    expect(sqliteQuirks.encode(col('int'), null)).toBeNull();
  });

  it('formats numbers and datetimes exactly', () => {
    expect(plainNumberText(1.5e21)).toBe('1500000000000000000000');
    expect(plainNumberText(-2.5e-8)).toBe('-0.000000025');
    expect(plainNumberText(12345678901234.123)).toBe('12345678901234.123');
    expect(toSqliteDateTime('2024-02-29')).toBe('2024-02-29');
    expect(toSqliteDateTime('2024-03-01T00:15:00.5-01:00')).toBe('2024-03-01 01:15:00.5');
    expect(toSqliteDateTime('not a date')).toBe('not a date');
  });

  it('supports RETURNING and native NULLS ordering', () => {
    expect(sqliteDialect.capabilitiesFor('3.45.0')).toEqual({ insertReturning: true, updateReturning: true, nestedJson: null });
    expect(sqliteQuirks.nativeNullsOrdering).toBe(true);
  });
});
