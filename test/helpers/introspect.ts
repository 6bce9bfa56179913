/**
 * Scaffolding shared by the dialect introspection tests (test/unit/introspect-*.test.ts and
 * test/integration/introspect-*.test.ts): reading recorded catalogs, looking things up in
 * a model, and driving statements that must fail.
 */
import { readFileSync } from 'node:fs';
import type { Knex } from 'knex';
import type { DbErrorInfo } from '../../server/introspect/dialect';
import type { ColumnModel, DbModel, TableModel } from '../../server/model/types';
import { column } from './model';

/** A recorded catalog from test/fixtures/recorded/ (`postgres.json`, `mariadb.json`, ...), parsed. */
export function readRecording<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/recorded/${file}`, import.meta.url), 'utf8')) as T;
}

/**
 * The table or view `name`, in `schema` when one is given (else the first of that name).
 * Throws rather than returning undefined so a missing table fails the test where it is used.
 */
export function findTable(model: DbModel, name: string, schema?: string | null): TableModel {
  const found = model.tables.find((t) => t.name === name && (schema === undefined || t.schema === schema));
  if (!found) throw new Error(`no table ${schema ? `${schema}.` : ''}${name}`);
  return found;
}

export function findColumn(table: TableModel, name: string): ColumnModel {
  const found = table.columns.find((c) => c.name === name);
  if (!found) throw new Error(`no column ${table.name}.${name}`);
  return found;
}

/** A column for codec tests, where only the kind (and whatever `extra` sets) matters. */
export function codecColumn(kind: ColumnModel['kind'], extra: Partial<ColumnModel> = {}): ColumnModel {
  return column('c', kind, extra);
}

/**
 * Awaits a statement that must fail and classifies its error with the dialect's
 * describeError; a statement that succeeds fails the test.
 */
export async function describeFailure(
  describeError: (error: unknown) => DbErrorInfo,
  statement: PromiseLike<unknown> | (() => PromiseLike<unknown>),
): Promise<DbErrorInfo> {
  try {
    await (typeof statement === 'function' ? statement() : statement);
  } catch (error) {
    return describeError(error);
  }
  throw new Error('expected the statement to fail');
}

/** Runs `run` and counts the queries knex sends meanwhile (introspection must not grow with the schema). */
export async function countQueries<T>(knex: Knex, run: () => Promise<T>): Promise<{ result: T; queries: number }> {
  let queries = 0;
  const listener = (): void => {
    queries += 1;
  };
  knex.on('query', listener);
  try {
    const result = await run();
    return { result, queries };
  } finally {
    knex.off('query', listener);
  }
}

/** The common fixture's tables and view, in code-unit order (what every dialect's catalog must list). */
export const FIXTURE_TABLE_NAMES = [
  'Odd Table',
  'account',
  'album',
  'album_tag',
  'album_with_artist',
  'all_types',
  'artist',
  'employee',
  'event_log',
  'transfer',
  'user data',
  'user_data',
];
