import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import pg from 'pg';
import type { Config } from '../config';
import { DIALECTS } from '../model/types';
import type { ConnectionSpec, DatabaseSpec, Dialect } from '../model/types';
import { legacyRowSealContext, rowSealContext, SecretBox } from './secrets';
import { maskUrl, NAME_PATTERN, targetIdentity, validateRegister } from './validate';

/**
 * The stored connections. One row per registered database in `lazydb_databases`, kept in
 * `<dataDir>/registry.sqlite` or, when LAZYDB_REGISTRY_URL is set, in that PostgreSQL
 * database (so several replicas share one registry). Passwords never reach the table in
 * clear: the password and the whole URL (which may carry one) are sealed together in the
 * `secrets` column, bound to the row's name and to its target identity (see ROW_SEAL_FORMAT in
 * secrets.ts): a row whose clear `connection` column was changed to another server no longer
 * opens, so the sealed password is never sent there.
 *
 * Change feed: every write is announced to `onChange` listeners in this process. On
 * PostgreSQL, writes are also sent with NOTIFY and other replicas' writes arrive as events
 * with `origin: 'remote'`; after a lost LISTEN connection the store re-reads the table and
 * emits what changed meanwhile.
 */

export const REGISTRY_TABLE = 'lazydb_databases';
export const REGISTRY_FILE_NAME = 'registry.sqlite';
const NOTIFY_CHANNEL = 'lazydb_registry';

export type RegistryConfig = Pick<Config, 'dataDir'> &
  Partial<Pick<Config, 'secretKey' | 'registryUrl' | 'connectTimeoutMs' | 'retryMaxMs'>>;

export interface RegistryOptions {
  /** Non-fatal findings (key file permissions, lost LISTEN connection). Default: console.warn. */
  warn?: (message: string) => void;
  /** Use this box instead of resolving the key from the config (tests). */
  secrets?: SecretBox;
}

export type RegistryChangeType = 'insert' | 'update' | 'remove';

export interface RegistryChange {
  type: RegistryChangeType;
  name: string;
  /** 'local' for writes through this store, 'remote' for another replica's (PostgreSQL only). */
  origin: 'local' | 'remote';
}

export type RegistryListener = (change: RegistryChange) => void;

export interface RegistryEntry {
  spec: DatabaseSpec;
  /** ISO-8601 timestamps. */
  createdAt: string;
  updatedAt: string;
}

export class DuplicateNameError extends Error {
  readonly databaseName: string;
  constructor(name: string) {
    super(`a database named "${name}" is already registered`);
    this.name = 'DuplicateNameError';
    this.databaseName = name;
  }
}

/** A stored row that is not a valid registration (tampered, or written by something else). */
export class InvalidEntryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEntryError';
  }
}

export class NotFoundError extends Error {
  readonly databaseName: string;
  constructor(name: string) {
    super(`no database named "${name}" is registered`);
    this.name = 'NotFoundError';
    this.databaseName = name;
  }
}

interface Row {
  name: string;
  dialect: string;
  connection: string;
  secrets: string | null;
  schemas: string | null;
  /** Per-database settings that are not part of the connection target, as JSON (`{ "statementTimeoutMs": 5000 }`). */
  settings: string | null;
  created_at: string;
  updated_at: string;
}

interface SealedSecrets {
  password?: string;
  url?: string;
  /** targetIdentity() of the spec when it was sealed (format 2; absent in format 1). */
  target?: string;
}

