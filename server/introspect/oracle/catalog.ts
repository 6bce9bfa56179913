import type { Knex } from 'knex';

/**
 * The Oracle catalog as six queries over the ALL_* dictionary views, whatever the number
 * of tables; the owner list is bound. Rows keep Oracle's own (upper-case) column names.
 * NUMBER values arrive as strings (the connection fetches numbers as strings), so the
 * numeric fields below are typed `number | string`; the normaliser reads both.
 */

type Num = number | string | null;

export interface OracleVersionRow {
  PRODUCT: string;
  VERSION: string;
  /** 18c and later. */
  VERSION_FULL?: string | null;
}

export interface OracleObjectRow {
  OWNER: string;
  TABLE_NAME: string;
  /** TABLE, VIEW or MVIEW (a materialised view's container table). */
  OBJECT_TYPE: string;
  COMMENTS: string | null;
}

export interface OracleColumnRow {
  OWNER: string;
  TABLE_NAME: string;
  COLUMN_ID: Num;
  COLUMN_NAME: string;
  /** e.g. NUMBER, VARCHAR2, TIMESTAMP(6) WITH TIME ZONE, INTERVAL DAY(0) TO SECOND(6). */
  DATA_TYPE: string;
  /** Set for object types (SYS for XMLTYPE, MDSYS for SDO_GEOMETRY, the owner for user types). */
  DATA_TYPE_OWNER: string | null;
  DATA_LENGTH: Num;
  DATA_PRECISION: Num;
  DATA_SCALE: Num;
  CHAR_LENGTH: Num;
  /** B (byte) or C (char) length semantics for character types, else null. */
  CHAR_USED: string | null;
  NULLABLE: string;
  /** LONG column: the default expression, or the expression of a virtual column. */
  DATA_DEFAULT: string | null;
  VIRTUAL_COLUMN: string;
  IDENTITY_COLUMN: string;
  COMMENTS: string | null;
}

export interface OracleKeyRow {
  OWNER: string;
  TABLE_NAME: string;
  CONSTRAINT_NAME: string;
  /** P, U or R. */
  CONSTRAINT_TYPE: string;
  COLUMN_NAME: string;
  POSITION: Num;
  R_OWNER: string | null;
  R_CONSTRAINT_NAME: string | null;
  /** For R: the referenced table and the referenced column at the same position. */
  R_TABLE_NAME: string | null;
  R_COLUMN_NAME: string | null;
}

export interface OracleCheckRow {
  OWNER: string;
  TABLE_NAME: string;
  CONSTRAINT_NAME: string;
  SEARCH_CONDITION_VC: string | null;
}

export interface OracleUniqueIndexRow {
  TABLE_OWNER: string;
  TABLE_NAME: string;
  INDEX_NAME: string;
  COLUMN_NAME: string;
  COLUMN_POSITION: Num;
}

export interface OracleCatalog {
  version: OracleVersionRow[];
  objects: OracleObjectRow[];
  columns: OracleColumnRow[];
  keys: OracleKeyRow[];
  checks: OracleCheckRow[];
  uniqueIndexes: OracleUniqueIndexRow[];
}

const VERSION_SQL = `select * from product_component_version where product like 'Oracle%'`;

// Recycle-bin, nested, secondary (domain index) and IOT overflow tables are internal;
// materialised view logs are bookkeeping. Owners maintained by Oracle are never user data.
const objectsSql = (owners: string) => `
select t.owner as owner, t.table_name as table_name,
       case when mv.mview_name is null then 'TABLE' else 'MVIEW' end as object_type,
       c.comments as comments
from all_tables t
left join all_tab_comments c on c.owner = t.owner and c.table_name = t.table_name
left join all_mviews mv on mv.owner = t.owner and mv.mview_name = t.table_name
where t.owner in (${owners})
  and t.dropped = 'NO' and t.nested = 'NO' and t.secondary = 'N'
  and (t.iot_type is null or t.iot_type = 'IOT')
  and not exists (select 1 from all_mview_logs l where l.log_owner = t.owner and l.log_table = t.table_name)
  and t.owner not in (select u.username from all_users u where u.oracle_maintained = 'Y')
union all
select v.owner, v.view_name, 'VIEW', c.comments
from all_views v
left join all_tab_comments c on c.owner = v.owner and c.table_name = v.view_name
where v.owner in (${owners})
  and v.owner not in (select u.username from all_users u where u.oracle_maintained = 'Y')`;

