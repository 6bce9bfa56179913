import type { ColumnModel, DbModel, ForeignKeyModel, KeyModel, ReportEntry, ScalarKind, TableModel } from '../../model/types';
import { compareText, compositeKey, groupBy, num, numOrNull, text } from '../common/collections';
import type { CheckRow, ColumnRow, ForeignKeyRow, IndexRow, MysqlCatalog } from './catalog';
import { isMariaDbVersion } from './version';

/**
 * Pure: recorded MySQL/MariaDB catalog rows -> DbModel. The same rows shape comes from
 * both servers; where they disagree (EXTRA wording, COLUMN_DEFAULT quoting, JSON as a
 * checked LONGTEXT) the server version string decides.
 */
export interface NormaliseOptions {
  dialect: 'mysql' | 'mariadb';
  /** Defaults to now; tests pin it. */
  introspectedAt?: string;
}

export function normaliseMysqlCatalog(catalog: MysqlCatalog, options: NormaliseOptions): DbModel {
  const mariadb = isMariaDbVersion(catalog.version);
  const schemas = catalog.schemas;
  const report: ReportEntry[] = [];

  const columnsByTable = groupBy(catalog.columns, (row) => compositeKey(row.table_schema, row.table_name));
  const indexesByTable = groupBy(catalog.indexes, (row) => compositeKey(row.table_schema, row.table_name));
  const fksByTable = groupBy(catalog.foreignKeys, (row) => compositeKey(row.table_schema, row.table_name));
  const jsonColumns = jsonCheckedColumns(catalog.checks);

  const position = schemaPosition(schemas);
  const tableRows = catalog.tables
    .filter((row) => position(row.table_schema) >= 0)
    .sort((a, b) => position(a.table_schema) - position(b.table_schema) || compareText(a.table_name, b.table_name));

  const tables: TableModel[] = [];
  for (const row of tableRows) {
    const kind = tableKind(row.table_type);
    const object = `${row.table_schema}.${row.table_name}`;
    if (kind === null) {
      report.push({ level: 'skipped', object, reason: `${text(row.table_type).toLowerCase() || 'unknown object'}: not exposed` });
      continue;
    }
    const key = compositeKey(row.table_schema, row.table_name);
    const columns = (columnsByTable.get(key) ?? [])
      .slice()
      .sort((a, b) => num(a.ordinal_position) - num(b.ordinal_position))
      .map((col) => normaliseColumn(col, kind, mariadb, jsonColumns, report));
    const keys = kind === 'table' ? normaliseKeys(indexesByTable.get(key) ?? [], object, report) : noKeys();
    const foreignKeys = kind === 'table' ? normaliseForeignKeys(fksByTable.get(key) ?? [], position, object, report) : [];
    tables.push({
      schema: row.table_schema,
      name: row.table_name,
      kind,
      columns,
      primaryKey: keys.primaryKey,
      uniqueKeys: keys.uniqueKeys,
      foreignKeys,
      // MySQL and MariaDB put the word VIEW in a view's comment.
      comment: kind === 'view' ? null : nonEmpty(row.table_comment),
    });
  }

  return {
    formatVersion: 1,
    dialect: options.dialect,
    serverVersion: catalog.version,
    schemas: [...schemas],
    tables,
    report,
    introspectedAt: options.introspectedAt ?? new Date().toISOString(),
  };
}

function tableKind(tableType: string): TableModel['kind'] | null {
  switch (text(tableType).toUpperCase()) {
    case 'BASE TABLE':
    case 'SYSTEM VERSIONED': // MariaDB system-versioned tables are ordinary tables to their readers
      return 'table';
    case 'VIEW':
      return 'view';
    default:
      return null; // MariaDB SEQUENCE, TEMPORARY, SYSTEM VIEW
  }
}

interface TypeInfo {
  kind: ScalarKind;
  enumValues?: string[];
}

const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']);
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
const NUMERIC_TYPES = new Set([
  'tinyint',
  'smallint',
  'mediumint',
  'int',
  'integer',
  'bigint',
  'decimal',
  'numeric',
  'float',
  'double',
  'real',
  'bit',
  'year',
]);

