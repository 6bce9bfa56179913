/**
 * lazydb as the benchmark runs it: what `npm start` runs (the bundle server/build.mjs makes,
 * on the machine's Node), its own process, its own data and schema-cache dirs in a temp dir,
 * no demo database, warn-level logs; databases registered through the management API like a
 * user would. The same for another checkout of lazydb (`--baseline DIR`): its own bundle, built
 * and run from that checkout, with this bench's env and measurement hook.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchDb } from './databases';
import { BENCH_DIR, REPO_ROOT, freePort, startChild, waitForHttp, type Child } from './processes';

export interface LazydbServer {
  child: Child;
  url: string;
  controlUrl: string;
  dataDir: string;
  /** The `Authorization` header that makes a request admin (this run's random LAZYDB_ADMIN_SECRET). */
  adminHeaders: Record<string, string>;
  stop(): Promise<void>;
}

/** A random admin secret per server: the management API is for admins, and nothing outside this run should know it. */
export function randomAdminSecret(): string {
  return `bench-${randomBytes(24).toString('hex')}`;
}

/** `init` with the server's admin credential added (headers given in `init` are kept). */
export function asAdmin(server: Pick<LazydbServer, 'adminHeaders'>, init: RequestInit = {}): RequestInit {
  return { ...init, headers: { ...server.adminHeaders, ...(init.headers as Record<string, string> | undefined) } };
}

const dataDirs = new Set<string>();

/** Removes the data dirs of servers that were not stopped through their own stop() (a failed run). */
export function removeDataDirs(): void {
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  dataDirs.clear();
}

const bundled = new Set<string>();

/** Bundles a checkout's server once per run, from its sources as they are now (as `npm start` does). */
function bundleServer(root: string): void {
  if (bundled.has(root)) return;
  try {
    execFileSync(process.execPath, ['server/build.mjs', '--force'], { cwd: root, stdio: 'pipe' });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').slice(-1000);
    throw new Error(`could not bundle the server in ${root}: ${(error as Error).message.split('\n')[0]}\n${stderr}`);
  }
  bundled.add(root);
}

/** Why `dir` cannot be run as a lazydb checkout (null when it can): it needs server/build.mjs and its own node_modules. */
export function checkoutProblem(dir: string): string | null {
  if (!fs.existsSync(path.join(dir, 'server/build.mjs'))) return `${dir} is not a lazydb checkout (no server/build.mjs)`;
  if (!fs.existsSync(path.join(dir, 'node_modules'))) return `${dir} has no node_modules (a worktree can symlink the main checkout's)`;
  return null;
}

/** Which lazydb a checkout holds: its commit, and whether server/ has uncommitted changes. */
export function checkoutRevision(root: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'server'], { cwd: root, encoding: 'utf8' }).trim();
    return `${head}${dirty ? ` + uncommitted changes in server/ (${dirty.split('\n').length} files)` : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** Starts lazydb from `root` (default: this checkout). */
export async function startLazydb(options: { logFile?: string; env?: Record<string, string>; root?: string; name?: string } = {}): Promise<LazydbServer> {
  const root = path.resolve(options.root ?? REPO_ROOT);
  bundleServer(root);
  const port = await freePort();
  const controlPort = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazydb-bench-'));
  dataDirs.add(dataDir);
  const adminSecret = randomAdminSecret();
  const child = startChild(
    options.name ?? 'lazydb',
    process.execPath,
    ['--expose-gc', '--enable-source-maps', '--import', path.join(BENCH_DIR, 'lib/probe.mjs'), 'dist/server/main.mjs'],
    {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        LAZYDB_DATA_DIR: dataDir,
        LAZYDB_SCHEMA_CACHE_DIR: path.join(dataDir, 'schema-cache'),
        LAZYDB_DEMO: '0',
        LAZYDB_LOG_LEVEL: 'warn',
        // Production guards otherwise, but the run times the OpenAPI document, which introspection off would hide.
        LAZYDB_INTROSPECTION: '1',
        LAZYDB_BENCH_CONTROL_PORT: String(controlPort),
        // The load comes from one address at thousands of requests a second: no rate limit
        // unless a cell asks for one (--rate-limit).
        LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: '0',
        LAZYDB_ADMIN_SECRET: adminSecret,
        ...options.env,
      },
      cwd: root,
      logFile: options.logFile,
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${url}/healthz`);
  return {
    child,
    url,
    controlUrl: `http://127.0.0.1:${controlPort}`,
    dataDir,
    adminHeaders: { authorization: `Bearer ${adminSecret}` },
    stop: async () => {
      await child.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
      dataDirs.delete(dataDir);
    },
  };
}

