import type { Knex } from 'knex';

/**
 * Statements compiled once per shape and re-bound per call. Building a select through knex's
 * query builder costs tens of microseconds (identifier quoting, clause compilation); for
 * the hot reads (a row by key, a page of a table) the SQL text only depends on the table,
 * the columns and the clauses used, never on the values. The statement is built once with
 * placeholders standing for the values, and each call binds its own values in their place.
 */

/** Stands for the value at `index` while a statement is compiled. */
class Slot {
  constructor(readonly index: number) {}
}

/**
 * Builders receive, for each value, the value itself or, while compiling, a placeholder.
 * Limits and offsets must be numbers for knex, so they get numeric stand-ins far outside
 * any page size (LAZYDB_MAX_LIMIT is far smaller).
 */
const NUMERIC_BASE = 1_987_000_000;

interface Compiled {
  sql: string;
  /** Per binding: a constant, or the index of the call's value that goes there. */
  bindings: (unknown | Slot)[];
}

interface Entry {
  compiled: Compiled | null;
  /** What the builder said about the statement (e.g. which column holds what); the same for every call of a signature. */
  extra: unknown;
}

/** What a builder returns: the statement, and facts about it the caller needs to read its rows. */
export interface Built<T> {
  query: Knex.QueryBuilder;
  extra: T;
}

/** Signatures longer than this (large filters) are built every time rather than kept. */
const MAX_SIGNATURE = 4000;

const MAX_STATEMENTS = 2000;

export class StatementCache {
  private readonly statements = new Map<string, Entry>();

  constructor(
    private readonly knex: Knex,
    private readonly rowsOfRaw: ((result: unknown) => Record<string, unknown>[]) | undefined,
  ) {}

  /**
   * Runs the statement `build` makes for `values`, compiled once per `signature` (which must
   * name everything the SQL text depends on but the values). `numeric` says which values are
   * limits/offsets. Falls back to building every time where the dialect cannot run raw
   * statements, the signature is too long to keep, or a value does not land in exactly one
   * binding.
   */
  async rows<T>(signature: string, values: unknown[], numeric: boolean[], build: (params: unknown[]) => Built<T>): Promise<{ rows: Record<string, unknown>[]; extra: T }> {
    if (!this.rowsOfRaw || signature.length > MAX_SIGNATURE) return direct(build(values));
    let entry = this.statements.get(signature);
    if (entry !== undefined) {
      // Least recently used goes first: a hit moves to the end of the map's order.
      this.statements.delete(signature);
      this.statements.set(signature, entry);
    } else {
      const built = build(values.map((_, i) => (numeric[i] ? NUMERIC_BASE + i : new Slot(i))));
      entry = { compiled: compile(built.query, values.length, numeric), extra: built.extra };
      if (this.statements.size >= MAX_STATEMENTS) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(signature, entry);
    }
    const { compiled } = entry;
    if (compiled === null) return direct(build(values));
    const bindings = compiled.bindings.map((b) => (b instanceof Slot ? values[b.index] : b));
    const rows = this.rowsOfRaw(await this.knex.raw(compiled.sql, bindings as Knex.RawBinding[]));
    return { rows, extra: entry.extra as T };
  }
}

async function direct<T>(built: Built<T>): Promise<{ rows: Record<string, unknown>[]; extra: T }> {
  return { rows: (await built.query) as Record<string, unknown>[], extra: built.extra };
}

function compile(builder: Knex.QueryBuilder, count: number, numeric: boolean[]): Compiled | null {
  const { sql, bindings } = builder.toSQL();
  const seen = new Array<number>(count).fill(0);
  const mapped = bindings.map((binding) => {
    if (binding instanceof Slot) {
      seen[binding.index]!++;
      return binding;
    }
    if (typeof binding === 'number' && binding >= NUMERIC_BASE && binding < NUMERIC_BASE + count && numeric[binding - NUMERIC_BASE]) {
      const index = binding - NUMERIC_BASE;
      seen[index]!++;
      return new Slot(index);
    }
    return binding;
  });
  // `?` in the text would be taken for a placeholder by knex.raw: such statements are not reused.
  const placeholders = sql.split('?').length - 1;
  if (seen.some((n) => n !== 1) || placeholders !== mapped.length || sql.includes('??')) return null;
  return { sql, bindings: mapped };
}
