import type { ConnectionHelp } from '../introspect/connection-help';
import type { ConnectionSpec, DbModel, Dialect, ReportEntry, ScalarKind } from '../model/types';

/**
 * The JSON the management API answers (/api/databases, /api/dialects), as types only: the server
 * builds its answers against them and the admin (admin/src) imports them with `import type`, so the
 * two cannot drift apart. Nothing here may import code (only types from modules that import none
 * themselves): the admin's bundle erases these imports, and its type check reads every file
 * reached from here.
 */

export type { ConnectionHelp, ConnectionSpec, Dialect, ReportEntry, ScalarKind };

/**
 * - connecting: introspecting (first start, reconnect); - ready: serving, the server answers;
 * - degraded: serving, but every connection has been busy past the probe's bound;
 * - error: the server does not answer (or introspection failed; lazydb retries).
 */
export type DatabaseStatus = 'connecting' | 'ready' | 'degraded' | 'error';

/** One registered database: GET /api/databases lists them, the other routes answer one. */
export interface DatabaseInfo {
  name: string;
  dialect: Dialect;
  /** As registered, every password (field, URL userinfo, secret URL parameter) masked. */
  connection: ConnectionSpec;
  schemas: string[] | null;
  /** The database's own statement timeout in ms; null: LAZYDB_STATEMENT_TIMEOUT_MS applies. */
  statementTimeoutMs: number | null;
  status: DatabaseStatus;
  lastError: string | null;
  tableCount: number;
  viewCount: number;
  introspectedAt: string | null;
  introspectMs: number | null;
  /** Naming, building and validating the GraphQL schema after the last introspection. */
  buildMs: number | null;
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
  /** Only in the answers about one database: what introspection skipped, degraded or renamed. */
  report?: ReportEntry[];
}

/** GET /api/databases. */
export interface DatabaseList {
  databases: DatabaseInfo[];
  /** Registry entries not served since start, and why. */
  skipped: Array<{ name: string; reason: string }>;
}

/** One column of a table as the APIs expose it. */
export interface FieldInfo {
  /** The GraphQL field name (also the REST property). */
  name: string;
  /** The SQL column it stands for. */
  column: string;
  kind: ScalarKind;
  sqlType: string;
  nullable: boolean;
  hasDefault: boolean;
  autoIncrement: boolean;
  generated: boolean;
  withTimeZone: boolean;
  writable: boolean;
  /** Must be given on insert (writable, not nullable, no default). */
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
  /** Fields of this table, aligned with `targetFields`. */
  fields: string[];
  targetFields: string[];
}

/** How one table or view is exposed: GraphQL names, REST path, fields and relations. */
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
  /** Root field names; null where the table does not have that operation. */
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

/** GET /api/databases/:name/model: the introspected model as stored, and how each table is exposed. */
export type DatabaseModel = DbModel & { resources: ResourceInfo[] };

/** POST /api/databases/test. */
export interface ConnectionTestResult {
  ok: true;
  serverVersion: string;
  tables: number;
  views: number;
  introspectMs: number;
}

/** POST /api/databases/:name/refresh. */
export interface RefreshResult {
  changed: boolean;
  database: DatabaseInfo;
}

/** DELETE /api/databases/:name. */
export interface RemoveResult {
  removed: string;
}

/** One supported dialect and how to connect to it. */
export interface DialectInfo extends ConnectionHelp {
  dialect: Dialect;
}

/** GET /api/dialects: every dialect lazydb supports, in a fixed order. */
export interface DialectList {
  dialects: DialectInfo[];
}

/** A problem with one field of a request body, e.g. `connection.port`; `(body)` for the body itself. */
export interface FieldError {
  field: string;
  message: string;
}

/** Every error answer: `code` is stable, `message` says what to fix; validation adds `fields`. */
export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    fields?: FieldError[];
    /** Why a connection failed, as one of a few kinds (422 CONNECTION_FAILED). */
    reason?: string;
    /** The setting that refused a target (403 TARGET_NOT_ALLOWED). */
    setting?: string;
  };
}

/** Steps of GET /api/usage's series. */
export type UsageStep = 'minute' | 'hour';

/** Request counts and latency over some span of the usage rollups. */
export interface UsageFigures {
  requests: number;
  /** Requests answered with an error (a status of 400 or more, or a GraphQL error code). */
  errors: number;
  /** Rows returned: not counted yet (always 0). */
  rows: number;
  /** Mean, median and 95th percentile in ms; the percentiles are estimated from fixed latency buckets (5 … 2500 ms). Null without requests. */
  avgMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** One step of the series: `time` is its start (ISO-8601). */
export interface UsagePoint extends UsageFigures {
  time: string;
}

/**
 * GET /api/usage: the series per step in the window (every step present, zeros included), the
 * totals of the window, and the same per database and per table. Tables are GraphQL type
 * names (REST's resource names); `''` is a request that names none (a gateway request's
 * database, an unknown route), `(several)` one that touched several, `other` one beyond the cap.
 */
export interface UsageReport {
  from: string;
  to: string;
  step: UsageStep;
  filter: { database: string | null; table: string | null; principal: string | null };
  series: UsagePoint[];
  totals: UsageFigures;
  databases: Array<UsageFigures & { database: string }>;
  tables: Array<UsageFigures & { database: string; table: string }>;
  /** The GraphQL operations with the most requests in the window's hours (literal values replaced by `_`; at most 100 distinct per database and hour, the rest as hash `other`). */
  operations: UsageOperation[];
}

/** One normalised GraphQL operation: its hash, the start of its text, its counts. */
export interface UsageOperation {
  database: string;
  hash: string;
  sample: string;
  requests: number;
  errors: number;
  avgMs: number | null;
}
