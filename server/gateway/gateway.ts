import type { GraphQLSchema } from 'graphql';
import type { Config } from '../config';
import { dialectModule } from '../introspect';
import { describeConnectFailure } from '../introspect/common/connect-failure';
import type { DialectModule } from '../introspect/dialect';
import type { Logger } from '../log';
import type { DatabaseSpec, DbModel } from '../model/types';
import { clipName, DuplicateNameError, type RegistryStore } from '../registry/store';
import { maskSpec, redactSecrets } from '../registry/validate';
import { composeGateway, findGatewayClash, type GatewayClash, type NamespaceEntry } from './compose';
import type { GatewayMember } from '../permissions/role-views';
import type { GuardedDataSource } from '../query/engine';
import { HealthMonitor, type HealthVerdict } from './health';
import { PoolHandle } from './pool';
import { holdsRegistryTable, RegistryDatabaseError, refuseRegistryModel, TargetNotAllowedError, type TargetPolicy } from './targets';
import type { SchemaCache } from './schema-cache';
import { buildDatabase, servesAlike, type Built, type Snapshot } from './snapshot';

/** A database that just introspected successfully, serving `built`. */
function readySnapshot(base: Pick<Snapshot, 'name' | 'spec' | 'dialect' | 'pool'>, built: Built, model: DbModel, introspectMs: number): Snapshot {
  return {
    name: base.name,
    spec: base.spec,
    dialect: base.dialect,
    pool: base.pool,
    built,
    status: 'ready',
    lastError: null,
    serverVersion: model.serverVersion,
    introspectedAt: model.introspectedAt,
    introspectMs,
  };
}

/** Two databases whose type names would collide in the /graphql gateway. HTTP 409. */
export class GatewayClashError extends Error {
  constructor(name: string, clash: GatewayClash) {
    super(
      `database "${name}" would define the GraphQL type ${clash.typeName} in the /graphql gateway, which database ` +
        `"${clash.database}" already defines there (gateway type names are <database>_<type>); register it under another name`,
    );
    this.name = 'GatewayClashError';
  }
}

/** Why a connection spec was refused: the driver's reason, without secrets. HTTP 422. */
export class ConnectionFailedError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

export class UnknownDatabaseError extends Error {
  constructor(readonly databaseName: string) {
    super(`no database named "${databaseName}" is registered`);
  }
}

export { DuplicateNameError };

export interface TestResult {
  serverVersion: string;
  tables: number;
  views: number;
  introspectMs: number;
}

type GatewayConfig = Pick<Config, 'maxLimit' | 'connectTimeoutMs' | 'poolMax' | 'retryMaxMs'> &
  Partial<Pick<Config, 'healthIntervalMs' | 'statementTimeoutMs' | 'poolWaitMs' | 'maxAffectedRows'>>;

/**
 * The live set of databases. Every change (register, update, refresh, remove, reconnect)
 * builds a complete new snapshot first and then replaces the old one in a single
 * assignment, together with a freshly composed gateway schema: a request sees either the
 * old world or the new one, never a mix, and requests in flight finish on what they took.
 */
export class Gateway {
  private readonly snapshots = new Map<string, Snapshot>();
  /** The gateway schema, composed on first use after each change (see recompose). */
  private composed: GraphQLSchema | null = null;
  private composition: NamespaceEntry[] = [];
  /** The same databases for per-role gateways (server/permissions/role-views.ts): one array per composition, so it can key a cache. */
  private memberList: GatewayMember<GuardedDataSource>[] = [];
  /** When each database joined the gateway (0 first): the earlier one keeps its namespace when type names clash. */
  private readonly ranks = new Map<string, number>();
  private nextRank = 0;
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private unsubscribe: (() => void) | null = null;
  private closed = false;
  private readonly health: HealthMonitor;
  /** Registry entries not served since start, and why (see skippedEntries). */
  private readonly skipped = new Map<string, string>();
  private builds = 0;

  constructor(
    private readonly config: GatewayConfig,
    private readonly registry: RegistryStore,
    private readonly cache: SchemaCache,
    readonly log: Logger,
    /** Checked before every connection any pool of this gateway opens. */
    private readonly targets: TargetPolicy,
  ) {
    // A probe waits as long as a connection attempt may, at most 5 s: past that the status says so.
    const probeTimeoutMs = Math.min(config.connectTimeoutMs, 5000);
    this.health = new HealthMonitor(
      { probeable: () => this.probeable(), apply: (name, pool, verdict) => this.applyHealth(name, pool, verdict) },
      config.healthIntervalMs ?? 10_000,
      probeTimeoutMs,
    );
  }

