import {
  getArgumentValues,
  getNamedType,
  isObjectType,
  Kind,
  type FieldNode,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from 'graphql';
import type { NamedColumn, NamedTable } from './naming';
import type { ListArgs, NestedRead } from './source';

/**
 * The field names asked for directly below the current field (through fragments too),
 * optionally below one of its sub-fields (`returning` of a mutation response).
 */
export function requestedFields(info: GraphQLResolveInfo, below?: string): Set<string> {
  let nodes: readonly FieldNode[] = info.fieldNodes;
  if (below) {
    const inner: FieldNode[] = [];
    const seen = newSelection();
    for (const node of nodes) collect(node.selectionSet, info, seen, (field) => field.name.value === below && inner.push(field));
    nodes = inner;
  }
  return fieldNames(nodes, info);
}

/** The names of the fields selected directly below the given field nodes. */
function fieldNames(nodes: readonly FieldNode[], info: GraphQLResolveInfo): Set<string> {
  const names = new Set<string>();
  const seen = newSelection();
  for (const node of nodes) collect(node.selectionSet, info, seen, (field) => names.add(field.name.value));
  return names;
}

/**
 * What one merged selection (the selection sets below all nodes of one field) has collected so
 * far. As in graphql-js's field collection, a named fragment contributes its fields once however
 * often it is spread there, and a field node reached twice is visited once: without this, a
 * fragment spreading the next one twice, 30 deep, is walked 2^30 times.
 */
interface MergedSelection {
  fragments: Set<string>;
  fields: Set<FieldNode>;
}

function newSelection(): MergedSelection {
  return { fragments: new Set(), fields: new Set() };
}

function collect(
  set: SelectionSetNode | undefined,
  info: GraphQLResolveInfo,
  seen: MergedSelection,
  visit: (field: FieldNode) => unknown,
  onDirective?: () => void,
): void {
  if (!set) return;
  for (const selection of set.selections) {
    if (onDirective && selection.directives && selection.directives.length > 0) onDirective();
    if (selection.kind === Kind.FIELD) {
      if (seen.fields.has(selection)) continue;
      seen.fields.add(selection);
      visit(selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet, info, seen, visit, onDirective);
    else {
      const name = selection.name.value;
      if (seen.fragments.has(name)) continue;
      seen.fragments.add(name);
      const fragment = info.fragments[name];
      if (fragment) collect(fragment.selectionSet, info, seen, visit, onDirective);
    }
  }
}

/**
 * Columns to read for a set of requested fields: the requested columns, the primary key
 * (so rows can be re-read and identified), and the join columns of requested relations.
 */
export function columnsFor(table: NamedTable, requested: Set<string>): NamedColumn[] {
  const wanted = new Set<NamedColumn>(table.primaryKey);
  for (const column of table.columns) if (requested.has(column.field)) wanted.add(column);
  for (const relation of table.relations) {
    if (requested.has(relation.field)) for (const column of relation.ownerColumns) wanted.add(column);
  }
  // Keep the table's column order so generated SQL is stable.
  return table.columns.filter((c) => wanted.has(c));
}

const columnsByNodes = new WeakMap<readonly FieldNode[], Map<NamedTable, NamedColumn[]>>();

/**
 * `columnsFor(table, requestedFields(info))`, kept per field: a relation's resolver runs once
 * per parent row with the same field nodes, and the answer only depends on those (fragments
 * belong to the same document). Keyed by table too: one parsed document may be run against
 * several databases' schemas.
 */
export function requestedColumns(table: NamedTable, info: GraphQLResolveInfo): NamedColumn[] {
  let byTable = columnsByNodes.get(info.fieldNodes);
  if (!byTable) {
    byTable = new Map();
    columnsByNodes.set(info.fieldNodes, byTable);
  }
  let columns = byTable.get(table);
  if (!columns) {
    columns = columnsFor(table, requestedFields(info));
    byTable.set(table, columns);
  }
  return columns;
}

/**
 * The relations below a root field, as one tree a data source may read in a single
 * statement. Every relation under the field is listed, keyed by its response name, with its
 * arguments evaluated against the request's variables. A relation whose arguments are
 * refused (`checkPage` throws), or that sits under @skip/@include, is left out: its own
 * resolver then reads it and reports the error at its own path.
 */
export function nestedReads(info: GraphQLResolveInfo, table: NamedTable, checkPage: (args: ListArgs) => ListArgs): NestedRead[] {
  return readsBelow(info.fieldNodes, fieldType(info.returnType), table, info, checkPage);
}

function readsBelow(
  nodes: readonly FieldNode[],
  type: GraphQLObjectType | null,
  table: NamedTable,
  info: GraphQLResolveInfo,
  checkPage: (args: ListArgs) => ListArgs,
): NestedRead[] {
  if (!type || table.relations.length === 0) return [];
  const byKey = new Map<string, FieldNode[]>();
  let conditional = false;
  const seen = newSelection();
  for (const node of nodes) {
    collect(
      node.selectionSet,
      info,
      seen,
      (field) => {
        const key = field.alias?.value ?? field.name.value;
        const same = byKey.get(key);
        if (same) same.push(field);
        else byKey.set(key, [field]);
      },
      () => (conditional = true),
    );
  }
  // Directives decide at execution time whether a field exists; leave such levels to the resolvers.
  if (conditional) return [];
  const fields = type.getFields();
  const reads: NestedRead[] = [];
  for (const [key, fieldNodes] of byKey) {
    const first = fieldNodes[0]!;
    const relation = table.relations.find((r) => r.field === first.name.value);
    const definition = fields[first.name.value];
    if (!relation || !definition) continue;
    let args: ListArgs = {};
    if (relation.kind === 'array') {
      try {
        args = checkPage(getArgumentValues(definition, first, info.variableValues) as ListArgs);
      } catch {
        continue;
      }
    }
    reads.push({
      key,
      relation,
      args,
      columns: columnsFor(relation.target, fieldNames(fieldNodes, info)),
      nested: readsBelow(fieldNodes, fieldType(definition.type), relation.target, info, checkPage),
    });
  }
  return reads;
}

function fieldType(type: GraphQLOutputType): GraphQLObjectType | null {
  const named = getNamedType(type);
  return isObjectType(named) ? named : null;
}