export class RegistryStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the registry lives, without any password (for logs). */
  readonly location: string;
  readonly #db: Knex;
  readonly #secrets: SecretBox;
  readonly #listeners = new Set<RegistryListener>();
  readonly #instanceId = randomUUID();
  readonly #warn: (message: string) => void;
  #feed: NotificationFeed | null = null;
  #closed = false;
  /** name -> updated_at as last seen, to work out what a lost LISTEN connection missed. */
  #snapshot = new Map<string, string>();

  private constructor(kind: 'sqlite' | 'postgres', location: string, db: Knex, secrets: SecretBox, warn: (m: string) => void) {
    this.kind = kind;
    this.location = location;
    this.#db = db;
    this.#secrets = secrets;
    this.#warn = warn;
  }

  /** Opens (and if needed creates) the registry described by the config. */
  static async open(config: RegistryConfig, options: RegistryOptions = {}): Promise<RegistryStore> {
    const warn = options.warn ?? ((message: string) => console.warn(`[lazydb] ${message}`));
    const timeout = config.connectTimeoutMs ?? 10_000;
    if (config.registryUrl && !config.secretKey && !options.secrets) {
      warn(
        'LAZYDB_REGISTRY_URL is set but LAZYDB_SECRET_KEY is not: passwords are sealed with this ' +
          "replica's own key file, so other replicas will not be able to read them",
      );
    }
    const secrets = options.secrets ?? SecretBox.fromConfig({ secretKey: config.secretKey, dataDir: config.dataDir, warn });

    let store: RegistryStore;
    if (config.registryUrl) {
      const db = knexFactory({
        client: 'pg',
        connection: { connectionString: config.registryUrl, connectionTimeoutMillis: timeout },
        pool: { min: 0, max: 4 },
        acquireConnectionTimeout: timeout,
      });
      store = new RegistryStore('postgres', maskUrl(config.registryUrl), db, secrets, warn);
    } else {
      fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      const file = path.join(config.dataDir, REGISTRY_FILE_NAME);
      const db = knexFactory({
        client: 'better-sqlite3',
        connection: { filename: file },
        useNullAsDefault: true,
        pool: {
          min: 1,
          max: 1,
          afterCreate(conn: { pragma(sql: string): unknown }, done: (error: Error | null, conn: unknown) => void) {
            conn.pragma('busy_timeout = 5000');
            done(null, conn);
          },
        },
      });
      store = new RegistryStore('sqlite', file, db, secrets, warn);
    }
    try {
      await store.#ensureTable();
      if (store.kind === 'sqlite') restrictMode(store.location);
      await store.#resealLegacyRows();
      if (config.registryUrl) {
        store.#feed = new NotificationFeed(config.registryUrl, timeout, config.retryMaxMs ?? 30_000, {
          onNotification: (payload) => store.#onNotification(payload),
          onResync: () => store.#resync(),
          warn,
        });
        await store.#feed.start();
        store.#snapshot = await store.#versions();
      }
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /** Seals a secret lazydb keeps beside the databases' (an identity provider's client secret), bound to `context`. */
  seal(plain: string, context: string): string {
    return this.#secrets.seal(plain, context);
  }

  open(sealed: string, context: string): string {
    return this.#secrets.open(sealed, context);
  }

  /** A key derived from the registry's sealing key for `purpose` (the same on every replica that shares LAZYDB_SECRET_KEY). */
  derivedKey(purpose: string): Buffer {
    return this.#secrets.derivedKey(purpose);
  }

  /** All registered databases, by name, with secrets opened. */
  async list(): Promise<DatabaseSpec[]> {
    return (await this.listEntries()).map((entry) => entry.spec);
  }

  async listEntries(): Promise<RegistryEntry[]> {
    const rows = await this.#db<Row>(REGISTRY_TABLE).select('*').orderBy('name');
    return rows.map((row) => this.#toEntry(row));
  }

  /**
   * Like {@link list}, but an entry whose secrets cannot be opened (the key changed) is
   * reported instead of failing the whole listing, so the other databases can still serve.
   */
  async listReadable(): Promise<{ specs: DatabaseSpec[]; unreadable: Array<{ name: string; error: Error }> }> {
    const rows = await this.#db<Row>(REGISTRY_TABLE).select('*').orderBy('name');
    const specs: DatabaseSpec[] = [];
    const unreadable: Array<{ name: string; error: Error }> = [];
    for (const row of rows) {
      try {
        specs.push(this.#toEntry(row).spec);
      } catch (error) {
        unreadable.push({ name: row.name, error: error as Error });
      }
    }
    return { specs, unreadable };
  }

  async get(name: string): Promise<DatabaseSpec | undefined> {
    return (await this.getEntry(name))?.spec;
  }

  async getEntry(name: string): Promise<RegistryEntry | undefined> {
    const row = await this.#db<Row>(REGISTRY_TABLE).where({ name }).first();
    return row ? this.#toEntry(row) : undefined;
  }

  /** Stores a new database; {@link DuplicateNameError} if the name is taken. */
  async insert(spec: DatabaseSpec): Promise<void> {
    assertSpec(spec);
    const now = new Date().toISOString();
    const row: Row = { ...this.#toRow(spec), created_at: now, updated_at: now };
    try {
      await this.#write('insert', spec.name, now, async (trx) => {
        await trx(REGISTRY_TABLE).insert(row);
        return 1;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateNameError(spec.name);
      throw error;
    }
  }

  /** Replaces the stored spec of `name`; {@link NotFoundError} if there is none. */
  async update(name: string, spec: DatabaseSpec): Promise<void> {
    assertSpec(spec);
    if (spec.name !== name) throw new TypeError(`cannot rename "${name}" to "${spec.name}": names are fixed`);
    const { dialect, connection, secrets, schemas, settings } = this.#toRow(spec);
    const now = new Date().toISOString();
    const changed = await this.#write('update', name, now, (trx) =>
      trx(REGISTRY_TABLE).where({ name }).update({ dialect, connection, secrets, schemas, settings, updated_at: now }),
    );
    if (changed === 0) throw new NotFoundError(name);
  }

  /** Removes `name`; returns false when it was not registered. */
  async remove(name: string): Promise<boolean> {
    const removed = await this.#write('remove', name, '', (trx) => trx(REGISTRY_TABLE).where({ name }).delete());
    return removed > 0;
  }

  /** The registry's own database, for the tables that live beside `lazydb_databases` (server/usage). */
  database(): Knex {
    return this.#db;
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: RegistryListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await this.#feed?.stop();
    await this.#db.destroy();
  }

  // -------------------------------------------------------------------------------------

  /** Runs `action` (returning the number of rows it touched) and announces the change. */
  async #write(
    type: RegistryChangeType,
    name: string,
    updatedAt: string,
    action: (trx: Knex.Transaction) => Promise<number>,
  ): Promise<number> {
    const count = await this.#db.transaction(async (trx) => {
      const touched = await action(trx);
      if (this.kind === 'postgres' && touched > 0) {
        // NOTIFY is delivered on commit only: other replicas never see a write that was rolled back.
        const payload = JSON.stringify({ type, name, updatedAt, origin: this.#instanceId });
        await trx.raw('select pg_notify(?, ?)', [NOTIFY_CHANNEL, payload]);
      }
      return touched;
    });
    if (count > 0) {
      this.#remember(type, name, updatedAt);
      this.#emit({ type, name, origin: 'local' });
    }
    return count;
  }

  #remember(type: RegistryChangeType, name: string, updatedAt: string): void {
    if (type === 'remove') this.#snapshot.delete(name);
    else this.#snapshot.set(name, updatedAt);
  }

  #emit(change: RegistryChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (error) {
        this.#warn(`registry change listener failed: ${(error as Error).message}`);
      }
    }
  }

  #onNotification(payload: string): void {
    let message: { type?: unknown; name?: unknown; updatedAt?: unknown; origin?: unknown };
    try {
      message = JSON.parse(payload) as typeof message;
    } catch {
      return;
    }
    if (message.origin === this.#instanceId || this.#closed) return;
    if (
      (message.type === 'insert' || message.type === 'update' || message.type === 'remove') &&
      typeof message.name === 'string'
    ) {
      const updatedAt = typeof message.updatedAt === 'string' ? message.updatedAt : '';
      // A resync racing with the notification may already have reported this very change.
      const known = this.#snapshot.get(message.name);
      if (message.type === 'remove' ? known === undefined : known === updatedAt) return;
      this.#remember(message.type, message.name, updatedAt);
      this.#emit({ type: message.type, name: message.name, origin: 'remote' });
    }
  }

  async #versions(): Promise<Map<string, string>> {
    const rows = await this.#db<Row>(REGISTRY_TABLE).select('name', 'updated_at');
    return new Map(rows.map((row) => [row.name, row.updated_at]));
  }

  async #resync(): Promise<void> {
    if (this.#closed) return;
    const now = await this.#versions();
    const before = this.#snapshot;
    this.#snapshot = now;
    for (const [name, updatedAt] of now) {
      const seen = before.get(name);
      if (seen === undefined) this.#emit({ type: 'insert', name, origin: 'remote' });
      else if (seen !== updatedAt) this.#emit({ type: 'update', name, origin: 'remote' });
    }
    for (const name of before.keys()) {
      if (!now.has(name)) this.#emit({ type: 'remove', name, origin: 'remote' });
    }
  }

  async #ensureTable(): Promise<void> {
    if (await this.#db.schema.hasTable(REGISTRY_TABLE)) return this.#ensureSettingsColumn();
    try {
      await this.#db.schema.createTable(REGISTRY_TABLE, (table) => {
        table.string('name', 63).primary();
        table.string('dialect', 16).notNullable();
        table.text('connection').notNullable();
        table.text('secrets').nullable();
        table.text('schemas').nullable();
        table.text('settings').nullable();
        table.string('created_at', 32).notNullable();
        table.string('updated_at', 32).notNullable();
      });
    } catch (error) {
      // Another replica may have created it between our check and our CREATE.
      if (!(await this.#db.schema.hasTable(REGISTRY_TABLE))) throw error;
    }
  }

  /** A registry made before per-database settings existed gets the column (its rows keep none: the global defaults). */
  async #ensureSettingsColumn(): Promise<void> {
    if (await this.#db.schema.hasColumn(REGISTRY_TABLE, 'settings')) return;
    try {
      await this.#db.schema.alterTable(REGISTRY_TABLE, (table) => table.text('settings').nullable());
    } catch (error) {
      // Another replica may have added it between our check and our ALTER.
      if (!(await this.#db.schema.hasColumn(REGISTRY_TABLE, 'settings'))) throw error;
    }
  }

  #toRow(spec: DatabaseSpec): Omit<Row, 'created_at' | 'updated_at'> {
    const { password, url, ...rest } = spec.connection;
    const secret: SealedSecrets = {};
    if (password !== undefined) secret.password = password;
    if (url !== undefined) secret.url = url;
    const sealed = Object.keys(secret).length > 0 ? this.#secrets.seal(JSON.stringify({ ...secret, target: targetIdentity(spec) }), rowSealContext(spec.name)) : null;
    const connection: ConnectionSpec = {};
    for (const [key, value] of Object.entries(rest)) {
      if (value !== undefined) (connection as Record<string, unknown>)[key] = value;
    }
    return {
      name: spec.name,
      dialect: spec.dialect,
      connection: JSON.stringify(connection),
      secrets: sealed,
      schemas: spec.schemas ? JSON.stringify(spec.schemas) : null,
      // Outside the sealed target on purpose: changing the timeout does not touch where the password goes.
      settings: spec.statementTimeoutMs !== undefined ? JSON.stringify({ statementTimeoutMs: spec.statementTimeoutMs }) : null,
    };
  }

  /**
   * A row as a spec, validated exactly as a registration is: the table may have been written by
   * anyone with access to it (or be a copy), so a name like `../x`, an unknown dialect, bad JSON or
   * a connection that would be refused on register is an error, never a spec.
   */
  #toEntry(row: Row): RegistryEntry {
    return this.#read(row, false).entry;
  }

  /**
   * {@link #toEntry}, and whether the row's secrets were sealed in format 1 (name only), which
   * only `allowLegacy` (the migration at start) accepts.
   */
  #read(row: Row, allowLegacy: boolean): { entry: RegistryEntry; legacy: boolean } {
    const label = JSON.stringify(clipName(String(row.name)));
    const parse = (column: string, text: string): unknown => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new InvalidEntryError(`registry entry ${label}: column ${column} is not valid JSON`);
      }
    };
    const stored = parse('connection', row.connection);
    if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) {
      throw new InvalidEntryError(`registry entry ${label}: column connection is not a JSON object`);
    }
    const connection = stored as ConnectionSpec;
    let opened: SealedSecrets | null = null;
    let legacy = false;
    if (row.secrets) {
      try {
        opened = JSON.parse(this.#secrets.open(row.secrets, rowSealContext(row.name))) as SealedSecrets;
      } catch (error) {
        if (allowLegacy) {
          try {
            opened = JSON.parse(this.#secrets.open(row.secrets, legacyRowSealContext(row.name))) as SealedSecrets;
            legacy = true;
          } catch {
            // neither format: report the format-2 failure below
          }
        }
        if (!opened) {
          const reason = error instanceof Error ? error.message : String(error);
          const wrapped = new Error(`registry entry ${label}: ${reason}`, { cause: error });
          wrapped.name = error instanceof Error ? error.name : 'Error';
          throw wrapped;
        }
      }
      if (opened.url !== undefined) connection.url = opened.url;
      if (opened.password !== undefined) connection.password = opened.password;
    }
    if (!(DIALECTS as readonly string[]).includes(row.dialect)) {
      throw new InvalidEntryError(`registry entry ${label} has an unknown dialect`);
    }
    const candidate: Record<string, unknown> = { name: row.name, dialect: row.dialect as Dialect, connection };
    if (row.schemas) candidate.schemas = parse('schemas', row.schemas);
    if (row.settings) {
      const settings = parse('settings', row.settings);
      if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
        throw new InvalidEntryError(`registry entry ${label}: column settings is not a JSON object`);
      }
      // Validated with the rest below, as on register.
      const { statementTimeoutMs } = settings as { statementTimeoutMs?: unknown };
      if (statementTimeoutMs !== undefined) candidate.statementTimeoutMs = statementTimeoutMs;
    }
    const checked = validateRegister(candidate);
    if (!checked.ok) {
      // Field names and fixed texts only: never a value, which may be a secret.
      const problems = checked.errors.map((e) => `${e.field} ${e.message}`).join('; ');
      throw new InvalidEntryError(`registry entry ${label} would be refused on register: ${problems}`);
    }
    if (opened && !legacy && opened.target !== targetIdentity(checked.value)) {
      throw new InvalidEntryError(
        `registry entry ${label}: its stored target no longer matches the sealed secret (its clear connection column ` +
          'was changed outside lazydb), so its password is not sent anywhere; remove it and register the database again',
      );
    }
    return { entry: { spec: checked.value, createdAt: row.created_at, updatedAt: row.updated_at }, legacy };
  }

  /**
   * Upgrade from format 1 (secrets bound to the row's name only): each such row is opened once,
   * here, and re-sealed bound to the target it names now (one write per row, logged).
   *
   * Residual risk: whoever could write to the registry BEFORE this upgrade could have pointed a
   * format-1 row at a server of their own; this migration cannot tell that edit from the admin's
   * own registration and seals the row to that target. From then on, any change of the clear
   * columns makes the row unreadable. Rows that do not open or validate are left as they are:
   * listReadable reports them.
   */
  async #resealLegacyRows(): Promise<void> {
    const rows = await this.#db<Row>(REGISTRY_TABLE).select('*').whereNotNull('secrets');
    for (const row of rows) {
      let read: { entry: RegistryEntry; legacy: boolean };
      try {
        read = this.#read(row, true);
      } catch {
        continue;
      }
      if (!read.legacy) continue;
      const { secrets } = this.#toRow(read.entry.spec);
      // Only if no other replica re-sealed (or changed) it meanwhile.
      const changed = await this.#db<Row>(REGISTRY_TABLE).where({ name: row.name, secrets: row.secrets }).update({ secrets });
      if (changed > 0) {
        this.#warn(
          `registry entry "${row.name}": its password was sealed by an older lazydb, bound to the name only; ` +
            're-sealed now, bound to its connection target as well',
        );
      }
    }
  }
}

