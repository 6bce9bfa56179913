import type { NamedColumn, NamedModel, NamedRelation, NamedTable } from '../schema/naming';
import type { ColumnList, PermissionDocument, TableRules } from './document';

/**
 * What a role's schema offers, table by table: the shape of the API, not the rows (row filters
 * and checks are the data source's, server/permissions/restricted-source.ts). Pure: derived from
 * a permission document and the model it was validated against; the schema builder reads it to
 * leave out everything else (server/schema/build.ts).
 */
export interface SchemaAccess {
  /** By GraphQL type name. A table without an entry is absent from the role's schema. */
  readonly tables: ReadonlyMap<string, TableAccess>;
}

export interface TableAccess {
  /** null: no select rule, so no object type, no list, no `returning` (mutations answer `affected_rows` only). */
  readonly select: SelectAccess | null;
  /** Fields the role gives values for (its columns minus preset ones, writable only); null: no insert. */
  readonly insert: ReadonlySet<string> | null;
  /** Fields the role may change (minus preset ones, writable only); null: no update. */
  readonly update: ReadonlySet<string> | null;
  readonly delete: boolean;
}

export interface SelectAccess {
  /** Fields the role reads. Never empty: a select rule of no columns is no select at all. */
  readonly columns: ReadonlySet<string>;
  readonly aggregate: boolean;
  /** `<table>_by_pk` (and the by-key mutations): only when every primary-key column is selectable. */
  readonly byPk: boolean;
}

function listed(list: ColumnList, candidates: readonly NamedColumn[]): Set<string> {
  if (list === '*') return new Set(candidates.map((c) => c.field));
  const wanted = new Set(list);
  return new Set(candidates.filter((c) => wanted.has(c.field)).map((c) => c.field));
}

/** Columns a client may write: not computed by the database and of a type lazydb can encode (as build.ts's isWritable). */
function writableColumns(table: NamedTable): NamedColumn[] {
  return table.columns.filter((c) => !c.column.generated && c.column.kind !== 'unknown');
}

function withoutPresets(columns: Set<string>, set: Readonly<Record<string, unknown>> | undefined): ReadonlySet<string> {
  for (const field of Object.keys(set ?? {})) columns.delete(field);
  return columns;
}

function tableAccess(table: NamedTable, rules: TableRules): TableAccess | null {
  let select: SelectAccess | null = null;
  if (rules.select) {
    const columns = listed(rules.select.columns, table.columns);
    if (columns.size > 0) {
      const byPk = table.primaryKey.length > 0 && table.primaryKey.every((c) => columns.has(c.field));
      select = { columns, aggregate: rules.select.aggregate === true, byPk };
    }
  }
  // Views take no writes whatever a document says (validation refuses such rules; this is the backstop).
  const writable = table.writable ? writableColumns(table) : null;
  const insert = writable && rules.insert ? withoutPresets(listed(rules.insert.columns, writable), rules.insert.set) : null;
  const update = writable && rules.update ? withoutPresets(listed(rules.update.columns, writable), rules.update.set) : null;
  const del = writable !== null && rules.delete !== undefined;
  if (!select && !insert && !update && !del) return null;
  return { select, insert, update, delete: del };
}

/** The shape of the schema `doc` allows on `named`. Rules for tables the model lacks are ignored (servableRules reports them). */
export function schemaAccessOf(doc: PermissionDocument, named: NamedModel): SchemaAccess {
  const tables = new Map<string, TableAccess>();
  for (const table of named.tables) {
    const rules = Object.hasOwn(doc, table.typeName) ? doc[table.typeName] : undefined;
    if (!rules) continue;
    const access = tableAccess(table, rules);
    if (access) tables.set(table.typeName, access);
  }
  return { tables };
}

/**
 * The model as the role sees it, for REST (routes, `where=`/`order_by=`/`include=` checks, the
 * OpenAPI document): only the tables it can select, each with only its selectable columns, its
 * relations to such tables, and its primary key only when `_by_pk` is offered (a row URL needs
 * the key). Copies of the tables: the full model is left as it is, and shared.
 */
export function roleNamedModel(named: NamedModel, access: SchemaAccess): NamedModel {
  const copies = new Map<NamedTable, NamedTable>();
  for (const table of named.tables) {
    const select = access.tables.get(table.typeName)?.select;
    if (!select) continue;
    copies.set(table, {
      ...table,
      columns: table.columns.filter((c) => select.columns.has(c.field)),
      primaryKey: select.byPk ? table.primaryKey : [],
      relations: [],
    });
  }
  for (const [table, copy] of copies) {
    copy.relations = table.relations
      .filter((r) => copies.has(r.target))
      .map((r): NamedRelation => ({ ...r, target: copies.get(r.target)! }));
  }
  return { model: named.model, tables: [...copies.values()], report: named.report };
}
