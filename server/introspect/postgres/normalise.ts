import type { ColumnModel, DbModel, ForeignKeyModel, KeyModel, ReportEntry, ScalarKind, TableModel } from '../../model/types';
import { compareText, compositeKey, groupBy } from '../common/collections';
import type { PgCatalog, PgColumnRow, PgKeyRow, PgRelationRow } from './catalog';

/**
 * Recorded catalog rows -> DbModel. Pure: no knex, no clock (the caller passes the time),
 * so the unit tests can feed it test/fixtures/recorded/postgres.json.
 */
export function normalise(catalog: PgCatalog, schemas: string[], introspectedAt: string): DbModel {
  const report: ReportEntry[] = [];

  const relationsByKey = new Map<string, PgRelationRow>();
  for (const relation of catalog.relations) relationsByKey.set(compositeKey(relation.schema, relation.name), relation);

  const exposed: PgRelationRow[] = [];
  for (const relation of catalog.relations) {
    if (relation.partition_of !== null && isExposedParent(relation.partition_of, relationsByKey)) {
      report.push({
        level: 'skipped',
        object: `${relation.schema}.${relation.name}`,
        reason: `partition of ${relation.partition_of}: its rows are reached through that table`,
      });
      continue;
    }
    if (relation.relkind === 'm' && relation.populated === false) {
      report.push({
        level: 'degraded',
        object: `${relation.schema}.${relation.name}`,
        reason:
          'materialized view with no data (created WITH NO DATA and not refreshed since): reads answer VIEW_NOT_POPULATED ' +
          'until its owner runs REFRESH MATERIALIZED VIEW; lazydb never runs it',
      });
    }
    exposed.push(relation);
  }

  const columnsByTable = groupBy(catalog.columns, (row) => compositeKey(row.schema, row.table));
  const keysByTable = groupBy(catalog.keys, (row) => compositeKey(row.schema, row.table));
  const schemaSet = new Set(schemas);
  const exposedKeys = new Set(exposed.map((relation) => compositeKey(relation.schema, relation.name)));
  const isExposed = (schema: string, name: string) => exposedKeys.has(compositeKey(schema, name));

  const tables: TableModel[] = exposed.map((relation) => {
    const key = compositeKey(relation.schema, relation.name);
    const isView = relation.relkind === 'v' || relation.relkind === 'm';
    const columnRows = [...(columnsByTable.get(key) ?? [])].sort((a, b) => a.attnum - b.attnum);
    const columns = columnRows.map((row) => normaliseColumn(row, report));
    const table: TableModel = {
      schema: relation.schema,
      name: relation.name,
      kind: isView ? 'view' : 'table',
      columns,
      primaryKey: [],
      uniqueKeys: [],
      foreignKeys: [],
      comment: relation.comment ?? null,
    };
    if (!isView) applyKeys(table, keysByTable.get(key) ?? [], schemaSet, isExposed, report);
    return table;
  });

  const schemaOrder = new Map(schemas.map((schema, index) => [schema, index]));
  tables.sort((a, b) => {
    const bySchema = (schemaOrder.get(a.schema ?? '') ?? schemas.length) - (schemaOrder.get(b.schema ?? '') ?? schemas.length);
    if (bySchema !== 0) return bySchema;
    return compareText(a.name, b.name);
  });

  for (const schema of schemas) {
    if (!catalog.relations.some((relation) => relation.schema === schema)) {
      report.push({ level: 'info', object: schema, reason: 'no tables or views found in this schema (missing, empty or not readable)' });
    }
  }

  return {
    formatVersion: 1,
    dialect: 'postgres',
    serverVersion: catalog.serverVersion,
    schemas: [...schemas],
    tables,
    report,
    introspectedAt,
  };
}

function isExposedParent(qualified: string, relations: Map<string, PgRelationRow>): boolean {
  // `schema.table` as built by the catalog query; schema names may themselves hold dots,
  // so try every split point.
  for (let index = qualified.indexOf('.'); index >= 0; index = qualified.indexOf('.', index + 1)) {
    if (relations.has(compositeKey(qualified.slice(0, index), qualified.slice(index + 1)))) return true;
  }
  return false;
}

/** Built-in types (schema pg_catalog) by pg_type.typname. */
const BUILTIN_KINDS: Record<string, ScalarKind> = {
  int2: 'int',
  int4: 'int',
  int8: 'bigint',
  float4: 'float',
  float8: 'float',
  numeric: 'decimal',
  varchar: 'string',
  bpchar: 'string',
  text: 'string',
  name: 'string',
  char: 'string',
  bool: 'boolean',
  date: 'date',
  time: 'time',
  timetz: 'time',
  timestamp: 'datetime',
  timestamptz: 'datetime',
  json: 'json',
  jsonb: 'json',
  uuid: 'uuid',
  bytea: 'bytes',
};