  /** Probes every serving database now (the monitor also does so on its interval). */
  checkHealth(): Promise<void> {
    return this.health.checkAll();
  }

  /** The gateway schema of this instant (a request keeps the one it started with). */
  gatewaySchema(): GraphQLSchema {
    this.composed ??= composeGateway(this.composition);
    return this.composed;
  }

  /** Schemas built from a model since start (cached ones at start, registrations, changes, refreshes that found a change): `lazydb_schema_builds_total`. */
  get schemaBuilds(): number {
    return this.builds;
  }

  get(name: string): Snapshot | undefined {
    return this.snapshots.get(name);
  }

  list(): Snapshot[] {
    return [...this.snapshots.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Serves every registered database at once from its cached model, then reconnects and
   * re-introspects each in the background. Returns as soon as the cached ones are mounted.
   */
  async start(): Promise<void> {
    // A database whose stored secret cannot be opened (the key changed) is reported, not fatal:
    // every other database keeps serving.
    // The same goes for an entry that would be refused on register (validated by the store) or
    // whose target the policy refuses now: skipped with the reason, never serving.
    const { specs: stored, unreadable } = await this.registry.listReadable();
    for (const { name, error } of unreadable) {
      this.log.error('registered database skipped: its stored entry cannot be read or is not valid', { database: clipName(name), error: error.message });
      this.skipped.set(name, `its stored entry cannot be read or is not valid: ${error.message}`);
    }
    const specs: DatabaseSpec[] = [];
    for (const spec of stored) {
      try {
        await this.targets.check(dialectModule(spec.dialect), spec, { resolve: false });
        specs.push(spec);
      } catch (error) {
        const details = error instanceof TargetNotAllowedError ? error.logDetails : {};
        this.log.error('registered database skipped: its connection target is not allowed', { database: spec.name, error: (error as Error).message, ...details });
        this.skipped.set(spec.name, `its connection target is not allowed: ${(error as Error).message}`);
      }
    }
    for (const spec of specs) {
      const dialect = dialectModule(spec.dialect);
      const pool = this.newPool(dialect, spec);
      const cached = await this.cache.read(spec.name);
      if (cached && holdsRegistryTable(cached)) {
        this.skipRegistry(spec.name, new RegistryDatabaseError());
        await pool.retire();
        continue;
      }
      let built: Built | null = null;
      if (cached) {
        try {
          built = this.build(spec.name, cached, dialect, pool);
        } catch (error) {
          this.log.warn('cached model unusable; waiting for introspection', { database: spec.name, error: String(error) });
        }
      }
      this.install({
        name: spec.name,
        spec,
        dialect,
        pool,
        built,
        status: 'connecting',
        lastError: null,
        serverVersion: cached?.serverVersion ?? null,
        introspectedAt: cached?.introspectedAt ?? null,
        introspectMs: null,
      });
    }
    this.log.info('serving registered databases from the schema cache', { databases: specs.length });
    for (const spec of specs) if (this.snapshots.has(spec.name)) void this.reconnect(spec.name).catch(() => undefined);
    this.unsubscribe = this.registry.onChange((change) => {
      if (change.origin === 'remote') void this.syncFromRegistry(change.name);
    });
    this.health.start();
  }

  /** Tries a spec without storing anything: connect, introspect, count, disconnect. */
  async test(spec: DatabaseSpec): Promise<TestResult> {
    const dialect = dialectModule(spec.dialect);
    const pool = this.newPool(dialect, spec);
    try {
      const { model, introspectMs } = await this.introspect(spec, dialect, pool);
      return {
        serverVersion: model.serverVersion,
        tables: model.tables.filter((t) => t.kind === 'table').length,
        views: model.tables.filter((t) => t.kind === 'view').length,
        introspectMs,
      };
    } finally {
      await pool.retire();
    }
  }

  /** Validated spec -> connected, introspected, stored, cached, mounted. Nothing is stored when it fails. */
  async register(spec: DatabaseSpec): Promise<Snapshot> {
    return this.serialise(spec.name, async () => {
      if (this.snapshots.has(spec.name) || (await this.registry.get(spec.name))) throw new DuplicateNameError(spec.name);
      const dialect = dialectModule(spec.dialect);
      const pool = this.newPool(dialect, spec);
      try {
        const snapshot = await this.connectedSnapshot(spec, dialect, pool);
        this.refuseGatewayClash(snapshot);
        await this.registry.insert(spec);
        await this.cache.write(spec.name, snapshot.built!.model, () => snapshot.built!.sdl());
        this.install(snapshot);
        this.log.info('database registered', { database: spec.name, spec: maskSpec(spec), introspectMs: snapshot.introspectMs });
        return snapshot;
      } catch (error) {
        await pool.retire();
        throw error;
      }
    });
  }

  /** A changed connection or schema list: connect anew; the old one keeps serving until the new one is ready. */
  async update(name: string, spec: DatabaseSpec): Promise<Snapshot> {
    return this.serialise(name, async () => {
      const previous = this.require(name);
      const dialect = dialectModule(spec.dialect);
      const pool = this.newPool(dialect, spec);
      try {
        const snapshot = await this.connectedSnapshot(spec, dialect, pool);
        this.refuseGatewayClash(snapshot, previous);
        await this.registry.update(name, spec);
        await this.cache.write(name, snapshot.built!.model, () => snapshot.built!.sdl());
        this.cancelRetry(name);
        this.install(snapshot);
        await previous.pool.retire();
        this.log.info('database updated', { database: name, spec: maskSpec(spec) });
        return snapshot;
      } catch (error) {
        await pool.retire();
        throw error;
      }
    });
  }

  /**
   * Registry entries skipped at start (unreadable, invalid, or refused by the target policy), by
   * name, with the reason: listed so an operator can see them and remove them.
   */
  skippedEntries(): Array<{ name: string; reason: string }> {
    return [...this.skipped].map(([name, reason]) => ({ name: clipName(name), reason })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A stored database that turned out to hold lazydb's registry: out of service for good, listed as skipped. */
  private skipRegistry(name: string, error: RegistryDatabaseError): void {
    this.log.error('registered database skipped: it holds a lazydb registry', { database: name, error: error.message });
    this.skipped.set(name, error.message);
  }

  /** Deletes a skipped entry from the registry (it never served, so there is nothing to unmount). */
  async forgetSkipped(name: string): Promise<boolean> {
    return this.serialise(name, async () => {
      if (!this.skipped.has(name)) return false;
      await this.registry.remove(name);
      this.skipped.delete(name);
      this.log.info('skipped registry entry removed', { database: name });
      return true;
    });
  }

  async remove(name: string): Promise<void> {
    return this.serialise(name, async () => {
      const previous = this.require(name);
      await this.registry.remove(name);
      this.unmount(name);
      await this.cache.remove(name);
      await previous.pool.retire();
      this.log.info('database removed', { database: name });
    });
  }

  /** Re-introspects with the current connection; swaps only when the model changed. */
  async refresh(name: string): Promise<{ changed: boolean; snapshot: Snapshot }> {
    return this.serialise(name, async () => {
      const current = this.require(name);
      const { model, introspectMs } = await this.introspect(current.spec, current.dialect, current.pool);
      const changed = !current.built || !servesAlike(current.dialect, current.built.model, model);
      const built = changed ? this.build(name, model, current.dialect, current.pool) : current.built!;
      if (changed) await this.cache.write(name, model, () => built.sdl());
      const snapshot = readySnapshot(current, built, model, introspectMs);
      this.cancelRetry(name);
      this.install(snapshot, changed);
      return { changed, snapshot };
    });
  }

  /**
   * Connects again (status `connecting` while it tries); on failure the database stays
   * registered with status `error` and is retried with capped exponential backoff.
   */
  async reconnect(name: string, attempt = 0): Promise<Snapshot> {
    const current = this.require(name);
    this.cancelRetry(name);
    if (current.status !== 'connecting') this.install({ ...current, status: 'connecting' }, false);
    try {
      return (await this.refresh(name)).snapshot;
    } catch (error) {
      const latest = this.snapshots.get(name);
      if (!latest || this.closed) throw error;
      if (error instanceof RegistryDatabaseError) {
        this.unmount(name);
        await latest.pool.retire();
        this.skipRegistry(name, error);
        throw error;
      }
      const message = error instanceof ConnectionFailedError ? error.reason : String((error as Error).message ?? error);
      this.install({ ...latest, status: 'error', lastError: message }, false);
      const delay = Math.min(1000 * 2 ** attempt, this.config.retryMaxMs);
      this.log.warn('database unreachable; will retry', { database: name, error: message, retryInMs: delay });
      const timer = setTimeout(() => {
        this.retryTimers.delete(name);
        void this.reconnect(name, attempt + 1).catch(() => undefined);
      }, delay);
      timer.unref();
      this.retryTimers.set(name, timer);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.health.stop();
    this.unsubscribe?.();
    for (const name of [...this.retryTimers.keys()]) this.cancelRetry(name);
    await Promise.all(this.list().map((s) => s.pool.retire()));
    this.snapshots.clear();
    await this.cache.settled();
  }

  // ---------------------------------------------------------------------------------------

  private require(name: string): Snapshot {
    const snapshot = this.snapshots.get(name);
    if (!snapshot) throw new UnknownDatabaseError(name);
    return snapshot;
  }

  /** Builds what a database serves with, counted. */
  private build(name: string, model: DbModel, dialect: DialectModule, pool: PoolHandle): Built {
    const built = buildDatabase(name, model, dialect, pool, this.config);
    this.builds++;
    return built;
  }

  private newPool(dialect: DialectModule, spec: DatabaseSpec): PoolHandle {
    const beforeConnect = () => this.targets.check(dialect, spec);
    const { connectTimeoutMs, poolMax, statementTimeoutMs, poolWaitMs } = this.config;
    return new PoolHandle(dialect, spec, { connectTimeoutMs, poolMax, statementTimeoutMs, poolWaitMs, beforeConnect }, this.log);
  }

  private async introspect(spec: DatabaseSpec, dialect: DialectModule, pool: PoolHandle): Promise<{ model: DbModel; introspectMs: number }> {
    const started = performance.now();
    try {
      await connectOnce(pool);
    } catch (error) {
      // Before a session exists, only a fixed text per kind of failure: no banner, no version, no path.
      if (error instanceof TargetNotAllowedError) throw error;
      const reason = describeConnectFailure(dialect, error, spec);
      throw new ConnectionFailedError(`could not connect to "${spec.name}": ${reason}`, reason);
    }
    try {
      const schemas = spec.schemas && spec.schemas.length > 0 ? spec.schemas : dialect.defaultSchemas(spec);
      const model = await dialect.introspect(pool.knex, schemas);
      refuseRegistryModel(model); // wherever it is introspected: register, change, test, reload
      return { model, introspectMs: Math.round(performance.now() - started) };
    } catch (error) {
      if (error instanceof TargetNotAllowedError) throw error;
      const info = dialect.describeError(error);
      const reason = redactSecrets(info.message, spec);
      throw new ConnectionFailedError(`could not connect to or introspect "${spec.name}": ${reason}`, reason);
    }
  }

  private async connectedSnapshot(spec: DatabaseSpec, dialect: DialectModule, pool: PoolHandle): Promise<Snapshot> {
    const { model, introspectMs } = await this.introspect(spec, dialect, pool);
    const built = this.build(spec.name, model, dialect, pool);
    return readySnapshot({ name: spec.name, spec, dialect, pool }, built, model, introspectMs);
  }

  /**
   * A database whose gateway type names would redefine another's is refused up front (a
   * change to one that clashes already is let through: the clash is not new). One that starts
   * to clash later (a table added, then a refresh) is left out of /graphql when composing —
   * the database that joined the gateway later gives way — with the reason; its own /db/:name
   * endpoints keep serving.
   */
  private refuseGatewayClash(snapshot: Snapshot, previous?: Snapshot): void {
    const others = [...this.snapshots.values()].map((s) => ({ name: s.name, schema: s.built?.schema ?? null }));
    const clash = findGatewayClash(snapshot.name, snapshot.built!.schema, others);
    if (!clash) return;
    const before = previous?.built ? findGatewayClash(snapshot.name, previous.built.schema, others) : null;
    if (before?.database !== clash.database) throw new GatewayClashError(snapshot.name, clash);
  }

  /**
   * The databases whose status the health monitor keeps: those serving a schema and not in a
   * reconnect loop (that loop owns the status of a database it is retrying).
   */
  private probeable() {
    return this.list()
      .filter((s) => s.built !== null && s.status !== 'connecting' && !this.retryTimers.has(s.name))
      .map((s) => ({ name: s.name, pool: s.pool, dialect: s.dialect, spec: s.spec }));
  }

  /** A probe's verdict, applied only to the snapshot it probed (a swap since then wins). */
  private applyHealth(name: string, pool: PoolHandle, verdict: HealthVerdict): void {
    const current = this.snapshots.get(name);
    if (!current || current.pool !== pool || this.closed) return;
    if (current.status === 'connecting' || this.retryTimers.has(name)) return;
    const lastError = verdict.status === 'ready' ? null : verdict.reason;
    if (current.status === verdict.status && current.lastError === lastError) return;
    if (verdict.status === 'ready') this.log.info('database healthy again', { database: name, was: current.status });
    else this.log.warn(`database ${verdict.status === 'error' ? 'unreachable' : 'degraded'}`, { database: name, reason: verdict.reason });
    this.install({ ...current, status: verdict.status, lastError }, false);
  }

  /** The swap: one map entry and the composed schema, replaced together. */
  private install(snapshot: Snapshot, schemaChanged = true): void {
    this.snapshots.set(snapshot.name, snapshot);
    if (schemaChanged) this.recompose();
  }

  private unmount(name: string): void {
    this.cancelRetry(name);
    this.snapshots.delete(name);
    this.recompose();
  }

  /**
   * Takes the databases as they are now for the next gateway schema. Composing walks every
   * type of every database (150 ms with two 1,000-table databases), so it waits for the first
   * /graphql request: a registration does not stall the other databases' traffic for it.
   */
  private recompose(): void {
    for (const { name } of this.list()) if (!this.ranks.has(name)) this.ranks.set(name, this.nextRank++);
    for (const name of this.ranks.keys()) if (!this.snapshots.has(name)) this.ranks.delete(name);
    this.composition = this.list().map((s) => ({
      name: s.name,
      rank: this.ranks.get(s.name),
      // Read when composing: a database's namespaced copy is built then, not now.
      get schema() {
        return s.built?.namespaced ?? null;
      },
      unavailableReason: s.lastError ?? undefined,
    }));
    this.memberList = this.list().map((s) => ({ name: s.name, built: s.built, rank: this.ranks.get(s.name), ...(s.lastError ? { unavailableReason: s.lastError } : {}) }));
    this.composed = null;
  }

  /** The databases of the current composition, for a role's own gateway schema. */
  members(): readonly GatewayMember<GuardedDataSource>[] {
    return this.memberList;
  }

  private cancelRetry(name: string): void {
    const timer = this.retryTimers.get(name);
    if (timer) clearTimeout(timer);
    this.retryTimers.delete(name);
  }

  /** One change at a time per database: a PATCH never races a refresh of the same name. */
  private serialise<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(name) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.queues.set(
      name,
      next.catch(() => undefined),
    );
    return next;
  }

  /** Another replica changed the shared registry: follow it. */
  private async syncFromRegistry(name: string): Promise<void> {
    try {
      const spec = await this.registry.get(name);
      const current = this.snapshots.get(name);
      if (!spec && current) {
        this.unmount(name);
        await current.pool.retire();
      } else if (spec && !current) {
        const dialect = dialectModule(spec.dialect);
        const snapshot = await this.connectedSnapshot(spec, dialect, this.newPool(dialect, spec));
        this.install(snapshot);
      } else if (spec && current && JSON.stringify(spec) !== JSON.stringify(current.spec)) {
        const dialect = dialectModule(spec.dialect);
        const snapshot = await this.connectedSnapshot(spec, dialect, this.newPool(dialect, spec));
        this.install(snapshot);
        await current.pool.retire();
      }
    } catch (error) {
      this.log.warn('could not follow a registry change from another replica', { database: name, error: String(error) });
    }
  }
}

/** Opens one connection of the pool and gives it back: a failure to connect is then told apart from one to introspect. */
async function connectOnce(pool: PoolHandle): Promise<void> {
  const client = pool.knex.client as { acquireConnection(): Promise<unknown>; releaseConnection(connection: unknown): Promise<unknown> };
  const connection = await client.acquireConnection();
  await client.releaseConnection(connection);
}
