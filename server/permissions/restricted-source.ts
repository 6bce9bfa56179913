import type { Principal } from '../auth/principal';
import { badInput, lazydbError } from '../errors/graphql';
import type { GuardedDataSource } from '../query/engine';
import type { NamedColumn, NamedRelation, NamedTable } from '../schema/naming';
import type { BoolExp, DataSource, ListArgs, NestedRead, RequestContext, Row } from '../schema/source';
import type { ColumnList, PermissionDocument } from './document';
import { bindSession, matchNothing, presetValues, type SessionVariables } from './session';

/** A request without a principal has no session variables: every comparison needing one fails closed. */
const NO_VARIABLES: SessionVariables = Object.freeze({});

/**
 * A data source that enforces one role's row rules on one database (a flattened
 * PermissionDocument), over the query layer's own data source. Rows the role may not see are
 * left out at every level — root lists, by-key reads, counts, nested reads of both kinds, batched
 * relation reads — and cannot be probed through relation filters of a `where` either: every
 * relation sub-expression is ANDed with its target's select filter. Permission filters
 * themselves are trusted as written (their relations see every row, as in Hasura).
 *
 * Session variables come from the principal of each call's context (`context.lazydb.principal`);
 * their values end up in the filters' values, which the fragment layer binds and the statement
 * cache keys on (see GuardedDataSource), so one user's statement is never bound for another.
 *
 * Columns are not this class's concern: the role's schema shows only the columns it may read
 * and write (server/schema), and presets replace whatever a client sends for their columns.
 */
export class PermissionedSource implements DataSource {
  readonly readsNested: boolean;
  /** Rules bound to one principal's variables, kept while those variables are (they are per principal). */
  private readonly bound = new WeakMap<SessionVariables, BoundRules>();

  constructor(
    private readonly base: GuardedDataSource,
    /** One role's rules on this database, by table GraphQL type name; what it has no rule for, it may not do. */
    private readonly rules: PermissionDocument,
  ) {
    this.readsNested = base.readsNested;
  }

  async list(table: NamedTable, args: ListArgs, columns: NamedColumn[], context: RequestContext, nested?: NestedRead[]): Promise<Row[]> {
    const rules = this.rulesFor(context);
    if (!rules.canSelect(table)) return [];
    return this.base.list(table, rules.page(table, args, true), columns, context, rules.nested(nested));
  }

  async byKey(table: NamedTable, key: Row, columns: NamedColumn[], context: RequestContext, nested?: NestedRead[]): Promise<Row | null> {
    const rules = this.rulesFor(context);
    if (!rules.canSelect(table)) return null;
    return this.base.byKey(table, key, columns, context, rules.nested(nested), rules.visibleFilter(table));
  }

  async count(table: NamedTable, where: BoolExp | null | undefined, context: RequestContext): Promise<number> {
    const rules = this.rulesFor(context);
    if (!rules.canSelect(table)) return 0;
    return this.base.count(table, rules.page(table, { where }, true).where, context);
  }

  async related(relation: NamedRelation, parent: Row, columns: NamedColumn[], context: RequestContext): Promise<Row | null> {
    const rules = this.rulesFor(context);
    if (!rules.canSelect(relation.target)) return null;
    return this.base.related(relation, parent, columns, context, rules.visibleFilter(relation.target));
  }

  async relatedList(relation: NamedRelation, parent: Row, args: ListArgs, columns: NamedColumn[], context: RequestContext): Promise<Row[]> {
    const rules = this.rulesFor(context);
    if (!rules.canSelect(relation.target)) return [];
    return this.base.relatedList(relation, parent, rules.page(relation.target, args, true), columns, context);
  }

  /**
   * Inserts with the role's presets over the client's values, refusing columns it may not give,
   * and its check verified in the insert's transaction. The rows answered (`returning`) are the
   * rows written, as stored, whether or not the role's select filter shows them: the writer has
   * just given their values (Hasura's choice differs; its returning re-reads through select).
   */
  async insert(table: NamedTable, objects: Row[], columns: NamedColumn[], context: RequestContext): Promise<Row[]> {
    const rule = this.rules[table.typeName]?.insert;
    if (!rule) throw forbidden('insert into', table);
    const rules = this.rulesFor(context);
    const presets = presetValues(rule.set, rules.variables, table);
    const rows = objects.map((object) => {
      refuseColumns(table, object, rule.columns, presets, 'insert');
      return { ...object, ...presets };
    });
    return this.base.insert(table, rows, columns, context, rules.bound(table, rule.check));
  }

  /**
   * Updates the rows both the mutation's `where` and the role's update filter match; presets and
   * check as for insert. `returning` shows the rows as updated that the role's select filter
   * matches (all count in affected_rows): an update filter wider than the select filter must not
   * let a write read what a read may not.
   */
  async update(table: NamedTable, where: BoolExp, set: Row, columns: NamedColumn[], context: RequestContext): Promise<Row[]> {
    const rule = this.rules[table.typeName]?.update;
    if (!rule) throw forbidden('update', table);
    const rules = this.rulesFor(context);
    const presets = presetValues(rule.set, rules.variables, table);
    refuseColumns(table, set, rule.columns, presets, 'update');
    const allowed = both(rules.where(table, where), rules.bound(table, rule.filter)) ?? {};
    return this.base.update(table, allowed, { ...set, ...presets }, columns, context, rule.check ? rules.bound(table, rule.check) : null, rules.visibleFilter(table));
  }

