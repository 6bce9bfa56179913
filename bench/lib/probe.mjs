/**
 * Measurement hook preloaded into the lazydb process by the benchmark only
 * (`node --expose-gc --import ./bench/lib/probe.mjs dist/server/main.mjs`). It changes
 * nothing in lazydb: it opens a second, tiny HTTP listener on LAZYDB_BENCH_CONTROL_PORT
 * (loopback) through which the harness can
 *   GET  /memory          -> force two full GCs, then report VmRSS and process.memoryUsage()
 *   POST /profile/start   -> start the V8 CPU profiler (in-process inspector session)
 *   POST /profile/stop?file=<path> -> stop it and write a .cpuprofile
 * A plain .mjs file so that it needs no TypeScript loader.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Session } from 'node:inspector/promises';

const port = Number(process.env.LAZYDB_BENCH_CONTROL_PORT ?? '0');

function vmRssKb() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) : null;
}

let session = null;

async function handle(request, response) {
  const url = new URL(request.url ?? '/', 'http://probe');
  const send = (status, body) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  if (url.pathname === '/memory') {
    const gc = globalThis.gc;
    if (typeof gc === 'function') {
      gc();
      // A second pass after the event loop turned collects what finalizers released.
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    }
    return send(200, { gc: typeof gc === 'function', rssKb: vmRssKb(), usage: process.memoryUsage() });
  }
  if (url.pathname === '/profile/start' && request.method === 'POST') {
    if (!session) {
      session = new Session();
      session.connect();
    }
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: Number(url.searchParams.get('intervalUs') ?? '500') });
    await session.post('Profiler.start');
    return send(200, { started: true });
  }
  if (url.pathname === '/profile/stop' && request.method === 'POST') {
    if (!session) return send(409, { error: 'not profiling' });
    const { profile } = await session.post('Profiler.stop');
    const file = url.searchParams.get('file');
    if (file) writeFileSync(file, JSON.stringify(profile));
    return send(200, { written: file, nodes: profile.nodes.length });
  }
  send(404, { error: 'unknown probe endpoint' });
}

if (port > 0) {
  const server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: String(error?.message ?? error) }));
    });
  });
  server.listen(port, '127.0.0.1');
  // Never keeps lazydb alive on its own when it shuts down.
  server.unref();
}
