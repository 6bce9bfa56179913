/**
 * Throwaway databases for integration tests, on the real servers of this machine (or any
 * server named by the LAZYDB_TEST_* URLs). Every database or user made here is named
 * `lazydb_t_<8 hex>` and is dropped by the `drop()` it comes with; nothing else is touched.
 *
 *   const pgUp = await requireOrSkip('postgres');
 *   describe.skipIf(!pgUp)('...', () => { ... createThrowawayDatabase('postgres', { sqlFile }) ... });
 *
 * LAZYDB_REQUIRE_DBS=postgres,mariadb turns "not reachable" into a failure for those engines
 * (CI sets it so a broken service cannot silently skip the suite).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { ConnectionSpec, Dialect } from '../../server/model/types';

export type Engine = 'postgres' | 'mariadb' | 'mysql' | 'oracle' | 'sqlite';

export interface ThrowawayDb {
  engine: Engine;
  /** Database name (PostgreSQL, MySQL/MariaDB), schema/user name (Oracle, upper case), or file base name (SQLite). */
  name: string;
  /** Full URL to it (SQLite: a `file:` URL), with the password percent-encoded. */
  url: string;
  /** The same, as discrete fields (SQLite: `filename`). */
  connection: ConnectionSpec;
  dialect: Dialect;
  drop(): Promise<void>;
}

export interface ThrowawayOptions {
  /** SQL file to load, split on lines holding only `--;;`. Relative paths are from the repo root. */
  sqlFile?: string;
  /** SQL text to load, same convention. */
  sql?: string;
}

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const PROBE_TIMEOUT_MS = 3000;

/** The admin URL for an engine, or undefined when the engine has no server configured. */
export function adminUrl(engine: Engine): string | undefined {
  const env = process.env;
  const pick = (value: string | undefined, fallback?: string) => (value && value.trim() !== '' ? value.trim() : fallback);
  switch (engine) {
    case 'postgres':
      return pick(env.LAZYDB_TEST_PG_URL, 'postgres://postgres@127.0.0.1:5432/postgres');
    case 'mariadb':
      return pick(env.LAZYDB_TEST_MARIADB_URL, 'mysql://root@127.0.0.1:3306/');
    case 'mysql':
      return pick(env.LAZYDB_TEST_MYSQL_URL);
    case 'oracle':
      return pick(env.LAZYDB_TEST_ORACLE_URL);
    case 'sqlite':
      return undefined;
  }
}

export function dialectOf(engine: Engine): Dialect {
  return engine;
}

const ENV_NAME: Record<Engine, string> = {
  postgres: 'LAZYDB_TEST_PG_URL',
  mariadb: 'LAZYDB_TEST_MARIADB_URL',
  mysql: 'LAZYDB_TEST_MYSQL_URL',
  oracle: 'LAZYDB_TEST_ORACLE_URL',
  sqlite: '(none)',
};

// ---------------------------------------------------------------------------------------
// Reachability

const probes = new Map<Engine, Promise<string | null>>();
const skipNoted = new Set<Engine>();

