import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import knexFactory from 'knex';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoDatabase } from '../../server/demo/seed';
import type { DatabaseSpec } from '../../server/model/types';
import { SecretKeyError } from '../../server/registry/secrets';
import { DuplicateNameError, NotFoundError, REGISTRY_TABLE, RegistryStore } from '../../server/registry/store';
import type { RegistryChange } from '../../server/registry/store';
import { createThrowawayDatabase, requireOrSkip } from '../helpers/databases';
import type { ThrowawayDb } from '../helpers/databases';

// Distinctive, so a hit in the raw bytes cannot be a coincidence.
const PASSWORD = `pw-${randomBytes(8).toString('hex')}-ü@/:`;
const URL_PASSWORD = `url-${randomBytes(8).toString('hex')}`;

const discrete: DatabaseSpec = {
  name: 'shop',
  dialect: 'postgres',
  connection: { host: 'db.example.com', port: 5432, user: 'app', password: PASSWORD, database: 'shop', ssl: true },
  schemas: ['public', 'inventory'],
};
const withUrl: DatabaseSpec = {
  name: 'crm',
  dialect: 'mariadb',
  connection: { url: `mysql://crm:${URL_PASSWORD}@10.0.0.5:3306/crm` },
};
const sqlite: DatabaseSpec = { name: 'demo', dialect: 'sqlite', connection: { filename: '/data/demo.sqlite' } };

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazydb-registry-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function noWarn(message: string): void {
  throw new Error(`unexpected warning: ${message}`);
}

