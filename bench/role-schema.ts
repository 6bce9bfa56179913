/**
 * Per-role schemas on a large model: the time a new role's first request spends on its view
 * (servable rules, access, schema build and validation, then executing one query) and the heap
 * one cached view holds, on an in-memory model of 1,000 tables shaped like bench/lib/databases.ts's
 * synthetic schema (a tree of foreign keys with fan-out 8, every third table also pointing at
 * one of ten hubs). No database: the data source answers no rows, so only lazydb's own cost is
 * measured.
 *
 *   npx tsx bench/role-schema.ts [--tables 1000] [--roles 20]
 *
 * Two kinds of role: "wide" reads every column of every table (the worst case, as big as the
 * full schema), "narrow" reads three columns of every other table and writes none. Prints
 * medians over the roles; nothing here asserts a time.
 */
import { graphql } from 'graphql';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ColumnModel, DbModel, TableModel } from '../server/model/types';
import type { PermissionDocument } from '../server/permissions/document';
import { RoleViews, type RoleView } from '../server/permissions/role-views';
import { buildSchema } from '../server/schema/build';
import { nameModel } from '../server/schema/naming';
import type { DataSource } from '../server/schema/source';
import { emptySource } from '../test/helpers/model';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const TABLES = Number(args.get('tables') ?? 1000);
const ROLES = Number(args.get('roles') ?? 20);

function column(name: string, kind: ColumnModel['kind'], nullable: boolean): ColumnModel {
  return { name, kind, sqlType: kind, nullable, hasDefault: name === 'id', defaultValue: null, autoIncrement: name === 'id', generated: false, length: null, precision: null, scale: null, comment: null };
}

const tableName = (i: number) => `t${String(i).padStart(4, '0')}`;

function syntheticModel(count: number): DbModel {
  const tables: TableModel[] = [];
  for (let i = 0; i < count; i++) {
    const columns = [column('id', 'int', false), column('name', 'string', false), column('composer', 'string', true), column('milliseconds', 'int', false), column('unit_price', 'decimal', false)];
    const foreignKeys: TableModel['foreignKeys'] = [];
    if (i > 0) {
      columns.push(column('parent_id', 'int', true));
      foreignKeys.push({ name: `${tableName(i)}_parent`, columns: ['parent_id'], refSchema: 'public', refTable: tableName(Math.floor((i - 1) / 8)), refColumns: ['id'] });
    }
    if (i > 10 && i % 3 === 0) {
      columns.push(column('hub_id', 'int', true));
      foreignKeys.push({ name: `${tableName(i)}_hub`, columns: ['hub_id'], refSchema: 'public', refTable: tableName(i % 10), refColumns: ['id'] });
    }
    tables.push({ schema: 'public', name: tableName(i), kind: 'table', columns, primaryKey: ['id'], uniqueKeys: [], foreignKeys, comment: null });
  }
  return { formatVersion: 1, dialect: 'postgres', serverVersion: 'bench', schemas: ['public'], tables, report: [], introspectedAt: new Date(0).toISOString() };
}

const noRows: DataSource = emptySource();

const model = syntheticModel(TABLES);
const named = nameModel(model);
const built = { model, named, source: noRows };

const wide: PermissionDocument = Object.fromEntries(
  named.tables.map((t) => [
    t.typeName,
    { select: { columns: '*', filter: {}, aggregate: true }, insert: { columns: '*', check: {} }, update: { columns: '*', filter: {} }, delete: { filter: {} } },
  ]),
);
const narrow: PermissionDocument = Object.fromEntries(
  named.tables.filter((_, i) => i % 2 === 0).map((t) => [t.typeName, { select: { columns: ['id', 'name', 'parent_id'], filter: { name: { _like: 'X-Lazydb-Prefix' } } } }]),
);

const documents = new Map<string, PermissionDocument>();
const views = new RoleViews({ rules: (_db, role) => ({ version: '1', document: documents.get(role)! }), sourceFactory: (base) => base, maxLimit: 100, capacity: ROLES * 2 + 2 });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function firstRequest(role: string): Promise<{ viewMs: number; requestMs: number; view: RoleView }> {
  const started = performance.now();
  const view = views.view('bench', built, role)!;
  const viewed = performance.now();
  const result = await graphql({ schema: view.schema, source: `{ ${tableName(500)}(limit: 5) { id name } }`, contextValue: {} });
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('; '));
  return { viewMs: viewed - started, requestMs: performance.now() - started, view };
}

async function measure(kind: string, document: PermissionDocument): Promise<void> {
  const viewMs: number[] = [];
  const requestMs: number[] = [];
  const kept: RoleView[] = [];
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < ROLES; i++) {
    const role = `${kind}_${i}`;
    documents.set(role, document);
    const first = await firstRequest(role);
    viewMs.push(first.viewMs);
    requestMs.push(first.requestMs);
    kept.push(first.view);
  }
  gc();
  const perView = (process.memoryUsage().heapUsed - before) / ROLES;
  console.log(
    `${kind.padEnd(6)} role: first request ${median(requestMs).toFixed(0)} ms (view ${median(viewMs).toFixed(0)} ms), ` +
      `heap per cached view ${mb(perView)} (${ROLES} roles, ${kept.length} kept)`,
  );
}

const baseStarted = performance.now();
buildSchema(named, noRows, { maxLimit: 100 }).getTypeMap();
console.log(`${TABLES} tables; full schema (no access) built in ${(performance.now() - baseStarted).toFixed(0)} ms`);
// One role first, so the module and JIT warm-up is not charged to the measured ones.
documents.set('warmup', narrow);
await firstRequest('warmup');
await measure('narrow', narrow);
await measure('wide', wide);
