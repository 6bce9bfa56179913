import type { Capabilities, QueryQuirks } from '../dialect';
import type { ColumnModel } from '../../model/types';
import { decodeValue, encodeValue } from '../../model/codec';
import { sql } from '../../sql/fragment';
import { returningList } from '../common/returning';
import { toUtcDateTimeText } from '../common/datetime';

// SQLite >= 3.35 understands RETURNING (better-sqlite3 reads its rows like a select's). Nested
// relations are read per level.
const capabilities: Capabilities = Object.freeze({ insertReturning: true, updateReturning: true, nestedJson: null });

export function sqliteCapabilities(): Capabilities {
  return capabilities;
}

/**
 * SQLite values are dynamically typed: a column's declared type is a hint, so decoding
 * accepts whatever storage class comes back. With safe integers on (connection.ts) every
 * INTEGER arrives as a BigInt; the generic codec already turns those into numbers for int,
 * float and boolean kinds and into digit strings for bigint/decimal.
 */
export const sqliteQuirks: QueryQuirks = {
  // NULLS FIRST/LAST exists since SQLite 3.30.
  nativeNullsOrdering: true,

  like(column, pattern, negate) {
    // SQLite's LIKE ignores ASCII case; GLOB is its case-sensitive matcher.
    return sql`${column} ${sql.keyword(negate ? 'not glob' : 'glob')} ${sql.value(likeToGlob(pattern))}`;
  },

  ilike(column, pattern, negate) {
    // SQLite's LIKE already ignores ASCII case; lower() on both sides states the intent.
    // Neither folds non-ASCII letters (that needs the ICU extension).
    return sql`lower(${column}) ${sql.keyword(negate ? 'not like' : 'like')} lower(${sql.value(pattern)})`;
  },

  page(limit, offset) {
    // SQLite takes OFFSET only after a LIMIT; -1 is its "no limit".
    if (!limit && !offset) return sql.empty;
    return sql` limit ${limit ?? sql.value(-1)}${offset ? sql` offset ${offset}` : sql.empty}`;
  },

  returning: returningList,

  insertDefaults(table) {
    return sql`insert into ${table} default values`;
  },

  decode(column: ColumnModel, value: unknown): unknown {
    if (value === null || value === undefined) return null;
    switch (column.kind) {
      case 'decimal':
        // NUMERIC affinity stores an integer or a double; print the double without exponent.
        return typeof value === 'number' ? plainNumberText(value) : String(value);
      case 'uuid':
        if (Buffer.isBuffer(value) && value.length === 16) return formatUuid(value);
        return decodeValue(column, value);
      default:
        return decodeValue(column, value);
    }
  },

  encode(column: ColumnModel, value: unknown): unknown {
    if (value === null || value === undefined) return null;
    switch (column.kind) {
      case 'boolean':
        return value === true || value === 1 || value === 'true' ? 1 : 0;
      case 'bigint':
        // A JS number would round beyond 2^53; BigInt binds as an exact 64-bit integer.
        if (typeof value === 'bigint') return value;
        return /^-?\d+$/.test(String(value)) ? BigInt(String(value)) : value;
      case 'datetime':
        return column.withTimeZone ? String(value) : toSqliteDateTime(String(value));
      case 'uuid':
        return String(value).toLowerCase();
      default:
        return encodeValue(column, value);
    }
  },
};

/** A LIKE pattern (`%`, `_`, backslash escapes) as the equivalent GLOB pattern. */
export function likeToGlob(pattern: string): string {
  let glob = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '\\' && i + 1 < pattern.length) glob += globLiteral(pattern[++i]!);
    else if (char === '%') glob += '*';
    else if (char === '_') glob += '?';
    else glob += globLiteral(char);
  }
  return glob;
}

function globLiteral(char: string): string {
  return char === '*' || char === '?' || char === '[' ? `[${char}]` : char;
}

/**
 * Canonical datetime -> `YYYY-MM-DD HH:MM:SS[.f]` in UTC: the form SQLite's own
 * CURRENT_TIMESTAMP and datetime() produce, so stored values keep sorting and comparing
 * as text. The fractional digits are kept exactly as given.
 */
export function toSqliteDateTime(value: string): string {
  return toUtcDateTimeText(value);
}

/** `1e-7` -> `0.0000001`, `1.5e21` -> `1500000000000000000000`; other numbers as JS prints them. */
export function plainNumberText(value: number): string {
  const text = String(value);
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign = '', whole = '', fraction = '', exponentText = '0'] = match;
  const digits = whole + fraction;
  const point = whole.length + Number(exponentText);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
