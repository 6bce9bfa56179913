/**
 * Small pure helpers the dialect normalisers share: grouping catalog rows, ordering names,
 * and reading the loosely typed values drivers hand back for catalog columns.
 */

/** Rows grouped by key; groups and the rows inside them keep their first-seen order. */
export function groupBy<T>(rows: readonly T[], keyOf: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/**
 * One map key for a qualified name (schema, table[, column or constraint]). No SQL engine
 * allows U+0000 inside an identifier, so it cannot make two names collide.
 */
export function compositeKey(...parts: string[]): string {
  return parts.join('\u0000');
}

/**
 * Code-unit order: deterministic whatever the server's collation or the process locale,
 * and the same as SQLite's default BINARY collation.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Catalog text, which can arrive as a Buffer when a server reports a binary collation for it. */
export function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return String(value);
}

/** A catalog number that drivers may send as text; a missing one counts as 0 (for sorting). */
export function num(value: unknown): number {
  return Number(value ?? 0);
}

/** A catalog number that drivers may send as text; missing or not a finite number -> null. */
export function numOrNull(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
