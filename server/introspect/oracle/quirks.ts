import type { Capabilities, QueryQuirks } from '../dialect';
import type { ColumnModel } from '../../model/types';
import { decodeValue, encodeValue } from '../../model/codec';
import { sql } from '../../sql/fragment';
import { returningInto } from './statements';
import { offsetMinutes, pad, wallClockInUtc } from '../common/datetime';
import type { WallClock } from '../common/datetime';

// RETURNING writes into out binds (`returning … into :n`); the statement driver hands their
// values back as rows (statements.ts). Not exercised against a live server here.
const capabilities: Capabilities = Object.freeze({ insertReturning: true, updateReturning: true, nestedJson: null });

export function oracleCapabilities(): Capabilities {
  return capabilities;
}

/**
 * What node-oracledb (Thin mode) hands back under connection.ts: NUMBER as text (".5" for
 * one half: Oracle's own spelling), CLOB as text, BLOB/RAW as Buffer, native JSON as
 * parsed values, BOOLEAN as boolean, and DATE/TIMESTAMP as JS Dates built by the driver:
 * DATE and TIMESTAMP from the wall-clock fields in the process's local zone, the zoned
 * kinds as the UTC instant. Writes bind text in the session's ISO-8601 NLS formats.
 */
export const oracleQuirks: QueryQuirks = {
  returning(columns) {
    return returningInto(columns);
  },

  nativeNullsOrdering: true,

  like(column, pattern, negate) {
    // Oracle has no default escape character; lazydb's patterns use backslash everywhere.
    return sql`${column} ${sql.keyword(negate ? 'not like' : 'like')} ${sql.value(pattern)} escape '\'`;
  },

  ilike(column, pattern, negate) {
    return sql`lower(${column}) ${sql.keyword(negate ? 'not like' : 'like')} lower(${sql.value(pattern)})`;
  },

  page(limit, offset) {
    // Oracle 12c+ row limiting: OFFSET must come before FETCH.
    return sql`${offset ? sql` offset ${offset} rows` : sql.empty}${limit ? sql` fetch next ${limit} rows only` : sql.empty}`;
  },

  insertDefaults(table, firstColumn) {
    // Oracle has no DEFAULT VALUES: one column set to DEFAULT gives every column its default.
    return sql`insert into ${table} (${firstColumn}) values (default)`;
  },

  decode(column: ColumnModel, value: unknown): unknown {
    if (value === null || value === undefined) return null;
    switch (column.kind) {
      case 'bigint':
      case 'decimal':
        return typeof value === 'string' ? oracleNumberText(value) : decodeValue(column, value);
      case 'datetime':
        return value instanceof Date ? dateTimeFromDriver(column, value) : decodeValue(column, value);
      case 'json':
        if (Buffer.isBuffer(value)) return decodeValue(column, value.toString('utf8'));
        return decodeValue(column, value);
      case 'unknown':
        return intervalText(value) ?? decodeValue(column, value);
      default:
        return decodeValue(column, value);
    }
  },

  encode(column: ColumnModel, value: unknown): unknown {
    if (value === null || value === undefined) return null;
    switch (column.kind) {
      case 'datetime':
        return toOracleDateTime(column, value instanceof Date ? value.toISOString() : String(value));
      case 'bigint':
      case 'decimal':
        // Text keeps every digit; the session's NLS_NUMERIC_CHARACTERS makes '.' the separator.
        return typeof value === 'string' ? value : String(value);
      default:
        return encodeValue(column, value);
    }
  },
};

/** Oracle prints numbers below one without the leading zero (".5", "-.25"). */
export function oracleNumberText(text: string): string {
  if (text.startsWith('.')) return `0${text}`;
  if (text.startsWith('-.')) return `-0${text.slice(1)}`;
  return text;
}

function dateTimeFromDriver(column: ColumnModel, value: Date): string {
  if (column.withTimeZone || /LOCAL TIME ZONE/i.test(column.sqlType)) return value.toISOString();
  // Naive DATE/TIMESTAMP: the driver placed the stored wall-clock fields in local time.
  const text =
    `${pad(value.getFullYear(), 4)}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}` +
    `T${pad(value.getHours())}:${pad(value.getMinutes())}:${pad(value.getSeconds())}`;
  return /^DATE$/i.test(column.sqlType) ? text : `${text}.${pad(value.getMilliseconds(), 3)}`;
}

/**
 * Canonical datetime -> the text the session's NLS formats read back (connection.ts):
 * DATE `YYYY-MM-DDTHH:MI:SS`, TIMESTAMP `...SS.FF6`, WITH TIME ZONE `...FF6+HH:MM`.
 * Naive columns receive UTC wall time (the session zone); zoned ones keep the offset.
 */
export function toOracleDateTime(column: ColumnModel, value: string): string {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.(\d+))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/.exec(value);
  if (!match) return value; // let the server reject it with its own message
  const [, y = '', mo = '', d = '', h = '00', mi = '00', s = '00', digits = '', zone] = match;
  const isDate = /^DATE$/i.test(column.sqlType);
  const fraction = (digits + '000000').slice(0, 6);
  const keepOffset = column.withTimeZone === true;
  let wall: WallClock = { y, mo, d, h, mi, s };
  let offset = '+00:00';
  if (keepOffset) {
    if (zone && zone !== 'Z' && zone !== 'z') offset = formatOffset(zone);
  } else {
    const minutes = offsetMinutes(zone);
    if (minutes !== 0) wall = wallClockInUtc(wall, minutes);
  }
  const base = `${wall.y}-${wall.mo}-${wall.d}T${wall.h}:${wall.mi}:${wall.s}`;
  if (isDate) return base;
  return keepOffset ? `${base}.${fraction}${offset}` : `${base}.${fraction}`;
}

function formatOffset(zone: string): string {
  const digits = zone.slice(1).replace(':', '');
  return `${zone[0]}${digits.slice(0, 2)}:${(digits.slice(2, 4) || '00').padEnd(2, '0')}`;
}

/** INTERVAL values arrive as driver objects; give them Oracle's literal form. */
export function intervalText(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value) || value instanceof Date) return undefined;
  const interval = value as Record<string, unknown>;
  const abs = (part: unknown) => Math.abs(Number(part ?? 0));
  const negative = (...parts: unknown[]) => parts.some((part) => Number(part) < 0);
  if ('days' in interval && 'hours' in interval && 'fseconds' in interval) {
    const { days, hours, minutes, seconds, fseconds } = interval;
    const sign = negative(days, hours, minutes, seconds, fseconds) ? '-' : '+';
    const nanos = String(abs(fseconds)).padStart(9, '0');
    return `${sign}${abs(days)} ${pad(abs(hours))}:${pad(abs(minutes))}:${pad(abs(seconds))}.${nanos}`;
  }
  if ('years' in interval && 'months' in interval) {
    const sign = negative(interval.years, interval.months) ? '-' : '+';
    return `${sign}${abs(interval.years)}-${pad(abs(interval.months))}`;
  }
  return undefined;
}
