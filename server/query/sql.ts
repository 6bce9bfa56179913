import type { TableModel } from '../model/types';
import { sql, type SqlFragment } from '../sql/fragment';

/** The qualifier that names a table in column references: `[schema, table]`, or an alias. */
export type Qualifier = readonly string[];

export function tableQualifier(table: TableModel): Qualifier {
  return table.schema === null ? [table.name] : [table.schema, table.name];
}

/** The table's name, each part quoted by the dialect (a dot inside a part stays part of the name). */
export function tableReference(table: TableModel): SqlFragment {
  return sql.identifier(...tableQualifier(table));
}

export function columnReference(qualifier: Qualifier, column: string): SqlFragment {
  return sql.identifier(...qualifier, column);
}