/** Extension types that behave as a built-in kind wherever the extension is installed. */
const EXTENSION_KINDS: Record<string, ScalarKind> = {
  citext: 'string',
};

export function kindOf(row: Pick<PgColumnRow, 'base_type' | 'base_type_schema' | 'base_typtype' | 'base_category'>): ScalarKind {
  if (row.base_typtype === 'e') return 'enum';
  if (row.base_category === 'A') return 'unknown';
  if (row.base_type_schema === 'pg_catalog') return BUILTIN_KINDS[row.base_type] ?? 'unknown';
  return EXTENSION_KINDS[row.base_type] ?? 'unknown';
}

const VARHDRSZ = 4;

function normaliseColumn(row: PgColumnRow, report: ReportEntry[]): ColumnModel {
  const kind = kindOf(row);
  const autoIncrement = row.identity === 'a' || row.identity === 'd' || /^nextval\(/i.test(row.default_expr ?? '');
  const generated = row.generated === 's';
  // For a generated column pg_attrdef holds the generation expression, not a default.
  const defaultValue = generated ? null : (row.default_expr ?? row.domain_default ?? null);
  const column: ColumnModel = {
    name: row.name,
    kind,
    sqlType: row.sql_type,
    nullable: !row.not_null,
    hasDefault: defaultValue !== null || autoIncrement || generated,
    defaultValue,
    autoIncrement,
    generated,
    length: null,
    precision: null,
    scale: null,
    comment: row.comment ?? null,
  };
  const typmod = row.typmod;
  if (kind === 'string' && (row.base_type === 'varchar' || row.base_type === 'bpchar') && typmod >= VARHDRSZ) {
    column.length = typmod - VARHDRSZ;
  }
  if (kind === 'decimal' && typmod >= VARHDRSZ) {
    column.precision = ((typmod - VARHDRSZ) >> 16) & 0xffff;
    // PostgreSQL 15 allows negative scales, stored as an 11-bit signed number.
    column.scale = (((typmod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024;
  }
  if (kind === 'time' || kind === 'datetime') {
    column.withTimeZone = row.base_type === 'timetz' || row.base_type === 'timestamptz';
    // Fractional-second digits; PostgreSQL's default (no modifier) is 6.
    column.precision = typmod >= 0 ? typmod : 6;
  }
  if (kind === 'enum') column.enumValues = [...(row.enum_labels ?? [])];
  if (kind === 'unknown') {
    report.push({
      level: 'degraded',
      object: `${row.schema}.${row.table}.${row.name}`,
      reason: `unsupported type ${row.sql_type}: exposed read-only as text`,
    });
  }
  return column;
}

const KEY_ORDER: Record<PgKeyRow['type'], number> = { p: 0, u: 1, i: 2, f: 3 };

function applyKeys(
  table: TableModel,
  rows: PgKeyRow[],
  schemas: Set<string>,
  isExposed: (schema: string, name: string) => boolean,
  report: ReportEntry[],
): void {
  const ordered = [...rows].sort((a, b) => KEY_ORDER[a.type] - KEY_ORDER[b.type] || compareText(a.name, b.name));
  const uniqueSeen = new Set<string>();
  for (const row of ordered) {
    const columns = [...(row.columns ?? [])];
    switch (row.type) {
      case 'p':
        table.primaryKey = columns;
        uniqueSeen.add(JSON.stringify(columns));
        break;
      case 'u':
      case 'i': {
        // Two indexes over the same columns (or one repeating the primary key) add nothing.
        const signature = JSON.stringify(columns);
        if (uniqueSeen.has(signature)) break;
        uniqueSeen.add(signature);
        const key: KeyModel = { name: row.name, columns };
        table.uniqueKeys.push(key);
        break;
      }
      case 'f': {
        if (row.ref_schema === null || row.ref_table === null || !schemas.has(row.ref_schema)) {
          report.push({
            level: 'degraded',
            object: `${table.schema}.${table.name}`,
            reason: `foreign key ${row.name} references ${row.ref_schema}.${row.ref_table}, outside the introspected schemas: relation not exposed`,
          });
          break;
        }
        if (!isExposed(row.ref_schema, row.ref_table)) {
          report.push({
            level: 'degraded',
            object: `${table.schema}.${table.name}`,
            reason: `foreign key ${row.name} references ${row.ref_schema}.${row.ref_table}, which is not exposed: relation not exposed`,
          });
          break;
        }
        const foreignKey: ForeignKeyModel = {
          name: row.name,
          columns,
          refSchema: row.ref_schema,
          refTable: row.ref_table,
          refColumns: [...(row.ref_columns ?? [])],
        };
        table.foreignKeys.push(foreignKey);
        break;
      }
    }
  }
}