export function classifyType(dataType: string, columnType: string, jsonChecked: boolean): TypeInfo {
  const data = dataType.toLowerCase();
  const full = columnType.toLowerCase();
  const unsigned = /\bunsigned\b/.test(full);
  switch (data) {
    case 'tinyint':
      // tinyint(1) is what BOOLEAN creates; MySQL 8.0.19+ still prints that width.
      return { kind: /^tinyint\(1\)/.test(full) ? 'boolean' : 'int' };
    case 'bool':
    case 'boolean':
      return { kind: 'boolean' };
    case 'smallint':
    case 'mediumint':
    case 'year':
      return { kind: 'int' };
    case 'int':
    case 'integer':
      return { kind: unsigned ? 'bigint' : 'int' };
    case 'bigint':
      return { kind: 'bigint' };
    case 'float':
    case 'double':
    case 'real':
      return { kind: 'float' };
    case 'decimal':
    case 'numeric':
      return { kind: 'decimal' };
    case 'json':
      return { kind: 'json' };
    case 'uuid':
      return { kind: 'uuid' };
    case 'date':
      return { kind: 'date' };
    case 'time':
      return { kind: 'time' };
    case 'datetime':
    case 'timestamp':
      return { kind: 'datetime' };
    case 'bit':
      // BIT(1) is the other common boolean spelling; wider BITs are bit strings.
      return { kind: full === 'bit(1)' ? 'boolean' : 'bytes' };
    case 'enum':
      return { kind: 'enum', enumValues: parseEnumValues(columnType) };
    // SET holds a comma-separated subset of its members, which the server validates; the
    // text form is the natural representation. INET4/INET6 are MariaDB address types that
    // read and write as text.
    case 'set':
    case 'inet4':
    case 'inet6':
      return { kind: 'string' };
    default:
      if (TEXT_TYPES.has(data)) return { kind: jsonChecked ? 'json' : 'string' };
      if (BINARY_TYPES.has(data)) return { kind: 'bytes' };
      return { kind: 'unknown' };
  }
}

/** `enum('a','it''s')` -> ['a', "it's"]; quotes inside values are doubled in COLUMN_TYPE. */
export function parseEnumValues(columnType: string): string[] {
  const open = columnType.indexOf('(');
  const values: string[] = [];
  let i = open + 1;
  while (open >= 0 && i < columnType.length && columnType[i] === "'") {
    let value = '';
    i += 1;
    while (i < columnType.length) {
      const ch = columnType[i];
      if (ch === "'" && columnType[i + 1] === "'") {
        value += "'";
        i += 2;
      } else if (ch === "'") {
        i += 1;
        break;
      } else {
        value += ch;
        i += 1;
      }
    }
    values.push(value);
    if (columnType[i] === ',') i += 1;
  }
  return values;
}

function normaliseColumn(
  row: ColumnRow,
  tableKind: TableModel['kind'],
  mariadb: boolean,
  jsonColumns: Set<string>,
  report: ReportEntry[],
): ColumnModel {
  const dataType = text(row.data_type).toLowerCase();
  const columnType = text(row.column_type);
  const extra = text(row.extra);
  const jsonChecked = jsonColumns.has(compositeKey(row.table_schema, row.table_name, row.column_name));
  const type = classifyType(dataType, columnType, jsonChecked);
  if (type.kind === 'unknown') {
    report.push({
      level: 'degraded',
      object: `${row.table_schema}.${row.table_name}.${row.column_name}`,
      reason: `unsupported type ${columnType}: exposed read-only as text`,
    });
  }

  // View columns inherit odd defaults from their base columns (MariaDB reports 0 for an
  // auto-increment key seen through a view); views are not written through, so drop them.
  const isTable = tableKind === 'table';
  const autoIncrement = isTable && /\bauto_increment\b/i.test(extra);
  const generated = isTable && isGeneratedExtra(extra);
  const defaultValue = isTable && !generated ? defaultExpression(row, dataType, extra, mariadb) : null;

  const column: ColumnModel = {
    name: row.column_name,
    kind: type.kind,
    sqlType: columnType,
    nullable: text(row.is_nullable).toUpperCase() === 'YES',
    hasDefault: defaultValue !== null || autoIncrement || generated,
    defaultValue,
    autoIncrement,
    generated,
    length: lengthOf(type.kind, row),
    precision: precisionOf(type.kind, row),
    scale: type.kind === 'decimal' ? numOrNull(row.numeric_scale) : null,
    comment: nonEmpty(row.column_comment),
  };
  if (type.kind === 'datetime' || type.kind === 'time') column.withTimeZone = false;
  if (type.enumValues) column.enumValues = type.enumValues;
  return column;
}

/** MySQL 8: `VIRTUAL GENERATED` / `STORED GENERATED`; MariaDB: the same, or `VIRTUAL` / `PERSISTENT` before 10.2. */
function isGeneratedExtra(extra: string): boolean {
  return /(^|\s)(virtual|stored|persistent)(\s+generated)?(\s|$)/i.test(extra);
}

/**
 * The default as an SQL expression, MariaDB style: string literals quoted, expressions
 * as written, null when there is none. MariaDB (10.2.7+) already reports it that way and
 * writes a missing default as the text NULL. MySQL reports literals unquoted and marks
 * expression defaults with DEFAULT_GENERATED in EXTRA.
 */
