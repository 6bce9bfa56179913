/**
 * The load generator: autocannon in its own process (the harness never loads a server from
 * the process that measures it, nor from a server's process). Reads one LoadSpec per line
 * (JSON) on stdin, runs them one after the other, and prints one LoadResult per line on
 * stdout (`{"error": ...}` when a run fails). One long-lived process saves a start-up per run.
 *
 * Request templates hold `{{name}}` placeholders filled per request from `vars`: a random
 * pick from a list, a random integer in a range, or a per-process sequence.
 */
import fs from 'node:fs';
import autocannon from 'autocannon';

export type VarSpec = { values: (number | string)[] } | { min: number; max: number } | { sequence: string };

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  /** Path and query, with placeholders. */
  path: string;
  /** Request body (JSON text), with placeholders. */
  body?: string;
  vars?: Record<string, VarSpec>;
  /** Extra request headers (the credential: admin secret or a role's API key). */
  headers?: Record<string, string>;
  connections: number;
  /** Seconds. */
  duration: number;
  /** Count 200 responses whose body holds `"errors"` as failures (GraphQL errors). */
  checkBody?: boolean;
  /** Write [completedAtEpochMs, latencyMs, status] per response to this file. */
  latencyFile?: string;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  reqPerSec: number;
  latencyP50: number;
  latencyP99: number;
  latencyMax: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  bytesPerSec: number;
  startedAt: number;
  finishedAt: number;
}

function compile(template: string): (values: Record<string, string>) => string {
  const parts = template.split(/\{\{(\w+)\}\}/);
  return (values) => {
    let out = parts[0]!;
    for (let i = 1; i < parts.length; i += 2) out += values[parts[i]!]! + parts[i + 1]!;
    return out;
  };
}

function generator(spec: VarSpec): () => string {
  if ('values' in spec) {
    const values = spec.values.map(String);
    return () => values[Math.floor(Math.random() * values.length)]!;
  }
  if ('sequence' in spec) {
    let n = 0;
    const prefix = `${spec.sequence}${process.pid}-`;
    return () => `${prefix}${++n}`;
  }
  const { min, max } = spec;
  return () => String(min + Math.floor(Math.random() * (max - min + 1)));
}

async function runOne(spec: LoadSpec): Promise<LoadResult> {
  const path = compile(spec.path);
  const body = spec.body === undefined ? null : compile(spec.body);
  const vars = Object.entries(spec.vars ?? {}).map(([name, v]) => [name, generator(v)] as const);
  const next = () => {
    const values: Record<string, string> = {};
    for (const [name, make] of vars) values[name] = make();
    return values;
  };
  const latencies: number[][] = [];
  const startedAt = Date.now();
  // autocannon returns an EventEmitter that is also thenable; the types only know the promise.
  const instance: any = autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.duration,
    headers: { 'content-type': 'application/json', accept: 'application/json', ...spec.headers },
    requests: [
      {
        method: spec.method,
        setupRequest: (request: any) => {
          const values = next();
          request.path = path(values);
          if (body) request.body = body(values);
          return request;
        },
      },
    ],
    ...(spec.checkBody ? { verifyBody: (text: string) => !text.includes('"errors"') } : {}),
  } as any);
  if (spec.latencyFile) {
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      latencies.push([Date.now(), responseTime, statusCode]);
    });
  }
  const result = (await instance) as any;
  const finishedAt = Date.now();
  if (spec.latencyFile) fs.writeFileSync(spec.latencyFile, JSON.stringify(latencies));
  const seconds = Number(result.duration) || spec.duration;
  const out: LoadResult = {
    requests: result.requests.total,
    seconds,
    reqPerSec: result.requests.total / seconds,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    latencyMax: result.latency.max,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    mismatches: result.mismatches ?? 0,
    bytesPerSec: result.throughput.average,
    startedAt,
    finishedAt,
  };
  return out;
}

async function main(): Promise<void> {
  let pending = '';
  let queue = Promise.resolve();
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line === '') continue;
      queue = queue.then(async () => {
        try {
          process.stdout.write(`${JSON.stringify(await runOne(JSON.parse(line) as LoadSpec))}\n`);
        } catch (error) {
          process.stdout.write(`${JSON.stringify({ error: String((error as Error)?.message ?? error) })}\n`);
        }
      });
    }
  });
  process.stdin.on('end', () => void queue.then(() => process.exit(0)));
}

void main();