export interface Registration {
  status: number;
  body: any;
  /** Wall time of the POST, as the client saw it. */
  totalMs: number;
}

export function connectionOf(db: BenchDb, override: { host?: string; port?: number } = {}): Record<string, unknown> {
  return {
    host: override.host ?? db.host,
    port: override.port ?? db.port,
    user: db.user,
    ...(db.password ? { password: db.password } : {}),
    database: db.name,
  };
}

export async function register(server: LazydbServer, name: string, db: BenchDb, override: { host?: string; port?: number } = {}): Promise<Registration> {
  const started = performance.now();
  const response = await fetch(
    `${server.url}/api/databases`,
    asAdmin(server, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, dialect: db.engine, connection: connectionOf(db, override) }),
    }),
  );
  const body = await response.json().catch(() => null);
  return { status: response.status, body, totalMs: performance.now() - started };
}

export async function registerOrThrow(server: LazydbServer, name: string, db: BenchDb, override: { host?: string; port?: number } = {}): Promise<Registration> {
  const result = await register(server, name, db, override);
  if (result.status !== 201) throw new Error(`lazydb refused to register ${name} (${db.engine} ${db.name}): HTTP ${result.status} ${JSON.stringify(result.body)}`);
  return result;
}

export async function unregister(server: LazydbServer, name: string): Promise<void> {
  const response = await fetch(`${server.url}/api/databases/${encodeURIComponent(name)}`, asAdmin(server, { method: 'DELETE' }));
  await response.arrayBuffer();
}

export async function timed(url: string, init: RequestInit = {}): Promise<{ status: number; ms: number; body: any }> {
  const started = performance.now();
  const response = await fetch(url, init);
  const text = await response.text();
  const ms = performance.now() - started;
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: response.status, ms, body };
}

export interface ProbeMemory {
  gc: boolean;
  rssKb: number | null;
  usage: NodeJS.MemoryUsage;
}

export async function probeMemory(server: LazydbServer): Promise<ProbeMemory> {
  const response = await fetch(`${server.controlUrl}/memory`);
  return (await response.json()) as ProbeMemory;
}

export async function startProfile(server: LazydbServer): Promise<void> {
  const response = await fetch(`${server.controlUrl}/profile/start`, { method: 'POST' });
  if (!response.ok) throw new Error(`profile start: HTTP ${response.status}`);
  await response.arrayBuffer();
}

export async function stopProfile(server: LazydbServer, file: string): Promise<void> {
  const response = await fetch(`${server.controlUrl}/profile/stop?file=${encodeURIComponent(file)}`, { method: 'POST' });
  if (!response.ok) throw new Error(`profile stop: HTTP ${response.status}`);
  await response.arrayBuffer();
}

/** `resources` from GET /api/databases/:name/model: GraphQL names, REST paths and relations. */
export async function resources(server: LazydbServer, name: string): Promise<any[]> {
  const response = await fetch(`${server.url}/api/databases/${encodeURIComponent(name)}/model`, asAdmin(server));
  const body = (await response.json()) as { resources?: any[] };
  return body.resources ?? [];
}

/** A management call as admin, JSON both ways; throws unless it answers 2xx. */
export async function manage(server: LazydbServer, method: string, pathname: string, body?: unknown): Promise<any> {
  const response = await fetch(
    `${server.url}${pathname}`,
    asAdmin(server, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }),
  );
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${pathname}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** A read rule that lets a role see every column of a table, with an optional row filter. */
export function selectRule(filter: Record<string, unknown> = {}): { select: { columns: '*'; filter: Record<string, unknown>; aggregate: true } } {
  return { select: { columns: '*', filter, aggregate: true } };
}

/** Creates a role with these rules on one database and an API key for it; answers the key's Authorization header. */
export async function roleWithKey(server: LazydbServer, role: string, database: string, rules: Record<string, unknown>): Promise<Record<string, string>> {
  await manage(server, 'POST', '/api/roles', { name: role });
  await manage(server, 'PUT', `/api/databases/${encodeURIComponent(database)}/permissions/${encodeURIComponent(role)}`, rules);
  const { key } = (await manage(server, 'POST', '/api/keys', { name: `bench ${role}`, role })) as { key: string };
  return { authorization: `Bearer ${key}` };
}
