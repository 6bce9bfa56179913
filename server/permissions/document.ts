import type { BoolExp } from '../schema/source';

/**
 * A role's permissions on one database, in Hasura's shape: per table (its GraphQL type name, as
 * the API names it), per operation. What a role has no entry for, it may not do (deny by
 * default). Stored per (database, role) in the registry; `PUT /api/databases/:name/permissions/:role`.
 *
 * Filters and checks are GraphQL `where` expressions of that table (relations included). A value
 * may name a session variable instead of a literal: a string starting with `X-Lazydb-`
 * (case-insensitive), e.g. `{ "owner": { "_eq": "X-Lazydb-User-Id" } }`. Session values are
 * always bound as values, never written into SQL text.
 */
export type PermissionDocument = Record<string, TableRules>;

export interface TableRules {
  select?: SelectRule;
  insert?: InsertRule;
  update?: UpdateRule;
  delete?: DeleteRule;
}

/** `"*"`: every column of the table, now and after later schema changes. */
export type ColumnList = readonly string[] | '*';

export interface SelectRule {
  columns: ColumnList;
  /** Rows the role sees: ANDed with every read of the table, at every level. `{}` is every row. */
  filter: BoolExp;
  /** Most rows one read of the table answers (a cap on `limit`); absent: LAZYDB_MAX_LIMIT. */
  limit?: number;
  /** Whether `<table>_aggregate` is offered. @default false */
  aggregate?: boolean;
}

export interface InsertRule {
  /** Columns the role may give values for. */
  columns: ColumnList;
  /** Each inserted row must pass it, checked in the same transaction (rolled back otherwise). */
  check: BoolExp;
  /** Column presets, set by the server whatever the client sends (the column is hidden from the input): literals or session variables. */
  set?: Readonly<Record<string, unknown>>;
}

export interface UpdateRule {
  columns: ColumnList;
  /** Rows the role may update (ANDed with the mutation's where). */
  filter: BoolExp;
  /** Each row as updated must pass it, in the same transaction. */
  check?: BoolExp;
  set?: Readonly<Record<string, unknown>>;
}

export interface DeleteRule {
  filter: BoolExp;
}

export type Operation = 'select' | 'insert' | 'update' | 'delete';
export const OPERATIONS: readonly Operation[] = ['select', 'insert', 'update', 'delete'];

/** A value of a filter or preset that names a session variable (`X-Lazydb-User-Id`…): its lower-case name, else null. */
export function sessionVariableName(value: unknown): string | null {
  return typeof value === 'string' && /^x-lazydb-[a-z0-9_-]{1,64}$/i.test(value) ? value.toLowerCase() : null;
}
