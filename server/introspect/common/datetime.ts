/**
 * Moving canonical datetimes to UTC wall-clock time, for the dialects whose naive
 * timestamp types would otherwise drop (or misread) an offset. Pure string/number work.
 */

export function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** `Z`, `+02`, `+0230`, `-02:30` -> minutes east of UTC; no zone counts as UTC. */
export function offsetMinutes(zone: string | undefined): number {
  if (!zone || zone === 'Z' || zone === 'z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0');
  return zone.startsWith('-') ? -minutes : minutes;
}

/** Date and time-of-day fields as written (zero-padded digits). */
export interface WallClock {
  y: string;
  mo: string;
  d: string;
  h: string;
  mi: string;
  s: string;
}

/**
 * The UTC wall clock of `wall` read at `offset` minutes east of UTC, carrying across day,
 * month and year boundaries. Always goes through Date, so out-of-range fields roll over.
 */
export function wallClockInUtc(wall: WallClock, offset: number): WallClock {
  // setUTCFullYear rather than Date.UTC, which maps years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(Number(wall.y), Number(wall.mo) - 1, Number(wall.d));
  date.setUTCHours(Number(wall.h), Number(wall.mi) - offset, Number(wall.s), 0);
  return {
    y: pad(date.getUTCFullYear(), 4),
    mo: pad(date.getUTCMonth() + 1),
    d: pad(date.getUTCDate()),
    h: pad(date.getUTCHours()),
    mi: pad(date.getUTCMinutes()),
    s: pad(date.getUTCSeconds()),
  };
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2}))?(\.\d+)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Canonical date or datetime -> `YYYY-MM-DD[ HH:MM:SS[.f]]` in UTC, without a zone, the
 * fractional digits kept exactly as given. Text that is not a datetime comes back unchanged
 * (the database then accepts or rejects it with its own message).
 */
export function toUtcDateTimeText(value: string): string {
  const match = DATETIME.exec(value);
  if (!match) return value;
  const [, y = '', mo = '', d = '', h, mi = '00', s = '00', fraction = '', zone] = match;
  if (h === undefined) return `${y}-${mo}-${d}`;
  const offset = offsetMinutes(zone);
  const wall = offset === 0 ? { y, mo, d, h, mi, s } : wallClockInUtc({ y, mo, d, h, mi, s }, offset);
  return `${wall.y}-${wall.mo}-${wall.d} ${wall.h}:${wall.mi}:${wall.s}${fraction}`;
}
