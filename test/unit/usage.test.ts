import { parse } from 'graphql';
import knexFactory, { type Knex } from 'knex';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseUsageQuery } from '../../server/admin-api/usage';
import type { Logger } from '../../server/log';
import type { RequestContext } from '../../server/pipeline/context';
import { bucketIndexOf, HISTOGRAM_SIZE, quantileOf } from '../../server/usage/buckets';
import { operationShapeOf } from '../../server/usage/operations';
import { MAX_OPERATIONS, OTHER_OPERATION, OTHER_TABLE, SEVERAL_TABLES, UsageRecorder } from '../../server/usage/recorder';
import { emptyCounters, HOUR, MINUTE, UsageStore, USAGE_TABLE, type OperationDelta, type UsageDelta } from '../../server/usage/store';

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('latency buckets', () => {
  it('puts a duration in the first bucket whose bound holds it', () => {
    expect(bucketIndexOf(0)).toBe(0);
    expect(bucketIndexOf(5)).toBe(0);
    expect(bucketIndexOf(5.1)).toBe(1);
    expect(bucketIndexOf(2500)).toBe(8);
    expect(bucketIndexOf(60_000)).toBe(9);
  });

  it('estimates quantiles by interpolating inside a bucket', () => {
    const histogram = new Array<number>(HISTOGRAM_SIZE).fill(0);
    expect(quantileOf(histogram, 0.5)).toBeNull();
    histogram[1] = 10; // 10 requests between 5 and 10 ms
    expect(quantileOf(histogram, 0.5)).toBe(7.5);
    histogram[9] = 90; // 90 above 2500 ms: reported as 2500
    expect(quantileOf(histogram, 0.95)).toBe(2500);
    expect(quantileOf(histogram, 0.05)).toBe(7.5);
  });
});

function delta(bucket: number, labels: Partial<UsageDelta> = {}, requests = 1): UsageDelta {
  const counters = emptyCounters();
  counters.requests = requests;
  counters.durationMs = 3 * requests;
  counters.histogram[0] = requests;
  return { bucket, database: 'db', table: 't', transport: 'rest', statusClass: '2xx', principalKind: 'anonymous', principalRole: 'anonymous', ...counters, ...labels };
}

describe('UsageStore (SQLite)', () => {
  let db: Knex;
  let store: UsageStore;
  beforeEach(async () => {
    db = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    store = new UsageStore(db);
    await store.ensureTable();
    await store.ensureTable(); // a second start finds it
  });
  afterEach(() => db.destroy());

  it('adds deltas to the same row instead of replacing it', async () => {
    await store.add([delta(600, {}, 2)]);
    await store.add([delta(630, {}, 3), delta(600, { table: 'u' })]);
    const rows = await db(USAGE_TABLE).select('*').orderBy('table_name');
    expect(rows.map((r) => [r.bucket, r.table_name, r.requests, r.h0, r.duration_ms])).toEqual([
      [600, 't', 5, 5, 15],
      [600, 'u', 1, 1, 3],
    ]);
  });

  it('folds minute rows older than a day into hours and drops what is past retention', async () => {
    const now = 100 * 24 * HOUR;
    const old = now - 2 * 24 * HOUR; // an hour boundary two days ago
    await store.add([delta(old, {}, 1), delta(old + 5 * MINUTE, {}, 2), delta(old + HOUR, {}, 4), delta(now - 40 * 24 * HOUR), delta(now - MINUTE, {}, 7)]);
    await store.compact(now - 24 * HOUR, now - 30 * 24 * HOUR);
    const rows = await db(USAGE_TABLE).select('resolution', 'bucket', 'requests').orderBy('bucket');
    expect(rows).toEqual([
      { resolution: HOUR, bucket: old, requests: 3 },
      { resolution: HOUR, bucket: old + HOUR, requests: 4 },
      { resolution: MINUTE, bucket: now - MINUTE, requests: 7 },
    ]);
    // Folding again changes nothing; the hours still count in a window.
    await store.compact(now - 24 * HOUR, now - 30 * 24 * HOUR);
    expect((await store.perBucket({ from: old, to: now })).map((r) => r.requests)).toEqual([3, 4, 7]);
  });
});

