import type { IncomingMessage } from 'node:http';
import { parse } from 'graphql';
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LazydbError } from '../../server/errors/lazydb-error';
import { composeGateway } from '../../server/gateway/compose';
import { isLoopback, MetricsAccess } from '../../server/metrics/endpoint';
import { knownCode, statusClassOf, TableLabels } from '../../server/metrics/labels';
import { BucketedHistogram, CountedSeries, countedCounter } from '../../server/metrics/series';
import { rootTablesOf } from '../../server/pipeline/root-tables';
import { buildSchema } from '../../server/schema/build';
import { nameModel } from '../../server/schema/naming';
import type { DataSource } from '../../server/schema/source';
import { hardCaseModel } from '../helpers/model';

/** A request as MetricsAccess reads it: the peer's address and the Authorization header. */
function request(remoteAddress: string | undefined, authorization?: string): IncomingMessage {
  return { socket: { remoteAddress }, headers: authorization === undefined ? {} : { authorization } } as unknown as IncomingMessage;
}

function refusal(check: () => void): { code: string; status: number; message: string } | null {
  try {
    check();
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(LazydbError);
    const { code, status, message } = error as LazydbError;
    return { code, status, message };
  }
}

describe('who may read /metrics', () => {
  it('without a token: loopback clients only (127.0.0.0/8, ::1, IPv4-mapped), 403 naming LAZYDB_METRICS_TOKEN for the rest', () => {
    const open = new MetricsAccess(undefined);
    for (const address of ['127.0.0.1', '127.10.20.30', '::1', '::ffff:127.0.0.1']) expect(refusal(() => open.check(request(address))), address).toBeNull();
    for (const address of ['10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', 'fe80::1', '::', '0.0.0.0', '128.0.0.1', '1270.0.0.1', undefined]) {
      const refused = refusal(() => open.check(request(address)));
      expect(refused, String(address)).toMatchObject({ code: 'METRICS_LOOPBACK_ONLY', status: 403 });
      expect(refused!.message).toContain('LAZYDB_METRICS_TOKEN');
    }
  });

  it('with a token: the bearer token, whole, from anywhere (loopback included)', () => {
    const token = 'a-long-scrape-token-0123456789';
    const guarded = new MetricsAccess(token);
    for (const header of [`Bearer ${token}`, `bearer ${token}`, `BEARER  ${token} `]) expect(refusal(() => guarded.check(request('10.0.0.1', header))), header).toBeNull();
    for (const header of [undefined, '', token, `Basic ${token}`, `Bearer ${token.slice(1)}`, `Bearer ${token}0`, `Bearer ${token} extra`, 'Bearer']) {
      expect(refusal(() => guarded.check(request('127.0.0.1', header))), String(header)).toMatchObject({ code: 'METRICS_TOKEN_INVALID', status: 401 });
    }
  });

  it('knows loopback addresses', () => {
    expect([isLoopback('127.0.0.1'), isLoopback('::1'), isLoopback('::ffff:127.1.2.3'), isLoopback('::ffff:8.8.8.8'), isLoopback('localhost')]).toEqual([true, true, true, false, false]);
  });
});

