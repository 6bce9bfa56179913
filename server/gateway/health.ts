import type { DialectModule } from '../introspect/dialect';
import type { DatabaseSpec } from '../model/types';
import { describeConnectFailure } from '../introspect/common/connect-failure';
import { redactSecrets } from '../registry/validate';
import type { PoolHandle } from './pool';
import { TargetNotAllowedError } from './targets';
import { PoolExhaustedError } from '../query/runner';

/** What a health probe found: the server answers, the pool is jammed, or the server does not answer. */
export type HealthVerdict = { status: 'ready' } | { status: 'degraded' | 'error'; reason: string };

/**
 * One `select 1` through the database's own pool, bounded by `timeoutMs`. Going through the
 * pool is the point: a server that answers while every connection is held by slow requests is
 * not ready for the next request either, and that is what the verdict must say. `verdict`
 * comes within `timeoutMs`; `settled` when the ping itself is done (it may still be queued).
 */
export function probe(pool: PoolHandle, dialect: DialectModule, spec: DatabaseSpec, timeoutMs: number): { verdict: Promise<HealthVerdict>; settled: Promise<unknown> } {
  const answered = pool.knex.raw(dialect.pingQuery).then(
    (): HealthVerdict => ({ status: 'ready' }),
    (error: unknown): HealthVerdict =>
      // The pool gave up waiting for a connection of its own (LAZYDB_POOL_WAIT_MS, or knex's bound):
      // the pool is jammed, the server may be fine.
      error instanceof PoolExhaustedError || (error as Error | null)?.name === 'KnexTimeoutError'
        ? exhausted(pool, timeoutMs, 0) ?? { status: 'error', reason: 'no connection could be made in time' }
        : { status: 'error', reason: failureReason(dialect, spec, error) },
  );
  return { verdict: verdictWithin(answered, pool, timeoutMs), settled: answered };
}

/**
 * The degraded verdict when every connection is in use and at least `minWaiting` acquires
 * still wait (the probe's own, while it waits; none once knex has given up on it).
 */
/**
 * Why a ping failed, in the fixed words of a failed connection: `/readyz` is public, and what the
 * other end said (a banner, a pg_hba line with addresses, a path) must not reach it.
 */
function failureReason(dialect: DialectModule, spec: DatabaseSpec, error: unknown): string {
  if (error instanceof TargetNotAllowedError) return error.message;
  return redactSecrets(describeConnectFailure(dialect, error, spec), spec);
}

function exhausted(pool: PoolHandle, timeoutMs: number, minWaiting = 1): HealthVerdict | null {
  const load = pool.load();
  if (load.max === 0 || load.used < load.max || load.pending < minWaiting) return null;
  return {
    status: 'degraded',
    reason: `all ${load.max} connections are busy and requests have waited over ${timeoutMs} ms for one (pool exhausted; LAZYDB_POOL_MAX)`,
  };
}

async function verdictWithin(answered: Promise<HealthVerdict>, pool: PoolHandle, timeoutMs: number): Promise<HealthVerdict> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
    timer.unref();
  });
  try {
    const verdict = await Promise.race([answered, late]);
    if (verdict) return verdict;
  } finally {
    clearTimeout(timer);
  }
  // Still waiting: either for a connection (every one is held) or for the server.
  return exhausted(pool, timeoutMs) ?? { status: 'error', reason: `the server did not answer within ${timeoutMs} ms` };
}

/** The gateway as the monitor sees it: which databases to probe, and where verdicts go. */
export interface HealthTargets {
  /** Databases whose status the monitor owns now (serving, and not in a reconnect loop). */
  probeable(): Array<{ name: string; pool: PoolHandle; dialect: DialectModule; spec: DatabaseSpec }>;
  /** A verdict for the database as it was probed; ignored when its pool has been replaced since. */
  apply(name: string, pool: PoolHandle, verdict: HealthVerdict): void;
}

/**
 * Probes every serving database on an interval, so that `status` and `/readyz` follow a
 * server going down or a pool running dry, and come back when it recovers. One probe per pool
 * at a time: a jammed pool does not collect a queue of pings.
 */
export class HealthMonitor {
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new WeakSet<PoolHandle>();

  constructor(
    private readonly targets: HealthTargets,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.checkAll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Probes every probeable database once; resolves when all verdicts are applied. */
  async checkAll(): Promise<void> {
    await Promise.all(
      this.targets.probeable().map(async ({ name, pool, dialect, spec }) => {
        if (this.inFlight.has(pool) || pool.isDestroyed) return;
        this.inFlight.add(pool);
        pool.acquire();
        const { verdict, settled } = probe(pool, dialect, spec, this.timeoutMs);
        // The pool stays marked until the ping itself is done, not just until its verdict.
        void settled.finally(() => {
          this.inFlight.delete(pool);
          pool.release();
        });
        this.targets.apply(name, pool, await verdict);
      }),
    );
  }
}
