import type { ColumnModel } from '../../model/types';
import { decodeValue, encodeValue } from '../../model/codec';
import { sql } from '../../sql/fragment';
import { returningList } from '../common/returning';
import type { Capabilities, NestedJsonQuirks, QueryQuirks } from '../dialect';
import { offsetMinutes, wallClockInUtc } from '../common/datetime';

/**
 * Kinds that go into nested JSON as they are: their JSON form is the value itself (bytea's is
 * its hex text, decoded below). The rest travel as their text output, as the driver reads them.
 */
const AS_IS_IN_JSON: ReadonlySet<ColumnModel['kind']> = new Set(['int', 'float', 'boolean', 'json', 'string', 'enum', 'uuid', 'bytes']);

const nestedJson: NestedJsonQuirks = {
  // PostgreSQL functions take at most 100 arguments.
  maxItems: 100,
  item(column, ref) {
    return AS_IS_IN_JSON.has(column.kind) ? ref : sql`${ref}::text`;
  },
  array(items) {
    return sql`json_build_array(${sql.join(items, ', ')})`;
  },
  page: 'derived',
  aggregate(rows, order) {
    return sql`coalesce(json_agg(${rows} order by ${order}), '[]'::json)`;
  },
  // json_agg has no size limit short of PostgreSQL's 1 GB, past which it fails loudly.
  counted: false,
  decode(column, value) {
    // bytea inside JSON is its hex text output (`\x0102`), where the driver would give a Buffer.
    if (column.kind === 'bytes' && typeof value === 'string' && value.startsWith('\\x')) {
      return decodeValue(column, Buffer.from(value.slice(2), 'hex'));
    }
    return postgresQuirks.decode(column, value);
  },
};

/** Every supported PostgreSQL has RETURNING and builds nested rows as JSON, whatever its version. */
const capabilities: Capabilities = Object.freeze({ insertReturning: true, updateReturning: true, nestedJson });

export function postgresCapabilities(): Capabilities {
  return capabilities;
}

export const postgresQuirks: QueryQuirks = {
  nativeNullsOrdering: true,

  like(column, pattern, negate) {
    return sql`${column} ${sql.keyword(negate ? 'not like' : 'like')} ${sql.value(pattern)}`;
  },

  ilike(column, pattern, negate) {
    // The text cast lets the same filter work on enum, uuid and citext columns, where
    // ILIKE has no operator of its own; on text/varchar it is a no-op.
    return sql`${column}::text ${sql.keyword(negate ? 'not ilike' : 'ilike')} ${sql.value(pattern)}`;
  },

  page(limit, offset) {
    return sql`${limit ? sql` limit ${limit}` : sql.empty}${offset ? sql` offset ${offset}` : sql.empty}`;
  },

  returning: returningList,

  insertDefaults(table) {
    return sql`insert into ${table} default values`;
  },

  decode(column: ColumnModel, value: unknown): unknown {
    if (value === null || value === undefined) return null;
    // pg has already parsed json/jsonb: a JSON string value arrives as a JS string that must
    // not be parsed a second time ("123" would become 123).
    if (column.kind === 'json') return value;
    return decodeValue(column, value);
  },

  encode(column: ColumnModel, value: unknown): unknown {
    if (value === null || value === undefined) return null;
    if (column.kind === 'datetime' && column.withTimeZone !== true && typeof value === 'string') {
      // PostgreSQL silently drops an offset given to a timestamp without time zone; the
      // session runs in UTC, so convert to UTC wall-clock time instead of losing it.
      return toUtcWallClock(value);
    }
    return encodeValue(column, value);
  },
};

const DATETIME_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * `2024-01-02T03:04:05.123456+02:00` -> `2024-01-02 01:04:05.123456` (fraction digits kept
 * verbatim); values without an offset are returned unchanged.
 */
export function toUtcWallClock(text: string): string {
  const match = DATETIME_WITH_OFFSET.exec(text.trim());
  if (!match) return text;
  const [, y = '', mo = '', d = '', h = '', mi = '', s = '00', fraction = '', zone] = match;
  const utc = wallClockInUtc({ y, mo, d, h, mi, s }, offsetMinutes(zone));
  return `${utc.y}-${utc.mo}-${utc.d} ${utc.h}:${utc.mi}:${utc.s}${fraction}`;
}
