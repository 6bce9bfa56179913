/**
 * The JSON the admin reads from the management API (server/admin-api): the list of
 * databases and, per database, its model with `resources` (how each table is exposed).
 * Kept free of React so the data-provider adapter and its unit tests can use it.
 */

export type ScalarKind =
  | 'int'
  | 'bigint'
  | 'float'
  | 'decimal'
  | 'string'
  | 'boolean'
  | 'date'
  | 'time'
  | 'datetime'
  | 'json'
  | 'uuid'
  | 'bytes'
  | 'enum'
  | 'unknown';

export type Dialect = 'postgres' | 'mysql' | 'mariadb' | 'oracle' | 'sqlite';

export interface FieldInfo {
  name: string;
  column: string;
  kind: ScalarKind;
  sqlType: string;
  nullable: boolean;
  hasDefault: boolean;
  autoIncrement: boolean;
  generated: boolean;
  writable: boolean;
  required: boolean;
  length: number | null;
  enumValues: string[] | null;
  comment: string | null;
}

export interface RelationInfo {
  name: string;
  kind: 'object' | 'array';
  /** The other table's resource name. */
  target: string;
  /** Columns of this table, aligned with `targetFields`. */
  fields: string[];
  targetFields: string[];
}

export interface ResourceInfo {
  /** GraphQL type name, also the REST path segment. */
  name: string;
  schema: string | null;
  table: string;
  kind: 'table' | 'view';
  comment: string | null;
  writable: boolean;
  primaryKey: string[];
  rest: string;
  graphql: {
    list: string;
    aggregate: string;
    byPk: string | null;
    insert: string | null;
    insertOne: string | null;
    update: string | null;
    updateByPk: string | null;
    delete: string | null;
    deleteByPk: string | null;
  };
  fields: FieldInfo[];
  relations: RelationInfo[];
}

export interface ReportEntry {
  level: 'skipped' | 'degraded' | 'renamed' | 'info';
  object: string;
  reason: string;
}

export interface DatabaseModel {
  dialect: Dialect;
  serverVersion: string;
  schemas: string[];
  report: ReportEntry[];
  introspectedAt: string;
  /** The introspected tables as stored (only what the admin reads is typed here). */
  tables: { schema: string | null; name: string; kind: 'table' | 'view'; columns: { name: string; withTimeZone?: boolean; defaultValue: string | null }[] }[];
  resources: ResourceInfo[];
}

export type DatabaseStatus = 'ready' | 'connecting' | 'degraded' | 'error';

export interface DatabaseInfo {
  name: string;
  dialect: Dialect;
  connection: {
    url?: string;
    host?: string;
    port?: number;
    user?: string;
    password?: string;
    database?: string;
    ssl?: boolean;
    filename?: string;
  };
  schemas: string[] | null;
  status: DatabaseStatus;
  lastError: string | null;
  tableCount: number;
  viewCount: number;
  introspectedAt: string | null;
  introspectMs: number | null;
  serverVersion: string | null;
  links: {
    graphql: string;
    gateway: string;
    rest: string;
    openapi: string;
    docs: string;
    model: string;
    sdl: string;
  };
  report?: ReportEntry[];
}

/** What a table can do in the UI, and why not when it cannot. */
export function capabilities(resource: ResourceInfo): { open: boolean; create: boolean; edit: boolean; remove: boolean; reason: string | null } {
  if (resource.kind === 'view') {
    return { open: false, create: false, edit: false, remove: false, reason: 'This is a view: lazydb serves it read-only (queries only, no inserts, updates or deletes).' };
  }
  if (!resource.writable) {
    return { open: resource.primaryKey.length > 0, create: false, edit: false, remove: false, reason: 'This table is read-only in lazydb (see the introspection report for why).' };
  }
  if (resource.primaryKey.length === 0) {
    return {
      open: false,
      create: false,
      edit: false,
      remove: false,
      reason:
        'This table has no primary key: a row cannot be addressed on its own, so the admin shows the table read-only (rows can still be inserted through its REST or GraphQL API).',
    };
  }
  return { open: true, create: true, edit: true, remove: true, reason: null };
}
