import type { ColumnModel, DbModel, ForeignKeyModel, ReportEntry, TableModel } from '../model/types';

/**
 * Deterministic, collision-free GraphQL names for everything in a DbModel, each kept beside
 * the SQL identifier it stands for, so resolvers always reach the right object.
 * Names that are already valid GraphQL names stay exactly as in the database.
 */

export interface NamedColumn {
  column: ColumnModel;
  field: string;
}

export interface NamedRelation {
  /** Field name on the owning type. */
  field: string;
  /** object: the owner holds the foreign key; array: the other table references the owner. */
  kind: 'object' | 'array';
  foreignKey: ForeignKeyModel;
  /** Table whose rows the field returns. */
  target: NamedTable;
  /** Columns of the owner that hold the join values, aligned with `targetColumns`. */
  ownerColumns: NamedColumn[];
  /** Columns of the target matched against the owner's values. */
  targetColumns: NamedColumn[];
}

export interface RootFieldNames {
  list: string;
  byPk: string;
  aggregate: string;
  insert: string;
  insertOne: string;
  update: string;
  updateByPk: string;
  delete: string;
  deleteByPk: string;
}

export interface NamedTable {
  table: TableModel;
  /** GraphQL-safe base: the object type's name and the stem of every derived name. */
  typeName: string;
  /** `schema.table` for messages and reports. */
  label: string;
  root: RootFieldNames;
  columns: NamedColumn[];
  /** Primary key columns in key order; empty when the table has none. */
  primaryKey: NamedColumn[];
  relations: NamedRelation[];
  /** Views are read-only. */
  writable: boolean;
}

