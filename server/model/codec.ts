import type { ColumnModel } from './types';

/**
 * Canonical values: what lazydb puts in GraphQL/REST responses and accepts as input.
 *   int: number        bigint, decimal: string of digits (exact)     float: number
 *   boolean            date: YYYY-MM-DD    time: HH:MM:SS[.f][±hh:mm]
 *   datetime: YYYY-MM-DDTHH:MM:SS[.f][Z|±hh:mm]   json: any JSON value   uuid: lower-case
 *   bytes: base64      enum, string: string       unknown: its text form
 * Dialect quirks call these generic codecs and only handle what differs.
 */

export function decodeValue(column: ColumnModel, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (column.kind) {
    case 'int':
    case 'float':
      return typeof value === 'number' ? value : Number(value);
    case 'bigint':
    case 'decimal':
      return typeof value === 'string' ? value : String(value);
    case 'boolean':
      return decodeBoolean(value);
    case 'date':
      return value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10);
    case 'time':
      return normaliseOffset(trimFraction(String(value)));
    case 'datetime':
      return value instanceof Date ? value.toISOString() : normaliseDateTime(String(value));
    case 'json':
      return typeof value === 'string' ? parseJsonOrText(value) : value;
    case 'uuid':
      return String(value).toLowerCase();
    case 'bytes':
      return toBase64(value);
    case 'enum':
    case 'string':
      return typeof value === 'string' ? value : String(value);
    case 'unknown':
      return textForm(value);
  }
}

export function encodeValue(column: ColumnModel, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (column.kind) {
    case 'json':
      return JSON.stringify(value);
    case 'bytes':
      return Buffer.from(String(value), 'base64');
    default:
      return value;
  }
}

export function decodeBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'bigint') return value !== 0n;
  if (Buffer.isBuffer(value)) return value.length > 0 && value[0] !== 0;
  const text = String(value).toLowerCase();
  return text === '1' || text === 't' || text === 'true' || text === 'y' || text === 'yes';
}

/** `2024-01-02 03:04:05.50+02` -> `2024-01-02T03:04:05.5+02:00`: ISO-8601, significant digits kept. */
export function normaliseDateTime(text: string): string {
  const withT = text.length > 10 && text[10] === ' ' ? `${text.slice(0, 10)}T${text.slice(11)}` : text;
  return normaliseOffset(trimFraction(withT));
}

/**
 * Drops trailing zeros of fractional seconds (`12:00:00.500000` -> `12:00:00.5`,
 * `.000000` -> nothing): MySQL prints every digit of the column's precision, PostgreSQL only
 * the significant ones; the same instant should read the same on every engine.
 */
export function trimFraction(text: string): string {
  return text.replace(/(\d\d:\d\d:\d\d)\.(\d*?)0+(?=$|[^\d])/, (_m, time: string, digits: string) => (digits ? `${time}.${digits}` : time));
}

/** Completes a trailing `±hh` offset to `±hh:mm`; leaves everything else alone. */
export function normaliseOffset(text: string): string {
  return /[+-]\d\d$/.test(text) && text.length > 8 ? `${text}:00` : text;
}

export function toBase64(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return Buffer.from(String(value), 'utf8').toString('base64');
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function textForm(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
