/**
 * REST by-key requests per second on a 1,000-table database against a 10-table one, side by
 * side in one run (issue: route cost must not grow with the number of tables).
 *
 *   npx tsx bench/rest-routing.ts [--tables 1000] [--duration 10] [--connections 16]
 *
 * Creates two throwaway PostgreSQL databases (lazydb_b_*), starts lazydb as its own process,
 * registers both, and runs autocannon against GET /db/<name>/rest/<table>/<id> with tables and
 * ids spread over the whole database, alternating small/big three times; prints the medians
 * and their ratio. Nothing here asserts a time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import knexFactory from 'knex';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const BIG = Number(args.get('tables') ?? 1000);
const SMALL = 10;
const DURATION = Number(args.get('duration') ?? 10);
const CONNECTIONS = Number(args.get('connections') ?? 16);
const PG = process.env.LAZYDB_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PORT = 4300 + Math.floor(Math.random() * 500);
const ROOT = resolve(import.meta.dirname, '..');
// The management API and databases without rules are for admins: every request carries this run's secret.
const ADMIN_SECRET = `bench-${randomBytes(24).toString('hex')}`;
const ADMIN = { authorization: `Bearer ${ADMIN_SECRET}` };

async function createDatabase(tables: number): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `lazydb_b_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: PG });
  await admin.raw('create database ??', [name]);
  const url = PG.replace(/\/[^/]*$/, `/${name}`);
  const db = knexFactory({ client: 'pg', connection: url });
  const statements: string[] = [];
  for (let i = 1; i <= tables; i++) {
    const table = `t${String(i).padStart(4, '0')}`;
    statements.push(`create table ${table} (id integer primary key, name text not null, created_at timestamptz default now())`);
    statements.push(`insert into ${table} (id, name) select g, 'row ' || g from generate_series(1, 20) g`);
  }
  for (let i = 0; i < statements.length; i += 400) await db.raw(statements.slice(i, i + 400).join(';\n'));
  await db.destroy();
  return {
    name,
    url,
    drop: async () => {
      await admin.raw('select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()', [name]);
      await admin.raw('drop database if exists ??', [name]);
      await admin.destroy();
    },
  };
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`lazydb did not start: ${url}`);
}

function run(base: string, database: string, tables: number): Promise<number> {
  const requests = Array.from({ length: 200 }, (_, i) => {
    const table = `t${String(1 + ((i * 7919) % tables)).padStart(4, '0')}`;
    return { method: 'GET' as const, path: `/db/${database}/rest/${table}/${1 + (i % 20)}` };
  });
  return new Promise((resolveRun, reject) => {
    autocannon({ url: base, connections: CONNECTIONS, duration: DURATION, headers: ADMIN, requests }, (error, result) => {
      if (error) return reject(error);
      if (result.non2xx > 0 || result.errors > 0) return reject(new Error(`${result.non2xx} non-2xx, ${result.errors} errors on ${database}`));
      resolveRun(result.requests.average);
    });
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lazydb-bench-'));
  console.log(`creating databases: ${SMALL} and ${BIG} tables …`);
  const small = await createDatabase(SMALL);
  const big = await createDatabase(BIG);
  let server: ChildProcess | undefined;
  try {
    server = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(PORT), LAZYDB_DATA_DIR: dataDir, LAZYDB_SCHEMA_CACHE_DIR: join(dataDir, 'cache'), LAZYDB_DEMO: '0', LAZYDB_LOG_LEVEL: 'warn', LAZYDB_ADMIN_SECRET: ADMIN_SECRET },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const base = `http://127.0.0.1:${PORT}`;
    await waitFor(`${base}/healthz`);
    for (const [name, db] of [['small', small], ['big', big]] as const) {
      const started = performance.now();
      const response = await fetch(`${base}/api/databases`, {
        method: 'POST',
        headers: { ...ADMIN, 'content-type': 'application/json' },
        body: JSON.stringify({ name, dialect: 'postgres', connection: { url: db.url } }),
      });
      if (response.status !== 201) throw new Error(`register ${name}: ${response.status} ${await response.text()}`);
      const first = performance.now();
      await fetch(`${base}/db/${name}/rest/t0001/1`, { headers: ADMIN });
      console.log(`${name}: registered in ${Math.round(first - started)} ms, REST router built on first request in ${Math.round(performance.now() - first)} ms`);
    }
    console.log(`warming up, then ${DURATION}s × 3 per database, ${CONNECTIONS} connections, alternating`);
    await run(base, 'small', SMALL);
    await run(base, 'big', BIG);
    const rates = { small: [] as number[], big: [] as number[] };
    for (let round = 0; round < 3; round++) {
      rates.small.push(await run(base, 'small', SMALL));
      rates.big.push(await run(base, 'big', BIG));
      console.log(`round ${round + 1}: ${SMALL} tables ${Math.round(rates.small.at(-1)!)} req/s, ${BIG} tables ${Math.round(rates.big.at(-1)!)} req/s`);
    }
    const ratio = median(rates.big) / median(rates.small);
    console.log(`\nREST by key, median req/s: ${SMALL} tables ${Math.round(median(rates.small))}, ${BIG} tables ${Math.round(median(rates.big))}`);
    console.log(`ratio ${BIG}-table / ${SMALL}-table: ${ratio.toFixed(3)} (target >= 0.9)`);
  } finally {
    server?.kill('SIGTERM');
    await small.drop();
    await big.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
