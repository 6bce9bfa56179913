import type { ColumnModel, DbModel, ForeignKeyModel, KeyModel, ReportEntry, ScalarKind, TableModel } from '../../model/types';
import { compareText, compositeKey, groupBy, num, numOrNull } from '../common/collections';
import type { OracleCatalog, OracleCheckRow, OracleColumnRow } from './catalog';

/**
 * Recorded Oracle catalog rows -> DbModel. Pure: no knex, no clock. Identifiers are kept
 * exactly as the dictionary stores them (usually upper case; quoted names as written).
 */
export function normaliseOracle(catalog: OracleCatalog, schemas: string[], introspectedAt: string): DbModel {
  const report: ReportEntry[] = [];
  const schemaRank = new Map(schemas.map((schema, index) => [schema, index]));
  const columnsByTable = groupBy(catalog.columns, (row) => compositeKey(row.OWNER, row.TABLE_NAME));
  const checksByTable = groupBy(catalog.checks, (row) => compositeKey(row.OWNER, row.TABLE_NAME));

  const objects = catalog.objects
    .filter((object) => schemaRank.has(object.OWNER))
    .sort(
      (a, b) =>
        (schemaRank.get(a.OWNER) ?? 0) - (schemaRank.get(b.OWNER) ?? 0) || compareText(a.TABLE_NAME, b.TABLE_NAME),
    );

  const tables: TableModel[] = [];
  for (const object of objects) {
    const key = compositeKey(object.OWNER, object.TABLE_NAME);
    const rows = (columnsByTable.get(key) ?? []).sort((a, b) => num(a.COLUMN_ID) - num(b.COLUMN_ID));
    if (rows.length === 0) {
      report.push({ level: 'skipped', object: `${object.OWNER}.${object.TABLE_NAME}`, reason: 'no visible columns' });
      continue;
    }
    const isView = object.OBJECT_TYPE !== 'TABLE';
    const checks = readChecks(checksByTable.get(key) ?? []);
    tables.push({
      schema: object.OWNER,
      name: object.TABLE_NAME,
      kind: isView ? 'view' : 'table',
      columns: rows.map((row) => buildColumn(row, checks, report)),
      primaryKey: [],
      uniqueKeys: [],
      foreignKeys: [],
      comment: object.COMMENTS ?? null,
    });
    if (object.OBJECT_TYPE === 'MVIEW') {
      report.push({
        level: 'info',
        object: `${object.OWNER}.${object.TABLE_NAME}`,
        reason: 'materialised view: exposed read-only, like a view',
      });
    }
  }
  attachKeys(tables, catalog, schemaRank, report);

  return {
    formatVersion: 1,
    dialect: 'oracle',
    serverVersion: serverVersion(catalog),
    schemas: [...schemas],
    tables,
    report,
    introspectedAt,
  };
}

function serverVersion(catalog: OracleCatalog): string {
  const row = catalog.version[0];
  if (!row) return 'Oracle Database';
  return `${row.PRODUCT.trim()} ${(row.VERSION_FULL ?? row.VERSION).trim()}`;
}

interface CheckFacts {
  enums: Map<string, string[]>;
  json: Set<string>;
}

function buildColumn(row: OracleColumnRow, checks: CheckFacts, report: ReportEntry[]): ColumnModel {
  const object = `${row.OWNER}.${row.TABLE_NAME}.${row.COLUMN_NAME}`;
  const type = mapOracleType(row);
  let kind = type.kind;
  let enumValues: string[] | undefined;
  const values = checks.enums.get(row.COLUMN_NAME);
  if (kind === 'string' && values) {
    kind = 'enum';
    enumValues = values;
  }
  // Before native JSON (21c), JSON lived in VARCHAR2/CLOB/BLOB columns with an IS JSON check.
  if ((kind === 'string' || kind === 'bytes') && checks.json.has(row.COLUMN_NAME)) kind = 'json';
  if (kind === 'unknown') {
    report.push({ level: 'degraded', object, reason: `unsupported type ${type.sqlType}: exposed read-only as text` });
  }
  if (kind === 'datetime') {
    for (const reason of thinDriverDateTimeLimits(type)) report.push({ level: 'degraded', object, reason });
  }
  const autoIncrement = row.IDENTITY_COLUMN === 'YES';
  const generated = row.VIRTUAL_COLUMN === 'YES';
  const defaultText = row.DATA_DEFAULT === null ? null : row.DATA_DEFAULT.trim();
  // A virtual column's DATA_DEFAULT is its expression, not a default; an explicit
  // `DEFAULT NULL` is stored as the text NULL and is no default either.
  const defaultValue = generated || defaultText === '' || defaultText?.toUpperCase() === 'NULL' ? null : defaultText;
  const column: ColumnModel = {
    name: row.COLUMN_NAME,
    kind,
    sqlType: type.sqlType,
    nullable: row.NULLABLE !== 'N',
    hasDefault: defaultValue !== null || autoIncrement || generated,
    defaultValue,
    autoIncrement,
    generated,
    length: type.length,
    precision: type.precision,
    scale: type.scale,
    comment: row.COMMENTS ?? null,
  };
  if (type.withTimeZone !== undefined) column.withTimeZone = type.withTimeZone;
  if (enumValues) column.enumValues = enumValues;
  return column;
}

