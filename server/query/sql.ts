import type { Knex } from 'knex';
import type { TableModel } from '../model/types';

/**
 * Identifier references built with knex's own quoting, one part at a time. knex's `??` and
 * string column names split on dots, which would break identifiers that contain a dot; quoting
 * each part through the client keeps any identifier a user's database may hold intact.
 */
export function identifier(knex: Knex, parts: readonly string[]): Knex.Raw {
  return knex.raw(parts.map((part) => knex.client.wrapIdentifier(part, undefined)).join('.'));
}

/** The qualifier that names a table in column references: `[schema, table]`, or an alias. */
export type Qualifier = readonly string[];

export function tableQualifier(table: TableModel): Qualifier {
  return table.schema === null ? [table.name] : [table.schema, table.name];
}

export function tableReference(knex: Knex, table: TableModel): Knex.Raw {
  return identifier(knex, tableQualifier(table));
}

export function columnReference(knex: Knex, qualifier: Qualifier, column: string): Knex.Raw {
  return identifier(knex, [...qualifier, column]);
}

/**
 * knex accepts a Raw wherever it takes a column or table name, but its typings only say
 * `string`; this is the one place that bridges the two.
 */
export function asName(raw: Knex.Raw): string {
  return raw as unknown as string;
}
