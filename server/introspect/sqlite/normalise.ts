import type { ColumnModel, DbModel, ForeignKeyModel, KeyModel, ReportEntry, ScalarKind, TableModel } from '../../model/types';
import { compareText, groupBy } from '../common/collections';
import type { SqliteCatalog, SqliteColumnRow, SqliteObjectRow } from './catalog';
import { SQLITE_SCHEMA } from './catalog';
import { readCreateTable } from './ddl';
import type { DdlFacts } from './ddl';

/**
 * Recorded SQLite catalog rows -> DbModel. Pure: no knex, no clock (the caller passes the
 * timestamp), so the unit tests replay recorded rows.
 *
 * SQLite has one schema per file: tables get `schema: null`, and any requested schema
 * other than `main` is reported as skipped.
 */
export function normaliseSqlite(catalog: SqliteCatalog, schemas: string[], introspectedAt: string): DbModel {
  const report: ReportEntry[] = [];
  for (const schema of schemas) {
    if (schema !== SQLITE_SCHEMA) {
      report.push({
        level: 'skipped',
        object: schema,
        reason: `SQLite has a single schema, "${SQLITE_SCHEMA}"; "${schema}" was not introspected`,
      });
    }
  }
  const tables: TableModel[] = [];
  if (schemas.includes(SQLITE_SCHEMA)) {
    const columnsByTable = groupBy(catalog.columns, (row) => row.table_name);
    for (const object of [...catalog.objects].sort((a, b) => compareText(a.name, b.name))) {
      const table = buildTable(object, columnsByTable.get(object.name) ?? [], report);
      if (table) tables.push(table);
    }
    attachKeys(tables, catalog, report);
  }
  return {
    formatVersion: 1,
    dialect: 'sqlite',
    serverVersion: catalog.serverVersion,
    schemas: [...schemas],
    tables,
    report,
    introspectedAt,
  };
}