  /** Deletes the rows both the mutation's `where` and the role's delete filter match, returning those of them the role could read, as they were. */
  async delete(table: NamedTable, where: BoolExp, columns: NamedColumn[], context: RequestContext): Promise<Row[]> {
    const rule = this.rules[table.typeName]?.delete;
    if (!rule) throw forbidden('delete from', table);
    const rules = this.rulesFor(context);
    return this.base.delete(table, both(rules.where(table, where), rules.bound(table, rule.filter)) ?? {}, columns, context, rules.visibleFilter(table));
  }

  private rulesFor(context: RequestContext | undefined): BoundRules {
    const principal = (context as { lazydb?: { principal?: Principal | null } } | undefined)?.lazydb?.principal;
    const variables = principal?.variables ?? NO_VARIABLES;
    let rules = this.bound.get(variables);
    if (!rules) {
      rules = new BoundRules(this.rules, variables);
      this.bound.set(variables, rules);
    }
    return rules;
  }
}

/** The role's rules with one principal's session values bound, each table's select filter bound once. */
class BoundRules {
  private readonly filters = new Map<NamedTable, BoolExp | null>();

  constructor(
    private readonly rules: PermissionDocument,
    readonly variables: SessionVariables,
  ) {}

  canSelect(table: NamedTable): boolean {
    return this.rules[table.typeName]?.select !== undefined;
  }

  /** The rows of `table` the role sees, bound; null when it sees every row (nothing to add to a statement). */
  visibleFilter(table: NamedTable): BoolExp | null {
    if (this.filters.has(table)) return this.filters.get(table)!;
    const select = this.rules[table.typeName]?.select;
    const filter = select ? this.bound(table, select.filter) : matchNothing(table);
    this.filters.set(table, filter);
    return filter;
  }

  /** A rule's expression with this principal's values bound; null when it is empty (every row). */
  bound(table: NamedTable, expr: BoolExp): BoolExp | null {
    return isEmpty(expr) ? null : bindSession(expr, this.variables, table);
  }

  /**
   * A client's `where` with every relation sub-expression ANDed with its target's select filter,
   * at every depth, so that it matches through visible related rows only.
   */
  where(table: NamedTable, where: BoolExp | null | undefined): BoolExp | null {
    if (!where) return null;
    const out: BoolExp = {};
    for (const [key, value] of Object.entries(where)) {
      if (value === null || typeof value !== 'object') out[key] = value;
      else if (key === '_and' || key === '_or') out[key] = (value as BoolExp[]).map((part) => this.where(table, part) ?? {});
      else if (key === '_not') out[key] = this.where(table, value as BoolExp) ?? {};
      else {
        const relation = table.relations.find((r) => r.field === key);
        out[key] = relation ? (both(this.where(relation.target, value as BoolExp), this.visibleFilter(relation.target)) ?? {}) : value;
      }
    }
    return out;
  }

  /** A page of `table` as the role may read it: its where rewritten (and ANDed with the select filter when `visible`), its limit capped. */
  page(table: NamedTable, args: ListArgs, visible: boolean): ListArgs {
    const where = this.where(table, args.where);
    const cap = this.rules[table.typeName]?.select?.limit;
    const limit = cap === undefined ? args.limit : Math.min(args.limit ?? cap, cap);
    return { ...args, where: visible ? both(where, this.visibleFilter(table)) : where, limit };
  }

  /**
   * Nested reads as the role may make them: each one's filter set to its target's select filter
   * and its page as page() makes it. Reads of a table the role cannot see are left out: their
   * resolvers then ask related/relatedList, which answer nothing without SQL.
   */
  nested(reads: NestedRead[] | undefined): NestedRead[] | undefined {
    if (!reads) return reads;
    const out: NestedRead[] = [];
    for (const read of reads) {
      const target = read.relation.target;
      if (!this.canSelect(target)) continue;
      const args = read.relation.kind === 'array' ? this.page(target, read.args, false) : read.args;
      out.push({ ...read, args, filter: this.visibleFilter(target), nested: this.nested(read.nested) ?? [] });
    }
    return out;
  }
}

/** `a` and `b` (either may be null: no condition). */
function both(a: BoolExp | null, b: BoolExp | null): BoolExp | null {
  if (a === null || isEmpty(a)) return b;
  if (b === null || isEmpty(b)) return a;
  return { _and: [a, b] };
}

function isEmpty(expr: BoolExp): boolean {
  return Object.values(expr).every((value) => value === null || value === undefined);
}

function allows(columns: ColumnList, field: string): boolean {
  return columns === '*' || columns.includes(field);
}

/** Refuses a value for a column the rule does not let the role write (a preset's column is set by the server, whatever the client sent). */
function refuseColumns(table: NamedTable, object: Row, columns: ColumnList, presets: Row, operation: 'insert' | 'update'): void {
  for (const [field, value] of Object.entries(object)) {
    if (value === undefined || Object.hasOwn(presets, field) || allows(columns, field)) continue;
    throw badInput(`this role may not ${operation} ${table.label}.${field}; leave it out`);
  }
}

function forbidden(action: string, table: NamedTable) {
  return lazydbError('FORBIDDEN', `this role may not ${action} ${table.label}`);
}
