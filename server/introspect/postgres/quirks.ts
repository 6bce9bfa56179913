import type { Knex } from 'knex';
import type { ColumnModel } from '../../model/types';
import { decodeValue, encodeValue } from '../../query/codec';
import type { QueryQuirks } from '../dialect';

export const postgresQuirks: QueryQuirks = {
  supportsReturning: true,
  nativeNullsOrdering: true,

  whereLike(builder: Knex.QueryBuilder, column: Knex.Raw, pattern: string, negate: boolean): void {
    builder.whereRaw(negate ? '? not like ?' : '? like ?', [column, pattern]);
  },

  whereILike(builder: Knex.QueryBuilder, column: Knex.Raw, pattern: string, negate: boolean): void {
    // The text cast lets the same filter work on enum, uuid and citext columns, where
    // ILIKE has no operator of its own; on text/varchar it is a no-op.
    builder.whereRaw(negate ? '?::text not ilike ?' : '?::text ilike ?', [column, pattern]);
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
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
  }
  // setUTCFullYear rather than Date.UTC, which maps years 0-99 to 1900-1999.
  const utc = new Date(0);
  utc.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  utc.setUTCHours(Number(hour), Number(minute) - offsetMinutes, Number(second ?? '0'), 0);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return (
    `${pad(utc.getUTCFullYear(), 4)}-${pad(utc.getUTCMonth() + 1)}-${pad(utc.getUTCDate())} ` +
    `${pad(utc.getUTCHours())}:${pad(utc.getUTCMinutes())}:${pad(utc.getUTCSeconds())}${fraction ?? ''}`
  );
}
