import type { NamedColumn } from '../schema/naming';
import type { Row } from '../schema/source';
import { sql, type SqlFragment } from '../sql/fragment';
import { columnReference, type Qualifier } from './sql';

/** Largest IN list sent in one statement (Oracle refuses more than 1,000 items). */
export const MAX_BATCH = 500;

/**
 * A loader key: the key values as text (a parent's foreign key and the child's key decode to
 * different JS types but the same text). One column, the most common case by far, is its
 * text as it is; several are a JSON array of texts.
 */
export function keyString(values: unknown[]): string {
  if (values.length === 1) return String(values[0]);
  return JSON.stringify(values.map((v) => (v === null || v === undefined ? null : String(v))));
}

/** The key of `row` on `columns`, as keyString writes it. */
export function keyOf(row: Row, columns: NamedColumn[]): string {
  if (columns.length === 1) return String(row[columns[0]!.field]);
  return keyString(columns.map((c) => row[c.field]));
}

/** A key as keyString wrote it -> its values by field (as text). */
export function keyRow(key: string, columns: NamedColumn[]): Row {
  if (columns.length === 1) return { [columns[0]!.field]: key };
  const values = JSON.parse(key) as unknown[];
  return Object.fromEntries(columns.map((c, i) => [c.field, values[i]]));
}

/**
 * `(columns) in (keys)` with the keys given as fragments (values or slots), key after key:
 * `a in (…)` for one column, `((a = … and b = …) or (…))` for several — portable to every engine.
 */
export function keyValuesCondition(qualifier: Qualifier, columns: NamedColumn[], values: readonly SqlFragment[]): SqlFragment {
  if (columns.length === 1) return sql`${columnReference(qualifier, columns[0]!.column.name)} in (${sql.join(values, ', ')})`;
  const keys: SqlFragment[] = [];
  for (let at = 0; at < values.length; at += columns.length) {
    const parts = columns.map((column, i) => sql`${columnReference(qualifier, column.column.name)} = ${values[at + i]!}`);
    keys.push(sql`(${sql.join(parts, ' and ')})`);
  }
  return sql`(${sql.join(keys, ' or ')})`;
}

/** `items` in runs of at most `size` (one statement each). */
export function chunks<T>(items: T[], size = MAX_BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