function buildTable(object: SqliteObjectRow, rows: SqliteColumnRow[], report: ReportEntry[]): TableModel | null {
  if (object.type === 'shadow') {
    report.push({ level: 'skipped', object: object.name, reason: 'internal shadow table of a virtual table' });
    return null;
  }
  if (object.ncol === 0 || rows.length === 0) {
    const reason =
      object.type === 'view'
        ? 'view cannot be read: its definition refers to tables or columns that no longer exist'
        : 'has no readable columns';
    report.push({ level: 'skipped', object: object.name, reason });
    return null;
  }
  const isView = object.type === 'view';
  const facts = isView ? readCreateTable(null) : readCreateTable(object.sql);
  const visible = rows.filter((row) => row.hidden !== 1).sort((a, b) => a.cid - b.cid);
  const primaryKey = isView
    ? []
    : visible
        .filter((row) => row.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((row) => row.name);
  const rowidAlias = !isView && object.wr === 0 && primaryKey.length === 1 ? primaryKey[0] : undefined;
  const columns = visible.map((row) => buildColumn(object.name, row, row.name === rowidAlias, facts, report));
  return {
    schema: null,
    name: object.name,
    kind: isView ? 'view' : 'table',
    columns,
    primaryKey,
    uniqueKeys: [],
    foreignKeys: [],
    comment: null,
  };
}

function buildColumn(
  table: string,
  row: SqliteColumnRow,
  onlyPrimaryKeyColumn: boolean,
  facts: DdlFacts,
  report: ReportEntry[],
): ColumnModel {
  const object = `${table}.${row.name}`;
  const type = mapDeclaredType(row.type);
  // Only a column declared exactly INTEGER that alone forms the key of a rowid table
  // aliases the rowid, which SQLite assigns itself. The rowid is 64-bit, but such keys are
  // exposed as int (GraphQL Int) unless declared BIGINT (which is then not a rowid alias):
  // keys beyond 2^31 are rare and Int keeps every ordinary id a number for clients.
  const autoIncrement = onlyPrimaryKeyColumn && row.type.trim().toUpperCase() === 'INTEGER';
  const generated = row.hidden === 2 || row.hidden === 3;
  let kind = type.kind;
  let enumValues: string[] | undefined;
  const checkValues = facts.enumChecks.get(row.name.toLowerCase());
  if (kind === 'string' && checkValues) {
    kind = 'enum';
    enumValues = checkValues;
  }
  if (kind === 'unknown') {
    const what = row.type.trim() === '' ? 'no declared type' : `unsupported type ${row.type}`;
    report.push({ level: 'degraded', object, reason: `${what}: exposed read-only as text` });
  }
  if (kind === 'decimal') {
    report.push({
      level: 'degraded',
      object,
      reason:
        'SQLite stores NUMERIC/DECIMAL values as 64-bit integers or doubles: values beyond about 15 significant digits are not kept exactly',
    });
  }
  const column: ColumnModel = {
    name: row.name,
    kind,
    sqlType: row.type,
    // A PRIMARY KEY column without NOT NULL accepts NULL in SQLite (a historical bug kept
    // for compatibility); lazydb treats key columns as required like every other dialect.
    nullable: row.notnull === 0 && row.pk === 0,
    hasDefault: row.dflt_value !== null || autoIncrement || generated,
    defaultValue: row.dflt_value,
    autoIncrement,
    generated,
    length: type.length,
    precision: type.precision,
    scale: type.scale,
    comment: null,
  };
  if (type.withTimeZone !== undefined) column.withTimeZone = type.withTimeZone;
  if (enumValues) column.enumValues = enumValues;
  return column;
}

interface MappedType {
  kind: ScalarKind;
  length: number | null;
  precision: number | null;
  scale: number | null;
  withTimeZone?: boolean;
}

/**
 * SQLite accepts any declared type and derives only a storage affinity from it. lazydb
 * reads the declared name more finely (BOOLEAN, DATE, JSON, ... are common conventions),
 * and falls back to SQLite's own affinity rules (INT, CHAR/CLOB/TEXT, BLOB, REAL/FLOA/DOUB)
 * for everything else. No declared type at all (typical of view expressions) is unknown.
 */
export function mapDeclaredType(declared: string): MappedType {
  const text = declared.trim().toUpperCase();
  const args = /\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/.exec(text);
  const first = args?.[1] !== undefined ? Number(args[1]) : null;
  const second = args?.[2] !== undefined ? Number(args[2]) : null;
  const base = text.replace(/\(.*$/, '').trim();
  const plain = (kind: ScalarKind): MappedType => ({ kind, length: null, precision: null, scale: null });
  if (base === '') return plain('unknown');
  if (base === 'BOOLEAN' || base === 'BOOL') return plain('boolean');
  if (base === 'DATE') return plain('date');
  if (base === 'DATETIME' || base.startsWith('TIMESTAMP')) {
    const withTimeZone = base === 'TIMESTAMPTZ' || / WITH TIME ZONE$/.test(base);
    return { ...plain('datetime'), precision: first, withTimeZone };
  }
  if (base === 'TIME' || base === 'TIMETZ' || base.startsWith('TIME ')) {
    return { ...plain('time'), precision: first, withTimeZone: base === 'TIMETZ' || / WITH TIME ZONE$/.test(base) };
  }
  if (base === 'JSON' || base === 'JSONB') return plain('json');
  if (base === 'UUID' || base === 'GUID') return plain('uuid');
  if (base === 'BIGINT' || base === 'INT8' || base === 'UNSIGNED BIG INT') return plain('bigint');
  if (base.includes('INT')) return plain('int');
  if (base.includes('CHAR') || base.includes('CLOB') || base.includes('TEXT')) {
    return { ...plain('string'), length: first };
  }
  if (base.includes('BLOB') || base === 'BINARY' || base === 'VARBINARY' || base === 'BYTEA') {
    return { ...plain('bytes'), length: first };
  }
  if (base.includes('REAL') || base.includes('FLOA') || base.includes('DOUB')) return plain('float');
  if (base === 'NUMERIC' || base === 'DECIMAL' || base === 'NUMBER') return { ...plain('decimal'), precision: first, scale: second };
  return plain('unknown');
}

function attachKeys(tables: TableModel[], catalog: SqliteCatalog, report: ReportEntry[]): void {
  const byName = new Map(tables.filter((table) => table.kind === 'table').map((table) => [table.name, table]));
  const objectSql = new Map(catalog.objects.map((object) => [object.name, object.sql]));
  const factsFor = memo((name: string) => readCreateTable(objectSql.get(name) ?? null));

  for (const [tableName, rows] of groupBy(catalog.indexes, (row) => row.table_name)) {
    const table = byName.get(tableName);
    if (!table) continue;
    for (const [indexName, indexRows] of groupBy(rows, (row) => row.index_name)) {
      const first = indexRows[0];
      if (!first || first.origin === 'pk') continue;
      const object = `${tableName}.${indexName}`;
      if (first.partial === 1) {
        report.push({ level: 'info', object, reason: 'partial unique index: not used as a unique key' });
        continue;
      }
      const ordered = [...indexRows].sort((a, b) => a.seqno - b.seqno);
      if (ordered.some((row) => row.cid < 0 || row.column_name === null)) {
        report.push({ level: 'info', object, reason: 'unique index on an expression: not used as a unique key' });
        continue;
      }
      const columns = ordered.map((row) => row.column_name as string);
      const name =
        first.origin === 'u'
          ? (findNamed(factsFor(tableName).uniqueNames, columns) ?? `${tableName}_${columns.join('_')}_key`)
          : indexName;
      const key: KeyModel = { name, columns };
      if (!table.uniqueKeys.some((existing) => sameColumns(existing.columns, columns))) table.uniqueKeys.push(key);
    }
    table.uniqueKeys.sort((a, b) => compareText(a.name, b.name));
  }

  for (const [tableName, rows] of groupBy(catalog.foreignKeys, (row) => row.table_name)) {
    const table = byName.get(tableName);
    if (!table) continue;
    const used = new Set<string>();
    const keys = [...groupBy(rows, (row) => String(row.id)).values()].sort((a, b) => (a[0]?.id ?? 0) - (b[0]?.id ?? 0));
    // SQLite numbers foreign keys from the last declared; restore declaration order.
    keys.reverse();
    for (const keyRows of keys) {
      const ordered = [...keyRows].sort((a, b) => a.seq - b.seq);
      const refTableName = ordered[0]?.ref_table ?? '';
      const columns = ordered.map((row) => row.from_column);
      const refTable = findTable(byName, refTableName);
      const object = `${tableName}(${columns.join(', ')})`;
      if (!refTable) {
        report.push({
          level: 'degraded',
          object,
          reason: `foreign key references "${refTableName}", which is not an introspected table: relation dropped`,
        });
        continue;
      }
      const refColumns = ordered.every((row) => row.to_column !== null)
        ? ordered.map((row) => resolveColumn(refTable, row.to_column as string))
        : refTable.primaryKey;
      if (refColumns.length !== columns.length) {
        report.push({
          level: 'degraded',
          object,
          reason: `foreign key references "${refTable.name}" without naming columns and that table has no matching primary key: relation dropped`,
        });
        continue;
      }
      let name = findNamed(factsFor(tableName).foreignKeyNames, columns) ?? `${tableName}_${columns.join('_')}_fkey`;
      if (used.has(name)) name = `${name}${ordered[0]?.id ?? ''}`;
      used.add(name);
      const key: ForeignKeyModel = { name, columns, refSchema: null, refTable: refTable.name, refColumns };
      table.foreignKeys.push(key);
    }
  }
}

/** SQLite resolves the referenced table case-insensitively; report its real spelling. */
function findTable(byName: Map<string, TableModel>, name: string): TableModel | undefined {
  const exact = byName.get(name);
  if (exact) return exact;
  const lower = name.toLowerCase();
  return [...byName.values()].find((table) => table.name.toLowerCase() === lower);
}

function resolveColumn(table: TableModel, name: string): string {
  const lower = name.toLowerCase();
  return table.columns.find((column) => column.name.toLowerCase() === lower)?.name ?? name;
}

function findNamed(named: { name: string; columns: string[] }[], columns: string[]): string | undefined {
  return named.find((entry) => sameColumns(entry.columns, columns))?.name;
}

function sameColumns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((name, index) => name.toLowerCase() === b[index]?.toLowerCase());
}

function memo<T>(compute: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    if (!cache.has(key)) cache.set(key, compute(key));
    return cache.get(key) as T;
  };
}
