import knexFactory, { type Knex } from 'knex';
import type { DialectModule } from '../introspect/dialect';
import type { Logger } from '../log';
import type { DatabaseSpec } from '../model/types';
import { PoolExhaustedError } from '../query/runner';

/** Connections in use, idle, and acquires waiting for one; `max` is the pool's bound. */
export interface PoolLoad {
  used: number;
  free: number;
  pending: number;
  max: number;
}

/** The part of tarn's Pool (knex's pool) that tells how busy it is. */
interface TarnPoolView {
  readonly max: number;
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

/** What knex asks of tarn's pool for a connection (knex reads only `promise`). */
interface TarnPending {
  promise: Promise<unknown>;
  abort(): void;
}
interface TarnPool extends TarnPoolView {
  acquire(): TarnPending;
  release(resource: unknown): boolean;
}

/** The pool's options (the gateway's config; spec settings win where a spec has them). */
export interface PoolOptions {
  connectTimeoutMs: number;
  poolMax: number;
  /** LAZYDB_STATEMENT_TIMEOUT_MS; the spec's statementTimeoutMs wins. */
  statementTimeoutMs?: number;
  /** LAZYDB_POOL_WAIT_MS: the longest an acquire waits while every connection is in use. */
  poolWaitMs?: number;
  beforeConnect?: () => Promise<string | undefined | void>;
}

/**
 * A knex pool shared by every snapshot of one connection spec. Requests hold it while they
 * run; when a new spec replaces it (or the database is removed) it is retired and destroyed
 * once the last request in flight has finished, so a swap never cuts a query short.
 */
export class PoolHandle {
  readonly knex: Knex;
  /** The statement timeout of this database's sessions, in ms (the spec's, else the global one). */
  readonly statementTimeoutMs: number | undefined;
  private inflight = 0;
  private retired = false;
  private destroyed: Promise<void> | null = null;

  /**
   * `beforeConnect` runs before each physical connection the pool opens (the target policy):
   * knex opens every one through its client's acquireRawConnection, whoever asked for it. What it
   * resolves with (the approved address, or a file's real path) is where that connection goes: the
   * dialect's knexConfig turns it into the connection's settings (PinnedConnectOptions.connectTo).
   */
  constructor(
    dialect: DialectModule,
    spec: DatabaseSpec,
    options: PoolOptions,
    log: Logger,
  ) {
    this.statementTimeoutMs = spec.statementTimeoutMs ?? options.statementTimeoutMs;
    const connect = { connectTimeoutMs: options.connectTimeoutMs, poolMax: options.poolMax, ...(this.statementTimeoutMs !== undefined ? { statementTimeoutMs: this.statementTimeoutMs } : {}) };
    // knex would print pool errors with stacks to the console; they go through our logger,
    // once, as the driver's message (connection failures reach the API as ConnectionFailedError).
    const knexLog = (level: 'debug' | 'warn' | 'error') => (message: unknown) =>
      log[level]('knex', { database: spec.name, message: message instanceof Error ? message.message : String(message) });
    const config = dialect.knexConfig(spec, connect);
    const waitMs = options.poolWaitMs;
    this.knex = knexFactory({
      ...config,
      // Two bounds, kept apart: opening a connection (tarn's create, LAZYDB_CONNECT_TIMEOUT_MS) and
      // waiting for one of a full pool to be given back (boundWaits, LAZYDB_POOL_WAIT_MS). knex's
      // own acquire timeout stays as the outer bound of both.
      ...(waitMs !== undefined
        ? { acquireConnectionTimeout: options.connectTimeoutMs + waitMs, pool: { ...config.pool, createTimeoutMillis: options.connectTimeoutMs } }
        : {}),
      log: { debug: knexLog('debug'), warn: knexLog('debug'), error: knexLog('debug'), deprecate: knexLog('debug') },
    });
    const pool = (this.knex.client as { pool?: TarnPool }).pool;
    if (waitMs !== undefined && pool) boundWaits(pool, waitMs);
    const beforeConnect = options.beforeConnect;
    if (beforeConnect) {
      const client = this.knex.client as { acquireRawConnection(): Promise<unknown>; connectionSettings: unknown };
      const open = client.acquireRawConnection.bind(client);
      client.acquireRawConnection = async () => {
        const approved = await beforeConnect();
        if (!approved) return open();
        // These settings serve this one connection: knex's clients (pg, mysql2, better-sqlite3)
        // hand connectionSettings to the driver synchronously, at the very start of
        // acquireRawConnection, so they are swapped in and back around that call only, with no
        // await in between where another connection could pick them up.
        const pinned = pinnedSettings(dialect.knexConfig(spec, { ...connect, connectTo: approved } as typeof connect).connection);
        const shared = client.connectionSettings;
        client.connectionSettings = pinned;
        try {
          return open();
        } finally {
          client.connectionSettings = shared;
        }
      };
    }
  }

  acquire(): void {
    this.inflight++;
  }

  release(): void {
    this.inflight--;
    if (this.retired && this.inflight === 0) void this.destroy();
  }

  /** No new requests will take this pool; close it when the ones in flight are done. */
  retire(): Promise<void> {
    this.retired = true;
    return this.inflight === 0 ? this.destroy() : Promise.resolve();
  }

  /** How busy the pool is right now (knex's tarn pool); zeros once destroyed. */
  load(): PoolLoad {
    const pool = (this.knex.client as { pool?: TarnPoolView }).pool;
    if (!pool || this.destroyed) return { used: 0, free: 0, pending: 0, max: 0 };
    return { used: pool.numUsed(), free: pool.numFree(), pending: pool.numPendingAcquires(), max: pool.max };
  }

  get isDestroyed(): boolean {
    return this.destroyed !== null;
  }

  private destroy(): Promise<void> {
    this.destroyed ??= this.knex.destroy().catch(() => undefined);
    return this.destroyed;
  }
}

/** How often a wait past its bound checks again whether it waits on a full pool or on a connection being opened. */
const RECHECK_MS = 100;

/**
 * Bounds every wait of `pool` for a connection while all of its connections are in use: past
 * `waitMs` the acquire is taken out of tarn's queue and fails with PoolExhaustedError, so a
 * request never hangs behind slow ones, and a waiter whose time is up does not keep its place.
 * A wait for a connection being opened (the pool had room) is bounded by the create timeout instead.
 */
function boundWaits(pool: TarnPool, waitMs: number): void {
  const acquire = pool.acquire.bind(pool);
  pool.acquire = () => {
    // A free connection is handed over at once: no wait to bound (the common case, kept cheap).
    if (pool.numFree() > 0) return acquire();
    const pending = acquire();
    let gaveUp = false;
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<unknown>((resolve, reject) => {
      const check = () => {
        if (pool.numUsed() < pool.max) {
          timer = setTimeout(check, RECHECK_MS);
          return;
        }
        gaveUp = true;
        reject(new PoolExhaustedError(waitMs, pool.max));
        pending.abort();
      };
      timer = setTimeout(check, waitMs);
      pending.promise.then(
        (resource) => {
          clearTimeout(timer);
          // Handed over in the same instant as the wait gave up: straight back to the pool.
          if (gaveUp) pool.release(resource);
          else resolve(resource);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
    return { promise, abort: () => pending.abort() };
  };
}

/** A fresh settings object with the password hidden from enumeration, as knex keeps its own. */
function pinnedSettings(connection: Knex.Config['connection']): Record<string, unknown> {
  const settings = { ...(connection as Record<string, unknown>) };
  if (settings.password !== undefined) Object.defineProperty(settings, 'password', { enumerable: false, value: settings.password });
  return settings;
}
