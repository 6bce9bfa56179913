import type { RootTable } from '../pipeline/context';
import type { Logger } from '../log';
import type { RequestContext } from '../pipeline/context';
import type { ResponseOutcome } from '../pipeline/plugin';
import { bucketIndexOf } from './buckets';
import type { OperationShape } from './operations';
import { addCounters, emptyCounters, HOUR, MINUTE, type OperationDelta, type UsageDelta, type UsageStore } from './store';

/** Requests on these transports are counted: the data APIs (the management API and the admin's files are not). */
const COUNTED = new Set(['graphql', 'gateway', 'rest']);
/** The table label of a request whose operation touched several tables. */
export const SEVERAL_TABLES = '(several)';
/** The table label beyond the per-database cap. */
export const OTHER_TABLE = 'other';
/** Distinct operations per database and hour this process names; the rest are counted as OTHER_OPERATION. */
export const MAX_OPERATIONS = 100;
export const OTHER_OPERATION: OperationShape = { hash: 'other', sample: '(other operations)' };
/** How often old minute rows are folded into hours and expired ones deleted. */
const COMPACT_EVERY_MS = 10 * 60_000;

export interface UsageRecorderOptions {
  flushMs: number;
  retentionDays: number;
  maxTablesPerDatabase: number;
  /** Whether a database name is registered (a name from a URL is user input until it is). */
  isDatabase(name: string): boolean;
  /** Clock, in ms since the epoch (tests). */
  now?: () => number;
}

/**
 * Counts requests per minute in memory, one Map entry per label combination, and adds the
 * deltas to the registry every `flushMs` (no I/O per request). Labels are bounded: the database
 * only when registered, the table capped per database (`other` beyond), transport, status class
 * and principal from fixed sets.
 */
export class UsageRecorder {
  #pending = new Map<string, UsageDelta>();
  #operations = new Map<string, OperationDelta>();
  /** hour and database -> the operation hashes named in that hour (the bound). */
  #operationNames = new Map<string, Set<string>>();
  readonly #tables = new Map<string, Set<string>>();
  readonly #now: () => number;
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> = Promise.resolve();
  #lastCompact = 0;
  #closed = false;

  constructor(
    private readonly store: UsageStore,
    private readonly options: UsageRecorderOptions,
    private readonly log: Logger,
  ) {
    this.#now = options.now ?? Date.now;
    if (options.flushMs > 0) {
      this.#timer = setInterval(() => void this.flush(), options.flushMs);
      this.#timer.unref();
    }
  }

  /** One answered request (the response hook). */
  record(context: RequestContext, outcome: ResponseOutcome, operation?: OperationShape): void {
    if (this.#closed || !COUNTED.has(context.transport)) return;
    // A gateway request is about the database whose namespace its root fields sit under (all of one, else none).
    const named = context.database ?? namespaceOf(context.tables);
    const database = named !== null && this.options.isDatabase(named) ? named : '';
    const table = this.#tableLabel(database, context.tables);
    const statusClass = `${Math.floor(outcome.status / 100)}xx`;
    const nowMs = this.#now();
    const bucket = Math.floor(nowMs / 1000 / MINUTE) * MINUTE;
    const { kind, role } = context.principal;
    const key = `${bucket}\u0001${database}\u0001${table}\u0001${context.transport}\u0001${statusClass}\u0001${kind}\u0001${role}`;
    let delta = this.#pending.get(key);
    if (!delta) {
      delta = { bucket, database, table, transport: context.transport, statusClass, principalKind: kind, principalRole: role, ...emptyCounters() };
      this.#pending.set(key, delta);
    }
    const durationMs = Math.max(0, performance.now() - context.startedAt);
    delta.requests += 1;
    const failed = outcome.status >= 400 || outcome.code !== null;
    if (failed) delta.errors += 1;
    delta.durationMs += durationMs;
    delta.histogram[bucketIndexOf(durationMs)]! += 1;
    if (operation) this.#recordOperation(bucket - (bucket % HOUR), database, operation, failed, durationMs);
  }

