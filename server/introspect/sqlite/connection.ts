import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import type BetterSqlite3 from 'better-sqlite3';
import type { ConnectionProblem, ConnectionTarget } from '../dialect';
import type { PinnedConnectOptions } from '../common/connection-url';
import type { ConnectionSpec, DatabaseSpec } from '../../model/types';
import { SQLITE_SCHEMA } from './catalog';

/**
 * The file named by the spec: `filename`, or a URL `sqlite:///abs/path`,
 * `sqlite:relative/path`, `sqlite://relative/path`, `file:...`, or a bare path.
 * Relative paths are resolved against the working directory when the config is built.
 */
export function sqliteFilename(connection: ConnectionSpec): string {
  if (connection.filename) return connection.filename;
  const url = connection.url;
  if (!url) throw new Error('SQLite connection needs a filename (or a sqlite:/// URL)');
  if (/^file:/i.test(url)) {
    // file:///abs/path is a proper URL; file:relative/path is SQLite's own loose form.
    if (/^file:\/\//i.test(url)) return fileURLToPath(url.replace(/\?.*$/, ''));
    return decodeURIComponent(url.slice('file:'.length).replace(/\?.*$/, ''));
  }
  const match = /^sqlite3?:(.*)$/i.exec(url);
  if (!match) return url;
  let rest = (match[1] ?? '').replace(/\?.*$/, '');
  // sqlite:///abs -> /abs ; sqlite://rel -> rel ; sqlite:rel -> rel ; sqlite:/abs -> /abs
  if (rest.startsWith('///')) rest = rest.slice(2);
  else if (rest.startsWith('//')) rest = rest.slice(2);
  const filename = decodeURIComponent(rest);
  if (!filename) throw new Error('SQLite connection URL names no file (expected sqlite:///absolute/path.db)');
  return filename;
}

/** `:memory:` (and SQLite's '' for a private temporary database) open no file at all. */
export function isInMemory(filename: string): boolean {
  return filename === ':memory:' || filename === '';
}

/** The file the driver opens, resolved the way {@link knexConfig} resolves it. */
export function connectionTarget(spec: DatabaseSpec): ConnectionTarget {
  const filename = sqliteFilename(spec.connection);
  return { kind: 'file', path: isInMemory(filename) ? ':memory:' : path.resolve(filename) };
}

/**
 * A `file:` URL's query (`?mode=ro`, `?vfs=...`) would mean something to SQLite's own URI
 * parser, which lazydb does not use: the file is opened by name, so parameters are refused
 * rather than ignored.
 */
export function connectionProblems(connection: ConnectionSpec): ConnectionProblem[] {
  if (connection.url !== undefined && connection.url.includes('?')) {
    return [{ field: 'url', message: 'query parameters are not taken for sqlite; name the file only' }];
  }
  if (connection.url !== undefined) {
    try {
      sqliteFilename(connection);
    } catch {
      // file://server/share/x.db names a file on another machine; sqlite:// with an empty path names none.
      return [{ field: 'url', message: 'must name a local file: file:///absolute/path.db (no host after file://) or sqlite:///absolute/path.db' }];
    }
  }
  return [];
}

export function defaultSchemas(spec: DatabaseSpec): string[] {
  if (spec.schemas && spec.schemas.length > 0) return [...spec.schemas];
  return [SQLITE_SCHEMA];
}

/**
 * knex's better-sqlite3 client opens the file without `fileMustExist`, so a mistyped path
 * would silently create an empty database. This subclass only adds that option (and the
 * driver's busy timeout) when opening; everything else is knex's own client.
 */
interface BetterSqliteClientBase {
  driver: new (filename: string, options?: BetterSqlite3.Options) => BetterSqlite3.Database;
  connectionSettings: { filename: string; options?: SqliteOpenOptions };
}
interface SqliteOpenOptions {
  fileMustExist?: boolean;
  readonly?: boolean;
  nativeBinding?: string;
  timeout?: number;
}
type ClientClass = new (config: Knex.Config) => BetterSqliteClientBase;

const requireFromHere = createRequire(import.meta.url);
let clientClass: ClientClass | undefined;

function sqliteClient(): ClientClass {
  if (!clientClass) {
    const Base = requireFromHere('knex/lib/dialects/better-sqlite3') as ClientClass;
    clientClass = class LazydbSqliteClient extends Base {
      async acquireRawConnection(): Promise<BetterSqlite3.Database> {
        const { filename, options = {} } = this.connectionSettings;
        const open: BetterSqlite3.Options = { readonly: !!options.readonly, fileMustExist: !!options.fileMustExist };
        if (options.nativeBinding) open.nativeBinding = options.nativeBinding;
        if (options.timeout !== undefined) open.timeout = options.timeout;
        return new this.driver(filename, open);
      }
    };
  }
  return clientClass;
}

/**
 * better-sqlite3 is synchronous: a statement blocks the event loop until it is done, and
 * while it waits for a lock held by another connection of this process nothing else can
 * run, the lock holder included. So the pool holds ONE connection: knex queues the rest,
 * which also serialises writes the way SQLite wants them (one writer at a time).
 * `poolMax` is deliberately ignored. min 0 lets an idle database release its file;
 * an in-memory database must keep its one connection or it would vanish.
 */
export function knexConfig(spec: DatabaseSpec, options: PinnedConnectOptions): Knex.Config {
  const filename = sqliteFilename(spec.connection);
  const inMemory = isInMemory(filename);
  // The real path the target policy checked, when given: a symlink on the way that is changed
  // after the check then leads nowhere new (see TargetPolicy.checkFile).
  const opened = inMemory ? filename : (options.connectTo ?? path.resolve(filename));
  // Waiting for another process's lock blocks this one; keep the wait short.
  const busyTimeoutMs = Math.max(0, Math.min(options.connectTimeoutMs, 5000));
  return {
    client: sqliteClient() as unknown as Knex.Config['client'],
    useNullAsDefault: true,
    // Keep bound values out of knex's error messages (the SQL text is stripped later).
    compileSqlOnError: false,
    connection: {
      filename: opened,
      options: { fileMustExist: !inMemory, timeout: busyTimeoutMs },
    } as Knex.BetterSqlite3ConnectionConfig,
    acquireConnectionTimeout: options.connectTimeoutMs,
    pool: {
      min: inMemory ? 1 : 0,
      max: 1,
      afterCreate(conn: BetterSqlite3.Database, done: (error: Error | null, conn: BetterSqlite3.Database) => void) {
        try {
          // 64-bit integers come back as BigInt, so BIGINT values stay exact.
          conn.defaultSafeIntegers(true);
          // Opening reads nothing yet; this reads the header, so a file that is no database
          // fails here, while connecting, with the same answer as a missing one.
          conn.pragma('schema_version');
          conn.pragma('foreign_keys = ON');
          conn.pragma(`busy_timeout = ${busyTimeoutMs}`);
          done(null, conn);
        } catch (error) {
          done(error as Error, conn);
        }
      },
    },
  };
}
