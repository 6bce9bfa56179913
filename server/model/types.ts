/**
 * The dialect-free description of a database, as produced by introspection and stored
 * as plain JSON in schema-cache/<name>.json. Nothing here may depend on knex or a driver:
 * the schema builder and the admin read it as it is.
 */

export const DIALECTS = ['postgres', 'mysql', 'mariadb', 'oracle', 'sqlite'] as const;
export type Dialect = (typeof DIALECTS)[number];

/**
 * The normalised type of a column. It decides the GraphQL scalar, the filter operators
 * and how values are decoded from / encoded for the driver.
 *  - int: fits in 32 bits (GraphQL Int)        - bigint: 64-bit integer, exact, as a string
 *  - float: binary floating point               - decimal: exact numeric, as a string
 *  - string: text of any length                 - boolean
 *  - date: YYYY-MM-DD   - time: HH:MM:SS[.f]    - datetime: ISO-8601 (with offset when the column has one)
 *  - json  - uuid  - bytes: base64             - enum: one of `enumValues`
 *  - unknown: a type lazydb cannot map; exposed read-only as its text form (reported)
 */
export const SCALAR_KINDS = [
  'int',
  'bigint',
  'float',
  'decimal',
  'string',
  'boolean',
  'date',
  'time',
  'datetime',
  'json',
  'uuid',
  'bytes',
  'enum',
  'unknown',
] as const;
export type ScalarKind = (typeof SCALAR_KINDS)[number];

export interface ColumnModel {
  /** The SQL identifier, exactly as the database spells it. */
  name: string;
  kind: ScalarKind;
  /** The type as the catalog reports it (for docs and the report), e.g. `character varying(120)`. */
  sqlType: string;
  nullable: boolean;
  /** The column has a default expression (the insert input makes it optional). */
  hasDefault: boolean;
  /** The default expression as the catalog reports it, or null. */
  defaultValue: string | null;
  /** Identity, serial or auto-increment: the database assigns it. */
  autoIncrement: boolean;
  /** Computed by the database (generated/virtual column): never written. */
  generated: boolean;
  /** Whether the column has a time zone (datetime/time kinds only). */
  withTimeZone?: boolean;
  length: number | null;
  precision: number | null;
  scale: number | null;
  /** For kind `enum`: the allowed values, in declaration order. */
  enumValues?: string[];
  comment: string | null;
}

export interface KeyModel {
  /** Constraint name (may be synthesised by the dialect when the catalog has none). */
  name: string;
  columns: string[];
}

export interface ForeignKeyModel {
  name: string;
  /** Local columns, in constraint order. */
  columns: string[];
  /** Referenced table: schema (null where the dialect has none) and name. */
  refSchema: string | null;
  refTable: string;
  /** Referenced columns, aligned with `columns`. */
  refColumns: string[];
}

export interface TableModel {
  /** The schema (PostgreSQL/Oracle schema, MySQL database); null for SQLite. */
  schema: string | null;
  name: string;
  kind: 'table' | 'view';
  columns: ColumnModel[];
  /** Primary key columns in key order; empty when the table has none. */
  primaryKey: string[];
  uniqueKeys: KeyModel[];
  foreignKeys: ForeignKeyModel[];
  comment: string | null;
}

export type ReportLevel = 'skipped' | 'degraded' | 'renamed' | 'info';

export interface ReportEntry {
  level: ReportLevel;
  /** What it concerns: `schema.table`, `schema.table.column` or a constraint. */
  object: string;
  reason: string;
}

export interface DbModel {
  /** Format version of this JSON; bump when the shape changes. */
  formatVersion: 1;
  dialect: Dialect;
  serverVersion: string;
  /** The schemas that were introspected, in the configured order (first = default). */
  schemas: string[];
  tables: TableModel[];
  /** Objects skipped or degraded by introspection, and why. */
  report: ReportEntry[];
  introspectedAt: string;
}

/** How to reach a database. Either `url`, or the discrete fields, or (SQLite) `filename`. */
export interface ConnectionSpec {
  url?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  ssl?: boolean;
  filename?: string;
}

export interface DatabaseSpec {
  name: string;
  dialect: Dialect;
  connection: ConnectionSpec;
  /** Schemas to introspect; defaults per dialect when absent. */
  schemas?: string[];
  /**
   * Longest a statement on this database may run, in ms; LAZYDB_STATEMENT_TIMEOUT_MS when absent.
   * Not part of where the spec connects (a stored password stays usable when it changes).
   */
  statementTimeoutMs?: number;
}