function requiredEngines(): Set<string> {
  return new Set(
    (process.env.LAZYDB_REQUIRE_DBS ?? '')
      .split(',')
      .map((item) => item.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * True when the engine's server answers. When it does not, returns false (the caller skips)
 * unless LAZYDB_REQUIRE_DBS names the engine, in which case it throws. Probed once per process.
 */
export async function requireOrSkip(engine: Engine): Promise<boolean> {
  let probe = probes.get(engine);
  if (!probe) {
    probe = probeEngine(engine);
    probes.set(engine, probe);
  }
  const problem = await probe;
  if (problem === null) return true;
  if (requiredEngines().has(engine)) {
    throw new Error(`LAZYDB_REQUIRE_DBS includes "${engine}" but it is not available: ${problem}`);
  }
  if (!skipNoted.has(engine)) {
    skipNoted.add(engine);
    console.info(`[databases] skipping ${engine} tests: ${problem}`);
  }
  return false;
}

async function probeEngine(engine: Engine): Promise<string | null> {
  if (engine === 'sqlite') return null;
  const url = adminUrl(engine);
  if (!url) return `${ENV_NAME[engine]} is not set`;
  const admin = adminKnex(engine, url, PROBE_TIMEOUT_MS, { quiet: true });
  try {
    await withTimeout(admin.raw(engine === 'oracle' ? 'select 1 from dual' : 'select 1'), PROBE_TIMEOUT_MS + 500);
    return null;
  } catch (error) {
    return `${hidePassword(url)} (${ENV_NAME[engine]}): ${(error as Error).message}`;
  } finally {
    await admin.destroy().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------
// Throwaway databases

export function throwawayName(): string {
  return `lazydb_t_${randomBytes(4).toString('hex')}`;
}

/** Creates an empty database (optionally loaded with SQL) that the caller must `drop()`. */
export async function createThrowawayDatabase(engine: Engine, options: ThrowawayOptions = {}): Promise<ThrowawayDb> {
  const db = await createEmpty(engine);
  const sql = readOptionsSql(options);
  if (sql !== undefined) {
    try {
      await runStatements(db, splitStatements(sql));
    } catch (error) {
      await db.drop().catch(() => undefined);
      throw error;
    }
  }
  return db;
}

function readOptionsSql(options: ThrowawayOptions): string | undefined {
  const parts: string[] = [];
  if (options.sqlFile) parts.push(fs.readFileSync(path.resolve(REPO_ROOT, options.sqlFile), 'utf8'));
  if (options.sql) parts.push(options.sql);
  return parts.length > 0 ? parts.join('\n--;;\n') : undefined;
}

async function createEmpty(engine: Engine): Promise<ThrowawayDb> {
  if (engine === 'sqlite') return sqliteThrowaway();
  const url = adminUrl(engine);
  if (!url) throw new Error(`${engine}: ${ENV_NAME[engine]} is not set`);
  const name = throwawayName();
  switch (engine) {
    case 'postgres':
      return postgresThrowaway(url, name);
    case 'mariadb':
    case 'mysql':
      return mysqlThrowaway(engine, url, name);
    case 'oracle':
      return oracleThrowaway(url, name.toUpperCase());
  }
}

/** A fresh SQLite file under the OS temp dir; `source` is copied into it when given. */
export function sqliteThrowaway(source?: string): ThrowawayDb {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazydb-t-'));
  const name = throwawayName();
  const filename = path.join(dir, `${name}.sqlite`);
  if (source) {
    fs.copyFileSync(source, filename);
    fs.chmodSync(filename, 0o644); // fixtures may be read-only; the copy must be writable
  } else {
    new Database(filename).close();
  }
  return {
    engine: 'sqlite',
    name,
    url: `file:${filename}`,
    connection: { filename },
    dialect: 'sqlite',
    drop: async () => {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresThrowaway(admin: string, name: string): Promise<ThrowawayDb> {
  await withAdmin('postgres', admin, (knex) => knex.raw('create database ??', [name]));
  const url = replacePath(admin, name);
  const parsed = new URL(admin);
  return {
    engine: 'postgres',
    name,
    url,
    connection: discrete(parsed, 5432, name),
    dialect: 'postgres',
    drop: once(async () => {
      await withAdmin('postgres', admin, async (knex) => {
        // Only backends connected to this very database; never anyone else's.
        await knex.raw('select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()', [name]);
        await knex.raw('drop database if exists ??', [name]);
      });
    }),
  };
}

async function mysqlThrowaway(engine: 'mariadb' | 'mysql', admin: string, name: string): Promise<ThrowawayDb> {
  await withAdmin(engine, admin, (knex) => knex.raw('create database ?? character set utf8mb4', [name]));
  const parsed = new URL(admin);
  return {
    engine,
    name,
    url: replacePath(admin, name),
    connection: discrete(parsed, 3306, name),
    dialect: engine,
    drop: once(async () => {
      await withAdmin(engine, admin, (knex) => knex.raw('drop database if exists ??', [name]));
    }),
  };
}

/** Oracle has no CREATE DATABASE for tests: a throwaway is a user (= schema) with its own password. */
async function oracleThrowaway(admin: string, name: string): Promise<ThrowawayDb> {
  const password = `Lz${randomBytes(12).toString('hex')}`;
  await withAdmin('oracle', admin, async (knex) => {
    // ?? quotes the identifier; the name is upper case so the quoted and unquoted forms agree.
    await knex.raw('create user ?? identified by ??', [name, password]);
    await knex.raw('grant create session, create table, create view, create sequence, create trigger, create procedure, create type to ??', [name]);
    await knex.raw('alter user ?? quota unlimited on users', [name]);
  });
  const parsed = new URL(admin);
  const service = parsed.pathname.replace(/^\//, '');
  const connection: ConnectionSpec = {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 1521,
    user: name,
    password,
    database: service,
  };
  return {
    engine: 'oracle',
    name,
    url: `oracle://${encodeURIComponent(name)}:${encodeURIComponent(password)}@${parsed.host}/${service}`,
    connection,
    dialect: 'oracle',
    drop: once(async () => {
      await withAdmin('oracle', admin, async (knex) => {
        const sessions = (await knex.raw('select sid, serial# as serial from v$session where username = ?', [name])) as Array<{
          SID: number;
          SERIAL: number;
        }>;
        for (const session of sessions) {
          // Both parts are numbers from the catalog; ALTER SYSTEM takes no binds.
          await knex.raw(`alter system kill session '${Number(session.SID)},${Number(session.SERIAL)}' immediate`).catch(() => undefined);
        }
        await knex.raw('drop user ?? cascade', [name]);
      });
    }),
  };
}

// ---------------------------------------------------------------------------------------
// Users

export interface ThrowawayUser {
  user: string;
  password: string;
  /** URL to the database as this user. */
  url: string;
  connection: ConnectionSpec;
  drop(): Promise<void>;
}

/** A MariaDB/MySQL user with a real random password and ALL privileges on `db` only. */
export async function withMariadbUser(db: ThrowawayDb): Promise<ThrowawayUser> {
  if (db.engine !== 'mariadb' && db.engine !== 'mysql') throw new Error(`withMariadbUser needs a mariadb/mysql database, got ${db.engine}`);
  const engine = db.engine;
  const admin = adminUrl(engine);
  if (!admin) throw new Error(`${engine}: ${ENV_NAME[engine]} is not set`);
  const user = throwawayName();
  // Letters, digits and URL-significant characters, so URL encoding is exercised for real.
  const password = `${randomBytes(12).toString('base64url')}@:/%#Az9`;
  await withAdmin(engine, admin, async (knex) => {
    await knex.raw('create user ?@? identified by ?', [user, '%', password]);
    await knex.raw('grant all privileges on ??.* to ?@?', [db.name, user, '%']);
  });
  const parsed = new URL(admin);
  const connection: ConnectionSpec = { ...discrete(parsed, 3306, db.name), user, password };
  return {
    user,
    password,
    url: `${parsed.protocol}//${encodeURIComponent(user)}:${encodeURIComponent(password)}@${parsed.host}/${db.name}`,
    connection,
    drop: once(async () => {
      await withAdmin(engine, admin, (knex) => knex.raw('drop user if exists ?@?', [user, '%']));
    }),
  };
}

// ---------------------------------------------------------------------------------------
// Running SQL

/** Splits fixture SQL on lines that hold only `--;;`; drops empty pieces. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/^[ \t]*--;;[ \t]*\r?$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '' && !/^(--[^\n]*\n?\s*)+$/.test(statement));
}

/** Runs statements one by one on a single connection to the throwaway database. */
export async function runStatements(db: ThrowawayDb, statements: string[]): Promise<void> {
  const fail = (index: number, statement: string, error: unknown): never => {
    const head = statement.length > 300 ? `${statement.slice(0, 300)}…` : statement;
    throw new Error(`${db.engine}: statement ${index + 1} failed: ${(error as Error).message}\n${head}`, { cause: error });
  };
  switch (db.engine) {
    case 'sqlite': {
      const conn = new Database(db.connection.filename ?? '');
      try {
        statements.forEach((statement, index) => {
          try {
            conn.exec(statement);
          } catch (error) {
            fail(index, statement, error);
          }
        });
      } finally {
        conn.close();
      }
      return;
    }
    case 'postgres': {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        for (const [index, statement] of statements.entries()) {
          await client.query(statement).catch((error: unknown) => fail(index, statement, error));
        }
      } finally {
        await client.end();
      }
      return;
    }
    case 'mariadb':
    case 'mysql': {
      const conn = await mysql.createConnection(mysqlOptions(db.url));
      try {
        for (const [index, statement] of statements.entries()) {
          await conn.query(statement).catch((error: unknown) => fail(index, statement, error));
        }
      } finally {
        await conn.end();
      }
      return;
    }
    case 'oracle': {
      // On the driver's connection: knex.raw would rewrite every `?` (quoted names too) into a bind.
      const knex = adminKnex('oracle', db.url, 10_000);
      const client = knex.client as { acquireConnection(): Promise<OracleSession>; releaseConnection(c: OracleSession): Promise<void> };
      const conn = await client.acquireConnection();
      try {
        for (const [index, statement] of statements.entries()) {
          await conn.execute(oracleStatement(statement), [], { autoCommit: true }).catch((error: unknown) => fail(index, statement, error));
        }
      } finally {
        await client.releaseConnection(conn);
        await knex.destroy();
      }
      return;
    }
  }
}

interface OracleSession {
  execute(sql: string, binds: unknown[], options: { autoCommit: boolean }): Promise<unknown>;
}

/** Oracle rejects a trailing `;` on plain SQL but PL/SQL blocks need theirs. */
export function oracleStatement(statement: string): string {
  const trimmed = statement.trim().replace(/\n\/\s*$/, '');
  if (/\bend\s*;\s*$/i.test(trimmed) || /^\s*(begin|declare|create\s+(or\s+replace\s+)?(trigger|procedure|function|package|type))\b/i.test(trimmed)) {
    return trimmed;
  }
  return trimmed.replace(/;\s*$/, '');
}

export function mysqlOptions(url: string, extra: mysql.ConnectionOptions = {}): mysql.ConnectionOptions {
  const parsed = new URL(url);
  const options: mysql.ConnectionOptions = {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    charset: 'utf8mb4',
    ...extra,
  };
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database) options.database = database;
  return options;
}

// ---------------------------------------------------------------------------------------
// Internals

const SILENT = { warn() {}, error() {}, debug() {}, deprecate() {} };

function adminKnex(engine: Exclude<Engine, 'sqlite'>, url: string, timeoutMs: number, options: { quiet?: boolean } = {}): Knex {
  const pool = { min: 0, max: 1 };
  // A failed probe is reported once by requireOrSkip; knex's own pool warnings would only repeat it.
  const log = options.quiet ? { log: SILENT } : {};
  switch (engine) {
    case 'postgres':
      return knexFactory({
        ...log,
        client: 'pg',
        connection: { connectionString: url, connectionTimeoutMillis: timeoutMs },
        pool,
        acquireConnectionTimeout: timeoutMs,
      });
    case 'mariadb':
    case 'mysql':
      return knexFactory({
        ...log,
        client: 'mysql2',
        connection: mysqlOptions(url, { connectTimeout: timeoutMs }) as Knex.MySql2ConnectionConfig,
        pool,
        acquireConnectionTimeout: timeoutMs,
      });
    case 'oracle': {
      const parsed = new URL(url);
      return knexFactory({
        ...log,
        client: 'oracledb',
        connection: {
          user: decodeURIComponent(parsed.username),
          password: decodeURIComponent(parsed.password),
          connectString: `${parsed.hostname}:${parsed.port || '1521'}/${parsed.pathname.replace(/^\//, '')}`,
        },
        pool,
        acquireConnectionTimeout: timeoutMs,
      });
    }
  }
}

async function withAdmin<T>(engine: Exclude<Engine, 'sqlite'>, url: string, action: (knex: Knex) => Promise<T>): Promise<T> {
  const knex = adminKnex(engine, url, 10_000);
  try {
    return await action(knex);
  } finally {
    await knex.destroy();
  }
}

function discrete(parsed: URL, defaultPort: number, database: string): ConnectionSpec {
  const connection: ConnectionSpec = {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : defaultPort,
    user: decodeURIComponent(parsed.username),
    database,
  };
  if (parsed.password) connection.password = decodeURIComponent(parsed.password);
  return connection;
}

function replacePath(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function hidePassword(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1********@');
}

function once(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  return () => (running ??= action());
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
