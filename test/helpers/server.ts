import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../server/config';
import type { Logger } from '../../server/log';
import type { AppOptions } from '../../server/http/app';
import { startServer, type RunningServer } from '../../server/server';

export interface TestServer extends RunningServer {
  dataDir: string;
  /**
   * The admin secret the server was started with (LAZYDB_ADMIN_SECRET). `request` and `graphql`
   * send it, so suites about other things act as admin; pass `anonymous: true` (or an
   * Authorization header of your own) to be someone else.
   */
  adminSecret: string;
  /** Every log line the server wrote, as text (to check that no secret is logged). */
  logs: string[];
  request(path: string, init?: RequestInit & { json?: unknown; anonymous?: boolean }): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  graphql(path: string, query: string, variables?: Record<string, unknown>): Promise<{ data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] }>;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/** A lazydb server on a random port with its own data and cache dirs (reused when `dataDir` is given). */
export async function startTestServer(options: { dataDir?: string; env?: Record<string, string>; app?: AppOptions } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'lazydb-srv-'));
  const config: Config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LAZYDB_DATA_DIR: dataDir,
    LAZYDB_SCHEMA_CACHE_DIR: join(dataDir, 'schema-cache'),
    LAZYDB_DEMO: '0',
    LAZYDB_MAX_LIMIT: '100',
    LAZYDB_CONNECT_TIMEOUT_MS: '3000',
    LAZYDB_RETRY_MAX_MS: '1000',
    LAZYDB_LOG_LEVEL: 'debug',
    // Throwaway SQLite files are made in the system's temporary folder (test/helpers/databases.ts);
    // the data folder's own `databases/` is the default one (the demo lives there).
    LAZYDB_SQLITE_DIRS: `${tmpdir()},${join(dataDir, 'databases')}`,
    // Suites send hundreds of requests from one address within seconds; the rate-limit suite turns limits on.
    LAZYDB_ANONYMOUS_REQUESTS_PER_MINUTE: '0',
    LAZYDB_ADMIN_SECRET: randomBytes(24).toString('hex'),
    // The first admin's password is known, so the log does not carry a generated one.
    LAZYDB_ADMIN_PASSWORD: 'test-admin-password',
    ...options.env,
  });
  const adminSecret = config.adminSecret ?? '';
  const logs: string[] = [];
  const capture = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    const line = JSON.stringify({ level, message, ...fields });
    logs.push(line);
    if (level === 'error' || process.env.LAZYDB_TEST_LOGS) console.error(line);
  };
  const log: Logger = { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error') };
  const running = await startServer(config, log, options.app);

  const request: TestServer['request'] = async (path, init = {}) => {
    const { json, anonymous, ...rest } = init;
    const asAdmin: Record<string, string> = !anonymous && adminSecret !== '' ? { authorization: `Bearer ${adminSecret}` } : {};
    const response = await fetch(`${running.url}${path}`, {
      ...rest,
      headers: { ...asAdmin, ...(json !== undefined ? { 'content-type': 'application/json' } : {}), ...(rest.headers as Record<string, string>) },
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body, text, headers: response.headers };
  };

  return {
    ...running,
    dataDir,
    adminSecret,
    logs,
    request,
    graphql: async (path, query, variables) => (await request(path, { method: 'POST', json: { query, variables } })).body,
    stop: async ({ keepData = false } = {}) => {
      await running.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Fires /healthz every few milliseconds (200 at most) while `work` runs; returns the slowest
 * answer's latency in ms. A /healthz that does not answer 200 fails the caller.
 */
export async function healthzDuring(server: TestServer, work: () => Promise<void>): Promise<number> {
  let done = false;
  const latencies: Promise<number>[] = [];
  const probing = (async () => {
    for (let i = 0; i < 200 && !done; i++) {
      const started = performance.now();
      latencies.push(
        server.request('/healthz').then((answer) => {
          if (answer.status !== 200) throw new Error(`/healthz answered ${answer.status} while the work ran`);
          return performance.now() - started;
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  try {
    await work();
  } finally {
    done = true;
    await probing;
  }
  return Math.max(...(await Promise.all(latencies)));
}