export interface NamedModel {
  model: DbModel;
  tables: NamedTable[];
  /** Renames and degradations found while naming (the introspection report adds to it). */
  report: ReportEntry[];
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** Type names that derived names must never take: built-ins, lazydb's scalars and shared types. */
const RESERVED_TYPE_NAMES = new Set([
  'Query',
  'Mutation',
  'Subscription',
  'String',
  'Int',
  'Float',
  'Boolean',
  'ID',
  'BigInt',
  'Decimal',
  'Date',
  'Time',
  'DateTime',
  'JSON',
  'UUID',
  'Bytes',
  'order_by',
]);

/** Suffixes of every type derived from a table's base name. */
const TYPE_SUFFIXES = [
  '',
  '_bool_exp',
  '_order_by',
  '_insert_input',
  '_set_input',
  '_pk_columns_input',
  '_mutation_response',
  '_aggregate',
  '_aggregate_fields',
];

export function isGraphQLName(name: string): boolean {
  return GRAPHQL_NAME.test(name) && !name.startsWith('__');
}

/**
 * Makes any SQL identifier a GraphQL name: accents dropped (naïve -> naive), every run of
 * other characters becomes `_`, a leading digit gets `_` in front. Valid names are kept.
 */
export function toGraphQLName(identifier: string): string {
  if (isGraphQLName(identifier)) return identifier;
  const ascii = identifier.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  let name = ascii.replace(/[^_0-9A-Za-z]+/g, '_');
  if (name === '' || name === '_') name = '_x';
  if (/^[0-9]/.test(name)) name = `_${name}`;
  if (name.startsWith('__')) name = `x${name}`;
  return name;
}

/** A small English pluralisation: enough for relation names to read naturally. */
export function pluralize(word: string): string {
  if (/(s|x|z|ch|sh)$/i.test(word)) return `${word}es`;
  if (/[^aeiou]y$/i.test(word)) return `${word.slice(0, -1)}${word.endsWith('Y') ? 'IES' : 'ies'}`;
  return `${word}${/[A-Z]$/.test(word) && word.toUpperCase() === word ? 'S' : 's'}`;
}

function rootFieldNames(base: string): RootFieldNames {
  return {
    list: base,
    byPk: `${base}_by_pk`,
    aggregate: `${base}_aggregate`,
    insert: `insert_${base}`,
    insertOne: `insert_${base}_one`,
    update: `update_${base}`,
    updateByPk: `update_${base}_by_pk`,
    delete: `delete_${base}`,
    deleteByPk: `delete_${base}_by_pk`,
  };
}

/** Picks `candidate`, or `candidate_2`, `_3`, ... : the first name `isFree` accepts. */
function firstFree(candidate: string, isFree: (name: string) => boolean): string {
  if (isFree(candidate)) return candidate;
  for (let n = 2; ; n++) {
    const next = `${candidate}_${n}`;
    if (isFree(next)) return next;
  }
}

function tableLabel(table: TableModel): string {
  return table.schema ? `${table.schema}.${table.name}` : table.name;
}

function tableKey(schema: string | null, name: string): string {
  return `${schema ?? ''}\u0000${name}`;
}

export function nameModel(model: DbModel): NamedModel {
  const report: ReportEntry[] = [];
  const usedRootFields = new Set<string>();
  const usedTypeNames = new Set<string>(RESERVED_TYPE_NAMES);
  const defaultSchema = model.schemas[0] ?? null;

  const tables: NamedTable[] = [];
  const byKey = new Map<string, NamedTable>();

  for (const table of model.tables) {
    const label = tableLabel(table);
    const columns = nameColumns(table, label, report);
    if (columns.length === 0) {
      report.push({ level: 'skipped', object: label, reason: 'no columns lazydb can expose' });
      continue;
    }
    const inDefaultSchema = table.schema === null || table.schema === defaultSchema;
    const wanted = toGraphQLName(inDefaultSchema ? table.name : `${table.schema}_${table.name}`);
    const typeName = firstFree(wanted, (base) => {
      const types = TYPE_SUFFIXES.map((suffix) => `${base}${suffix}`);
      const roots = Object.values(rootFieldNames(base));
      return types.every((t) => !usedTypeNames.has(t)) && roots.every((r) => !usedRootFields.has(r));
    });
    for (const suffix of TYPE_SUFFIXES) usedTypeNames.add(`${typeName}${suffix}`);
    const root = rootFieldNames(typeName);
    for (const field of Object.values(root)) usedRootFields.add(field);
    if (typeName !== table.name) {
      report.push({ level: 'renamed', object: label, reason: `exposed as GraphQL type ${typeName}` });
    }

    const primaryKey = table.primaryKey
      .map((name) => columns.find((c) => c.column.name === name))
      .filter((c): c is NamedColumn => c !== undefined);
    const writable = table.kind === 'table';
    if (table.kind === 'view') {
      report.push({ level: 'info', object: label, reason: 'view: queries only, no mutations' });
    } else if (primaryKey.length === 0) {
      report.push({
        level: 'degraded',
        object: label,
        reason: 'no primary key: no *_by_pk operations; list, aggregate, insert and where-based update/delete only',
      });
    }

    const named: NamedTable = { table, typeName, label, root, columns, primaryKey, relations: [], writable };
    tables.push(named);
    byKey.set(tableKey(table.schema, table.name), named);
  }

  addRelations(tables, byKey, report);
  return { model, tables, report };
}

function nameColumns(table: TableModel, label: string, report: ReportEntry[]): NamedColumn[] {
  const used = new Set<string>();
  const columns: NamedColumn[] = [];
  for (const column of table.columns) {
    const field = firstFree(toGraphQLName(column.name), (name) => !used.has(name));
    used.add(field);
    if (field !== column.name) {
      report.push({ level: 'renamed', object: `${label}.${column.name}`, reason: `exposed as field ${field}` });
    }
    columns.push({ column, field });
  }
  return columns;
}

/** `artist_id` -> `artist`, `ArtistId` -> `Artist`, `SupportRepId` -> `SupportRep`; else null. */
function stripIdSuffix(name: string): string | null {
  const match = /^(.+?)(_id|Id|ID)$/.exec(name);
  return match?.[1] ? match[1] : null;
}

function addRelations(tables: NamedTable[], byKey: Map<string, NamedTable>, report: ReportEntry[]): void {
  const taken = new Map<NamedTable, Set<string>>();
  for (const t of tables) taken.set(t, new Set(t.columns.map((c) => c.field)));
  const claim = (owner: NamedTable, candidates: string[]): string => {
    const used = taken.get(owner)!;
    const free = candidates.find((c) => !used.has(c));
    const field = free ?? firstFree(candidates[candidates.length - 1]!, (n) => !used.has(n));
    used.add(field);
    return field;
  };

  // Object relations first (on the referencing table), then array relations, each in model
  // order, so the same model always yields the same names.
  const links: { owner: NamedTable; target: NamedTable; fk: ForeignKeyModel; local: NamedColumn[]; remote: NamedColumn[] }[] = [];
  for (const owner of tables) {
    for (const fk of owner.table.foreignKeys) {
      const target = byKey.get(tableKey(fk.refSchema, fk.refTable));
      const local = fk.columns.map((c) => owner.columns.find((nc) => nc.column.name === c));
      const remote = target ? fk.refColumns.map((c) => target.columns.find((nc) => nc.column.name === c)) : [];
      if (!target || local.some((c) => !c) || remote.length !== local.length || remote.some((c) => !c)) {
        report.push({
          level: 'degraded',
          object: `${owner.label}.${fk.name}`,
          reason: 'foreign key to a table or column that is not exposed: no relation field',
        });
        continue;
      }
      links.push({ owner, target, fk, local: local as NamedColumn[], remote: remote as NamedColumn[] });
    }
  }

  for (const { owner, target, fk, local, remote } of links) {
    const byColumns = `${target.typeName}_by_${local.map((c) => c.field).join('_')}`;
    const stripped = local.length === 1 ? stripIdSuffix(local[0]!.field) : null;
    const candidates = stripped ? [stripped, byColumns] : [byColumns];
    const field = claim(owner, candidates);
    owner.relations.push({ field, kind: 'object', foreignKey: fk, target, ownerColumns: local, targetColumns: remote });
  }

  // How many foreign keys each table has to each other table: counted once, not per link.
  const fkCount = new Map<NamedTable, Map<NamedTable, number>>();
  for (const { owner, target } of links) {
    const perTarget = fkCount.get(owner) ?? new Map<NamedTable, number>();
    perTarget.set(target, (perTarget.get(target) ?? 0) + 1);
    fkCount.set(owner, perTarget);
  }
  for (const { owner, target, fk, local, remote } of links) {
    const plural = pluralize(owner.typeName);
    const siblings = fkCount.get(owner)!.get(target)!;
    const byColumns = `${plural}_by_${local.map((c) => c.field).join('_')}`;
    const candidates = siblings > 1 ? [byColumns] : [plural, byColumns];
    const field = claim(target, candidates);
    target.relations.push({ field, kind: 'array', foreignKey: fk, target: owner, ownerColumns: remote, targetColumns: local });
  }
}
