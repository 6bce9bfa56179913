/**
 * SQL as typed fragments: the one way the query layer writes SQL. A fragment is a list of
 * nodes — constant text written in this codebase, identifiers, bound values and value slots —
 * and nothing else. Interpolating anything that is not a fragment throws, so a user's
 * identifier or value can never become SQL text by accident; identifiers are quoted by the
 * dialect part by part, and values only ever travel as bindings. Compilation emits the
 * statement's placeholders itself and records where they are: no later step scans the text
 * for `?` (which is what broke identifiers holding `?` under knex).
 *
 * The one escape hatch is `sql.keyword`, and it only lets through words of a fixed allow-list
 * (directions, comparison operators): grep for it to audit every run-time choice of SQL text.
 * `sql.slot(i)` stands for a value given later, so that a statement can be compiled once per
 * shape and bound per call (server/query/compiled.ts).
 *
 * The idea follows PostGraphile's pg-sql2 (a tagged template that only accepts fragments and
 * one loud escape hatch); the code is our own.
 */

/** Constant SQL text, from a template literal or the keyword allow-list. */
interface TextNode {
  readonly kind: 'text';
  readonly text: string;
}
/** A (possibly qualified) identifier: each part quoted by the dialect, joined by dots. */
interface IdentifierNode {
  readonly kind: 'identifier';
  readonly parts: readonly string[];
}
/** A value bound as it is. */
interface ValueNode {
  readonly kind: 'value';
  readonly value: unknown;
}
/** A value given when a compiled statement is bound (statements compiled once per shape). */
interface SlotNode {
  readonly kind: 'slot';
  readonly index: number;
}
type Node = TextNode | IdentifierNode | ValueNode | SlotNode;

/** Held only by this module: no other code can make a fragment from text of its own. */
const BUILDER = Symbol('lazydb.sql.builder');

export class SqlFragment {
  /** Only the builders below make fragments; their nodes are never edited afterwards. */
  constructor(
    key: symbol,
    readonly nodes: readonly Node[],
  ) {
    if (key !== BUILDER) throw new TypeError('SQL fragments are made by the sql builders only');
  }
}

function fragment(nodes: readonly Node[]): SqlFragment {
  return new SqlFragment(BUILDER, nodes);
}

const EMPTY = fragment([]);

function assertFragment(value: unknown, where: string): asserts value is SqlFragment {
  if (!(value instanceof SqlFragment)) {
    throw new TypeError(`${where}: expected an SQL fragment (sql\`…\`, sql.identifier, sql.value), got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? `an object (${(value as object).constructor?.name ?? 'Object'})` : `a ${typeof value}`;
}

function isTemplateStrings(strings: unknown): strings is TemplateStringsArray {
  return Array.isArray(strings) && Array.isArray((strings as unknown as { raw?: unknown }).raw) && Object.isFrozen(strings);
}

function template(strings: TemplateStringsArray, ...values: SqlFragment[]): SqlFragment {
  // A tagged template's strings are frozen and carry `.raw`: a plain array (built from data) is refused.
  if (!isTemplateStrings(strings)) throw new TypeError('sql must be used as a tagged template: sql`…`');
  const nodes: Node[] = [];
  for (let i = 0; i < strings.length; i++) {
    const text = strings[i]!;
    if (text !== '') nodes.push({ kind: 'text', text });
    if (i < values.length) {
      const value = values[i];
      assertFragment(value, `sql\`…\` interpolation ${i + 1}`);
      for (const node of value.nodes) nodes.push(node);
    }
  }
  return fragment(nodes);
}

/** `schema.table.column`: every part is one identifier, whatever characters it holds (dots included). */
function identifier(...parts: string[]): SqlFragment {
  if (parts.length === 0) throw new TypeError('sql.identifier needs at least one part');
  for (const part of parts) {
    if (typeof part !== 'string') throw new TypeError(`sql.identifier: expected a string part, got ${describe(part)}`);
    // No engine can hold NUL in a name, and drivers may cut the text at it.
    if (part.includes('\0')) throw new TypeError('sql.identifier: an identifier cannot contain NUL');
  }
  return fragment([{ kind: 'identifier', parts: [...parts] }]);
}

function value(bound: unknown): SqlFragment {
  return fragment([{ kind: 'value', value: bound }]);
}

/** The value at `index` of each call's values (see bindStatement). */
function slot(index: number): SqlFragment {
  if (!Number.isInteger(index) || index < 0) throw new TypeError(`sql.slot: expected an index, got ${String(index)}`);
  return fragment([{ kind: 'slot', index }]);
}

/** Separators `join` accepts: constant punctuation and connectives, never text from elsewhere. */
const SEPARATORS = new Set([', ', ' and ', ' or ']);
export type Separator = ', ' | ' and ' | ' or ';

function join(fragments: readonly SqlFragment[], separator: Separator): SqlFragment {
  if (!SEPARATORS.has(separator)) throw new TypeError(`sql.join: separator ${JSON.stringify(separator)} is not one of the allowed ones`);
  const nodes: Node[] = [];
  fragments.forEach((fragment, i) => {
    assertFragment(fragment, `sql.join item ${i + 1}`);
    if (i > 0) nodes.push({ kind: 'text', text: separator });
    for (const node of fragment.nodes) nodes.push(node);
  });
  return fragment(nodes);
}

