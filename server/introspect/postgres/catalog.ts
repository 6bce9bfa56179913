import type { Knex } from 'knex';

/**
 * The PostgreSQL catalog, read straight from pg_catalog: information_schema hides objects
 * the user cannot write (and is several times slower on large databases) and has no
 * notion of identity-vs-serial, generated columns before 12, enum labels or domains.
 *
 * Four queries per introspection whatever the number of tables, inside one read-only
 * REPEATABLE READ transaction so they all see the same snapshot of the catalog.
 * The rows are kept as the driver returns them: they are what `normalise` consumes and
 * what test/fixtures/recorded/postgres.json stores.
 */

export interface PgCatalog {
  /** `server_version`, e.g. `15.20 (Debian 15.20-0+deb12u1)`. */
  serverVersion: string;
  /** `server_version_num`, e.g. 150020. */
  serverVersionNum: number;
  relations: PgRelationRow[];
  columns: PgColumnRow[];
  keys: PgKeyRow[];
}

export interface PgRelationRow {
  schema: string;
  name: string;
  /** pg_class.relkind: r table, p partitioned table, f foreign table, v view, m materialized view. */
  relkind: string;
  /** `schema.table` of the partitioned parent when this relation is a partition, else null. */
  partition_of: string | null;
  comment: string | null;
  /**
   * pg_class.relispopulated: false for a materialized view created WITH NO DATA and not
   * refreshed since (reading it fails). Absent in catalogs recorded before it was read.
   */
  populated?: boolean;
}

export interface PgColumnRow {
  schema: string;
  table: string;
  name: string;
  attnum: number;
  /** The declared type, as format_type prints it (a domain shows its own name). */
  sql_type: string;
  /** The type underneath any domains: pg_type.typname, its schema, typtype and typcategory. */
  base_type: string;
  base_type_schema: string;
  base_typtype: string;
  base_category: string;
  /** The effective type modifier (the column's, or the innermost domain's that sets one); -1 for none. */
  typmod: number;
  not_null: boolean;
  /** pg_attribute.attidentity: 'a' always, 'd' by default, '' none. */
  identity: string;
  /** pg_attribute.attgenerated: 's' stored, '' none (always '' before PostgreSQL 12). */
  generated: string;
  /** Column default, or the generation expression of a generated column. */
  default_expr: string | null;
  /** The default inherited from a domain, when the column has none of its own. */
  domain_default: string | null;
  comment: string | null;
  /** Enum labels in declaration order, when the (base) type is an enum. */
  enum_labels: string[] | null;
}

export interface PgKeyRow {
  schema: string;
  table: string;
  name: string;
  /** p primary key, u unique constraint, f foreign key, i unique index without a constraint. */
  type: 'p' | 'u' | 'f' | 'i';
  columns: string[];
  ref_schema: string | null;
  ref_table: string | null;
  ref_columns: string[] | null;
}

/** Relation kinds lazydb exposes: tables (plain, partitioned, foreign) and views (plain, materialized). */
const RELKINDS = ['r', 'p', 'f', 'v', 'm'];

const SYSTEM_SCHEMA_FILTER = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'`;

function placeholders(count: number): string {
  return Array.from({ length: Math.max(count, 1) }, () => '?').join(', ');
}

/**
 * The bindings for an `in (...)` list. An empty schema list still yields one placeholder
 * (bound to null, which matches nothing) so the SQL stays valid.
 */
function listBindings(values: string[]): Array<string | null> {
  return values.length > 0 ? values : [null];
}

export function relationsSql(schemaCount: number, versionNum: number): string {
  const partitionOf =
    versionNum >= 100000
      ? `case when c.relispartition then (
           select pn.nspname || '.' || pc.relname
           from pg_inherits i join pg_class pc on pc.oid = i.inhparent join pg_namespace pn on pn.oid = pc.relnamespace
           where i.inhrelid = c.oid limit 1) end`
      : 'null::text';
  return `
select n.nspname::text as schema, c.relname::text as name, c.relkind::text as relkind,
  ${partitionOf} as partition_of,
  obj_description(c.oid, 'pg_class') as comment,
  c.relispopulated as populated
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where n.nspname in (${placeholders(schemaCount)})
  and c.relkind in (${RELKINDS.map((kind) => `'${kind}'`).join(', ')})
  and ${SYSTEM_SCHEMA_FILTER}
order by n.nspname, c.relname`;
}

