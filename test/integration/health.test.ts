import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayDatabase, requireOrSkip, type ThrowawayDb } from '../helpers/databases';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * A TCP proxy of the test's own in front of PostgreSQL (loopback only): `down()` closes the
 * listener and cuts every connection, `up()` listens again on the same port.
 */
class ToggleProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  /** While set, connections get these bytes (a banner of another service) instead of the database. */
  banner: string | null = null;

  constructor(private readonly target: { host: string; port: number }) {}

  async up(): Promise<void> {
    const server = net.createServer((client) => {
      if (this.banner !== null) {
        this.sockets.add(client);
        client.on('close', () => this.sockets.delete(client));
        client.on('error', () => undefined);
        client.end(this.banner);
        return;
      }
      const upstream = net.connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Polls `/readyz` (bounded: at most `ms`) until `ok` holds for the database's entry. */
async function waitForStatus(server: TestServer, name: string, ok: (entry: { status: string; reason?: string }) => boolean, ms = 8000) {
  const deadline = Date.now() + ms;
  let last: { status: string; reason?: string } | undefined;
  while (Date.now() < deadline) {
    const { body } = await server.request('/readyz');
    last = body.databases.find((d: { name: string }) => d.name === name);
    if (last && ok(last)) return { readyz: body, entry: last };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`database ${name} never reached the expected status; last seen ${JSON.stringify(last)}`);
}

const hasPostgres = await requireOrSkip('postgres');

describe.skipIf(!hasPostgres)('health follows the server: /readyz and status', () => {
  let db: ThrowawayDb;
  let proxy: ToggleProxy;
  let server: TestServer;

  beforeAll(async () => {
    db = await createThrowawayDatabase('postgres', {
      sql: 'create table item (id int primary key, name text);\n--;;\ninsert into item values (1, \'one\');\n--;;\ncreate view slow as select 1 as id, pg_sleep(6)::text as waited',
    });
    proxy = new ToggleProxy({ host: '127.0.0.1', port: Number(new URL(db.url).port || 5432) });
    await proxy.up();
    server = await startTestServer({ env: { LAZYDB_HEALTH_INTERVAL_MS: '150', LAZYDB_POOL_MAX: '1', LAZYDB_CONNECT_TIMEOUT_MS: '1500' } });
    const registered = await server.request('/api/databases', {
      method: 'POST',
      json: { name: 'proxied', dialect: 'postgres', connection: { ...db.connection, host: '127.0.0.1', port: proxy.port } },
    });
    expect(registered.status, registered.text).toBe(201);
  });

  afterAll(async () => {
    await server?.stop();
    await proxy?.down();
    await db?.drop();
  });

  it('is ready while the server answers', async () => {
    const { readyz, entry } = await waitForStatus(server, 'proxied', (e) => e.status === 'ready');
    expect(readyz.status).toBe('ready');
    expect(entry).toEqual({ name: 'proxied', status: 'ready' });
    expect((await server.request('/readyz?database=proxied')).status).toBe(200);
  });

  it('says error with the reason while the server is down, and ready again once it is back', async () => {
    await proxy.down();
    const { readyz, entry } = await waitForStatus(server, 'proxied', (e) => e.status === 'error');
    expect(readyz.status).toBe('degraded');
    expect(entry.reason).toMatch(/refused|did not answer|unreachable|connect/i);
    const one = await server.request('/readyz?database=proxied');
    expect(one.status).toBe(503);
    const listed = (await server.request('/api/databases/proxied')).body;
    expect(listed.status).toBe('error');
    expect(listed.lastError).toBe(entry.reason);
    expect(server.logs.some((line) => line.includes('database unreachable') && line.includes('proxied'))).toBe(true);

    await proxy.up();
    await waitForStatus(server, 'proxied', (e) => e.status === 'ready');
    const rows = await server.graphql('/db/proxied/graphql', '{ item { id name } }');
    expect(rows).toEqual({ data: { item: [{ id: 1, name: 'one' }] } });
    expect((await server.request('/api/databases/proxied')).body.lastError).toBeNull();
  });

  it('gives its own fixed words for a failure, never what the other end said', async () => {
    proxy.banner = 'SSH-2.0-OpenSSH_9.6 BANNER-LEAK /var/secret/path\r\n';
    await proxy.down();
    await proxy.up();
    try {
      const { entry } = await waitForStatus(server, 'proxied', (e) => e.status === 'error');
      expect(entry.reason).toMatch(/not a PostgreSQL server|closed the connection/);
      const everything = JSON.stringify((await server.request('/readyz')).body) + JSON.stringify((await server.request('/api/databases')).body);
      expect(everything).not.toMatch(/BANNER-LEAK|OpenSSH|\/var\/secret/);
    } finally {
      proxy.banner = null;
    }
    await waitForStatus(server, 'proxied', (e) => e.status === 'ready');
  });

  it('says degraded while every connection is held past the bound, and ready once it is free', async () => {
    // The pool has one connection; a 6 s view holds it, so the probe waits in the queue.
    const slow = server.graphql('/db/proxied/graphql', '{ slow { waited } }');
    const { entry } = await waitForStatus(server, 'proxied', (e) => e.status === 'degraded');
    expect(entry.reason).toMatch(/all 1 connections are busy/);
    expect((await slow).data).toEqual({ slow: [{ waited: '' }] });
    await waitForStatus(server, 'proxied', (e) => e.status === 'ready');
  });

  it('leaves the other databases ready meanwhile', async () => {
    const lite = await createThrowawayDatabase('sqlite', { sqlFile: 'test/fixtures/sql/sqlite.sql' });
    try {
      const registered = await server.request('/api/databases', { method: 'POST', json: { name: 'lite', dialect: 'sqlite', connection: lite.connection } });
      expect(registered.status, registered.text).toBe(201);
      await proxy.down();
      await waitForStatus(server, 'proxied', (e) => e.status === 'error');
      const { entry } = await waitForStatus(server, 'lite', (e) => e.status === 'ready', 1000);
      expect(entry.status).toBe('ready');
      await proxy.up();
      await waitForStatus(server, 'proxied', (e) => e.status === 'ready');
    } finally {
      await server.request('/api/databases/lite', { method: 'DELETE' });
      await lite.drop();
    }
  });
});
