/**
 * What a rate limit costs a request, in-process: lazydb's own pipeline (every default plugin)
 * admitting requests to `/db/bench/graphql` with the anonymous limit off, on with the memory
 * store, and on with Redis (a limit so high nothing is refused: the cost of counting, not of
 * refusing). Each request runs the request-received and context-built hooks, as the app does
 * before routing, and the response hooks (with 20 estimated rows, which a rows budget charges);
 * the rest of a request (body, GraphQL, SQL) is the same in every mode and is left out, so the
 * differences are the plugin's cost.
 *
 *   npx tsx bench/rate-limit.ts [--requests 20000] [--concurrency 16] [--redis redis://127.0.0.1:6379]
 *
 * Prints per mode: CPU µs of this process per request (user + system; Redis's own CPU is not
 * counted), wall µs per request one at a time (latency), and with `--concurrency` requests in
 * flight (throughput). Keys go under `lazydb_bench_<hex>:` and are deleted after. Nothing here
 * asserts a time; compare modes within one run.
 */
import { randomBytes } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { loadConfig } from '../server/config';
import type { Logger } from '../server/log';
import { Pipeline } from '../server/pipeline/pipeline';
import { lazydbPlugins } from '../server/plugins';
import { documentLimitsOf } from '../server/plugins/use-document-limits';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const REQUESTS = Number(args.get('requests') ?? 20_000);
const CONCURRENCY = Number(args.get('concurrency') ?? 16);
const REDIS_URL = args.get('redis') ?? process.env.LAZYDB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `lazydb_bench_${randomBytes(4).toString('hex')}:`;
const PATH = '/db/bench/graphql';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** One request from one of 256 client addresses (the keys a small crowd makes). */
function request(i: number): { request: IncomingMessage; response: ServerResponse } {
  const socket = new Socket();
  Object.defineProperty(socket, 'remoteAddress', { value: `198.51.100.${i % 256}` });
  const message = new IncomingMessage(socket);
  message.method = 'POST';
  message.url = PATH;
  message.headers = { host: '127.0.0.1', 'content-type': 'application/json' };
  return { request: message, response: new ServerResponse(message) };
}

async function admit(pipeline: Pipeline, i: number): Promise<void> {
  const { request: message, response } = request(i);
  const context = pipeline.context(message, response, PATH);
  pipeline.received(message, response, context);
  const waiting = pipeline.contextBuilt(context, response);
  if (waiting) await waiting;
  // As if it ran an operation estimated at 20 rows: the response hooks (the rows charge among them).
  context.estimatedRows = 20;
  pipeline.responded(context, { status: 200, code: null });
}

interface Figures {
  cpuUs: number;
  serialUs: number;
  concurrentUs: number;
}

async function measure(pipeline: Pipeline): Promise<Figures> {
  // Warm-up: JIT, the Redis connection and its script.
  for (let i = 0; i < 2000; i++) await admit(pipeline, i);
  const cpu = process.cpuUsage();
  let started = performance.now();
  for (let i = 0; i < REQUESTS; i++) await admit(pipeline, i);
  const serialUs = ((performance.now() - started) * 1000) / REQUESTS;
  started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) await admit(pipeline, next++);
    }),
  );
  const concurrentUs = ((performance.now() - started) * 1000) / REQUESTS;
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / (2 * REQUESTS), serialUs, concurrentUs };
}

const modes: [string, Record<string, string>][] = [
  ['off (limit 0)', { LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: '0' }],
  ['memory store', { LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: '1000000000' }],
  ['Redis store', { LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: '1000000000', LAZYDB_REDIS_URL: REDIS_URL }],
  ['Redis, rows too', { LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: '1000000000', LAZYDB_ANONYMOUS_ROWS_PER_MINUTE: '1000000000000', LAZYDB_REDIS_URL: REDIS_URL }],
];

const rows: string[] = [];
try {
  for (const [label, env] of modes) {
    const config = loadConfig({ LAZYDB_LOG_LEVEL: 'silent', LAZYDB_REDIS_PREFIX: PREFIX, ...env });
    const pipeline = new Pipeline(lazydbPlugins(config, quiet), documentLimitsOf(config));
    try {
      const f = await measure(pipeline);
      rows.push(`| ${label} | ${f.cpuUs.toFixed(1)} | ${f.serialUs.toFixed(1)} | ${f.concurrentUs.toFixed(1)} |`);
    } finally {
      await pipeline.close();
    }
  }
} finally {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let cursor = '0';
  do {
    const [nextCursor, keys] = await client.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    if (keys.length > 0) await client.del(...keys);
    cursor = nextCursor;
  } while (cursor !== '0');
  client.disconnect();
}

console.log(`admission of ${REQUESTS} requests (request, context and response hooks), ${CONCURRENCY} in flight for the last column, Node ${process.version}\n`);
console.log('| mode | CPU µs / request | wall µs / request, one at a time | wall µs / request, concurrent |');
console.log('| --- | --- | --- | --- |');
for (const row of rows) console.log(row);