function defaultExpression(row: ColumnRow, dataType: string, extra: string, mariadb: boolean): string | null {
  const raw = row.column_default === null || row.column_default === undefined ? null : text(row.column_default);
  if (raw === null) return null;
  if (mariadb) return raw === 'NULL' ? null : raw;
  if (/\bdefault_generated\b/i.test(extra)) return raw;
  if (NUMERIC_TYPES.has(dataType)) return raw;
  // MySQL 5.7 reports CURRENT_TIMESTAMP without DEFAULT_GENERATED.
  if ((dataType === 'datetime' || dataType === 'timestamp') && /^current_timestamp(\(\d*\))?$/i.test(raw)) return raw;
  return `'${raw.replace(/'/g, "''")}'`;
}

function lengthOf(kind: ScalarKind, row: ColumnRow): number | null {
  // JSON stored as LONGTEXT reports 4294967295, which says nothing useful.
  if (kind === 'string' || kind === 'bytes') return numOrNull(row.character_maximum_length);
  return null;
}

function precisionOf(kind: ScalarKind, row: ColumnRow): number | null {
  if (kind === 'decimal') return numOrNull(row.numeric_precision);
  // Fractional-second digits: what DATETIME(6) / TIME(6) keep.
  if (kind === 'datetime' || kind === 'time') return numOrNull(row.datetime_precision);
  return null;
}

interface Keys {
  primaryKey: string[];
  uniqueKeys: KeyModel[];
}

function noKeys(): Keys {
  return { primaryKey: [], uniqueKeys: [] };
}

function normaliseKeys(rows: IndexRow[], object: string, report: ReportEntry[]): Keys {
  const byIndex = groupBy(rows, (row) => row.index_name);
  const keys = noKeys();
  for (const name of [...byIndex.keys()].sort(compareText)) {
    const parts = (byIndex.get(name) ?? []).slice().sort((a, b) => num(a.seq_in_index) - num(b.seq_in_index));
    if (parts.some((part) => part.column_name === null || part.column_name === undefined)) {
      report.push({ level: 'info', object: `${object}.${name}`, reason: 'unique index on an expression: not used as a key' });
      continue;
    }
    const columns = parts.map((part) => String(part.column_name));
    if (name === 'PRIMARY') keys.primaryKey = columns;
    else keys.uniqueKeys.push({ name, columns });
  }
  return keys;
}

function normaliseForeignKeys(
  rows: ForeignKeyRow[],
  position: (schema: string) => number,
  object: string,
  report: ReportEntry[],
): ForeignKeyModel[] {
  const byName = groupBy(rows, (row) => row.constraint_name);
  const result: ForeignKeyModel[] = [];
  for (const name of [...byName.keys()].sort(compareText)) {
    const parts = (byName.get(name) ?? []).slice().sort((a, b) => num(a.ordinal_position) - num(b.ordinal_position));
    const first = parts[0];
    if (!first) continue;
    if (position(first.referenced_table_schema) < 0) {
      report.push({
        level: 'degraded',
        object: `${object}.${name}`,
        reason: `foreign key references ${first.referenced_table_schema}.${first.referenced_table_name}, outside the introspected schemas: relation not exposed`,
      });
      continue;
    }
    result.push({
      name,
      columns: parts.map((part) => part.column_name),
      refSchema: first.referenced_table_schema,
      refTable: first.referenced_table_name,
      refColumns: parts.map((part) => part.referenced_column_name),
    });
  }
  return result;
}

/** Columns named in a `json_valid(`col`)` check: MariaDB's JSON type is LONGTEXT plus that check. */
function jsonCheckedColumns(checks: CheckRow[]): Set<string> {
  const found = new Set<string>();
  for (const check of checks) {
    const pattern = /json_valid\(\s*(?:`((?:[^`]|``)+)`|([A-Za-z0-9_$]+))\s*\)/gi;
    for (const match of text(check.check_clause).matchAll(pattern)) {
      const column = match[1] !== undefined ? match[1].replace(/``/g, '`') : match[2];
      if (column) found.add(compositeKey(check.table_schema, check.table_name, column));
    }
  }
  return found;
}

/**
 * Index of a catalog schema name in the requested list, -1 when not requested. Falls back
 * to a case-insensitive match: with lower_case_table_names=1 (Windows, macOS) the catalog
 * reports `myshop` for a requested `MyShop`.
 */
function schemaPosition(schemas: string[]): (schema: string) => number {
  const folded = schemas.map((schema) => schema.toLowerCase());
  return (schema) => {
    const exact = schemas.indexOf(schema);
    return exact >= 0 ? exact : folded.indexOf(schema.toLowerCase());
  };
}

function nonEmpty(value: unknown): string | null {
  const t = text(value);
  return t === '' ? null : t;
}
