/**
 * What counting costs (issue 14): W1 (one Chinook track by key, random ids) on lazydb with
 * metrics on against the same lazydb with LAZYDB_METRICS=0, over GraphQL and REST, side by side
 * in one run; and the time of one `/metrics` scrape at 100 databases of 10 tables.
 *
 *   node --import tsx bench/metrics-overhead.ts [--runs 5] [--duration 5] [--connections 16] [--chinook DIR] [--no-scrape] [--in-process]
 *
 * Two lazydb processes as `npm run bench` starts them (bench/lib/lazydb.ts), Chinook loaded into
 * a throwaway PostgreSQL database (lazydb_b_*, dropped at the end) and registered on both. The
 * runs alternate between the two (and which goes first), so a slow stretch of this shared machine
 * hits both alike. Besides requests per second, each server's CPU time over each run is read from
 * /proc. On a machine too busy for either to settle, `--in-process` compares the CPU time of this
 * very process serving sequential W1 requests to itself, with the metrics plugin in and out (two
 * servers in one process, the same client): their difference is what counting costs a request.
 * Nothing here asserts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { dropAll, loadChinook } from './lib/databases';
import { asAdmin, randomAdminSecret, registerOrThrow, removeDataDirs, startLazydb, type LazydbServer } from './lib/lazydb';
import { LoadClient } from './lib/load';
import { REPO_ROOT, stopAll } from './lib/processes';
import { buildTargets, loadSpecOf, type Target } from './lib/workloads';
import type { LoadSpec } from './load/worker';

const flags = new Map<string, string | true>();
for (let i = 2; i < process.argv.length; i++) {
  const key = process.argv[i]!.replace(/^--/, '');
  if (key === 'no-scrape' || key === 'in-process') flags.set(key, true);
  else flags.set(key, process.argv[++i] ?? '');
}
const RUNS = Number(flags.get('runs') ?? 5);
const DURATION = Number(flags.get('duration') ?? 5);
const CONNECTIONS = Number(flags.get('connections') ?? 16);
const CHINOOK = path.resolve(String(flags.get('chinook') ?? process.env.LAZYDB_CHINOOK_DIR ?? path.join(REPO_ROOT, '../shared/fixtures/chinook')));
const SCRAPE = !flags.has('no-scrape');
const IN_PROCESS = flags.has('in-process');

const say = (message: string) => process.stdout.write(`[metrics-bench] ${message}\n`);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** User + system CPU time of a process so far, in µs (/proc/<pid>/stat, fields 14 and 15, in clock ticks of 10 ms). */
function cpuMicros(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function spec(target: Target, duration: number): LoadSpec {
  return { ...loadSpecOf(target, CONNECTIONS, duration), checkBody: true };
}

interface Side {
  label: 'on' | 'off';
  server: LazydbServer;
  reqPerSec: number[];
  cpuPerRequest: number[];
}

async function overhead(load: LoadClient): Promise<void> {
  say(`loading Chinook from ${CHINOOK} into PostgreSQL`);
  const chinook = await loadChinook(CHINOOK, 'postgres');
  const sides: Side[] = [];
  for (const label of ['on', 'off'] as const) {
    const server = await startLazydb({ env: { LAZYDB_METRICS: label === 'on' ? '1' : '0' } });
    await registerOrThrow(server, 'chinook_pg', chinook.db);
    sides.push({ label, server, reqPerSec: [], cpuPerRequest: [] });
  }
  const endpointsOf = (server: LazydbServer) => ({
    floor: { postgres: null, mariadb: null },
    lazydb: server.url,
    lazydbHeaders: server.adminHeaders,
    pgl: null,
    chinook: { postgres: 'chinook_pg', mariadb: 'chinook_maria' },
    synth: { postgres: 'synth_pg', mariadb: 'synth_maria' },
  });
  const params = { artistIds: { postgres: [1], mariadb: [1] }, autoIncrement: { postgres: true, mariadb: true } };
  for (const system of ['gql', 'rest'] as const) {
    const cells = sides.map((side) => ({ side, target: buildTargets(endpointsOf(side.server), params, { engines: ['postgres'], workloads: ['W1'], systems: [system] })[0]! }));
    for (const cell of cells) {
      cell.side.reqPerSec = [];
      cell.side.cpuPerRequest = [];
      await load.run(spec(cell.target, 3));
    }
    for (let run = 0; run < RUNS; run++) {
      for (const cell of run % 2 === 0 ? cells : [...cells].reverse()) {
        const before = cpuMicros(cell.side.server.child.pid);
        const result = await load.run(spec(cell.target, DURATION));
        const cpu = cpuMicros(cell.side.server.child.pid) - before;
        if (result.non2xx + result.errors + result.mismatches > 0) throw new Error(`W1 ${system} metrics ${cell.side.label}: ${result.non2xx + result.errors + result.mismatches} failed requests`);
        cell.side.reqPerSec.push(result.reqPerSec);
        cell.side.cpuPerRequest.push(cpu / result.requests);
        say(`W1 ${system.padEnd(4)} metrics ${cell.side.label.padEnd(3)} run ${run + 1}: ${Math.round(result.reqPerSec)} req/s, ${(cpu / result.requests).toFixed(1)} CPU µs/request`);
      }
    }
    const [on, off] = sides as [Side, Side];
    const ratio = median(on.reqPerSec) / median(off.reqPerSec);
    say(
      `W1 ${system}: metrics on ${Math.round(median(on.reqPerSec))} req/s, off ${Math.round(median(off.reqPerSec))} req/s: ${ratio.toFixed(3)}× (target ≥ 0.95×); ` +
        `CPU ${median(on.cpuPerRequest).toFixed(1)} vs ${median(off.cpuPerRequest).toFixed(1)} µs/request (+${(median(on.cpuPerRequest) - median(off.cpuPerRequest)).toFixed(1)} µs)`,
    );
  }
  for (const side of sides) await side.server.stop();
}

/** Sequential W1 requests from this process to two servers of its own (metrics on, off), CPU time per request of the whole process. */
async function inProcess(): Promise<void> {
  say(`loading Chinook from ${CHINOOK} into PostgreSQL`);
  const chinook = await loadChinook(CHINOOK, 'postgres');
  const { loadConfig } = await import('../server/config');
  const { startServer } = await import('../server/server');
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const dirs: string[] = [];
  const servers = [];
  // The management API and every database without rules are for admins: requests carry this secret.
  const secret = randomAdminSecret();
  const admin = { authorization: `Bearer ${secret}` };
  for (const metrics of ['1', '0']) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazydb-metrics-bench-'));
    dirs.push(dataDir);
    const config = loadConfig({ PORT: '0', LAZYDB_DATA_DIR: dataDir, LAZYDB_SCHEMA_CACHE_DIR: path.join(dataDir, 'cache'), LAZYDB_DEMO: '0', NODE_ENV: 'production', LAZYDB_METRICS: metrics, LAZYDB_ADMIN_SECRET: secret });
    const server = await startServer(config, quiet);
    const answer = await fetch(`${server.url}/api/databases`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'chinook_pg', dialect: 'postgres', connection: { host: chinook.db.host, port: chinook.db.port, user: chinook.db.user, ...(chinook.db.password ? { password: chinook.db.password } : {}), database: chinook.db.name } }),
    });
    if (answer.status !== 201) throw new Error(`register: ${answer.status} ${await answer.text()}`);
    servers.push({ label: metrics === '1' ? 'on' : 'off', server, cpu: [] as number[] });
  }
  const body = (id: number) => JSON.stringify({ query: 'query B($id: Int!) { track_by_pk(track_id: $id) { track_id name composer milliseconds unit_price } }', variables: { id } });
  const batch = async (url: string, count: number) => {
    for (let i = 0; i < count; i++) {
      const response = await fetch(`${url}/db/chinook_pg/graphql`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: body(1 + Math.floor(Math.random() * 3503)) });
      if (response.status !== 200) throw new Error(`W1 answered ${response.status}`);
      await response.arrayBuffer();
    }
  };
  const PER_ROUND = 1000;
  for (const side of servers) await batch(side.server.url, 2000);
  for (let round = 0; round < RUNS * 4; round++) {
    for (const side of round % 2 === 0 ? servers : [...servers].reverse()) {
      const before = process.cpuUsage();
      await batch(side.server.url, PER_ROUND);
      const used = process.cpuUsage(before);
      side.cpu.push((used.user + used.system) / PER_ROUND);
    }
  }
  const [on, off] = servers as [(typeof servers)[0], (typeof servers)[0]];
  const delta = servers[0]!.cpu.map((cpu, i) => cpu - off.cpu[i]!);
  say(
    `in-process W1 (client and server in one process, ${RUNS * 4} rounds of ${PER_ROUND}): CPU per request, metrics on ${median(on.cpu).toFixed(1)} µs, off ${median(off.cpu).toFixed(1)} µs; ` +
      `median difference per round ${median(delta).toFixed(1)} µs (${((100 * median(delta)) / median(off.cpu)).toFixed(1)}% of the whole process's CPU per request)`,
  );
  for (const side of servers) await side.server.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * What the plugin adds to one request, alone: its three hooks and one statement reported as the
 * runner reports it (two clock reads), on a LazydbMetrics over 100 databases, a million times.
 */