/** Waits until `predicate` holds, polling; fails after `ms`. */
async function eventually(predicate: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The same behaviour, whatever the backing database. */
function crudSuite(open: () => Promise<RegistryStore>) {
  let store: RegistryStore;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(async () => {
    await store?.close();
  });

  it('starts empty, inserts and reads back every form with secrets opened', async () => {
    expect(await store.list()).toEqual([]);
    await store.insert(discrete);
    await store.insert(withUrl);
    await store.insert(sqlite);
    expect(await store.list()).toEqual([withUrl, sqlite, discrete]); // by name
    expect(await store.get('shop')).toEqual(discrete);
    expect(await store.get('crm')).toEqual(withUrl);
    expect(await store.get('nope')).toBeUndefined();
    const entry = await store.getEntry('shop');
    expect(entry?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(entry?.updatedAt).toBe(entry?.createdAt);
  });

  it('throws DuplicateNameError on a duplicate name', async () => {
    await expect(store.insert({ ...sqlite, connection: { filename: 'other' } })).rejects.toBeInstanceOf(DuplicateNameError);
    expect(await store.get('demo')).toEqual(sqlite);
  });

  it('updates a spec and moves updated_at', async () => {
    const before = await store.getEntry('shop');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const changed: DatabaseSpec = { ...discrete, connection: { ...discrete.connection, port: 6543, password: `${PASSWORD}2` } };
    delete changed.schemas;
    await store.update('shop', changed);
    const after = await store.getEntry('shop');
    expect(after?.spec).toEqual(changed);
    expect(after?.createdAt).toBe(before?.createdAt);
    expect(after?.updatedAt).not.toBe(before?.updatedAt);
    await expect(store.update('ghost', { ...changed, name: 'ghost' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.update('shop', { ...changed, name: 'other' })).rejects.toThrow(/names are fixed/);
  });

  it('rejects invalid names', async () => {
    await expect(store.insert({ ...sqlite, name: 'Bad Name' })).rejects.toThrow(/invalid database name/);
  });

  it('announces changes and stops after unsubscribe', async () => {
    const seen: RegistryChange[] = [];
    const unsubscribe = store.onChange((change) => seen.push(change));
    await store.insert({ name: 'tmp', dialect: 'sqlite', connection: { filename: 'x' } });
    await store.update('tmp', { name: 'tmp', dialect: 'sqlite', connection: { filename: 'y' } });
    expect(await store.remove('tmp')).toBe(true);
    expect(await store.remove('tmp')).toBe(false);
    unsubscribe();
    await store.insert({ name: 'tmp2', dialect: 'sqlite', connection: { filename: 'x' } });
    expect(seen).toEqual([
      { type: 'insert', name: 'tmp', origin: 'local' },
      { type: 'update', name: 'tmp', origin: 'local' },
      { type: 'remove', name: 'tmp', origin: 'local' },
    ]);
    await store.remove('tmp2');
  });

  it('keeps going when a listener throws', async () => {
    const warnings: RegistryChange[] = [];
    const off1 = store.onChange(() => {
      throw new Error('boom');
    });
    const off2 = store.onChange((change) => warnings.push(change));
    await store.insert({ name: 'tmp3', dialect: 'sqlite', connection: { filename: 'x' } });
    await store.remove('tmp3');
    off1();
    off2();
    expect(warnings.map((w) => w.type)).toEqual(['insert', 'remove']);
  });
}

describe('RegistryStore on SQLite', () => {
  const dataDir = tempDir();
  const warnings: string[] = [];
  const open = () => RegistryStore.open({ dataDir }, { warn: (m) => warnings.push(m) });

  crudSuite(open);

  it('creates registry.sqlite and secret.key with mode 0600', () => {
    expect(fs.statSync(path.join(dataDir, 'registry.sqlite')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
  });

  it('never writes a password in clear to any file in the data directory', async () => {
    const store = await open();
    await store.close();
    const needles = [PASSWORD, `${PASSWORD}2`, encodeURIComponent(PASSWORD), URL_PASSWORD].map((s) => Buffer.from(s, 'utf8'));
    const files = fs.readdirSync(dataDir).filter((f) => f.startsWith('registry.sqlite'));
    expect(files).toContain('registry.sqlite');
    for (const file of files) {
      const bytes = fs.readFileSync(path.join(dataDir, file));
      for (const needle of needles) expect(bytes.includes(needle), `${file} contains a password`).toBe(false);
    }
    // Sanity check of the method: non-secret fields are in the file in clear.
    expect(fs.readFileSync(path.join(dataDir, 'registry.sqlite')).includes(Buffer.from('db.example.com'))).toBe(true);
  });

  it('reads everything back after a restart', async () => {
    const store = await open();
    try {
      expect((await store.list()).map((s) => s.name)).toEqual(['crm', 'demo', 'shop']);
      expect((await store.get('crm'))?.connection.url).toBe(withUrl.connection.url);
    } finally {
      await store.close();
    }
    // The only warnings are from the listener that threw on purpose in the shared suite.
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.filter((w) => w !== 'registry change listener failed: boom')).toEqual([]);
  });

  it('says the key changed when opened with another key', async () => {
    const store = await RegistryStore.open({ dataDir, secretKey: 'some other passphrase' }, { warn: noWarn });
    try {
      await expect(store.get('shop')).rejects.toThrow(/registry entry "shop": cannot open a stored secret: the secret key changed/);
      await expect(store.list()).rejects.toMatchObject({ name: 'SecretKeyError' });
      // Entries without secrets still open, and listReadable serves them.
      expect(await store.get('demo')).toEqual(sqlite);
      const readable = await store.listReadable();
      expect(readable.specs).toEqual([sqlite]);
      expect(readable.unreadable.map((u) => u.name)).toEqual(['crm', 'shop']);
      expect(readable.unreadable[0]?.error.message).toMatch(/secret key changed/);
    } finally {
      await store.close();
    }
  });

  it('detects a sealed value copied to another row', async () => {
    const dir = tempDir();
    const store = await RegistryStore.open({ dataDir: dir }, { warn: noWarn });
    await store.insert(discrete);
    await store.insert({ ...discrete, name: 'copy', connection: { ...discrete.connection, password: 'other' } });
    await store.close();
    const raw = knexFactory({ client: 'better-sqlite3', connection: { filename: path.join(dir, 'registry.sqlite') }, useNullAsDefault: true });
    try {
      const source = await raw(REGISTRY_TABLE).where({ name: 'shop' }).first('secrets');
      await raw(REGISTRY_TABLE).where({ name: 'copy' }).update({ secrets: source.secrets });
    } finally {
      await raw.destroy();
    }
    const reopened = await RegistryStore.open({ dataDir: dir }, { warn: noWarn });
    try {
      expect((await reopened.get('shop'))?.connection.password).toBe(PASSWORD);
      await expect(reopened.get('copy')).rejects.toThrow(/tampered/);
      await expect(reopened.get('copy')).rejects.toMatchObject({ cause: expect.any(SecretKeyError) });
    } finally {
      await reopened.close();
    }
  });
});

describe('demo database (registered on first start)', () => {
  // Changed on purpose (issue 10): the demo lives in the default SQLite folder, <dataDir>/databases.
  it('is built once in <dataDir>/databases/demo.sqlite and registers like any SQLite database', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const file = await ensureDemoDatabase(dataDir);
    expect(file).toBe(path.join(dataDir, 'databases', 'demo.sqlite'));

    const db = new Database(file);
    try {
      const count = (table: string) => (db.prepare(`select count(*) as n from "${table}"`).get() as { n: number }).n;
      const counts = Object.fromEntries(['author', 'book', 'customer', 'order', 'order_item'].map((t) => [t, count(t)]));
      expect(counts).toEqual({ author: 5, book: 9, customer: 4, order: 5, order_item: 8 });
      expect(db.pragma('foreign_key_check')).toEqual([]);
      const pk = (db.pragma('table_info(order_item)') as Array<{ name: string; pk: number }>).filter((c) => c.pk > 0);
      expect(pk.map((c) => c.name)).toEqual(['order_id', 'book_id']);
      // Cancelled orders do not count as sales.
      const sales = db.prepare('select title, copies_sold, revenue from book_sales order by book_id').all() as Array<{
        title: string;
        copies_sold: number;
        revenue: number;
      }>;
      expect(sales).toHaveLength(9);
      expect(sales[0]).toEqual({ title: 'Pride and Prejudice', copies_sold: 3, revenue: 28.99 });
      expect(sales.find((s) => s.title === 'A Wizard of Earthsea')?.copies_sold).toBe(0);
      const details = db.prepare("select json_extract(details, '$.translated.from') as lang from book where book_id = 3").get();
      expect(details).toEqual({ lang: 'es' });
      db.prepare('insert into author (name) values (?)').run('Marker');
    } finally {
      db.close();
    }

    // A second call keeps the existing file (the marker row survives).
    await ensureDemoDatabase(dataDir);
    const again = new Database(file, { readonly: true });
    try {
      expect(again.prepare("select count(*) as n from author where name = 'Marker'").get()).toEqual({ n: 1 });
    } finally {
      again.close();
    }
    expect(fs.readdirSync(dataDir)).toEqual(['databases']);
    expect(fs.readdirSync(path.join(dataDir, 'databases'))).toEqual(['demo.sqlite']);

    const store = await RegistryStore.open({ dataDir }, { warn: noWarn });
    try {
      const spec: DatabaseSpec = { name: 'demo', dialect: 'sqlite', connection: { filename: file } };
      await store.insert(spec);
      expect(await store.list()).toEqual([spec]);
    } finally {
      await store.close();
    }
  });
});

const pgUp = await requireOrSkip('postgres');

describe.skipIf(!pgUp)('RegistryStore on PostgreSQL (LAZYDB_REGISTRY_URL)', () => {
  let db: ThrowawayDb;
  const secretKey = randomBytes(32).toString('hex');
  const dataDir = tempDir();
  beforeAll(async () => {
    db = await createThrowawayDatabase('postgres');
  });
  afterAll(async () => {
    await db?.drop();
  });
  const open = (extra: { retryMaxMs?: number } = {}) =>
    RegistryStore.open({ dataDir, registryUrl: db.url, secretKey, connectTimeoutMs: 5000, ...extra }, { warn: () => undefined });

  crudSuite(() => open());

  it('keeps rows in lazydb_databases with no password in clear and no file in dataDir', async () => {
    const raw = knexFactory({ client: 'pg', connection: db.url });
    try {
      const rows = await raw(REGISTRY_TABLE).select('*');
      expect(rows.map((row) => row.name).sort()).toEqual(['crm', 'demo', 'shop']);
      const dump = JSON.stringify(rows);
      for (const secret of [PASSWORD, `${PASSWORD}2`, URL_PASSWORD, encodeURIComponent(PASSWORD)]) expect(dump).not.toContain(secret);
      expect(dump).toContain('db.example.com');
    } finally {
      await raw.destroy();
    }
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('warns when replicas would each seal with their own key file', async () => {
    const warnings: string[] = [];
    const store = await RegistryStore.open({ dataDir: tempDir(), registryUrl: db.url }, { warn: (m) => warnings.push(m) });
    await store.close();
    expect(warnings.join('\n')).toMatch(/LAZYDB_SECRET_KEY is not/);
  });

  describe('change feed between replicas', () => {
    let a: RegistryStore;
    let b: RegistryStore;
    const seenByB: RegistryChange[] = [];
    const seenByA: RegistryChange[] = [];
    beforeAll(async () => {
      a = await open();
      b = await open({ retryMaxMs: 300 });
      a.onChange((change) => seenByA.push(change));
      b.onChange((change) => seenByB.push(change));
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
    });
    afterEach(() => {
      seenByA.length = 0;
      seenByB.length = 0;
    });

    it("delivers one replica's writes to the other as remote events", async () => {
      const spec: DatabaseSpec = { name: 'feed1', dialect: 'sqlite', connection: { filename: 'f' } };
      await a.insert(spec);
      await a.update('feed1', { ...spec, connection: { filename: 'g' } });
      await a.remove('feed1');
      await eventually(() => seenByB.length >= 3);
      expect(seenByB).toEqual([
        { type: 'insert', name: 'feed1', origin: 'remote' },
        { type: 'update', name: 'feed1', origin: 'remote' },
        { type: 'remove', name: 'feed1', origin: 'remote' },
      ]);
      // A hears its own writes once, as local.
      expect(seenByA.map((c) => `${c.type}:${c.origin}`)).toEqual(['insert:local', 'update:local', 'remove:local']);
    });

    it('recovers after losing its LISTEN connection and reports what it missed', async () => {
      const admin = knexFactory({ client: 'pg', connection: db.url, pool: { min: 0, max: 1 } });
      try {
        // Only the LISTEN backends of this throwaway database.
        const killed = await admin.raw(
          "select pg_terminate_backend(pid) as ok from pg_stat_activity where datname = ? and query ilike 'LISTEN%' and pid <> pg_backend_pid()",
          [db.name],
        );
        expect(killed.rows.length).toBeGreaterThanOrEqual(2);
      } finally {
        await admin.destroy();
      }
      await a.insert({ name: 'feed2', dialect: 'sqlite', connection: { filename: 'f' } });
      await eventually(() => seenByB.some((c) => c.name === 'feed2' && c.type === 'insert'), 10_000);
      expect(seenByB.filter((c) => c.name === 'feed2')).toEqual([{ type: 'insert', name: 'feed2', origin: 'remote' }]);
      await a.remove('feed2');
      await eventually(() => seenByB.some((c) => c.name === 'feed2' && c.type === 'remove'), 10_000);
    });
  });
});
