import { compileTemplate, sql, type BoundStatement, type CompiledTemplate, type SqlFragment, type SqlSyntax } from '../sql/fragment';

/**
 * Statements compiled once per shape and re-bound per call. For the hot reads (a row by key,
 * a page of a table) the SQL text only depends on the table, the columns and the clauses used,
 * never on the values: the fragment is built once with value slots (`sql.slot(i)`) standing for
 * the values, compiled, and each call binds its own values in their place. The compiler writes
 * the placeholders itself, so every shape can be kept, whatever its identifiers hold.
 */

interface Entry {
  template: CompiledTemplate;
  /** What the builder said about the statement (e.g. which column holds what); the same for every call of a signature. */
  extra: unknown;
}

/** What a builder returns: the statement, and facts about it the caller needs to read its rows. */
export interface Built<T> {
  statement: SqlFragment;
  extra: T;
}

/** Signatures longer than this (large filters) are built every time rather than kept. */
const MAX_SIGNATURE = 4000;

const MAX_STATEMENTS = 2000;

export class StatementCache {
  private readonly statements = new Map<string, Entry>();

  constructor(private readonly syntax: SqlSyntax) {}

  /**
   * The statement `build` makes, bound to `values`, compiled once per `signature` (which must
   * name everything the SQL text depends on but the values). `build` receives one fragment per
   * value to put where the value goes: a slot while compiling for the cache, the value itself
   * when the signature is too long to keep.
   */
  prepare<T>(signature: string, values: readonly unknown[], build: (params: readonly SqlFragment[]) => Built<T>): { statement: BoundStatement; extra: T } {
    if (signature.length > MAX_SIGNATURE) {
      const built = build(values.map((v) => sql.value(v)));
      return { statement: compileTemplate(built.statement, this.syntax).bind([]), extra: built.extra };
    }
    let entry = this.statements.get(signature);
    if (entry !== undefined) {
      // Least recently used goes first: a hit moves to the end of the map's order.
      this.statements.delete(signature);
      this.statements.set(signature, entry);
    } else {
      const built = build(values.map((_, i) => sql.slot(i)));
      entry = { template: compileTemplate(built.statement, this.syntax), extra: built.extra };
      if (this.statements.size >= MAX_STATEMENTS) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(signature, entry);
    }
    return { statement: entry.template.bind(values), extra: entry.extra as T };
  }

  /** How many shapes are kept (for tests). */
  get size(): number {
    return this.statements.size;
  }
}
