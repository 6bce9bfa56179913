import type { Knex } from 'knex';
import type { SideConnection, StatementDriver, StatementResult } from '../introspect/dialect';
import { markUnprefixed } from '../introspect/common/sent-errors';
import type { BoundStatement } from '../sql/fragment';
import type { CancelSignal, StatementStats } from '../schema/source';

/** What connection-level code needs of a knex instance or transaction (its client hands out connections). */
interface PooledClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown> | unknown;
  emit(event: string, payload: unknown): boolean;
}

/** Connections outside the pool, as knex's client opens and closes them (the pool's own way, pinning included). */
interface RawConnections {
  acquireRawConnection(): Promise<unknown>;
  destroyRawConnection(connection: unknown): Promise<unknown>;
}

/**
 * What listeners of knex's `query` event receive for a statement run here: the text exactly as
 * compiled (placeholders, never values) and the values apart. Tests count statements on the wire
 * with `knex.on('query', …)` and check that no request value ever reaches the text.
 */
export interface SentStatement {
  sql: string;
  bindings: readonly unknown[];
  method: 'raw';
  /** Marks statements run by lazydb's runner (BEGIN/COMMIT and introspection come from knex itself). */
  lazydb: true;
}

/** How one statement is bounded. */
export interface StatementOptions {
  /** Aborted when the request's client has gone away: the statement is cancelled on the server. */
  signal?: CancelSignal | undefined;
  /**
   * The database's statement timeout, in ms. The server enforces it (a session setting, see the
   * dialects' connection.ts); should a statement outlive it by CANCEL_GRACE_MS (MySQL writes, which
   * max_execution_time does not cover; a server that misses its own bound), lazydb cancels it.
   */
  timeoutMs?: number | undefined;
  /**
   * The knex instance of the database (not a transaction's: those have no pool of their own),
   * whose client opens the side connection a cancel needs. Without it statements are not watched.
   */
  pool?: Knex | undefined;
  /** Hears of the statement once it is over: its time from being sent (the wait for a connection left out) and its rows. */
  stats?: StatementStats | undefined;
  /** The database's registered name, for `stats`. */
  database?: string | undefined;
}

/** After the timeout, how long the server has to cancel a statement itself before lazydb does. */
export const CANCEL_GRACE_MS = 200;
/** After the timeout, the latest the caller hears STATEMENT_TIMEOUT, whether or not the cancel got through. */
export const ANSWER_GRACE_MS = 450;

/** The longest a cancel may take before the connection is let go of all the same. */
const CANCEL_WAIT_MS = 5_000;

/**
 * Every connection of a database's pool stayed in use for the whole wait (LAZYDB_POOL_WAIT_MS):
 * thrown by the pool (server/gateway/pool.ts) instead of queueing the request any longer.
 */
export class PoolExhaustedError extends Error {
  constructor(
    readonly waitedMs: number,
    readonly max: number,
  ) {
    super(`all ${max} connections stayed busy for ${waitedMs} ms`);
    this.name = 'PoolExhaustedError';
  }
}

/** A statement cut at the statement timeout (by the server, or by lazydb's own cancel). */
export class StatementTimeoutError extends Error {
  constructor(readonly timeoutMs: number, options?: ErrorOptions) {
    super(`the statement ran longer than ${timeoutMs} ms and was cancelled`, options);
    this.name = 'StatementTimeoutError';
  }
}

/** A statement cancelled because the request's client went away (nobody is left to read this). */
export class StatementCancelledError extends Error {
  constructor(options?: ErrorOptions) {
    super('the request was cancelled: its client went away', options);
    this.name = 'StatementCancelledError';
  }
}

/**
 * Runs a compiled statement on the driver's own connection, bypassing knex's SQL text
 * processing (which rewrites every `?` it finds, inside quoted identifiers too) but keeping
 * knex's pool and transactions: a knex Transaction's client hands out the transaction's own
 * connection (knex/lib/execution/transaction.js: `trxClient.acquireConnection`) and releasing
 * it is a no-op, so the same call works in and out of a transaction.
 *
 * With a signal or a timeout (and a driver that can cancel), the statement is watched: see
 * {@link supervise}. Its connection goes back to the pool only once the statement, and any cancel
 * of it, is over, so the next request never meets a statement still running or a late cancel.
 */
