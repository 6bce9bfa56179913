import type { Capabilities, NestedJsonQuirks, QueryQuirks } from '../dialect';
import type { ColumnModel } from '../../model/types';
import { decodeValue, encodeValue } from '../../model/codec';
import { sql } from '../../sql/fragment';
import { returningList } from '../common/returning';
import { isMariaDbVersion } from './version';
import { offsetMinutes, pad, toUtcDateTimeText } from '../common/datetime';

/**
 * MySQL/MariaDB DATETIME and TIME have no zone and reject ISO `T`/`Z` forms in strict
 * mode. Canonical datetimes carrying an offset are moved to UTC (the session zone set in
 * connection.ts), keeping the fractional digits exactly as given.
 */
export function toMysqlDateTime(value: string): string {
  return toUtcDateTimeText(value);
}

/** `HH:MM:SS[.f][Z|±hh:mm]` -> the UTC wall time without a zone (wrapping around midnight). */
export function toMysqlTime(value: string): string {
  const match = /^(\d{2}):(\d{2})(?::(\d{2}))?(\.\d+)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)$/.exec(value);
  if (!match) return value;
  const [, h, mi, s = '00', fraction = '', zone] = match;
  const minutes = (((Number(h) * 60 + Number(mi) - offsetMinutes(zone)) % 1440) + 1440) % 1440;
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}:${s}${fraction}`;
}

/**
 * MariaDB ≥ 10.6 builds nested rows as JSON: JSON_ARRAYAGG takes ORDER BY and LIMIT … OFFSET,
 * which a page needs because MariaDB cannot correlate a derived table with the parent row (no
 * LATERAL). MySQL 8's JSON_ARRAYAGG takes neither: MySQL keeps per-level reads.
 * Values travel as the text the server would send for them (CAST … AS CHAR), so they decode
 * exactly as a top-level read; integers and booleans as numbers, bytes as hex.
 */
const mariadbNestedJson: NestedJsonQuirks = {
  maxItems: 1000,
  item(column, ref) {
    switch (column.kind) {
      case 'int':
        return ref;
      case 'boolean':
        return sql`(${ref} <> 0)`;
      case 'bytes':
        // HEX() of a BIT value is the hex of its number, not of its bytes: BIT columns read per level.
        return /^bit/i.test(column.sqlType) ? null : sql`hex(${ref})`;
      case 'unknown':
        return null;
      default:
        return sql`cast(${ref} as char)`;
    }
  },
  array(items) {
    return sql`json_array(${sql.join(items, ', ')})`;
  },
  page: 'inside',
  aggregate(rows, order, limit, offset) {
    return sql`json_array(count(*), json_arrayagg(${rows} order by ${order} limit ${limit} offset ${offset}))`;
  },
  // JSON_ARRAYAGG stops at group_concat_max_len and max_allowed_packet with a warning only.
  counted: true,
  decode(column, value) {
    if (column.kind === 'bytes' && typeof value === 'string') return decodeValue(column, Buffer.from(value, 'hex'));
    return mysqlQuirks.decode(column, value);
  },
};

/**
 * MySQL and MariaDB by the server's version (MySQL: none of these). No UPDATE … RETURNING on
 * either: the query layer re-reads by key, or appends RETURNING to single inserts where the
 * server has it (MariaDB 10.5). JSON_ARRAYAGG takes ORDER BY and LIMIT from 10.5 too; the
 * nested-read suites have run on 10.11 only, so the first release line of the feature (10.5,
 * out of support) keeps per-level reads.
 */
export function mysqlCapabilities(serverVersion: string): Capabilities {
  return Object.freeze({
    insertReturning: mariadbAtLeast(serverVersion, 10, 5),
    updateReturning: false,
    nestedJson: mariadbAtLeast(serverVersion, 10, 6) ? mariadbNestedJson : null,
  });
}

export const mysqlQuirks: QueryQuirks = {
  // MySQL has no NULLS FIRST/LAST; the query layer sorts on `(x is null)` instead.
  nativeNullsOrdering: false,

  like(column, pattern, negate) {
    // The default collations ignore case; a binary collation over utf8mb4 compares exactly while
    // `_` still matches one character (a plain BINARY comparison would match one byte).
    return sql`convert(${column} using utf8mb4) collate utf8mb4_bin ${sql.keyword(negate ? 'not like' : 'like')} ${sql.value(pattern)}`;
  },

  ilike(column, pattern, negate) {
    // Explicit lower() on both sides: _bin and binary collations compare case-sensitively.
    return sql`lower(${column}) ${sql.keyword(negate ? 'not like' : 'like')} lower(${sql.value(pattern)})`;
  },

  page(limit, offset) {
    // MySQL takes OFFSET only after a LIMIT; the largest unsigned 64-bit number is its "no limit".
    if (!limit && !offset) return sql.empty;
    return sql` limit ${limit ?? sql.value(18446744073709551615n)}${offset ? sql` offset ${offset}` : sql.empty}`;
  },

  returning: returningList,

  insertDefaults(table) {
    return sql`insert into ${table} () values ()`;
  },

  decode(column: ColumnModel, value: unknown): unknown {
    // The generic codec already covers what mysql2 hands back under our connection
    // options: 0/1 (and BIT Buffers) for booleans, JSON as text, bytes as Buffer,
    // temporal values as text, BIGINT/DECIMAL as strings.
    return decodeValue(column, value);
  },

  encode(column: ColumnModel, value: unknown): unknown {
    if (value === null || value === undefined) return null;
    if (column.kind === 'datetime') {
      return toMysqlDateTime(value instanceof Date ? value.toISOString() : String(value));
    }
    if (column.kind === 'time' && typeof value === 'string') return toMysqlTime(value);
    return encodeValue(column, value);
  },
};

/** `10.11.19-MariaDB-0+deb12u1` and the like, at `major.minor` or later; never MySQL. */
export function mariadbAtLeast(serverVersion: string, major: number, minor: number): boolean {
  if (!isMariaDbVersion(serverVersion)) return false;
  const match = /^(\d+)\.(\d+)/.exec(serverVersion.replace(/^5\.5\.5-/, ''));
  if (!match) return false;
  const [have, haveMinor] = [Number(match[1]), Number(match[2])];
  return have > major || (have === major && haveMinor >= minor);
}