/**
 * THE escape hatch: constant keywords and operators the query layer chooses between at run
 * time (`asc`/`desc`, a comparison operator). Only members of this list pass; text that
 * comes from anywhere else is refused.
 */
const KEYWORDS = new Set(['asc', 'desc', 'nulls first', 'nulls last', '=', '<>', '>', '>=', '<', '<=', 'like', 'not like', 'ilike', 'not ilike', 'glob', 'not glob', 'in', 'not in']);
export type Keyword =
  | 'asc'
  | 'desc'
  | 'nulls first'
  | 'nulls last'
  | '='
  | '<>'
  | '>'
  | '>='
  | '<'
  | '<='
  | 'like'
  | 'not like'
  | 'ilike'
  | 'not ilike'
  | 'glob'
  | 'not glob'
  | 'in'
  | 'not in';

function keyword(word: Keyword): SqlFragment {
  if (!KEYWORDS.has(word)) throw new TypeError(`sql.keyword: ${JSON.stringify(word)} is not an allowed keyword`);
  return fragment([{ kind: 'text', text: word }]);
}

export const sql = Object.assign(template, { identifier, value, slot, join, keyword, empty: EMPTY });

// ---- compilation -----------------------------------------------------------------------

/** What a dialect contributes to the text: its identifier quoting and its placeholders. */
export interface SqlSyntax {
  /** One identifier part, quoted so that any character in it stays part of the name. */
  quoteIdentifier(part: string): string;
  /** The placeholder for the value at `position` (1-based): `$1`, `:1`, `?`. */
  placeholder(position: number): string;
  /** Most values one statement may bind, refused before sending; none: no limit checked here. */
  readonly maxBindings?: number;
}

/**
 * A fragment compiled for one dialect: the statement text, the text between its placeholders
 * (where the placeholders were emitted, for drivers that take the values spliced in), and per
 * placeholder either a constant value or the slot it is filled from.
 */
export class CompiledTemplate {
  constructor(
    readonly text: string,
    readonly chunks: readonly string[],
    /** Per placeholder: the index of the call's value that goes there, or -1 for a constant. */
    private readonly slots: Int32Array,
    private readonly constants: readonly unknown[],
  ) {}

  /** The statement with this call's values in place of the slots. Per-request work: one array. */
  bind(values: readonly unknown[]): BoundStatement {
    const { slots, constants } = this;
    const bound = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const at = slots[i]!;
      if (at < 0) bound[i] = constants[i];
      else {
        if (at >= values.length) throw new RangeError(`statement needs value ${at + 1}, the call gave ${values.length}`);
        bound[i] = values[at];
      }
    }
    return { text: this.text, chunks: this.chunks, values: bound };
  }
}

/** What a driver runs: the text, the text between placeholders, and the values in placeholder order. */
export interface BoundStatement {
  readonly text: string;
  readonly chunks: readonly string[];
  readonly values: readonly unknown[];
}

export class TooManyBindingsError extends Error {
  constructor(
    readonly count: number,
    readonly max: number,
  ) {
    super(`the statement would bind ${count} values; the database takes at most ${max} in one statement (ask for fewer rows or keys at once)`);
    this.name = 'TooManyBindingsError';
  }
}

export function compileTemplate(fragment: SqlFragment, syntax: SqlSyntax): CompiledTemplate {
  assertFragment(fragment, 'compile');
  const chunks: string[] = [];
  const slots: number[] = [];
  const constants: unknown[] = [];
  let chunk = '';
  let text = '';
  for (const node of fragment.nodes) {
    switch (node.kind) {
      case 'text':
        chunk += node.text;
        break;
      case 'identifier':
        chunk += node.parts.map((part) => syntax.quoteIdentifier(part)).join('.');
        break;
      case 'value':
      case 'slot': {
        chunks.push(chunk);
        text += chunk + syntax.placeholder(chunks.length);
        chunk = '';
        slots.push(node.kind === 'slot' ? node.index : -1);
        constants.push(node.kind === 'value' ? node.value : undefined);
        break;
      }
    }
  }
  chunks.push(chunk);
  text += chunk;
  if (syntax.maxBindings !== undefined && slots.length > syntax.maxBindings) throw new TooManyBindingsError(slots.length, syntax.maxBindings);
  return new CompiledTemplate(text, chunks, Int32Array.from(slots), constants);
}

/** A fragment without slots, compiled and bound in one go (statements that are not kept). */
export function compileStatement(fragment: SqlFragment, syntax: SqlSyntax): BoundStatement {
  return compileTemplate(fragment, syntax).bind([]);
}

/** Identifier quoting where the quote character is doubled inside the name (every engine lazydb serves). */
export function quoteWith(quote: '"' | '`'): (part: string) => string {
  const doubled = quote + quote;
  return (part) => {
    if (part.includes('\0')) throw new TypeError('an identifier cannot contain NUL');
    return quote + part.split(quote).join(doubled) + quote;
  };
}
