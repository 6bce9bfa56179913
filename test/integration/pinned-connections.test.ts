/**
 * The driver connects where the target policy's check said it may, not wherever a second lookup
 * (or a swapped symlink) leads. DNS rebinding is played by the policy's resolver seam: it answers
 * ::1 for `localhost` while the system resolver (which the drivers would use on their own) answers
 * 127.0.0.1, a range the policy refuses. The drivers, sockets and files are real; two loopback
 * listeners on the same port, one per address, count what arrives.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolHandle } from '../../server/gateway/pool';
import { TargetPolicy } from '../../server/gateway/targets';
import { dialectModule } from '../../server/introspect';
import type { Logger } from '../../server/log';
import type { DatabaseSpec, Dialect } from '../../server/model/types';

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Logger;

interface Listener {
  server: net.Server;
  accepted: number;
}

async function listenOn(host: string, port: number): Promise<Listener> {
  const listener: Listener = { server: net.createServer(), accepted: 0 };
  listener.server.on('connection', (socket) => {
    listener.accepted++;
    socket.on('error', () => undefined);
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    listener.server.once('error', reject);
    listener.server.listen(port, host, () => resolve());
  });
  return listener;
}

/** One listener on 127.0.0.1 and one on ::1, on the same port (a few tries for a port free on both). */
async function twinListeners(): Promise<{ v4: Listener; v6: Listener; port: number }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const v4 = await listenOn('127.0.0.1', 0);
    const port = (v4.server.address() as net.AddressInfo).port;
    try {
      return { v4, v6: await listenOn('::1', port), port };
    } catch {
      await new Promise<void>((resolve) => v4.server.close(() => resolve()));
    }
  }
  throw new Error('no port free on both 127.0.0.1 and ::1');
}

const close = (listener: Listener) => new Promise<void>((resolve) => listener.server.close(() => resolve()));

describe('connections go to the address the policy approved', () => {
  let twins: { v4: Listener; v6: Listener; port: number };
  beforeAll(async () => {
    twins = await twinListeners();
  });
  afterAll(async () => {
    if (twins) await Promise.all([close(twins.v4), close(twins.v6)]);
  });

  // The policy's own resolution: a rebinding name that answered "::1" when checked.
  const rebinding = new TargetPolicy(
    { allowTargets: [], denyTargets: ['127.0.0.0/8'], sqliteDirs: [], dataDir: '/nonexistent/lazydb', schemaCacheDir: '/nonexistent/lazydb/cache', connectTimeoutMs: 1000 },
    { lookup: async (name) => (name === 'localhost' ? [{ address: '::1', family: 6 }] : []) },
  );

  it.each(['postgres', 'mariadb', 'mysql'] as Dialect[])('%s: reaches ::1 only, never the refused 127.0.0.1', async (dialect) => {
    const spec: DatabaseSpec = { name: 'pinned', dialect, connection: { host: 'localhost', port: twins.port, user: 'u', password: 'p', database: 'd' } };
    const module = dialectModule(dialect);
    const before = { v4: twins.v4.accepted, v6: twins.v6.accepted };
    const pool = new PoolHandle(module, spec, { connectTimeoutMs: 1000, poolMax: 1, beforeConnect: () => rebinding.check(module, spec) }, quiet);
    try {
      // The listeners hang up at once: the connection fails, after reaching one of them.
      await expect(pool.knex.raw('select 1')).rejects.toThrow();
    } finally {
      await pool.retire();
    }
    expect({ v4: twins.v4.accepted - before.v4, v6: twins.v6.accepted - before.v6 }).toEqual({ v4: 0, v6: 1 });
  });

  it('the system resolver does answer 127.0.0.1 for localhost (what the driver alone would reach)', async () => {
    const { lookup } = await import('node:dns/promises');
    const addresses = (await lookup('localhost', { all: true })).map((entry) => entry.address);
    expect(addresses).toContain('127.0.0.1');
  });
});

describe('a SQLite file is opened where the check approved it', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lazydb-pinned-'));
  const allowed = path.join(root, 'allowed');
  const outside = path.join(root, 'outside');
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('a symlink swapped after the check still opens the file that was checked', async () => {
    fs.mkdirSync(allowed);
    fs.mkdirSync(outside);
    const good = new Database(path.join(allowed, 'good.sqlite'));
    good.exec('create table checked (id integer)');
    good.close();
    const secret = new Database(path.join(outside, 'secret.sqlite'));
    secret.exec('create table secret (id integer)');
    secret.close();
    const link = path.join(allowed, 'link.sqlite');
    fs.symlinkSync(path.join(allowed, 'good.sqlite'), link);

    const policy = new TargetPolicy({ allowTargets: [], denyTargets: [], sqliteDirs: [allowed], dataDir: path.join(root, 'data'), schemaCacheDir: path.join(root, 'data', 'cache') });
    const module = dialectModule('sqlite');
    const spec: DatabaseSpec = { name: 'linked', dialect: 'sqlite', connection: { filename: link } };
    const beforeConnect = async () => {
      const approved = await policy.check(module, spec);
      // The race, made certain: the link now leads out of the allowed folder.
      fs.rmSync(link);
      fs.symlinkSync(path.join(outside, 'secret.sqlite'), link);
      return approved;
    };
    const pool = new PoolHandle(module, spec, { connectTimeoutMs: 1000, poolMax: 1, beforeConnect }, quiet);
    try {
      const rows = (await pool.knex.raw("select name from sqlite_master where type = 'table'")) as Array<{ name: string }>;
      expect(rows.map((row) => row.name)).toEqual(['checked']);
    } finally {
      await pool.retire();
    }
  });
});