export async function runStatement(
  executor: Knex | Knex.Transaction,
  driver: StatementDriver,
  statement: BoundStatement,
  options: StatementOptions = {},
): Promise<StatementResult> {
  const { signal } = options;
  if (signal?.aborted) throw new StatementCancelledError();
  const client = executor.client as PooledClient;
  const connection = await client.acquireConnection();
  let settled: Promise<unknown> | null = null;
  const { stats } = options;
  // Set when the statement is sent, and the result once it is in: what `stats` is told (nothing is timed without it).
  let sentAt = -1;
  let result: StatementResult | undefined;
  try {
    // It may have waited in the pool's queue while its client left.
    if (signal?.aborted) throw new StatementCancelledError();
    // Announced as knex's own `query` event, so one listener sees every statement of a request
    // (a transaction's client forwards its events to the knex instance).
    client.emit('query', { sql: statement.text, bindings: statement.values, method: 'raw', lazydb: true } satisfies SentStatement);
    if (stats) sentAt = performance.now();
    const running = driver.execute(connection, statement, { inTransaction: Boolean((executor as Partial<Knex.Transaction>).isTransaction) });
    const { cancel } = driver;
    if (!cancel || !options.pool || (options.timeoutMs === undefined && !signal)) return (result = await running);
    if (options.timeoutMs === undefined) return (result = await untilDoneOrAbandoned(running, () => cancel.call(driver, connection, sideConnection(options.pool!)), signal!));
    const side = sideConnection(options.pool);
    const watched = supervise(running, () => cancel.call(driver, connection, side), options);
    settled = watched.settled;
    return (result = await watched.result);
  } catch (error) {
    markUnprefixed(error);
    throw error;
  } finally {
    const seconds = sentAt >= 0 ? (performance.now() - sentAt) / 1000 : 0;
    if (settled) void settled.then(() => client.releaseConnection(connection)).catch(() => undefined);
    else await client.releaseConnection(connection);
    // After the release: whatever the listener does, the connection goes back.
    if (sentAt >= 0) stats!.statement(options.database ?? '', seconds, result?.rows.length ?? 0);
  }
}

/**
 * The lean watch, for a statement the server bounds by itself: only the client going away is
 * watched (one listener, no timer, no race). On abort the statement is cancelled on the server;
 * this resolves once the statement and the cancel are both over, so the connection goes back to
 * the pool idle.
 */
async function untilDoneOrAbandoned(running: Promise<StatementResult>, cancel: () => Promise<void>, signal: CancelSignal): Promise<StatementResult> {
  let cancelling: Promise<unknown> | undefined;
  const onAbort = () => {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS)));
    cancelling = Promise.race([cancel().catch(() => undefined), bound]).finally(() => clearTimeout(timer));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await running;
  } catch (error) {
    if (signal.aborted) throw new StatementCancelledError({ cause: error });
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (cancelling) await cancelling;
  }
}

/**
 * Watches a running statement. Past `timeoutMs + CANCEL_GRACE_MS`, or when `signal` aborts, it is
 * cancelled on the server (once). The caller hears STATEMENT_TIMEOUT by `timeoutMs + ANSWER_GRACE_MS`
 * at the latest, and at once when the signal aborts; `settled` is when the statement and the
 * cancel are both over (then the connection may be reused).
 */
function supervise(
  running: Promise<StatementResult>,
  cancel: () => Promise<void>,
  { timeoutMs, signal }: StatementOptions,
): { result: Promise<StatementResult>; settled: Promise<unknown> } {
  let cancelling: Promise<unknown> | null = null;
  let why: 'timeout' | 'aborted' | null = null;
  let finished = false;
  const stop = (reason: 'timeout' | 'aborted') => {
    if (finished || cancelling) return;
    why = reason;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS)));
    cancelling = Promise.race([cancel().catch(() => undefined), bound]).finally(() => clearTimeout(timer));
  };
  let giveUp: (error: Error) => void = () => undefined;
  const abandoned = new Promise<never>((_, reject) => {
    giveUp = reject;
  });
  const timers: NodeJS.Timeout[] = [];
  if (timeoutMs !== undefined) {
    // One timer per statement in the common case; the second only for a statement that outlived its timeout.
    timers.push(
      setTimeout(() => {
        stop('timeout');
        timers.push(setTimeout(() => giveUp(new StatementTimeoutError(timeoutMs)), ANSWER_GRACE_MS - CANCEL_GRACE_MS));
      }, timeoutMs + CANCEL_GRACE_MS),
    );
  }
  const onAbort = () => {
    stop('aborted');
    giveUp(new StatementCancelledError());
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const cleanup = () => {
    finished = true;
    for (const timer of timers) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  const outcome = running.then(
    (result) => result,
    (error: unknown) => {
      if (why === 'timeout') throw new StatementTimeoutError(timeoutMs!, { cause: error });
      if (why === 'aborted') throw new StatementCancelledError({ cause: error });
      throw error;
    },
  );
  const result = Promise.race([outcome, abandoned]);
  // Whichever loses the race must not be reported as unhandled.
  outcome.catch(() => undefined);
  abandoned.catch(() => undefined);
  const settled = running
    .then(
      () => undefined,
      () => undefined,
    )
    .then(() => {
      cleanup();
      return cancelling;
    });
  return { result, settled };
}

/** Work on a connection of its own, opened by the pool's client (the target policy and pinning apply) and closed after. */
function sideConnection(pool: Knex): SideConnection {
  const client = pool.client as RawConnections;
  return async (work) => {
    const connection = await client.acquireRawConnection();
    try {
      return await work(connection);
    } finally {
      await client.destroyRawConnection(connection).catch(() => undefined);
    }
  };
}
