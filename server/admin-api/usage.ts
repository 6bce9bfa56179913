import type { IncomingMessage, ServerResponse } from 'node:http';
import { fail } from '../errors/catalogue';
import { sendJson } from '../http/io';
import { quantileOf } from '../usage/buckets';
import type { UsageRecorder } from '../usage/recorder';
import { addCounters, emptyCounters, HOUR, MINUTE, type UsageCounters, type UsageFilter, type UsageStore } from '../usage/store';
import type { UsageFigures, UsagePoint, UsageReport, UsageStep } from './types';

/** The widest window one request may ask for, and the most points its series may have. */
export const MAX_WINDOW_DAYS = 31;
export const MAX_POINTS = 2000;
/** Operations listed in an answer. */
export const TOP_OPERATIONS = 20;
const PARAMETERS = new Set(['database', 'table', 'principal', 'from', 'to', 'step']);
const STEP_SECONDS: Record<UsageStep, number> = { minute: MINUTE, hour: HOUR };

interface UsageQuery extends UsageFilter {
  step: UsageStep;
}

/**
 * GET /api/usage: the usage rollups of the registry (every replica's), filtered by database,
 * table, principal and window. This replica's pending counts are flushed first, so its own
 * latest requests are in.
 */
export function usageApi(store: UsageStore, recorder: UsageRecorder, now: () => number = Date.now) {
  return async function handle(request: IncomingMessage, response: ServerResponse, search: URLSearchParams): Promise<void> {
    const method = request.method ?? 'GET';
    if (method !== 'GET') throw fail('METHOD_NOT_ALLOWED', `${method} is not allowed here; use GET`, {}, { allow: 'GET' });
    const query = parseUsageQuery(search, now());
    await recorder.flush();
    const [buckets, groups, operations] = await Promise.all([store.perBucket(query), store.perTable(query), store.topOperations(query, TOP_OPERATIONS)]);
    const step = STEP_SECONDS[query.step];
    const points = new Map<number, UsageCounters>();
    for (let time = query.from; time < query.to; time += step) points.set(time, emptyCounters());
    const totals = emptyCounters();
    for (const row of buckets) {
      // An hour row in a minute series lands on its hour's first minute.
      const point = points.get(row.bucket - ((row.bucket - query.from) % step));
      if (point) addCounters(point, row);
      addCounters(totals, row);
    }
    const databases = new Map<string, UsageCounters>();
    for (const row of groups) {
      const known = databases.get(row.database);
      if (known) addCounters(known, row);
      else databases.set(row.database, { ...row, histogram: [...row.histogram] });
    }
    const report: UsageReport = {
      from: iso(query.from),
      to: iso(query.to),
      step: query.step,
      filter: { database: query.database ?? null, table: query.table ?? null, principal: query.principal ?? null },
      series: [...points].map(([time, counters]): UsagePoint => ({ time: iso(time), ...figuresOf(counters) })),
      totals: figuresOf(totals),
      databases: [...databases].map(([database, counters]) => ({ database, ...figuresOf(counters) })),
      tables: groups.map((row) => ({ database: row.database, table: row.table, ...figuresOf(row) })),
      operations: operations.map(({ durationMs, ...row }) => ({ ...row, avgMs: row.requests > 0 ? Math.round((durationMs / row.requests) * 100) / 100 : null })),
    };
    sendJson(response, 200, report);
  };
}

/**
 * The query parameters, checked: `from` and `to` as ISO-8601 or milliseconds since the epoch
 * (default: the last hour), `step` minute or hour (default minute), the window at most
 * MAX_WINDOW_DAYS and MAX_POINTS steps. `from` is rounded down to a step, `to` up.
 */
export function parseUsageQuery(search: URLSearchParams, nowMs: number): UsageQuery {
  for (const name of new Set(search.keys())) {
    if (!PARAMETERS.has(name)) throw fail('BAD_PARAMETER', `unknown query parameter "${clip(name)}"; use database, table, principal, from, to and step`);
    if (search.getAll(name).length > 1) throw fail('BAD_PARAMETER', `the query parameter ${name} is given more than once`);
  }
  const stepText = search.get('step') ?? 'minute';
  if (stepText !== 'minute' && stepText !== 'hour') throw fail('BAD_PARAMETER', `step must be minute or hour (got "${clip(stepText)}")`);
  const step = STEP_SECONDS[stepText];
  const toMs = timeOf(search, 'to') ?? nowMs;
  const fromMs = timeOf(search, 'from') ?? toMs - 3_600_000;
  if (fromMs >= toMs) throw fail('BAD_PARAMETER', 'from must be before to');
  if (toMs - fromMs > MAX_WINDOW_DAYS * 86_400_000) throw fail('BAD_PARAMETER', `the window from … to must be at most ${MAX_WINDOW_DAYS} days`);
  const from = Math.floor(fromMs / 1000 / step) * step;
  const to = Math.ceil(toMs / 1000 / step) * step;
  if ((to - from) / step > MAX_POINTS) throw fail('BAD_PARAMETER', `the window has more than ${MAX_POINTS} steps of a ${stepText}; use step=hour or a shorter window`);
  const query: UsageQuery = { from, to, step: stepText };
  const database = label(search, 'database', 63);
  const table = label(search, 'table', 128);
  const principal = label(search, 'principal', 32);
  if (database !== undefined) query.database = database;
  if (table !== undefined) query.table = table;
  if (principal !== undefined) query.principal = principal;
  return query;
}

function timeOf(search: URLSearchParams, name: 'from' | 'to'): number | undefined {
  const text = search.get(name);
  if (text === null || text === '') return undefined;
  // Milliseconds since the epoch, or an ISO-8601 date (time optional).
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) throw fail('BAD_PARAMETER', `${name} must be an ISO-8601 time such as 2026-01-31T12:00:00Z or milliseconds since the epoch (got "${clip(text)}")`);
  return ms;
}

function label(search: URLSearchParams, name: string, max: number): string | undefined {
  const text = search.get(name);
  if (text === null) return undefined;
  if (text.length > max) throw fail('BAD_PARAMETER', `${name} must be at most ${max} characters`);
  return text;
}

function figuresOf(counters: UsageCounters): UsageFigures {
  const { requests, errors, rows, durationMs, histogram } = counters;
  return {
    requests,
    errors,
    rows,
    avgMs: requests > 0 ? Math.round((durationMs / requests) * 100) / 100 : null,
    p50Ms: quantileOf(histogram, 0.5),
    p95Ms: quantileOf(histogram, 0.95),
  };
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
