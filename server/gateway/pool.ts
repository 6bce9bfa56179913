import knexFactory, { type Knex } from 'knex';
import type { DialectModule } from '../introspect/dialect';
import type { Logger } from '../log';
import type { DatabaseSpec } from '../model/types';

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

/**
 * A knex pool shared by every snapshot of one connection spec. Requests hold it while they
 * run; when a new spec replaces it (or the database is removed) it is retired and destroyed
 * once the last request in flight has finished, so a swap never cuts a query short.
 */
export class PoolHandle {
  readonly knex: Knex;
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
    options: { connectTimeoutMs: number; poolMax: number; beforeConnect?: () => Promise<string | undefined | void> },
    log: Logger,
  ) {
    // knex would print pool errors with stacks to the console; they go through our logger,
    // once, as the driver's message (connection failures reach the API as ConnectionFailedError).
    const knexLog = (level: 'debug' | 'warn' | 'error') => (message: unknown) =>
      log[level]('knex', { database: spec.name, message: message instanceof Error ? message.message : String(message) });
    this.knex = knexFactory({
      ...dialect.knexConfig(spec, options),
      log: { debug: knexLog('debug'), warn: knexLog('debug'), error: knexLog('debug'), deprecate: knexLog('debug') },
    });
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
        const pinned = pinnedSettings(dialect.knexConfig(spec, { ...options, connectTo: approved } as typeof options).connection);
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

/** A fresh settings object with the password hidden from enumeration, as knex keeps its own. */
function pinnedSettings(connection: Knex.Config['connection']): Record<string, unknown> {
  const settings = { ...(connection as Record<string, unknown>) };
  if (settings.password !== undefined) Object.defineProperty(settings, 'password', { enumerable: false, value: settings.password });
  return settings;
}
