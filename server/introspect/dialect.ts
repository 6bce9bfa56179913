import type { Knex } from 'knex';
import type { ColumnModel, ConnectionSpec, DatabaseSpec, DbModel, Dialect } from '../model/types';
import type { BoundStatement, SqlFragment, SqlSyntax } from '../sql/fragment';
import type { ConnectionHelp } from './connection-help';

export type { ConnectionHelp } from './connection-help';

/**
 * Everything lazydb knows about one SQL dialect lives behind this interface, implemented
 * once per dialect in `server/introspect/<dialect>/`. No other module branches on the
 * dialect name: they ask this object.
 */
export interface DialectModule {
  readonly dialect: Dialect;
  /** Schemas introspected when the spec names none (PostgreSQL `public`, MySQL the database, ...). */
  defaultSchemas(spec: DatabaseSpec): string[];
  /** A complete knex config (client, connection, pool) for the spec. Never logs the password. */
  knexConfig(spec: DatabaseSpec, options: ConnectOptions): Knex.Config;
  /**
   * Reads the catalog with a fixed number of queries (never one per table) and returns
   * the dialect-free model, including the introspection report.
   */
  introspect(knex: Knex, schemas: string[]): Promise<DbModel>;
  /** How the query layer must treat this dialect. */
  readonly quirks: QueryQuirks;
  /**
   * What the query layer may use on a server of this version (as introspected): resolved once
   * per database, when its schema is built, and compared (sameCapabilities) when a
   * re-introspection finds another version.
   */
  capabilitiesFor(serverVersion: string): Capabilities;
  /** Classifies a driver error so the HTTP layer can pick a status and a safe message. */
  describeError(error: unknown): DbErrorInfo;
  /** The cheapest statement the server answers, for health checks (`select 1`; Oracle needs `from dual`). */
  readonly pingQuery: string;
  /**
   * Where and as whom the spec connects: every part that decides it except the password, read
   * the way the driver will read it. The target policy checks it; a stored password is reused only
   * while it stays the same. Call it on a validated spec only.
   */
  connectionTarget(spec: DatabaseSpec): ConnectionTarget;
  /** This dialect's rules on a connection beyond the common shape: URL parameters, name syntax. */
  connectionProblems(connection: ConnectionSpec): ConnectionProblem[];
  /** Why a first connection failed, as one of a few kinds (the words are common: common/connect-failure.ts). */
  connectFailure(error: unknown): ConnectFailureKind;
  /** How a person connects: URL schemes, default port, examples, what schemas are here (GET /api/dialects). */
  readonly connectionHelp: ConnectionHelp;
  /** How compiled statements are written (quoting, placeholders) and run on this driver. */
  readonly statements: StatementDriver;
}

/**
 * Runs lazydb's compiled statements on the driver's own connection (acquired through knex's
 * pool, so transactions and pooling stay knex's), without knex's SQL text processing.
 */
export interface StatementDriver extends SqlSyntax {
  /**
   * Runs `statement` on `connection` (the driver's connection object). `inTransaction` is
   * false for a connection straight from the pool (drivers that do not auto-commit commit then).
   * Errors are the driver's own, unchanged: describeError reads them.
   */
  execute(connection: unknown, statement: BoundStatement, options: { inTransaction: boolean }): Promise<StatementResult>;
  /**
   * Stops the statement running on `connection` on the server (its client went away, or it ran
   * past the statement timeout without the server stopping it). `side` runs work on a fresh
   * connection to the same server, outside the pool (PostgreSQL pg_cancel_backend, MySQL/MariaDB
   * KILL QUERY need one). Absent where nothing can interrupt a statement (SQLite: better-sqlite3
   * runs it synchronously, on the event loop).
   */
  cancel?(connection: unknown, side: SideConnection): Promise<void>;
  /**
   * The server stops every statement at the session's statement timeout by itself (PostgreSQL
   * statement_timeout, MariaDB max_statement_time): lazydb then arms no timer of its own per
   * statement, and only watches for the client going away. False for MySQL, whose
   * max_execution_time covers read-only SELECTs only.
   */
  readonly serverBoundsStatements?: boolean;
}

/** A connection opened for one piece of work and closed after it (not a pooled one). */
export type SideConnection = <T>(work: (connection: unknown) => Promise<T>) => Promise<T>;

export interface StatementResult {
  /** Rows of a select or a RETURNING clause; empty otherwise. */
  rows: Record<string, unknown>[];
  /** Rows changed by an insert, update or delete (0 for a select). */
  affectedRows: number;
  /** The generated id of an inserted row where the driver reports one (MySQL insertId, SQLite rowid). */
  insertId?: unknown;
}

/** A server reached over TCP, or a file opened in-process (SQLite; `:memory:` for none). */
export type ConnectionTarget =
  | {
      kind: 'server';
      host: string;
      port: number;
      user: string | null;
      database: string | null;
      tls: boolean;
      /** URL parameters other than the password, sorted by name. */
      parameters: Array<[string, string]>;
    }
  | { kind: 'file'; path: string };

/** A problem with one field of `connection` (`field` is relative to it, e.g. `url`). */
export interface ConnectionProblem {
  field: string;
  message: string;
}

/**
 * What went wrong on the way to a first connection. Each kind has one fixed text, so an answer
 * never carries a banner, a version string, a path or a hint that a file exists.
 */
export type ConnectFailureKind =
  | 'refused'
  | 'timeout'
  | 'host_not_found'
  | 'unreachable'
  | 'auth_failed'
  | 'unknown_database'
  | 'unavailable'
  | 'tls'
  | 'protocol'
  | 'not_a_database';

