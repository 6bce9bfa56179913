import { describe, expect, it } from 'vitest';
import { oracleDialect } from '../../server/introspect/oracle';
import type { OracleCatalog, OracleColumnRow } from '../../server/introspect/oracle/catalog';
import { connectString, SESSION_SETUP } from '../../server/introspect/oracle/connection';
import { describeOracleError } from '../../server/introspect/oracle/errors';
import { mapOracleType, normaliseOracle, readChecks } from '../../server/introspect/oracle/normalise';
import { intervalText, oracleNumberText, oracleQuirks, toOracleDateTime } from '../../server/introspect/oracle/quirks';
import type { ColumnModel, DbModel } from '../../server/model/types';
import { codecColumn, findColumn as columnOf, findTable, readRecording } from '../helpers/introspect';

// Hand-written to the ALL_* views' column names (no Oracle server runs here); see its _note.
const recorded = readRecording<OracleCatalog>('oracle.json');
const OWNER = 'LAZYDB_FIXTURE';
const AT = '2026-01-01T00:00:00.000Z';

const tableOf = (model: DbModel, name: string, schema = OWNER) => findTable(model, name, schema);

describe('normaliseOracle on the fixture catalog', () => {
  const model = normaliseOracle(recorded, [OWNER], AT);

  it('describes the database', () => {
    expect(model).toMatchObject({
      formatVersion: 1,
      dialect: 'oracle',
      serverVersion: 'Oracle Database 23ai Free 23.5.0.24.07',
      schemas: [OWNER],
      introspectedAt: AT,
    });
  });

  it('lists tables and the view by name in binary order, identifiers exactly as stored', () => {
    expect(model.tables.map((table) => table.name)).toEqual([
      'ACCOUNT',
      'ALBUM',
      'ALBUM_TAG',
      'ALBUM_WITH_ARTIST',
      'ALL_TYPES',
      'ARTIST',
      'EMPLOYEE',
      'EVENT_LOG',
      'Odd Table',
      'TRANSFER',
      'user data',
      'user_data',
    ]);
    expect(model.tables.every((table) => table.schema === OWNER)).toBe(true);
  });

  it('maps every all_types column to its kind', () => {
    const allTypes = tableOf(model, 'ALL_TYPES');
    expect(Object.fromEntries(allTypes.columns.map((column) => [column.name, column.kind]))).toEqual({
      ID: 'int',
      C_SMALLINT: 'int',
      C_INT: 'int',
      C_BIGINT: 'bigint',
      C_REAL: 'float',
      C_DOUBLE: 'float',
      C_DECIMAL: 'decimal',
      C_VARCHAR: 'string',
      C_CHAR: 'string',
      C_TEXT: 'string',
      C_BOOL: 'boolean',
      C_DATE: 'datetime',
      C_TIME: 'unknown',
      C_TIMESTAMP: 'datetime',
      C_TIMESTAMPTZ: 'datetime',
      C_JSON: 'json',
      C_UUID: 'string',
      C_BYTES: 'bytes',
      C_ENUM: 'enum',
      C_GENERATED: 'int',
    });
    expect(columnOf(allTypes, 'C_ENUM').enumValues).toEqual(['happy', 'sad', 'ok']);
    expect(columnOf(allTypes, 'C_DECIMAL')).toMatchObject({ precision: 20, scale: 6, sqlType: 'NUMBER(20,6)' });
    expect(columnOf(allTypes, 'C_VARCHAR')).toMatchObject({ length: 50, sqlType: 'VARCHAR2(50 CHAR)' });
    expect(columnOf(allTypes, 'C_TIMESTAMPTZ')).toMatchObject({ withTimeZone: true, precision: 6 });
    expect(columnOf(allTypes, 'C_TIMESTAMP')).toMatchObject({ withTimeZone: false, precision: 6 });
    expect(columnOf(allTypes, 'C_DATE')).toMatchObject({ withTimeZone: false, sqlType: 'DATE' });
  });

  it('flags identity columns and virtual columns', () => {
    const allTypes = tableOf(model, 'ALL_TYPES');
    expect(columnOf(allTypes, 'ID')).toMatchObject({
      autoIncrement: true,
      hasDefault: true,
      nullable: false,
      generated: false,
      defaultValue: expect.stringMatching(/ISEQ\$\$_\d+"\.nextval$/),
    });
    expect(columnOf(allTypes, 'C_GENERATED')).toMatchObject({
      generated: true,
      hasDefault: true,
      autoIncrement: false,
      defaultValue: null,
    });
    expect(columnOf(allTypes, 'C_INT')).toMatchObject({ hasDefault: false, autoIncrement: false, generated: false });
  });

  it('reads primary, unique and foreign keys', () => {
    expect(tableOf(model, 'ALBUM_TAG').primaryKey).toEqual(['ALBUM_ID', 'TAG']);
    expect(tableOf(model, 'ALBUM_TAG').foreignKeys).toEqual([
      { name: 'ALBUM_TAG_ALBUM_FK', columns: ['ALBUM_ID'], refSchema: OWNER, refTable: 'ALBUM', refColumns: ['ALBUM_ID'] },
    ]);
    expect(tableOf(model, 'TRANSFER').foreignKeys).toEqual([
      { name: 'TRANSFER_FROM_FK', columns: ['FROM_ACCOUNT'], refSchema: OWNER, refTable: 'ACCOUNT', refColumns: ['ACCOUNT_ID'] },
      { name: 'TRANSFER_TO_FK', columns: ['TO_ACCOUNT'], refSchema: OWNER, refTable: 'ACCOUNT', refColumns: ['ACCOUNT_ID'] },
    ]);
    expect(tableOf(model, 'EMPLOYEE').foreignKeys).toEqual([
      { name: 'EMPLOYEE_MANAGER_FK', columns: ['MANAGER_ID'], refSchema: OWNER, refTable: 'EMPLOYEE', refColumns: ['EMPLOYEE_ID'] },
    ]);
    // The indexes behind the constraints are not repeated as keys.
    expect(tableOf(model, 'ARTIST').uniqueKeys).toEqual([{ name: 'ARTIST_NAME_UK', columns: ['NAME'] }]);
    expect(tableOf(model, 'ALBUM').uniqueKeys).toEqual([]);
  });

  it('describes the view, the table without a key and the odd identifiers', () => {
    const view = tableOf(model, 'ALBUM_WITH_ARTIST');
    expect(view).toMatchObject({ kind: 'view', primaryKey: [], uniqueKeys: [], foreignKeys: [] });
    expect(view.columns.map((column) => column.name)).toEqual(['ALBUM_ID', 'TITLE', 'ARTIST_NAME']);
    expect(tableOf(model, 'EVENT_LOG').primaryKey).toEqual([]);
    expect(tableOf(model, 'EVENT_LOG').columns.map((column) => column.name)).toEqual(['HAPPENED_AT', 'LEVEL', 'MESSAGE']);
    const odd = tableOf(model, 'Odd Table');
    expect(odd.columns.map((column) => column.name)).toEqual(['ID', 'Mixed Case', 'select', 'naïve', 'a b', 'a_b', 'col-with-dash']);
    expect(odd.primaryKey).toEqual(['ID']);
    expect(tableOf(model, 'user data').primaryKey).toEqual(['ID']);
  });

  it('carries table and column comments', () => {
    expect(tableOf(model, 'ARTIST').comment).toBe('Recording artists');
    expect(columnOf(tableOf(model, 'ARTIST'), 'NAME').comment).toBe('Display name');
    expect(tableOf(model, 'ALBUM').comment).toBeNull();
  });

  it('reports the unsupported interval and the Thin driver timestamp limits', () => {
    expect(model.report.map((entry) => [entry.level, entry.object])).toEqual([
      ['degraded', `${OWNER}.ALL_TYPES.C_TIME`],
      ['degraded', `${OWNER}.ALL_TYPES.C_TIMESTAMP`],
      ['degraded', `${OWNER}.ALL_TYPES.C_TIMESTAMPTZ`],
      ['degraded', `${OWNER}.ALL_TYPES.C_TIMESTAMPTZ`],
      ['degraded', `${OWNER}.EVENT_LOG.HAPPENED_AT`],
    ]);
    expect(model.report[0]?.reason).toBe('unsupported type INTERVAL DAY(0) TO SECOND(6): exposed read-only as text');
    expect(model.report[1]?.reason).toMatch(/millisecond precision/);
    expect(model.report[3]?.reason).toMatch(/offset is not returned/);
  });
});

function column(owner: string, table: string, id: number, name: string, extra: Partial<OracleColumnRow>): OracleColumnRow {
  return {
    OWNER: owner,
    TABLE_NAME: table,
    COLUMN_ID: String(id),
    COLUMN_NAME: name,
    DATA_TYPE: 'NUMBER',
    DATA_TYPE_OWNER: null,
    DATA_LENGTH: '22',
    DATA_PRECISION: '9',
    DATA_SCALE: '0',
    CHAR_LENGTH: '0',
    CHAR_USED: null,
    NULLABLE: 'Y',
    DATA_DEFAULT: null,
    VIRTUAL_COLUMN: 'NO',
    IDENTITY_COLUMN: 'NO',
    COMMENTS: null,
    ...extra,
  };
}

function handCatalog(): OracleCatalog {
  return {
    version: [{ PRODUCT: 'Oracle Database 19c Enterprise Edition ', VERSION: '19.0.0.0.0' }],
    objects: [
      { OWNER: 'SALES', TABLE_NAME: 'ORDERS', OBJECT_TYPE: 'TABLE', COMMENTS: null },
      { OWNER: 'APP', TABLE_NAME: 'DOCS', OBJECT_TYPE: 'TABLE', COMMENTS: 'Documents' },
      { OWNER: 'APP', TABLE_NAME: 'DOC_TOTALS', OBJECT_TYPE: 'MVIEW', COMMENTS: null },
      { OWNER: 'OTHER', TABLE_NAME: 'IGNORED', OBJECT_TYPE: 'TABLE', COMMENTS: null },
    ],
    columns: [
      column('SALES', 'ORDERS', 1, 'ID', { NULLABLE: 'N' }),
      column('SALES', 'ORDERS', 2, 'DOC_ID', {}),
      column('SALES', 'ORDERS', 3, 'CUSTOMER_ID', {}),
      column('SALES', 'ORDERS', 4, 'STATUS', {
        DATA_TYPE: 'VARCHAR2',
        DATA_LENGTH: '10',
        CHAR_LENGTH: '10',
        CHAR_USED: 'B',
        DATA_PRECISION: null,
        DATA_SCALE: null,
        DATA_DEFAULT: "'new' \n",
      }),
      column('SALES', 'ORDERS', 5, 'NOTE', { DATA_TYPE: 'VARCHAR2', DATA_DEFAULT: 'NULL ', DATA_PRECISION: null, DATA_SCALE: null }),
      column('APP', 'DOCS', 2, 'BODY', { DATA_TYPE: 'CLOB', DATA_PRECISION: null, DATA_SCALE: null, DATA_LENGTH: '4000' }),
      column('APP', 'DOCS', 1, 'ID', { NULLABLE: 'N' }),
      column('APP', 'DOCS', 3, 'SHAPE', { DATA_TYPE: 'SDO_GEOMETRY', DATA_TYPE_OWNER: 'MDSYS', DATA_PRECISION: null, DATA_SCALE: null }),
      column('APP', 'DOCS', 4, 'CODE', { DATA_TYPE: 'VARCHAR2', DATA_PRECISION: null, DATA_SCALE: null, CHAR_LENGTH: '2', CHAR_USED: 'C' }),
      column('APP', 'DOCS', 5, 'TOKEN', { DATA_TYPE: 'RAW', DATA_LENGTH: '16', DATA_PRECISION: null, DATA_SCALE: null }),
      column('APP', 'DOC_TOTALS', 1, 'TOTAL', { DATA_PRECISION: null, DATA_SCALE: null }),
      column('OTHER', 'IGNORED', 1, 'X', {}),
    ],
    keys: [
      { OWNER: 'APP', TABLE_NAME: 'DOCS', CONSTRAINT_NAME: 'DOCS_PK', CONSTRAINT_TYPE: 'P', COLUMN_NAME: 'ID', POSITION: '1', R_OWNER: null, R_CONSTRAINT_NAME: null, R_TABLE_NAME: null, R_COLUMN_NAME: null },
      { OWNER: 'SALES', TABLE_NAME: 'ORDERS', CONSTRAINT_NAME: 'ORDERS_PK', CONSTRAINT_TYPE: 'P', COLUMN_NAME: 'ID', POSITION: 1, R_OWNER: null, R_CONSTRAINT_NAME: null, R_TABLE_NAME: null, R_COLUMN_NAME: null },
      { OWNER: 'SALES', TABLE_NAME: 'ORDERS', CONSTRAINT_NAME: 'ORDERS_DOC_FK', CONSTRAINT_TYPE: 'R', COLUMN_NAME: 'DOC_ID', POSITION: '1', R_OWNER: 'APP', R_CONSTRAINT_NAME: 'DOCS_PK', R_TABLE_NAME: 'DOCS', R_COLUMN_NAME: 'ID' },
      { OWNER: 'SALES', TABLE_NAME: 'ORDERS', CONSTRAINT_NAME: 'ORDERS_CUSTOMER_FK', CONSTRAINT_TYPE: 'R', COLUMN_NAME: 'CUSTOMER_ID', POSITION: '1', R_OWNER: 'CRM', R_CONSTRAINT_NAME: 'CUSTOMERS_PK', R_TABLE_NAME: 'CUSTOMERS', R_COLUMN_NAME: 'ID' },
    ],
    checks: [
      { OWNER: 'SALES', TABLE_NAME: 'ORDERS', CONSTRAINT_NAME: 'SYS_C0012', SEARCH_CONDITION_VC: `"STATUS" IN ('new','paid', 'it''s')` },
      { OWNER: 'APP', TABLE_NAME: 'DOCS', CONSTRAINT_NAME: 'DOCS_BODY_JSON', SEARCH_CONDITION_VC: 'body IS JSON (STRICT)' },
      { OWNER: 'APP', TABLE_NAME: 'DOCS', CONSTRAINT_NAME: 'DOCS_CODE_LEN', SEARCH_CONDITION_VC: 'length(code) = 2' },
    ],
    uniqueIndexes: [
      { TABLE_OWNER: 'APP', TABLE_NAME: 'DOCS', INDEX_NAME: 'DOCS_PK', COLUMN_NAME: 'ID', COLUMN_POSITION: '1' },
      { TABLE_OWNER: 'APP', TABLE_NAME: 'DOCS', INDEX_NAME: 'DOCS_CODE_TOKEN_UX', COLUMN_NAME: 'TOKEN', COLUMN_POSITION: '2' },
      { TABLE_OWNER: 'APP', TABLE_NAME: 'DOCS', INDEX_NAME: 'DOCS_CODE_TOKEN_UX', COLUMN_NAME: 'CODE', COLUMN_POSITION: '1' },
    ],
  };
}

describe('normaliseOracle on hand-written edge cases', () => {
  const model = normaliseOracle(handCatalog(), ['SALES', 'APP'], AT);

  it('orders tables by the configured schema order, then name, and ignores other owners', () => {
    expect(model.tables.map((table) => `${table.schema}.${table.name}`)).toEqual(['SALES.ORDERS', 'APP.DOCS', 'APP.DOC_TOTALS']);
    expect(model.serverVersion).toBe('Oracle Database 19c Enterprise Edition 19.0.0.0.0');
  });

  it('keeps a cross-schema foreign key inside the introspected schemas and drops one outside', () => {
    const orders = tableOf(model, 'ORDERS', 'SALES');
    expect(orders.foreignKeys).toEqual([
      { name: 'ORDERS_DOC_FK', columns: ['DOC_ID'], refSchema: 'APP', refTable: 'DOCS', refColumns: ['ID'] },
    ]);
    expect(model.report).toContainEqual({
      level: 'degraded',
      object: 'SALES.ORDERS.ORDERS_CUSTOMER_FK',
      reason: 'foreign key references CRM.CUSTOMERS, outside the introspected schemas: relation dropped',
    });
  });

  it('reads enum and IS JSON checks, quoted or not', () => {
    const orders = tableOf(model, 'ORDERS', 'SALES');
    expect(columnOf(orders, 'STATUS')).toMatchObject({
      kind: 'enum',
      enumValues: ['new', 'paid', "it's"],
      sqlType: 'VARCHAR2(10 BYTE)',
      defaultValue: "'new'",
      hasDefault: true,
    });
    expect(columnOf(orders, 'NOTE')).toMatchObject({ defaultValue: null, hasDefault: false });
    const docs = tableOf(model, 'DOCS', 'APP');
    expect(columnOf(docs, 'BODY').kind).toBe('json');
    expect(columnOf(docs, 'CODE').kind).toBe('string');
  });

  it('orders columns by COLUMN_ID and exposes object types as unknown', () => {
    const docs = tableOf(model, 'DOCS', 'APP');
    expect(docs.columns.map((c) => c.name)).toEqual(['ID', 'BODY', 'SHAPE', 'CODE', 'TOKEN']);
    expect(columnOf(docs, 'SHAPE')).toMatchObject({ kind: 'unknown', sqlType: 'MDSYS.SDO_GEOMETRY' });
    expect(model.report).toContainEqual({
      level: 'degraded',
      object: 'APP.DOCS.SHAPE',
      reason: 'unsupported type MDSYS.SDO_GEOMETRY: exposed read-only as text',
    });
    expect(columnOf(docs, 'TOKEN')).toMatchObject({ kind: 'bytes', length: 16 });
    expect(docs.comment).toBe('Documents');
  });

  it('adds unique indexes that back no constraint, in index column order', () => {
    expect(tableOf(model, 'DOCS', 'APP').uniqueKeys).toEqual([{ name: 'DOCS_CODE_TOKEN_UX', columns: ['CODE', 'TOKEN'] }]);
  });

  it('treats materialised views as views', () => {
    expect(tableOf(model, 'DOC_TOTALS', 'APP').kind).toBe('view');
    expect(model.report).toContainEqual(expect.objectContaining({ level: 'info', object: 'APP.DOC_TOTALS' }));
  });
});

describe('mapOracleType', () => {
  const type = (DATA_TYPE: string, DATA_PRECISION: string | null = null, DATA_SCALE: string | null = null) =>
    mapOracleType({ DATA_TYPE, DATA_TYPE_OWNER: null, DATA_LENGTH: '22', DATA_PRECISION, DATA_SCALE, CHAR_LENGTH: '0', CHAR_USED: null });

  it.each([
    ['NUMBER', '1', '0', 'int'],
    ['NUMBER', '9', '0', 'int'],
    ['NUMBER', '10', '0', 'bigint'],
    ['NUMBER', '18', '0', 'bigint'],
    ['NUMBER', '19', '0', 'decimal'],
    ['NUMBER', '38', '0', 'decimal'],
    ['NUMBER', null, '0', 'decimal'],
    ['NUMBER', null, null, 'decimal'],
    ['NUMBER', '12', '2', 'decimal'],
    ['FLOAT', '126', null, 'float'],
    ['BINARY_DOUBLE', null, null, 'float'],
    ['NVARCHAR2', null, null, 'string'],
    ['NCLOB', null, null, 'string'],
    ['LONG', null, null, 'string'],
    ['DATE', null, null, 'datetime'],
    ['TIMESTAMP(9)', null, '9', 'datetime'],
    ['TIMESTAMP(3) WITH LOCAL TIME ZONE', null, '3', 'datetime'],
    ['BLOB', null, null, 'bytes'],
    ['LONG RAW', null, null, 'bytes'],
    ['JSON', null, null, 'json'],
    ['BOOLEAN', null, null, 'boolean'],
    ['INTERVAL YEAR(2) TO MONTH', '2', '0', 'unknown'],
    ['ROWID', null, null, 'unknown'],
    ['VECTOR', null, null, 'unknown'],
  ])('%s(%s,%s) -> %s', (dataType, precision, scale, kind) => {
    expect(type(dataType, precision, scale).kind).toBe(kind);
  });

  it('keeps time zone information apart from local time zone', () => {
    expect(type('TIMESTAMP(6) WITH TIME ZONE', null, '6')).toMatchObject({ withTimeZone: true, precision: 6 });
    expect(type('TIMESTAMP(6) WITH LOCAL TIME ZONE', null, '6')).toMatchObject({ withTimeZone: false });
    expect(type('NUMBER', null, '0').sqlType).toBe('NUMBER(*,0)');
  });

  it('reads checks with unquoted names folded to upper case', () => {
    const facts = readChecks([
      { OWNER: 'A', TABLE_NAME: 'T', CONSTRAINT_NAME: 'C1', SEARCH_CONDITION_VC: "mood in ('a','b')" },
      { OWNER: 'A', TABLE_NAME: 'T', CONSTRAINT_NAME: 'C2', SEARCH_CONDITION_VC: `"Doc" is json` },
      { OWNER: 'A', TABLE_NAME: 'T', CONSTRAINT_NAME: 'C3', SEARCH_CONDITION_VC: "x in ('a') or x is null" },
      { OWNER: 'A', TABLE_NAME: 'T', CONSTRAINT_NAME: 'C4', SEARCH_CONDITION_VC: null },
    ]);
    expect([...facts.enums]).toEqual([['MOOD', ['a', 'b']]]);
    expect([...facts.json]).toEqual(['Doc']);
  });
});

describe('Oracle connection settings', () => {
  it('builds an Easy Connect string with the connect timeout inside', () => {
    expect(connectString({ host: 'db.example', port: 1522, database: 'FREEPDB1' }, 4500)).toBe(
      'db.example:1522/FREEPDB1?connect_timeout=5&transport_connect_timeout=5',
    );
    expect(connectString({ host: '::1', database: 'X', ssl: true }, 100)).toBe(
      'tcps://[::1]:1521/X?connect_timeout=1&transport_connect_timeout=1',
    );
  });

  it('reads the URL, fetches numbers and CLOBs as text, and never dates', () => {
    const spec = { name: 'o', dialect: 'oracle' as const, connection: { url: 'oracle://app%40x:p%40ss@ora.local:1521/FREEPDB1' } };
    const config = oracleDialect.knexConfig(spec, { connectTimeoutMs: 3000, poolMax: 4 });
    expect(config.client).toBe('oracledb');
    expect(config.connection).toEqual({
      user: 'app@x',
      password: 'p@ss',
      connectString: 'ora.local:1521/FREEPDB1?connect_timeout=3&transport_connect_timeout=3',
    });
    expect(config.fetchAsString).toEqual(['number', 'clob']);
    expect(config.acquireConnectionTimeout).toBe(3000);
    expect(config.pool).toMatchObject({ min: 0, max: 4 });
    expect(oracleDialect.defaultSchemas(spec)).toEqual(['APP@X']);
    expect(oracleDialect.defaultSchemas({ ...spec, schemas: ['HR'] })).toEqual(['HR']);
  });

  it('sets UTC and ISO-8601 NLS formats on every new connection', async () => {
    const config = oracleDialect.knexConfig(
      { name: 'o', dialect: 'oracle', connection: { host: 'h', user: 'scott', password: 'tiger', database: 'S' } },
      { connectTimeoutMs: 1000 },
    );
    const executed: string[] = [];
    const conn = { execute: async (sql: string) => void executed.push(sql) };
    const afterCreate = (config.pool as { afterCreate: (c: unknown, done: (e: Error | null) => void) => void }).afterCreate;
    await new Promise<void>((resolve, reject) => afterCreate(conn, (error) => (error ? reject(error) : resolve())));
    expect(executed).toEqual([SESSION_SETUP]);
    expect(SESSION_SETUP).toMatch(/time_zone = '\+00:00'/);
    expect(SESSION_SETUP).toContain(`nls_timestamp_tz_format = 'YYYY-MM-DD"T"HH24:MI:SS.FF6TZH:TZM'`);
    expect(SESSION_SETUP).toContain("nls_numeric_characters = '.,'");
  });
});

describe('describeOracleError', () => {
  const oraError = (errorNum: number, message: string) =>
    Object.assign(new Error(`insert into "ARTIST" ("NAME") values (:1) - ${message}`), {
      errorNum,
      code: `ORA-${String(errorNum).padStart(5, '0')}`,
      offset: 0,
    });

  it('classifies constraint violations and names the constraint without its owner', () => {
    expect(
      describeOracleError(
        oraError(
          1,
          'ORA-00001: unique constraint (LAZYDB.ARTIST_NAME_UK) violated on table LAZYDB.ARTIST columns (NAME)\nHelp: https://docs.oracle.com/error-help/db/ora-00001/',
        ),
      ),
    ).toEqual({
      kind: 'unique_violation',
      message: 'ORA-00001: unique constraint (LAZYDB.ARTIST_NAME_UK) violated on table LAZYDB.ARTIST columns (NAME)',
      constraint: 'ARTIST_NAME_UK',
    });
    expect(describeOracleError(oraError(2291, 'ORA-02291: integrity constraint (LAZYDB.ALBUM_ARTIST_FK) violated - parent key not found'))).toMatchObject({
      kind: 'foreign_key_violation',
      constraint: 'ALBUM_ARTIST_FK',
      message: 'ORA-02291: integrity constraint (LAZYDB.ALBUM_ARTIST_FK) violated - parent key not found',
    });
    expect(describeOracleError(oraError(2292, 'ORA-02292: integrity constraint (LAZYDB.ALBUM_ARTIST_FK) violated - child record found')).kind).toBe(
      'foreign_key_violation',
    );
    const notNull = describeOracleError(oraError(1400, 'ORA-01400: cannot insert NULL into ("LAZYDB"."ARTIST"."NAME")'));
    expect(notNull).toEqual({ kind: 'not_null_violation', message: 'ORA-01400: cannot insert NULL into ("LAZYDB"."ARTIST"."NAME")' });
    expect(describeOracleError(oraError(2290, 'ORA-02290: check constraint (LAZYDB.ALL_TYPES_ENUM_CK) violated'))).toMatchObject({
      kind: 'check_violation',
      constraint: 'ALL_TYPES_ENUM_CK',
    });
  });

  it('classifies invalid values, authentication and availability', () => {
    expect(describeOracleError(oraError(1722, 'ORA-01722: invalid number')).kind).toBe('invalid_value');
    expect(describeOracleError(oraError(1438, 'ORA-01438: value larger than specified precision allowed for this column')).kind).toBe(
      'invalid_value',
    );
    expect(
      describeOracleError(oraError(12899, 'ORA-12899: value too large for column "LAZYDB"."ARTIST"."NAME" (actual: 130, maximum: 120)')).kind,
    ).toBe('invalid_value');
    expect(describeOracleError(Object.assign(new Error('ORA-01017: invalid credential or not authorized; logon denied'), { errorNum: 1017, code: 'ORA-01017' }))).toEqual({
      kind: 'auth_failed',
      message: 'ORA-01017: invalid credential or not authorized; logon denied',
    });
    const refused = Object.assign(
      new Error('NJS-503: connection to host 127.0.0.1 port 1 could not be established. (CONNECTION_ID=ld5Vi1Eudj051ma6ViUf2A==)\nconnect ECONNREFUSED 127.0.0.1:1'),
      { code: 'NJS-503' },
    );
    expect(describeOracleError(refused)).toEqual({
      kind: 'unreachable',
      message: 'NJS-503: connection to host 127.0.0.1 port 1 could not be established.\nconnect ECONNREFUSED 127.0.0.1:1',
    });
    expect(describeOracleError(Object.assign(new Error('NJS-500: connection to Oracle Database was closed or broken'), { code: 'NJS-500' })).kind).toBe(
      'unreachable',
    );
    expect(describeOracleError(oraError(12514, 'ORA-12514: Cannot connect to database. Service FOO is not registered with the listener')).kind).toBe(
      'unknown_database',
    );
    expect(describeOracleError(oraError(12541, 'ORA-12541: Cannot connect. No listener at host h port 1521.')).kind).toBe('unreachable');
    expect(describeOracleError(Object.assign(new Error('NJS-510: connection to host h port 1521 timed out'), { code: 'NJS-510' })).kind).toBe(
      'timeout',
    );
    expect(describeOracleError(Object.assign(new Error('Knex: Timeout acquiring a connection.'), { name: 'KnexTimeoutError' })).kind).toBe(
      'timeout',
    );
    expect(describeOracleError(oraError(942, 'ORA-00942: table or view "LAZYDB"."NOPE" does not exist'))).toEqual({
      kind: 'other',
      message: 'ORA-00942: table or view "LAZYDB"."NOPE" does not exist',
    });
  });
});

describe('oracleQuirks codecs', () => {
  const col = (kind: ColumnModel['kind'], sqlType: string, extra: Partial<ColumnModel> = {}): ColumnModel =>
    codecColumn(kind, { name: 'C', sqlType, ...extra });

  it('decodes NUMBER text', () => {
    expect(oracleQuirks.decode(col('int', 'NUMBER(9)'), '1073741823')).toBe(1073741823);
    expect(oracleQuirks.decode(col('bigint', 'NUMBER(18)'), '9007199254740993')).toBe('9007199254740993');
    expect(oracleQuirks.decode(col('decimal', 'NUMBER(20,6)'), '12345678901234.123456')).toBe('12345678901234.123456');
    expect(oracleQuirks.decode(col('decimal', 'NUMBER'), '.5')).toBe('0.5');
    expect(oracleQuirks.decode(col('decimal', 'NUMBER'), '-.25')).toBe('-0.25');
    expect(oracleQuirks.decode(col('float', 'BINARY_DOUBLE'), '3.141592653589793')).toBe(3.141592653589793);
    expect(oracleNumberText('12')).toBe('12');
  });

  it('decodes driver Dates: naive kinds by their wall clock, zoned kinds as the instant', () => {
    const wall = new Date(2024, 1, 29, 13, 45, 12, 123); // what Thin mode builds for a naive value
    expect(oracleQuirks.decode(col('datetime', 'TIMESTAMP(6)', { withTimeZone: false }), wall)).toBe('2024-02-29T13:45:12.123');
    expect(oracleQuirks.decode(col('datetime', 'DATE', { withTimeZone: false }), new Date(2024, 1, 29, 13, 45, 12))).toBe(
      '2024-02-29T13:45:12',
    );
    const instant = new Date(Date.UTC(2024, 1, 29, 11, 45, 12, 123));
    expect(oracleQuirks.decode(col('datetime', 'TIMESTAMP(6) WITH TIME ZONE', { withTimeZone: true }), instant)).toBe(
      '2024-02-29T11:45:12.123Z',
    );
    expect(oracleQuirks.decode(col('datetime', 'TIMESTAMP(6)'), '2024-02-29T13:45:12.123456')).toBe('2024-02-29T13:45:12.123456');
  });

  it('decodes JSON, booleans, bytes and intervals', () => {
    expect(oracleQuirks.decode(col('json', 'JSON'), { a: [1, null] })).toEqual({ a: [1, null] });
    expect(oracleQuirks.decode(col('json', 'BLOB'), Buffer.from('{"b":true}'))).toEqual({ b: true });
    expect(oracleQuirks.decode(col('boolean', 'BOOLEAN'), true)).toBe(true);
    expect(oracleQuirks.decode(col('bytes', 'BLOB'), Buffer.from([0, 255, 16]))).toBe('AP8Q');
    const interval = { days: 0, hours: 23, minutes: 59, seconds: 58, fseconds: 654321000 };
    expect(oracleQuirks.decode(col('unknown', 'INTERVAL DAY(0) TO SECOND(6)'), interval)).toBe('+0 23:59:58.654321000');
    expect(intervalText({ years: -1, months: 2 })).toBe('-1-02');
    expect(intervalText('text')).toBeUndefined();
  });

  it('encodes datetimes as text in the session NLS formats', () => {
    const naive = col('datetime', 'TIMESTAMP(6)', { withTimeZone: false });
    expect(oracleQuirks.encode(naive, '2024-01-02T03:04:05.123456Z')).toBe('2024-01-02T03:04:05.123456');
    expect(oracleQuirks.encode(naive, '2024-01-01T01:30:00+02:00')).toBe('2023-12-31T23:30:00.000000');
    const zoned = col('datetime', 'TIMESTAMP(6) WITH TIME ZONE', { withTimeZone: true });
    expect(oracleQuirks.encode(zoned, '2024-01-01T01:30:00.5+02:00')).toBe('2024-01-01T01:30:00.500000+02:00');
    expect(oracleQuirks.encode(zoned, '2024-01-01T01:30:00Z')).toBe('2024-01-01T01:30:00.000000+00:00');
    const date = col('datetime', 'DATE', { withTimeZone: false });
    expect(oracleQuirks.encode(date, '2024-02-29T13:45:12.999Z')).toBe('2024-02-29T13:45:12');
    expect(toOracleDateTime(date, '2024-02-29')).toBe('2024-02-29T00:00:00');
    expect(toOracleDateTime(naive, 'garbage')).toBe('garbage');
  });

  it('encodes numbers, JSON and bytes', () => {
    expect(oracleQuirks.encode(col('bigint', 'NUMBER(18)'), '9007199254740993')).toBe('9007199254740993');
    expect(oracleQuirks.encode(col('decimal', 'NUMBER(20,6)'), 12.5)).toBe('12.5');
    expect(oracleQuirks.encode(col('json', 'JSON'), { a: 1 })).toBe('{"a":1}');
    expect(oracleQuirks.encode(col('bytes', 'BLOB'), 'AP8Q')).toEqual(Buffer.from([0, 255, 16]));
    expect(oracleQuirks.encode(col('int', 'NUMBER(9)'), null)).toBeNull();
  });

  it('supports RETURNING and native NULLS ordering', () => {
    expect(oracleDialect.capabilitiesFor('23.4.0.24.05')).toEqual({ insertReturning: true, updateReturning: true, nestedJson: null });
    expect(oracleQuirks.nativeNullsOrdering).toBe(true);
  });
});