async function hotPath(): Promise<void> {
  const { parse } = await import('graphql');
  const { LazydbMetrics } = await import('../server/metrics/metrics');
  const { useMetrics } = await import('../server/plugins/use-metrics');
  const { buildSchema } = await import('../server/schema/build');
  const { nameModel } = await import('../server/schema/naming');
  const { model, table, column } = await import('../test/helpers/model');
  const snapshots = new Map(Array.from({ length: 100 }, (_, d) => [`db${d}`, { name: `db${d}`, status: 'ready', pool: { load: () => ({ used: 0, free: 1, pending: 0, max: 10 }) } }]));
  const source = { get: (name: string) => snapshots.get(name) as never, list: () => [...snapshots.values()] as never[], schemaBuilds: 100 };
  const metrics = new LazydbMetrics(source, { maxTables: 100, processMetrics: false });
  const plugin = useMetrics(metrics);
  const track = table('track', [column('track_id', 'int', { nullable: false }), column('name', 'string')], { primaryKey: ['track_id'] });
  const schema = buildSchema(nameModel(model([track])), {} as never, { maxLimit: 100 });
  const args = { schema, document: parse('query B($id: Int!) { track_by_pk(track_id: $id) { track_id name } }'), operationName: undefined, variables: {} };
  const context = { database: 'db1', transport: 'graphql', operation: 'query', startedAt: 0, tables: null, stats: null } as unknown as import('../server/pipeline/context').RequestContext;
  const response = {} as never;
  const outcome = { status: 200, code: null };
  const request = () => {
    (context as { startedAt: number }).startedAt = performance.now();
    context.tables = null;
    plugin.onContext!(context, response);
    plugin.onExecute!(args, context);
    const sentAt = performance.now();
    context.stats!.statement('db1', (performance.now() - sentAt) / 1000, 1);
    plugin.onResponse!(context, outcome);
  };
  for (let i = 0; i < 200_000; i++) request();
  const results: number[] = [];
  for (let round = 0; round < 5; round++) {
    const count = 1_000_000;
    const before = process.cpuUsage();
    for (let i = 0; i < count; i++) request();
    const used = process.cpuUsage(before);
    results.push((used.user + used.system) / count);
  }
  say(`hot path (the plugin's hooks and one statement's report, per request): median ${median(results).toFixed(2)} CPU µs (rounds: ${results.map((r) => r.toFixed(2)).join(', ')})`);
}

