import { isErrorCode } from '../errors/catalogue';

/**
 * Label values come only from fixed sets or from names lazydb itself registered, never from a
 * request: an operation name, a path, a header or a key would make a new series per value, and
 * Prometheus servers have run out of memory on exactly that. Each function here turns what a
 * request says into a value of a bounded set.
 */

/** The value of a label that does not apply (no database, no operation known, no error). */
export const NONE = '';

/** Where an error code outside the catalogue is counted. Codes are upper case: this cannot be one. */
export const OTHER_CODE = 'other';

/** Where tables beyond LAZYDB_METRICS_MAX_TABLES are counted; the parentheses keep it apart from a table named `other`. */
export const OTHER_TABLE = '(other)';

/** Codes answered that are not lazydb's catalogue: graphql-js's and yoga's own. */
const FOREIGN_CODES: ReadonlySet<string> = new Set(['GRAPHQL_ERROR', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED']);

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** `2xx`…`5xx` (and `other` for a status outside 100–599, which Node never sends). */
export function statusClassOf(status: number): string {
  return STATUS_CLASSES[Math.floor(status / 100) - 1] ?? 'other';
}

/** Whether a code may be a label value: a catalogue code or one of the few foreign ones (any other is folded into OTHER_CODE). */
export function knownCode(code: string): boolean {
  return isErrorCode(code) || FOREIGN_CODES.has(code);
}

/**
 * The first `max` tables seen per database keep their name as a label value; the others share
 * OTHER_TABLE. A table is a GraphQL type name from the database's schema (never request text),
 * so the cap only bounds databases with very many tables.
 */
export class TableLabels {
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly max: number) {}

  /** The label value for `table` of `database`: itself, or null when the cap folds it into OTHER_TABLE. */
  labelOf(database: string, table: string): string | null {
    let tables = this.seen.get(database);
    if (!tables) this.seen.set(database, (tables = new Set()));
    if (tables.has(table)) return table;
    if (tables.size >= this.max) return null;
    tables.add(table);
    return table;
  }
}