// Hidden columns (invisible ones, and the system columns behind function-based indexes or
// extended statistics) are not part of the table's visible shape.
const columnsSql = (owners: string) => `
select c.owner as owner, c.table_name as table_name, c.column_id as column_id, c.column_name as column_name,
       c.data_type as data_type, c.data_type_owner as data_type_owner, c.data_length as data_length,
       c.data_precision as data_precision, c.data_scale as data_scale, c.char_length as char_length,
       c.char_used as char_used, c.nullable as nullable, c.data_default as data_default,
       c.virtual_column as virtual_column, c.identity_column as identity_column, cc.comments as comments
from all_tab_cols c
left join all_col_comments cc
  on cc.owner = c.owner and cc.table_name = c.table_name and cc.column_name = c.column_name
where c.owner in (${owners}) and c.hidden_column = 'NO'
order by c.owner, c.table_name, c.column_id`;

const keysSql = (owners: string) => `
select k.owner as owner, k.table_name as table_name, k.constraint_name as constraint_name,
       k.constraint_type as constraint_type, kc.column_name as column_name, kc.position as position,
       k.r_owner as r_owner, k.r_constraint_name as r_constraint_name,
       rc.table_name as r_table_name, rc.column_name as r_column_name
from all_constraints k
join all_cons_columns kc
  on kc.owner = k.owner and kc.constraint_name = k.constraint_name and kc.table_name = k.table_name
left join all_cons_columns rc
  on rc.owner = k.r_owner and rc.constraint_name = k.r_constraint_name and rc.position = kc.position
where k.owner in (${owners}) and k.constraint_type in ('P', 'U', 'R') and k.status = 'ENABLED'
order by k.owner, k.table_name, k.constraint_name, kc.position`;

// Only checks that could describe an enum or a JSON column; NOT NULL checks are skipped.
const checksSql = (owners: string) => `
select k.owner as owner, k.table_name as table_name, k.constraint_name as constraint_name,
       k.search_condition_vc as search_condition_vc
from all_constraints k
where k.owner in (${owners}) and k.constraint_type = 'C' and k.status = 'ENABLED'
  and k.search_condition_vc not like '% IS NOT NULL'`;

// Unique indexes created without a constraint; plain column indexes only.
const uniqueIndexesSql = (owners: string) => `
select i.table_owner as table_owner, i.table_name as table_name, i.index_name as index_name,
       ic.column_name as column_name, ic.column_position as column_position
from all_indexes i
join all_ind_columns ic on ic.index_owner = i.owner and ic.index_name = i.index_name
where i.table_owner in (${owners}) and i.uniqueness = 'UNIQUE' and i.index_type in ('NORMAL', 'NORMAL/REV')
order by i.table_owner, i.table_name, i.index_name, ic.column_position`;

export async function readCatalog(knex: Knex, schemas: string[]): Promise<OracleCatalog> {
  const version = (await knex.raw(VERSION_SQL)) as OracleVersionRow[];
  if (schemas.length === 0) return { version, objects: [], columns: [], keys: [], checks: [], uniqueIndexes: [] };
  const owners = schemas.map(() => '?').join(', ');
  const run = async <T>(sql: string, bindings: readonly string[]): Promise<T[]> => (await knex.raw(sql, bindings)) as T[];
  return {
    version,
    // The owner list appears twice in the objects query (tables, then views).
    objects: await run<OracleObjectRow>(objectsSql(owners), [...schemas, ...schemas]),
    columns: await run<OracleColumnRow>(columnsSql(owners), schemas),
    keys: await run<OracleKeyRow>(keysSql(owners), schemas),
    checks: await run<OracleCheckRow>(checksSql(owners), schemas),
    uniqueIndexes: await run<OracleUniqueIndexRow>(uniqueIndexesSql(owners), schemas),
  };
}