/**
 * node-oracledb in Thin mode decodes DATE/TIMESTAMP values into JS Dates in the client,
 * whatever fetchAsString says: fractional digits beyond milliseconds are lost, and a
 * TIMESTAMP WITH TIME ZONE comes back as the instant (in UTC), without its offset.
 * Writes are exact (values are bound as text). Said once per affected column.
 */
function thinDriverDateTimeLimits(type: MappedType): string[] {
  const reasons: string[] = [];
  if (type.precision !== null && type.precision > 3) {
    reasons.push(
      `the Oracle Thin driver reads ${type.sqlType} with millisecond precision: digits beyond 3 are lost on read (writes are exact)`,
    );
  }
  if (type.withTimeZone) {
    reasons.push('the Oracle Thin driver reads the instant in UTC: the stored offset is not returned');
  }
  return reasons;
}

export interface MappedType {
  kind: ScalarKind;
  sqlType: string;
  length: number | null;
  precision: number | null;
  scale: number | null;
  withTimeZone?: boolean;
}

/** DATA_TYPE plus length/precision/scale -> kind, per the dialect brief's NUMBER rules. */
export function mapOracleType(row: Pick<
  OracleColumnRow,
  'DATA_TYPE' | 'DATA_TYPE_OWNER' | 'DATA_LENGTH' | 'DATA_PRECISION' | 'DATA_SCALE' | 'CHAR_LENGTH' | 'CHAR_USED'
>): MappedType {
  const dataType = row.DATA_TYPE.trim();
  const precision = numOrNull(row.DATA_PRECISION);
  const scale = numOrNull(row.DATA_SCALE);
  const plain = (kind: ScalarKind, sqlType = dataType): MappedType => ({
    kind,
    sqlType,
    length: null,
    precision: null,
    scale: null,
  });
  if (row.DATA_TYPE_OWNER && !['SYS', 'PUBLIC'].includes(row.DATA_TYPE_OWNER)) {
    return plain('unknown', `${row.DATA_TYPE_OWNER}.${dataType}`);
  }
  switch (dataType) {
    case 'NUMBER': {
      if (precision === null && scale === null) return plain('decimal', 'NUMBER');
      if (scale === 0) {
        if (precision === null) return { ...plain('decimal', 'NUMBER(*,0)'), scale: 0 };
        const sqlType = `NUMBER(${precision})`;
        if (precision <= 9) return { ...plain('int', sqlType), precision, scale: 0 };
        if (precision <= 18) return { ...plain('bigint', sqlType), precision, scale: 0 };
        return { ...plain('decimal', sqlType), precision, scale: 0 };
      }
      return { ...plain('decimal', `NUMBER(${precision ?? '*'},${scale ?? 0})`), precision, scale };
    }
    case 'FLOAT':
      return { ...plain('float', precision === null ? 'FLOAT' : `FLOAT(${precision})`), precision };
    case 'BINARY_FLOAT':
    case 'BINARY_DOUBLE':
      return plain('float');
    case 'VARCHAR2':
    case 'NVARCHAR2':
    case 'CHAR':
    case 'NCHAR': {
      const length = numOrNull(row.CHAR_LENGTH) || numOrNull(row.DATA_LENGTH);
      const unit = dataType.startsWith('N') ? '' : row.CHAR_USED === 'C' ? ' CHAR' : row.CHAR_USED === 'B' ? ' BYTE' : '';
      return { ...plain('string', `${dataType}(${length ?? ''}${unit})`), length };
    }
    case 'CLOB':
    case 'NCLOB':
    case 'LONG':
      return plain('string');
    case 'DATE':
      // Oracle DATE carries a time of day (to the second).
      return { ...plain('datetime'), withTimeZone: false };
    case 'RAW': {
      const length = numOrNull(row.DATA_LENGTH);
      return { ...plain('bytes', `RAW(${length ?? ''})`), length };
    }
    case 'BLOB':
    case 'LONG RAW':
      return plain('bytes');
    case 'JSON':
      return plain('json');
    case 'BOOLEAN':
      return plain('boolean');
    default:
      break;
  }
  const timestamp = /^TIMESTAMP(?:\((\d+)\))?( WITH (LOCAL )?TIME ZONE)?$/.exec(dataType);
  if (timestamp) {
    const fraction = timestamp[1] !== undefined ? Number(timestamp[1]) : scale;
    // WITH LOCAL TIME ZONE is stored normalised and shown in the session zone (UTC here):
    // its values carry no offset of their own.
    const withTimeZone = timestamp[2] !== undefined && timestamp[3] === undefined;
    return { ...plain('datetime'), precision: fraction, withTimeZone };
  }
  return plain('unknown');
}