export interface ConnectOptions {
  connectTimeoutMs: number;
  /** Upper bound of the pool; small by default, the gateway may raise it. */
  poolMax?: number;
  /**
   * Longest a statement may run, in ms, set on every session (the engine's own setting, see each
   * dialect's connection.ts); none when absent.
   */
  statementTimeoutMs?: number;
}

/**
 * What one server can do for the query layer, where that depends on the dialect and the server's
 * version: a plain frozen object (DialectModule.capabilitiesFor), resolved once per database.
 */
export interface Capabilities {
  /**
   * `INSERT … RETURNING <columns>` gives the inserted row back (PostgreSQL, SQLite, Oracle;
   * MariaDB since 10.5, MySQL never): the query layer then inserts a row in one statement instead
   * of inserting, reading it back and wrapping both in a transaction.
   */
  readonly insertReturning: boolean;
  /** `UPDATE … RETURNING <columns>` gives the changed rows back (PostgreSQL, SQLite, Oracle; neither MySQL nor MariaDB). */
  readonly updateReturning: boolean;
  /**
   * How one statement returns related rows as JSON built by the server (PostgreSQL, MariaDB ≥
   * 10.6); the query layer then reads nested relations with their parents. Null: per level.
   */
  readonly nestedJson: NestedJsonQuirks | null;
}

/**
 * Whether the query layer makes the same choices with `a` as with `b`: every member the same
 * (nested JSON quirks are module constants, so the same object).
 */
export function sameCapabilities(a: Capabilities, b: Capabilities): boolean {
  const keys = Object.keys(a) as (keyof Capabilities)[];
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

export interface QueryQuirks {
  /**
   * The clause that follows an insert or update to give its rows back, as rows keyed by SQL
   * column name in the statement's result (` returning …`; Oracle: ` returning … into` out binds,
   * which its statement driver turns into rows). Used where the server's Capabilities say so.
   */
  returning(columns: readonly string[]): SqlFragment;
  /**
   * ORDER BY ... NULLS FIRST/LAST is understood (PostgreSQL, SQLite, Oracle). When false the
   * query layer emulates it with an `(x is null)` sort key (MySQL, MariaDB).
   */
  readonly nativeNullsOrdering: boolean;
  /**
   * A case-sensitive LIKE of `column` (a qualified identifier) against `pattern` (a bound
   * value). Patterns use `%`, `_` and backslash as the escape character on every engine;
   * `negate` for NOT.
   */
  like(column: SqlFragment, pattern: string, negate: boolean): SqlFragment;
  /** As `like`, ignoring case. */
  ilike(column: SqlFragment, pattern: string, negate: boolean): SqlFragment;
  /** The clause that takes a page (`limit … offset …` or the engine's form); either may be absent. */
  page(limit: SqlFragment | null, offset: SqlFragment | null): SqlFragment;
  /** `insert into <table> …` for a row given no values (every column takes its default; `firstColumn` names one where the engine needs it). */
  insertDefaults(table: SqlFragment, firstColumn: SqlFragment): SqlFragment;
  /** Driver value -> canonical JSON value (see server/model/codec.ts for the canonical forms). */
  decode(column: ColumnModel, value: unknown): unknown;
  /** Canonical value (as validated by the GraphQL scalars) -> value to bind for the driver. */
  encode(column: ColumnModel, value: unknown): unknown;
}

/** SQL fragments for reading nested rows as JSON arrays. */
export interface NestedJsonQuirks {
  /** Most values one JSON array may be built from in one call (a function-argument limit). */
  readonly maxItems: number;
  /**
   * The value of `column` (the qualified identifier `ref`) as a JSON array item. Null when the
   * value cannot travel through JSON exactly: the relation is then read per level.
   */
  item(column: ColumnModel, ref: SqlFragment): SqlFragment | null;
  /** One row as a JSON array of `items`. */
  array(items: readonly SqlFragment[]): SqlFragment;
  /**
   * Where a relation's page (filter, order, limit, offset) is taken:
   * - `derived`: in a derived table correlated with the parent row (PostgreSQL); `aggregate`
   *   folds its rows' arrays in `order` (the row number), ignoring limit and offset.
   * - `inside`: inside the aggregate, for engines that cannot correlate a derived table (MariaDB);
   *   `aggregate` folds the matching rows' arrays in the `order`, `limit` and `offset` given.
   */
  readonly page: 'derived' | 'inside';
  /** The rows' arrays as one JSON array, `[]` when empty — or, when `counted`, `[count of matching rows, array]`. */
  aggregate(rows: SqlFragment, order: SqlFragment, limit: SqlFragment, offset: SqlFragment): SqlFragment;
  /**
   * The engine may cut a JSON value short, or make it NULL, without an error (MariaDB at
   * group_concat_max_len and max_allowed_packet, with a warning only). Then `aggregate` gives
   * `[count, rows]`, never NULL, and a NULL related row whose reference is set counts as a cut,
   * so that a cut shows and the read is answered per level instead. Only with `page: 'inside'`.
   */
  readonly counted: boolean;
  /** Item as the driver parsed it from JSON -> canonical value. */
  decode(column: ColumnModel, value: unknown): unknown;
}

export type DbErrorKind =
  | 'unique_violation'
  | 'foreign_key_violation'
  | 'not_null_violation'
  | 'check_violation'
  | 'invalid_value'
  | 'auth_failed'
  | 'unreachable'
  | 'unknown_database'
  | 'timeout'
  /** The statement ran past the statement timeout and the server cancelled it. */
  | 'statement_timeout'
  /** A materialized view read before its first REFRESH (PostgreSQL `WITH NO DATA`). */
  | 'not_populated'
  | 'other';

export interface DbErrorInfo {
  kind: DbErrorKind;
  /** The driver's reason, safe to show: no password, no stack, no SQL text. */
  message: string;
  /** The violated constraint, when the driver says which. */
  constraint?: string;
}