/**
 * A dedicated LISTEN connection (a pooled one would be handed to queries and lose it).
 * Reconnects with exponential backoff capped at `retryMaxMs`, then asks for a resync.
 */
class NotificationFeed {
  #client: pg.Client | null = null;
  #timer: NodeJS.Timeout | null = null;
  #attempt = 0;
  #stopped = false;

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
    private readonly retryMaxMs: number,
    private readonly hooks: {
      onNotification: (payload: string) => void;
      onResync: () => Promise<void>;
      warn: (message: string) => void;
    },
  ) {}

  async start(): Promise<void> {
    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const client = this.#client;
    this.#client = null;
    if (client) await client.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: this.timeoutMs });
    client.on('notification', (message) => {
      if (message.channel === NOTIFY_CHANNEL && message.payload) this.hooks.onNotification(message.payload);
    });
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, new Error('connection closed')));
    await client.connect();
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    if (this.#stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#attempt = 0;
  }

  #lost(client: pg.Client, error: Error): void {
    if (this.#stopped || this.#client !== client) return;
    this.#client = null;
    client.end().catch(() => undefined);
    this.hooks.warn(`registry change feed lost its PostgreSQL connection (${error.message}); reconnecting`);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped || this.#timer) return;
    const delay = Math.min(this.retryMaxMs, 250 * 2 ** this.#attempt);
    this.#attempt += 1;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#connect()
        .then(() => (this.#stopped ? undefined : this.hooks.onResync()))
        .catch((error: Error) => {
          this.hooks.warn(`registry change feed: reconnect failed (${error.message})`);
          this.#schedule();
        });
    }, delay);
    this.#timer.unref();
  }
}

/** Names as they stand in messages: a tampered row's name may be any length. */
export function clipName(name: string, max = 100): string {
  return name.length > max ? `${name.slice(0, max)}…` : name;
}

function assertSpec(spec: DatabaseSpec): void {
  if (!NAME_PATTERN.test(spec.name)) throw new TypeError(`invalid database name "${spec.name}"`);
  if (!(DIALECTS as readonly string[]).includes(spec.dialect)) throw new TypeError(`invalid dialect "${spec.dialect}"`);
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

function restrictMode(file: string): void {
  try {
    fs.chmodSync(file, 0o600);
  } catch {
    // best effort: the file holds no clear-text secret, only sealed ones
  }
}