/**
 * Simple CHECK conditions: `col IN ('a', 'b')` (an enum) and `col IS JSON`. Oracle keeps
 * the condition as written; an unquoted name is folded to upper case, as Oracle does.
 */
export function readChecks(rows: OracleCheckRow[]): CheckFacts {
  const facts: CheckFacts = { enums: new Map(), json: new Set() };
  const name = String.raw`("(?:[^"])+"|[A-Za-z][A-Za-z0-9_$#]*)`;
  const literal = String.raw`'(?:[^']|'')*'`;
  const inList = new RegExp(String.raw`^\s*\(?\s*${name}\s+IN\s*\(\s*(${literal}(?:\s*,\s*${literal})*)\s*\)\s*\)?\s*$`, 'i');
  const isJson = new RegExp(String.raw`^\s*\(?\s*${name}\s+IS\s+JSON\b[^)]*\)?\s*$`, 'i');
  for (const row of rows) {
    const condition = row.SEARCH_CONDITION_VC ?? '';
    const enumMatch = inList.exec(condition);
    if (enumMatch) {
      const values = [...(enumMatch[2] ?? '').matchAll(new RegExp(literal, 'g'))].map((m) =>
        m[0].slice(1, -1).replace(/''/g, "'"),
      );
      facts.enums.set(identifier(enumMatch[1] ?? ''), values);
      continue;
    }
    const jsonMatch = isJson.exec(condition);
    if (jsonMatch) facts.json.add(identifier(jsonMatch[1] ?? ''));
  }
  return facts;
}

function identifier(text: string): string {
  return text.startsWith('"') ? text.slice(1, -1) : text.toUpperCase();
}

function attachKeys(
  tables: TableModel[],
  catalog: OracleCatalog,
  schemaRank: Map<string, number>,
  report: ReportEntry[],
): void {
  const byKey = new Map(tables.filter((table) => table.kind === 'table').map((table) => [compositeKey(table.schema ?? '', table.name), table]));

  for (const [, rows] of groupBy(catalog.keys, (row) => compositeKey(row.OWNER, row.TABLE_NAME, row.CONSTRAINT_NAME))) {
    const ordered = [...rows].sort((a, b) => num(a.POSITION) - num(b.POSITION));
    const first = ordered[0];
    if (!first) continue;
    const table = byKey.get(compositeKey(first.OWNER, first.TABLE_NAME));
    if (!table) continue;
    const columns = ordered.map((row) => row.COLUMN_NAME);
    switch (first.CONSTRAINT_TYPE) {
      case 'P':
        table.primaryKey = columns;
        break;
      case 'U':
        table.uniqueKeys.push({ name: first.CONSTRAINT_NAME, columns });
        break;
      case 'R': {
        const object = `${first.OWNER}.${first.TABLE_NAME}.${first.CONSTRAINT_NAME}`;
        const refSchema = first.R_OWNER;
        const refTableName = first.R_TABLE_NAME;
        const refTable = refSchema && refTableName ? byKey.get(compositeKey(refSchema, refTableName)) : undefined;
        const refColumns = ordered.map((row) => row.R_COLUMN_NAME);
        if (!refSchema || !refTableName || !schemaRank.has(refSchema) || !refTable) {
          const target = refSchema && refTableName ? `${refSchema}.${refTableName}` : 'a table this user cannot see';
          report.push({
            level: 'degraded',
            object,
            reason: `foreign key references ${target}, outside the introspected schemas: relation dropped`,
          });
          break;
        }
        if (refColumns.some((name) => name === null)) {
          report.push({ level: 'degraded', object, reason: 'referenced key columns are not visible: relation dropped' });
          break;
        }
        const key: ForeignKeyModel = {
          name: first.CONSTRAINT_NAME,
          columns,
          refSchema,
          refTable: refTable.name,
          refColumns: refColumns as string[],
        };
        table.foreignKeys.push(key);
        break;
      }
      default:
        break;
    }
  }

  for (const [, rows] of groupBy(catalog.uniqueIndexes, (row) => compositeKey(row.TABLE_OWNER, row.TABLE_NAME, row.INDEX_NAME))) {
    const ordered = [...rows].sort((a, b) => num(a.COLUMN_POSITION) - num(b.COLUMN_POSITION));
    const first = ordered[0];
    if (!first) continue;
    const table = byKey.get(compositeKey(first.TABLE_OWNER, first.TABLE_NAME));
    if (!table) continue;
    const columns = ordered.map((row) => row.COLUMN_NAME);
    // Indexes that back the primary key or a UNIQUE constraint are already keys.
    const known = [table.primaryKey, ...table.uniqueKeys.map((key) => key.columns)];
    if (known.some((existing) => sameSet(existing, columns))) continue;
    const key: KeyModel = { name: first.INDEX_NAME, columns };
    table.uniqueKeys.push(key);
  }

  for (const table of tables) {
    table.uniqueKeys.sort((a, b) => compareText(a.name, b.name));
    table.foreignKeys.sort((a, b) => compareText(a.name, b.name));
  }
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((name) => b.includes(name));
}