describe('UsageRecorder labels', () => {
  const context = (database: string | null, names?: string[]): RequestContext =>
    ({ transport: 'rest', database, tables: names ? names.map((table) => ({ database: null, table })) : null, principal: { kind: 'anonymous', role: 'anonymous' }, startedAt: performance.now() }) as unknown as RequestContext;

  it('keeps only registered databases and caps tables per database', async () => {
    const added: UsageDelta[] = [];
    const store = { add: async (deltas: UsageDelta[]) => void added.push(...deltas), addOperations: async () => undefined, compact: async () => undefined } as unknown as UsageStore;
    const recorder = new UsageRecorder(store, { flushMs: 0, retentionDays: 30, maxTablesPerDatabase: 2, isDatabase: (name) => name === 'db' }, quiet);
    for (const table of ['a', 'b', 'c', 'd', 'a']) recorder.record(context('db', [table]), { status: 200, code: null });
    recorder.record(context('db', ['a', 'b']), { status: 200, code: null });
    recorder.record(context('made-up', ['x']), { status: 404, code: 'NOT_FOUND' });
    await recorder.close();
    const labels = Object.fromEntries(added.map((d) => [`${d.database}.${d.table}`, [d.requests, d.errors]]));
    expect(labels).toEqual({ 'db.a': [2, 0], 'db.b': [1, 0], [`db.${OTHER_TABLE}`]: [2, 0], [`db.${SEVERAL_TABLES}`]: [1, 0], '.x': [1, 1] });
  });

  it('keeps the deltas of a failed flush for the next one', async () => {
    let fail = true;
    const added: UsageDelta[] = [];
    const store = {
      add: async (deltas: UsageDelta[]) => {
        if (fail) throw new Error('registry down');
        added.push(...deltas);
      },
      addOperations: async () => undefined,
      compact: async () => undefined,
    } as unknown as UsageStore;
    const recorder = new UsageRecorder(store, { flushMs: 0, retentionDays: 30, maxTablesPerDatabase: 10, isDatabase: () => true }, quiet);
    recorder.record(context('db', ['a']), { status: 200, code: null });
    await recorder.flush();
    recorder.record(context('db', ['a']), { status: 200, code: null });
    fail = false;
    await recorder.flush();
    expect(added.map((d) => d.requests)).toEqual([2]);
  });
});

describe('top operations', () => {
  it('normalises literal values away and hashes the text, once per document', () => {
    const one = parse('query Q { artist(limit: 2, where: { name: { _eq: "secret" } }, order_by: [{ name: asc }]) { name } }');
    const two = parse('query Q { artist(limit: 3, where: { name: { _eq: "other" } }, order_by: [{ name: desc }]) { name } }');
    const shape = operationShapeOf(one);
    expect(shape.sample).toBe('query Q { artist(limit: _, where: _, order_by: _) { name } }');
    expect(shape.sample).not.toContain('secret');
    expect(operationShapeOf(two)).toEqual(shape);
    expect(operationShapeOf(one)).toBe(shape);
    expect(operationShapeOf(parse('query Q($n: Int) { artist(limit: $n) { name } }')).hash).not.toBe(shape.hash);
  });

  it(`names at most ${MAX_OPERATIONS} operations per database and hour, the rest as other`, async () => {
    const operations: OperationDelta[] = [];
    const store = { add: async () => undefined, addOperations: async (deltas: OperationDelta[]) => void operations.push(...deltas), compact: async () => undefined } as unknown as UsageStore;
    const recorder = new UsageRecorder(store, { flushMs: 0, retentionDays: 30, maxTablesPerDatabase: 10, isDatabase: () => true }, quiet);
    const context = { transport: 'graphql', database: 'db', principal: { kind: 'anonymous', role: 'anonymous' }, startedAt: performance.now() } as unknown as RequestContext;
    for (let i = 0; i < MAX_OPERATIONS + 50; i++) recorder.record(context, { status: 200, code: null }, { hash: `h${i}`, sample: `op ${i}` });
    recorder.record(context, { status: 200, code: null }, { hash: 'h0', sample: 'op 0' });
    await recorder.close();
    expect(operations).toHaveLength(MAX_OPERATIONS + 1);
    expect(operations.find((o) => o.hash === 'h0')!.requests).toBe(2);
    expect(operations.find((o) => o.hash === OTHER_OPERATION.hash)!.requests).toBe(50);
  });
});

describe('GET /api/usage parameters', () => {
  const now = Date.parse('2026-01-31T12:34:56Z');
  it('defaults to the last hour by minute, whole steps', () => {
    const query = parseUsageQuery(new URLSearchParams(), now);
    expect(query.step).toBe('minute');
    expect(new Date(query.from * 1000).toISOString()).toBe('2026-01-31T11:34:00.000Z');
    expect(new Date(query.to * 1000).toISOString()).toBe('2026-01-31T12:35:00.000Z');
  });

  it('reads ISO-8601 and epoch milliseconds', () => {
    const query = parseUsageQuery(new URLSearchParams({ from: '2026-01-30', to: String(now), step: 'hour', database: 'db' }), now);
    expect(query).toMatchObject({ step: 'hour', database: 'db', from: Date.parse('2026-01-30') / 1000, to: Date.parse('2026-01-31T13:00:00Z') / 1000 });
  });
});