/** 100 SQLite databases of 10 tables, each table read once (so every series exists), then 20 scrapes. */
async function scrapeTime(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazydb-metrics-bench-'));
  try {
    const server = await startLazydb({ env: { LAZYDB_SQLITE_DIRS: dir } });
    say('registering 100 SQLite databases of 10 tables');
    for (let d = 0; d < 100; d++) {
      const filename = path.join(dir, `db${d}.sqlite`);
      const db = new Database(filename);
      for (let t = 0; t < 10; t++) db.exec(`create table t${t} (id integer primary key, name text); insert into t${t} values (1, 'one');`);
      db.close();
      const answer = await fetch(
        `${server.url}/api/databases`,
        asAdmin(server, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `db${d}`, dialect: 'sqlite', connection: { filename } }) }),
      );
      if (answer.status !== 201) throw new Error(`registering db${d}: ${answer.status} ${await answer.text()}`);
      for (let t = 0; t < 10; t++) await (await fetch(`${server.url}/db/db${d}/rest/t${t}/1`, asAdmin(server))).arrayBuffer();
    }
    const times: number[] = [];
    let bytes = 0;
    let series = 0;
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const text = await (await fetch(`${server.url}/metrics`, asAdmin(server))).text();
      times.push(performance.now() - started);
      bytes = text.length;
      series = text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
    }
    say(`/metrics at 100 databases of 10 tables: median ${median(times).toFixed(1)} ms per scrape (${series} series, ${Math.round(bytes / 1024)} KiB)`);
    await server.stop();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const load = new LoadClient();
try {
  await hotPath();
  if (!fs.existsSync(CHINOOK)) say(`no Chinook at ${CHINOOK} (--chinook DIR or LAZYDB_CHINOOK_DIR): W1 skipped`);
  else if (IN_PROCESS) await inProcess();
  else await overhead(load);
  if (SCRAPE) await scrapeTime();
} finally {
  await load.stop();
  await stopAll();
  removeDataDirs();
  await dropAll();
}
