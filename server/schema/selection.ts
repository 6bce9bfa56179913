import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { NamedColumn, NamedTable } from './naming';

/**
 * The field names asked for directly below the current field (through fragments too),
 * optionally below one of its sub-fields (`returning` of a mutation response).
 */
export function requestedFields(info: GraphQLResolveInfo, below?: string): Set<string> {
  const names = new Set<string>();
  let nodes: readonly FieldNode[] = info.fieldNodes;
  if (below) {
    const inner: FieldNode[] = [];
    for (const node of nodes) collect(node.selectionSet, info, (field) => field.name.value === below && inner.push(field));
    nodes = inner;
  }
  for (const node of nodes) collect(node.selectionSet, info, (field) => names.add(field.name.value));
  return names;
}

function collect(set: SelectionSetNode | undefined, info: GraphQLResolveInfo, visit: (field: FieldNode) => unknown): void {
  if (!set) return;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) visit(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet, info, visit);
    else {
      const fragment = info.fragments[selection.name.value];
      if (fragment) collect(fragment.selectionSet, info, visit);
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
