/**
 * Materialized views without a server: the catalog row's `populated` flag reaches the
 * introspection report, and the error PostgreSQL raises on reading an unpopulated one is told
 * apart from the other errors that share its SQLSTATE (55000). The same on a real server:
 * test/integration/matview-postgres.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { PgCatalog, PgColumnRow, PgRelationRow } from '../../server/introspect/postgres/catalog';
import { describeError } from '../../server/introspect/postgres/errors';
import { normalise } from '../../server/introspect/postgres/normalise';

function relation(name: string, relkind: string, populated?: boolean): PgRelationRow {
  return { schema: 'public', name, relkind, partition_of: null, comment: null, ...(populated === undefined ? {} : { populated }) };
}

function intColumn(table: string): PgColumnRow {
  return {
    schema: 'public', table, name: 'n', attnum: 1, sql_type: 'integer', base_type: 'int4', base_type_schema: 'pg_catalog',
    base_typtype: 'b', base_category: 'N', typmod: -1, not_null: false, identity: '', generated: '',
    default_expr: null, domain_default: null, comment: null, enum_labels: null,
  };
}

describe('postgres materialized views', () => {
  const catalog: PgCatalog = {
    serverVersion: '16.0',
    serverVersionNum: 160000,
    relations: [relation('filled', 'm', true), relation('empty', 'm', false), relation('recorded', 'm'), relation('plain', 'v', true)],
    columns: ['filled', 'empty', 'recorded', 'plain'].map(intColumn),
    keys: [],
  };
  const model = normalise(catalog, ['public'], '2026-01-01T00:00:00.000Z');

  it('lists every materialized view as a view and reports only the one without data', () => {
    expect(model.tables.map((t) => [t.name, t.kind])).toEqual([['empty', 'view'], ['filled', 'view'], ['plain', 'view'], ['recorded', 'view']]);
    expect(model.report).toEqual([
      { level: 'degraded', object: 'public.empty', reason: expect.stringMatching(/^materialized view with no data .*VIEW_NOT_POPULATED until its owner runs REFRESH MATERIALIZED VIEW; lazydb never runs it$/) },
    ]);
  });

  it('classifies the read of an unpopulated view, with what fills it, and leaves other 55000 errors alone', () => {
    // The fields pg gives for `select * from "Sale Later"` on a view created WITH NO DATA.
    const unpopulated = Object.assign(new Error('select * from "Sale Later" - materialized view "Sale Later" has not been populated'), {
      severity: 'ERROR', code: '55000', hint: 'Use the REFRESH MATERIALIZED VIEW command.', routine: 'ExecOpenScanRelation',
    });
    expect(describeError(unpopulated)).toEqual({
      kind: 'not_populated',
      message: 'materialized view "Sale Later" has no data yet: it is filled when its owner runs REFRESH MATERIALIZED VIEW "Sale Later" (lazydb never runs it)',
    });
    const quoted = Object.assign(new Error('materialized view "a"b" has not been populated'), { severity: 'ERROR', code: '55000', routine: 'ExecOpenScanRelation' });
    expect(describeError(quoted).message).toContain('REFRESH MATERIALIZED VIEW "a""b"');
    const sequence = Object.assign(new Error('currval of sequence "s" is not yet defined in this session'), { severity: 'ERROR', code: '55000', routine: 'currval_oid' });
    expect(describeError(sequence).kind).toBe('other');
  });
});
