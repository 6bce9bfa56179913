import type { Knex } from 'knex';

/**
 * The SQLite catalog as five queries, whatever the number of tables: the table-valued
 * pragma functions are joined to `pragma_table_list`, so one statement reads the columns
 * (or keys, or indexes) of every table at once. Rows are returned as SQLite gives them,
 * except that integers are plain numbers (the connection hands out BigInt) so the result
 * can be written to JSON and replayed by the unit tests.
 */

export interface SqliteObjectRow {
  name: string;
  /** pragma_table_list type: table, view, virtual or shadow. */
  type: string;
  /** Column count; 0 for a view whose definition no longer compiles. */
  ncol: number;
  /** 1 for a WITHOUT ROWID table. */
  wr: number;
  strict: number;
  /** The CREATE statement as stored in sqlite_schema. */
  sql: string | null;
}

export interface SqliteColumnRow {
  table_name: string;
  cid: number;
  name: string;
  /** The declared type, as written (SQLite upper-cases only its five own type names). */
  type: string;
  notnull: number;
  dflt_value: string | null;
  /** 1-based position in the primary key, 0 if not part of it. */
  pk: number;
  /** 0 normal, 1 hidden (virtual table), 2 virtual generated, 3 stored generated. */
  hidden: number;
}

export interface SqliteForeignKeyRow {
  table_name: string;
  id: number;
  seq: number;
  ref_table: string;
  from_column: string;
  /** Null when the constraint references the parent's primary key implicitly. */
  to_column: string | null;
}

export interface SqliteIndexRow {
  table_name: string;
  index_name: string;
  /** c: CREATE INDEX, u: UNIQUE constraint, pk: PRIMARY KEY constraint. */
  origin: string;
  partial: number;
  seqno: number;
  /** -1 for the rowid, -2 for an expression. */
  cid: number;
  column_name: string | null;
}

export interface SqliteCatalog {
  serverVersion: string;
  objects: SqliteObjectRow[];
  columns: SqliteColumnRow[];
  foreignKeys: SqliteForeignKeyRow[];
  /** Columns of UNIQUE indexes only. */
  indexes: SqliteIndexRow[];
}

/** SQLite reserves every name that starts with sqlite_ (any case) for itself. */
const USER_OBJECT = `lower(substr(tl.name, 1, 7)) <> 'sqlite_'`;

const OBJECTS_SQL = `
select tl.name as name, tl.type as type, tl.ncol as ncol, tl.wr as wr, tl.strict as strict, m.sql as sql
from pragma_table_list as tl
join sqlite_schema as m on m.name = tl.name and m.type in ('table', 'view')
where tl.schema = ? and ${USER_OBJECT}
order by tl.name`;

// ncol > 0 keeps views whose definition no longer compiles out of the join: reading their
// columns would fail the whole statement.
const COLUMNS_SQL = `
select tl.name as table_name, c.cid as cid, c.name as name, c.type as type, c."notnull" as "notnull",
       c.dflt_value as dflt_value, c.pk as pk, c.hidden as hidden
from pragma_table_list as tl
join pragma_table_xinfo(tl.name, tl.schema) as c
where tl.schema = ? and tl.type in ('table', 'view', 'virtual') and tl.ncol > 0 and ${USER_OBJECT}
order by tl.name, c.cid`;

const FOREIGN_KEYS_SQL = `
select tl.name as table_name, f.id as id, f.seq as seq, f."table" as ref_table, f."from" as from_column,
       f."to" as to_column
from pragma_table_list as tl
join pragma_foreign_key_list(tl.name, tl.schema) as f
where tl.schema = ? and tl.type = 'table' and ${USER_OBJECT}
order by tl.name, f.id, f.seq`;

const INDEXES_SQL = `
select tl.name as table_name, il.name as index_name, il.origin as origin, il.partial as partial,
       ii.seqno as seqno, ii.cid as cid, ii.name as column_name
from pragma_table_list as tl
join pragma_index_list(tl.name, tl.schema) as il
join pragma_index_info(il.name, tl.schema) as ii
where tl.schema = ? and tl.type = 'table' and il."unique" = 1 and ${USER_OBJECT}
order by tl.name, il.name, ii.seqno`;

/** The only schema introspected: the database file itself. */
export const SQLITE_SCHEMA = 'main';

export async function readCatalog(knex: Knex): Promise<SqliteCatalog> {
  const run = async <T>(sql: string, bindings: readonly string[]): Promise<T[]> =>
    plainRows(await knex.raw(sql, bindings)) as T[];
  const version = await run<{ version: string }>('select sqlite_version() as version', []);
  return {
    serverVersion: version[0]?.version ?? 'unknown',
    objects: await run<SqliteObjectRow>(OBJECTS_SQL, [SQLITE_SCHEMA]),
    columns: await run<SqliteColumnRow>(COLUMNS_SQL, [SQLITE_SCHEMA]),
    foreignKeys: await run<SqliteForeignKeyRow>(FOREIGN_KEYS_SQL, [SQLITE_SCHEMA]),
    indexes: await run<SqliteIndexRow>(INDEXES_SQL, [SQLITE_SCHEMA]),
  };
}

/** knex.raw on better-sqlite3 resolves to the row array; BigInts become numbers. */
function plainRows(result: unknown): Record<string, unknown>[] {
  const rows = Array.isArray(result) ? (result as Record<string, unknown>[]) : [];
  return rows.map((row) => {
    const plain: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(row)) plain[key] = typeof value === 'bigint' ? Number(value) : value;
    return plain;
  });
}
