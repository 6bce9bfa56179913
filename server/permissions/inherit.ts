import { isDeepStrictEqual } from 'node:util';
import type { BoolExp } from '../schema/source';
import type { ColumnList, DeleteRule, InsertRule, Operation, PermissionDocument, SelectRule, TableRules, UpdateRule } from './document';

/**
 * Role inheritance, flattened (pure). A role's rules on one database are its own, plus, for each
 * table and operation it sets no rule for itself, the union of what its parents (flattened first)
 * allow. A union is only taken where it is exact:
 * - the same rule from every parent that has one: that rule;
 * - select rules with the same filter: the union of their columns; with the same columns: the `_or`
 *   of their filters (limit: the largest, no limit beating any; aggregate: if any allows it);
 * - insert rules with the same columns and presets: the `_or` of their checks; update rules with the
 *   same columns, presets and check: the `_or` of their filters; delete rules: the `_or` of their filters.
 * Anything else (say one parent shows more columns of fewer rows) has no exact union: it is a
 * conflict, refused with a message, never merged into something wider than either parent allows.
 * Nested inheritance is flattened bottom-up, so a grandparent's rule reaches a grandchild only as
 * its parent holds it.
 */
export interface RoleDefinition {
  name: string;
  inherits: readonly string[];
}

export class RoleConflict extends Error {}

export interface FlattenInput {
  roles: ReadonlyMap<string, RoleDefinition>;
  /** Each role's own document on this database (absent: none). */
  own: ReadonlyMap<string, PermissionDocument>;
}

/** Every role's effective document on one database; throws RoleConflict or, for cycles and unknown parents, RoleConflict too. */
export function flattenRoles(input: FlattenInput): Map<string, PermissionDocument> {
  const done = new Map<string, PermissionDocument>();
  const visiting = new Set<string>();
  const visit = (name: string, path: string[]): PermissionDocument => {
    const ready = done.get(name);
    if (ready) return ready;
    if (visiting.has(name)) throw new RoleConflict(`role "${name}" inherits from itself (${[...path, name].join(' → ')})`);
    visiting.add(name);
    const definition = input.roles.get(name);
    const parents = (definition?.inherits ?? []).map((parent) => {
      if (!input.roles.has(parent)) throw new RoleConflict(`role "${name}" inherits from "${parent}", which does not exist`);
      return { name: parent, document: visit(parent, [...path, name]) };
    });
    const effective = merge(name, input.own.get(name) ?? {}, parents);
    visiting.delete(name);
    done.set(name, effective);
    return effective;
  };
  for (const name of input.roles.keys()) visit(name, []);
  return done;
}

function merge(role: string, own: PermissionDocument, parents: { name: string; document: PermissionDocument }[]): PermissionDocument {
  const result: PermissionDocument = structuredClone(own);
  const tables = new Set(parents.flatMap((parent) => Object.keys(parent.document)));
  for (const table of tables) {
    const rules: TableRules = (result[table] ??= {});
    for (const operation of ['select', 'insert', 'update', 'delete'] as const satisfies readonly Operation[]) {
      if (rules[operation] !== undefined) continue; // the role's own rule decides
      const given = parents.flatMap((parent) => {
        const rule = parent.document[table]?.[operation];
        return rule === undefined ? [] : [{ parent: parent.name, rule }];
      });
      if (given.length === 0) continue;
      const where = `role "${role}", table ${table}, ${operation}: the rules of ${given.map((g) => `"${g.parent}"`).join(' and ')}`;
      (rules as Record<string, unknown>)[operation] = unite(operation, given.map((g) => g.rule), where);
    }
    if (Object.keys(rules).length === 0) delete result[table];
  }
  return result;
}

type AnyRule = SelectRule | InsertRule | UpdateRule | DeleteRule;

function unite(operation: Operation, rules: AnyRule[], where: string): AnyRule {
  const first = rules[0]!;
  if (rules.every((rule) => isDeepStrictEqual(rule, first))) return structuredClone(first);
  const conflict = (why: string) => new RoleConflict(`${where} differ, and ${why}; set this rule on the role itself`);
  switch (operation) {
    case 'select': {
      const selects = rules as SelectRule[];
      const limit = selects.some((rule) => rule.limit === undefined) ? undefined : Math.max(...selects.map((rule) => rule.limit!));
      const aggregate = selects.some((rule) => rule.aggregate === true);
      const common = { ...(limit === undefined ? {} : { limit }), ...(aggregate ? { aggregate } : {}) };
      if (selects.every((rule) => isDeepStrictEqual(rule.filter, selects[0]!.filter))) {
        return { columns: unionColumns(selects.map((rule) => rule.columns)), filter: structuredClone(selects[0]!.filter), ...common };
      }
      if (selects.every((rule) => sameColumns(rule.columns, selects[0]!.columns))) {
        return { columns: structuredClone(selects[0]!.columns) as ColumnList, filter: anyOf(selects.map((rule) => rule.filter)), ...common };
      }
      throw conflict('they show different columns of different rows (no union is exact)');
    }
    case 'insert': {
      const inserts = rules as InsertRule[];
      if (!inserts.every((rule) => sameColumns(rule.columns, inserts[0]!.columns) && isDeepStrictEqual(rule.set ?? {}, inserts[0]!.set ?? {}))) {
        throw conflict('they allow different columns or presets');
      }
      return { ...structuredClone(inserts[0]!), check: anyOf(inserts.map((rule) => rule.check)) };
    }
    case 'update': {
      const updates = rules as UpdateRule[];
      const same = (rule: UpdateRule) => sameColumns(rule.columns, updates[0]!.columns) && isDeepStrictEqual(rule.set ?? {}, updates[0]!.set ?? {}) && isDeepStrictEqual(rule.check ?? {}, updates[0]!.check ?? {});
      if (!updates.every(same)) throw conflict('they allow different columns, presets or checks');
      return { ...structuredClone(updates[0]!), filter: anyOf(updates.map((rule) => rule.filter)) };
    }
    case 'delete':
      return { filter: anyOf((rules as DeleteRule[]).map((rule) => rule.filter)) };
  }
}

/** Rows any of the filters lets through; `{}` (every row) absorbs the rest. */
function anyOf(filters: BoolExp[]): BoolExp {
  if (filters.some((filter) => Object.keys(filter).length === 0)) return {};
  return { _or: structuredClone(filters) };
}

function sameColumns(a: ColumnList, b: ColumnList): boolean {
  if (a === '*' || b === '*') return a === b;
  return isDeepStrictEqual([...a].sort(), [...b].sort());
}

function unionColumns(lists: ColumnList[]): ColumnList {
  if (lists.includes('*')) return '*';
  return [...new Set(lists.flat() as string[])];
}