  #recordOperation(hour: number, database: string, operation: OperationShape, failed: boolean, durationMs: number): void {
    const scope = `${hour}\u0001${database}`;
    let named = this.#operationNames.get(scope);
    if (!named) this.#operationNames.set(scope, (named = new Set()));
    if (!named.has(operation.hash)) {
      if (named.size >= MAX_OPERATIONS) operation = OTHER_OPERATION;
      else named.add(operation.hash);
    }
    const key = `${scope}\u0001${operation.hash}`;
    let delta = this.#operations.get(key);
    if (!delta) this.#operations.set(key, (delta = { bucket: hour, database, hash: operation.hash, sample: operation.sample, requests: 0, errors: 0, durationMs: 0 }));
    delta.requests += 1;
    if (failed) delta.errors += 1;
    delta.durationMs += durationMs;
  }

  /** Adds what was counted since the last flush to the registry (a failed flush keeps its deltas for the next one). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushNow());
    return this.#flushing;
  }

  /** Flushes once more and stops the timer (shutdown). */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.flush();
    this.#closed = true;
  }

  async #flushNow(): Promise<void> {
    const deltas = [...this.#pending.values()];
    this.#pending = new Map();
    const operations = [...this.#operations.values()];
    this.#operations = new Map();
    try {
      await this.store.add(deltas);
    } catch (error) {
      this.log.warn('usage rollups could not be written; kept for the next flush', { error: (error as Error).message });
      for (const delta of deltas) this.#keep(delta);
      for (const operation of operations) this.#keepOperation(operation);
      return;
    }
    // The operations are a sample of what was asked: a failed write of them is not retried.
    await this.store.addOperations(operations).catch((error: Error) => this.log.warn('top operations could not be written', { error: error.message }));
    const nowMs = this.#now();
    const hour = Math.floor(nowMs / 1000 / HOUR) * HOUR;
    for (const scope of this.#operationNames.keys()) if (Number(scope.split('\u0001', 1)[0]) < hour) this.#operationNames.delete(scope);
    if (nowMs - this.#lastCompact >= COMPACT_EVERY_MS) {
      this.#lastCompact = nowMs;
      const now = Math.floor(nowMs / 1000);
      await this.store
        .compact(now - 24 * HOUR, now - this.options.retentionDays * 24 * HOUR)
        .catch((error: Error) => this.log.warn('usage rollups could not be compacted', { error: error.message }));
    }
  }

  #keepOperation(delta: OperationDelta): void {
    const key = `${delta.bucket}\u0001${delta.database}\u0001${delta.hash}`;
    const known = this.#operations.get(key);
    if (!known) return void this.#operations.set(key, delta);
    known.requests += delta.requests;
    known.errors += delta.errors;
    known.durationMs += delta.durationMs;
  }

  #keep(delta: UsageDelta): void {
    const key = [delta.bucket, delta.database, delta.table, delta.transport, delta.statusClass, delta.principalKind, delta.principalRole].join('\u0001');
    const known = this.#pending.get(key);
    if (!known) return void this.#pending.set(key, delta);
    addCounters(known, delta);
  }

  #tableLabel(database: string, tables: readonly RootTable[] | null): string {
    if (!tables || tables.length === 0) return '';
    if (tables.length > 1) return SEVERAL_TABLES;
    const table = tables[0]!.table;
    let seen = this.#tables.get(database);
    if (!seen) this.#tables.set(database, (seen = new Set()));
    if (seen.has(table)) return table;
    if (seen.size >= this.options.maxTablesPerDatabase) return OTHER_TABLE;
    seen.add(table);
    return table;
  }
}

/** The one database a gateway operation's root tables sit under; null for none or several. */
function namespaceOf(tables: readonly RootTable[] | null): string | null {
  const first = tables?.[0]?.database ?? null;
  return first !== null && tables!.every((t) => t.database === first) ? first : null;
}