describe('bounded labels', () => {
  it('status classes', () => {
    expect([200, 201, 302, 404, 499, 500, 503, 99, 600].map(statusClassOf)).toEqual(['2xx', '2xx', '3xx', '4xx', '4xx', '5xx', '5xx', 'other', 'other']);
  });

  it('codes: the catalogue and graphql-js/yoga codes, nothing else', () => {
    expect(['NOT_FOUND', 'LIMIT_TOO_LARGE', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_ERROR'].every(knownCode)).toBe(true);
    expect(['not_found', 'SOMETHING_ELSE', 'toString', '__proto__', ''].some(knownCode)).toBe(false);
  });

  it('tables: the first N per database, then none', () => {
    const labels = new TableLabels(2);
    expect([labels.labelOf('a', 'x'), labels.labelOf('a', 'y'), labels.labelOf('a', 'z'), labels.labelOf('a', 'x'), labels.labelOf('b', 'z')]).toEqual(['x', 'y', null, 'x', 'z']);
    expect(new TableLabels(0).labelOf('a', 'x')).toBeNull();
  });
});

describe('rootTablesOf', () => {
  const source = {} as DataSource;
  const named = nameModel(hardCaseModel());
  const schema = buildSchema(named, source, { maxLimit: 100 });
  const gateway = composeGateway([
    { name: 'shop', schema: buildSchema(named, source, { maxLimit: 100, typePrefix: 'shop_' }) },
    { name: 'hr', schema: buildSchema(named, source, { maxLimit: 100, typePrefix: 'hr_' }) },
  ]);
  const tables = (text: string, operationName?: string, on = schema) => rootTablesOf(on, parse(text), operationName);

  it("names each root field's table once, whatever the field: list, by key, aggregate, insert, update, delete", () => {
    expect(tables('{ artist { name } a: artist_by_pk(artist_id: 1) { name } album_aggregate { aggregate { count } } __typename }')).toEqual([
      { database: null, table: 'artist' },
      { database: null, table: 'album' },
    ]);
    expect(tables('mutation { insert_artist_one(object: {name: "x"}) { artist_id } delete_album(where: {}) { affected_rows } update_Odd_Table_by_pk(pk_columns: {ID: 1}) { ID } }')).toEqual([
      { database: null, table: 'artist' },
      { database: null, table: 'album' },
      { database: null, table: 'Odd_Table' },
    ]);
  });

  it('follows fragments at the root, picks the named operation, and finds nothing in introspection', () => {
    expect(tables('query A { artist { name } } query B { ...F ... on Query { employee { name } } } fragment F on Query { album { title } }', 'B')).toEqual([
      { database: null, table: 'album' },
      { database: null, table: 'employee' },
    ]);
    expect(tables('{ __schema { types { name } } }')).toEqual([]);
    expect(tables('query A { artist { name } }', 'Nope')).toEqual([]);
  });

  it('under /graphql, the tables below each namespace with their database', () => {
    expect(tables('{ shop { artist { name } album { title } } hr { employee { name } } _databases }', undefined, gateway)).toEqual([
      { database: 'shop', table: 'artist' },
      { database: 'shop', table: 'album' },
      { database: 'hr', table: 'employee' },
    ]);
    expect(tables('mutation { hr { insert_employee_one(object: {name: "x"}) { employee_id } } }', undefined, gateway)).toEqual([{ database: 'hr', table: 'employee' }]);
  });

  it('walks a document once per schema and operation', () => {
    const document = parse('{ artist { name } }');
    expect(rootTablesOf(schema, document, undefined)).toBe(rootTablesOf(schema, document, undefined));
  });
});

describe('series counted outside prom-client', () => {
  it("a BucketedHistogram's text is prom-client's own Histogram's, observation for observation", async () => {
    const buckets = [0.001, 0.01, 0.1, 1];
    const observations: [string, string, number][] = [
      ['a', 'graphql', 0.0004],
      ['a', 'graphql', 0.001],
      ['a', 'graphql', 0.05],
      ['a', 'rest', 2],
      ['b"\\\n', 'graphql', 0.1],
      ['a', 'graphql', 7],
    ];
    const theirs = new Registry();
    const ours = new Registry();
    const reference = new Histogram({ name: 'h_seconds', help: 'help "text" \\ here', labelNames: ['database', 'transport'], buckets, registers: [theirs] });
    const bucketed = new BucketedHistogram([ours], 'h_seconds', 'help "text" \\ here', ['database', 'transport'], buckets);
    for (const [database, transport, value] of observations) {
      reference.labels(database, transport).observe(value);
      bucketed.seriesOf(`${database}\u0000${transport}`, { database, transport }).observe(value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // As JSON too, but for prom-client's exemplar slots (none here).
    const withoutExemplars = (json: unknown) => JSON.parse(JSON.stringify(json, (key, value) => (key === 'exemplar' ? undefined : value)));
    expect(await ours.getMetricsAsJSON()).toEqual(withoutExemplars(await theirs.getMetricsAsJSON()));
  });

  it("a counted counter's text is prom-client's own Counter's", async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const reference = new Counter({ name: 'c_total', help: 'h', labelNames: ['code'], registers: [theirs] });
    const series = [new CountedSeries({ code: 'A' }), new CountedSeries({ code: 'B' })];
    countedCounter([ours], 'c_total', 'h', ['code'], () => series);
    reference.labels('A').inc(3);
    reference.labels('B').inc(0);
    series[0]!.value = 3;
    expect(await ours.metrics()).toBe(await theirs.metrics());
    series[1]!.value = 2;
    reference.labels('B').inc(2);
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