export function columnsSql(schemaCount: number, versionNum: number): string {
  const identity = versionNum >= 100000 ? 'a.attidentity::text' : "''::text";
  const generated = versionNum >= 120000 ? 'a.attgenerated::text' : "''::text";
  // Domains may be stacked (a domain over a domain): walk down to the real type, keeping the
  // outermost type modifier and default that are set, and NOT NULL from any level.
  return `
with recursive dom as (
  select t.oid as domain_oid, t.typbasetype as base_oid, t.typtypmod as base_typmod,
    t.typnotnull as not_null, t.typdefault as default_expr
  from pg_type t
  where t.typtype = 'd'
  union all
  select dom.domain_oid, t.typbasetype,
    case when dom.base_typmod <> -1 then dom.base_typmod else t.typtypmod end,
    dom.not_null or t.typnotnull, coalesce(dom.default_expr, t.typdefault)
  from dom join pg_type t on t.oid = dom.base_oid
  where t.typtype = 'd'
),
dom_base as (
  select dom.* from dom join pg_type bt on bt.oid = dom.base_oid where bt.typtype <> 'd'
)
select n.nspname::text as schema, c.relname::text as table, a.attname::text as name, a.attnum::int as attnum,
  format_type(a.atttypid, a.atttypmod) as sql_type,
  bt.typname::text as base_type, btn.nspname::text as base_type_schema,
  bt.typtype::text as base_typtype, bt.typcategory::text as base_category,
  (case when db.domain_oid is not null then db.base_typmod else a.atttypmod end)::int as typmod,
  (a.attnotnull or coalesce(db.not_null, false)) as not_null,
  ${identity} as identity,
  ${generated} as generated,
  pg_get_expr(ad.adbin, ad.adrelid) as default_expr,
  db.default_expr as domain_default,
  col_description(c.oid, a.attnum) as comment,
  case when bt.typtype = 'e' then (
    select json_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e where e.enumtypid = bt.oid
  ) end as enum_labels
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
left join dom_base db on db.domain_oid = a.atttypid
join pg_type bt on bt.oid = coalesce(db.base_oid, a.atttypid)
join pg_namespace btn on btn.oid = bt.typnamespace
left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
where n.nspname in (${placeholders(schemaCount)})
  and c.relkind in (${RELKINDS.map((kind) => `'${kind}'`).join(', ')})
  and ${SYSTEM_SCHEMA_FILTER}
  and a.attnum > 0 and not a.attisdropped
order by n.nspname, c.relname, a.attnum`;
}

export function keysSql(schemaCount: number, versionNum: number): string {
  // A foreign key to a partitioned table also gets one child constraint per partition
  // (conparentid <> 0): only the parent constraint is the user's.
  const topLevel = versionNum >= 110000 ? 'and con.conparentid = 0' : '';
  // Covering-index INCLUDE columns are not part of the unique key.
  const keyAttsOnly = versionNum >= 110000 ? 'and k.ord <= i.indnkeyatts' : '';
  return `
select n.nspname::text as schema, c.relname::text as table, con.conname::text as name, con.contype::text as type,
  (select json_agg(a.attname::text order by k.ord)
     from unnest(con.conkey) with ordinality as k(attnum, ord)
     join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum) as columns,
  rn.nspname::text as ref_schema, rc.relname::text as ref_table,
  (select json_agg(a.attname::text order by k.ord)
     from unnest(con.confkey) with ordinality as k(attnum, ord)
     join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum) as ref_columns
from pg_constraint con
join pg_class c on c.oid = con.conrelid
join pg_namespace n on n.oid = c.relnamespace
left join pg_class rc on rc.oid = con.confrelid
left join pg_namespace rn on rn.oid = rc.relnamespace
where con.contype in ('p', 'u', 'f')
  and n.nspname in (${placeholders(schemaCount)})
  ${topLevel}
union all
select n.nspname::text, c.relname::text, ic.relname::text, 'i',
  (select json_agg(a.attname::text order by k.ord)
     from unnest(i.indkey::int2[]) with ordinality as k(attnum, ord)
     join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
     where true ${keyAttsOnly}),
  null, null, null
from pg_index i
join pg_class ic on ic.oid = i.indexrelid
join pg_class c on c.oid = i.indrelid
join pg_namespace n on n.oid = c.relnamespace
where i.indisunique and not i.indisprimary
  -- Partial and expression indexes do not make their columns unique as such.
  and i.indpred is null and i.indexprs is null
  and not exists (
    select 1 from pg_constraint con
    where con.conindid = i.indexrelid and con.conrelid = i.indrelid and con.contype in ('p', 'u', 'x'))
  and n.nspname in (${placeholders(schemaCount)})
order by 1, 2, 4, 3`;
}

export async function readCatalog(knex: Knex, schemas: string[]): Promise<PgCatalog> {
  const bindings = listBindings(schemas);
  return knex.transaction(
    async (trx) => {
      const meta = await trx.raw<{ rows: Array<{ server_version: string; server_version_num: string }> }>(
        `select current_setting('server_version') as server_version, current_setting('server_version_num') as server_version_num`,
      );
      const first = meta.rows[0];
      const serverVersion = first?.server_version ?? '';
      const serverVersionNum = Number(first?.server_version_num ?? 0);
      const relations = await trx.raw<{ rows: PgRelationRow[] }>(relationsSql(schemas.length, serverVersionNum), bindings);
      const columns = await trx.raw<{ rows: PgColumnRow[] }>(columnsSql(schemas.length, serverVersionNum), bindings);
      const keys = await trx.raw<{ rows: PgKeyRow[] }>(keysSql(schemas.length, serverVersionNum), [...bindings, ...bindings]);
      return { serverVersion, serverVersionNum, relations: relations.rows, columns: columns.rows, keys: keys.rows };
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}
