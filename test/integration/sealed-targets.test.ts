/**
 * A sealed password is bound to the target it was stored for, not only to the row's name: a row
 * whose clear `connection` column is edited to point elsewhere no longer opens (so the password
 * goes nowhere), rows sealed the old way still load once and are re-sealed, and a database that
 * holds lazydb's own registry is never served. Fake PostgreSQL servers on loopback record what
 * arrives.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { DatabaseSpec } from '../../server/model/types';
import { legacyRowSealContext, rowSealContext, SecretBox } from '../../server/registry/secrets';
import { REGISTRY_TABLE, RegistryStore } from '../../server/registry/store';
import { createThrowawayDatabase, requireOrSkip } from '../helpers/databases';
import { fakePostgres } from '../helpers/fake-servers';
import { startTestServer } from '../helpers/server';

const SECRET = 'sealed-target-secret-51d2';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazydb-sealed-'));
  fs.mkdirSync(path.join(dir, 'databases'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function eventually(predicate: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const pgSpec = (name: string, port: number): DatabaseSpec => ({
  name,
  dialect: 'postgres',
  connection: { host: '127.0.0.1', port, user: 'app', password: SECRET, database: 'shop' },
});

/** Rewrites one clear column of a row, as anyone with write access to registry.sqlite could. */
function editRow(dataDir: string, name: string, edit: (row: { connection: string; secrets: string | null }) => Partial<{ connection: string; secrets: string }>) {
  const db = new Database(path.join(dataDir, 'registry.sqlite'));
  try {
    const row = db.prepare(`select connection, secrets from ${REGISTRY_TABLE} where name = ?`).get(name) as { connection: string; secrets: string | null };
    const change = edit(row);
    for (const [column, value] of Object.entries(change)) db.prepare(`update ${REGISTRY_TABLE} set ${column} = ? where name = ?`).run(value, name);
  } finally {
    db.close();
  }
}

function rawSecrets(dataDir: string, name: string): string {
  const db = new Database(path.join(dataDir, 'registry.sqlite'), { readonly: true });
  try {
    return (db.prepare(`select secrets from ${REGISTRY_TABLE} where name = ?`).get(name) as { secrets: string }).secrets;
  } finally {
    db.close();
  }
}

describe('secrets bound to their target', () => {
  it('skips a row whose clear host or port was changed, and sends its password nowhere', async () => {
    const victim = await fakePostgres();
    const attacker = await fakePostgres();
    const dataDir = tempDir();
    const seed = await RegistryStore.open({ dataDir }, { warn: () => undefined });
    await seed.insert(pgSpec('moved_port', victim.port));
    await seed.insert(pgSpec('moved_host', victim.port));
    await seed.insert(pgSpec('untouched', victim.port));
    await seed.close();
    editRow(dataDir, 'moved_port', (row) => ({ connection: JSON.stringify({ ...JSON.parse(row.connection), port: attacker.port }) }));
    editRow(dataDir, 'moved_host', (row) => ({ connection: JSON.stringify({ ...JSON.parse(row.connection), host: 'localhost', port: attacker.port }) }));

    const server = await startTestServer({ dataDir });
    try {
      // The untouched row is the control: its password does reach its own server.
      await eventually(() => victim.passwords.length > 0);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(victim.passwords.every((p) => p === SECRET)).toBe(true);
      expect(attacker.connections).toBe(0);
      expect(attacker.passwords).toEqual([]);
      const listing = (await server.request('/api/databases')).body;
      expect(listing.databases.map((d: { name: string }) => d.name)).toEqual(['untouched']);
      expect(listing.skipped.map((s: { name: string }) => s.name)).toEqual(['moved_host', 'moved_port']);
      for (const entry of listing.skipped) expect(entry.reason).toMatch(/its stored target no longer matches the sealed secret/);
      const lines = server.logs.filter((line) => line.includes('registered database skipped'));
      expect(lines).toHaveLength(2);
      for (const line of lines) expect(line).toMatch(/its stored target no longer matches the sealed secret/);
      expect(server.logs.join('\n')).not.toContain(SECRET);
    } finally {
      await server.stop();
      await victim.close();
      await attacker.close();
    }
  });

  it('opens a row sealed the old way (name only) once at start and re-seals it bound to its target', async () => {
    const dataDir = tempDir();
    const spec = pgSpec('legacy', 5432);
    const seed = await RegistryStore.open({ dataDir }, { warn: () => undefined });
    await seed.insert(spec);
    await seed.close();
    // What an older lazydb wrote: the same plaintext, sealed under the name alone.
    const box = SecretBox.fromConfig({ dataDir });
    const legacy = box.seal(JSON.stringify({ password: SECRET }), legacyRowSealContext('legacy'));
    editRow(dataDir, 'legacy', () => ({ secrets: legacy }));

    const warnings: string[] = [];
    const store = await RegistryStore.open({ dataDir }, { warn: (m) => warnings.push(m) });
    try {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/"legacy": its password was sealed by an older lazydb.*re-sealed/);
      expect(await store.get('legacy')).toEqual(spec);
      const resealed = rawSecrets(dataDir, 'legacy');
      expect(resealed).not.toBe(legacy);
      expect(() => box.open(resealed, legacyRowSealContext('legacy'))).toThrow();
      expect(JSON.parse(box.open(resealed, rowSealContext('legacy')))).toMatchObject({ password: SECRET, target: expect.stringContaining('127.0.0.1') });

      // Outside that migration an old-format value is refused: written now (by an older replica,
      // say, or by hand), it does not open.
      editRow(dataDir, 'legacy', () => ({ secrets: legacy }));
      await expect(store.get('legacy')).rejects.toThrow(/cannot open a stored secret/);
    } finally {
      await store.close();
    }
    // A second start finds nothing to migrate but that hand-written value, and re-seals it: the
    // migration runs at every start, once per row that needs it.
    const again: string[] = [];
    const reopened = await RegistryStore.open({ dataDir }, { warn: (m) => again.push(m) });
    await reopened.close();
    expect(again).toHaveLength(1);
    const third: string[] = [];
    const last = await RegistryStore.open({ dataDir }, { warn: (m) => third.push(m) });
    await last.close();
    expect(third).toEqual([]);
  });

  it('re-seals a legacy row bound to the target it names at upgrade: a later edit of the clear columns is caught', async () => {
    const dataDir = tempDir();
    const seed = await RegistryStore.open({ dataDir }, { warn: () => undefined });
    await seed.insert(pgSpec('legacy', 5432));
    await seed.close();
    const box = SecretBox.fromConfig({ dataDir });
    editRow(dataDir, 'legacy', () => ({ secrets: box.seal(JSON.stringify({ password: SECRET }), legacyRowSealContext('legacy')) }));
    (await RegistryStore.open({ dataDir }, { warn: () => undefined })).close();
    editRow(dataDir, 'legacy', (row) => ({ connection: JSON.stringify({ ...JSON.parse(row.connection), port: 6543 }) }));
    const store = await RegistryStore.open({ dataDir }, { warn: () => undefined });
    try {
      await expect(store.get('legacy')).rejects.toThrow(/its stored target no longer matches the sealed secret/);
    } finally {
      await store.close();
    }
  });
});

describe('a PostgreSQL database that holds a lazydb registry', async () => {
  const hasPostgres = await requireOrSkip('postgres');

  it.skipIf(!hasPostgres)('is refused on test, register and change, in any introspected schema', async () => {
    const holder = await createThrowawayDatabase('postgres', {
      sql: 'create table t (id integer primary key)\n--;;\ncreate schema other\n--;;\ncreate table other.lazydb_databases (name text primary key)',
    });
    const plain = await createThrowawayDatabase('postgres', { sql: 'create table t (id integer primary key)' });
    const server = await startTestServer();
    try {
      const connection = { host: '127.0.0.1', port: 5432, user: 'postgres', database: holder.name };
      const spec = { name: 'reg', dialect: 'postgres', connection, schemas: ['public', 'other'] };
      for (const [method, url, json] of [
        ['POST', '/api/databases/test', spec],
        ['POST', '/api/databases', spec],
      ] as const) {
        const response = await server.request(url, { method, json });
        expect([url, response.status, response.body.error?.code]).toEqual([url, 403, 'TARGET_NOT_ALLOWED']);
        expect(response.body.error.message).toMatch(/lazydb's own registry cannot be registered/);
      }
      // Only the schema that holds it makes the difference.
      const publicOnly = await server.request('/api/databases/test', { method: 'POST', json: { ...spec, schemas: ['public'] } });
      expect(publicOnly.status, publicOnly.text).toBe(200);

      const registered = await server.request('/api/databases', { method: 'POST', json: { name: 'plain', dialect: 'postgres', connection: { ...connection, database: plain.name } } });
      expect(registered.status, registered.text).toBe(201);
      const changed = await server.request('/api/databases/plain', { method: 'PATCH', json: { connection, schemas: ['public', 'other'] } });
      expect([changed.status, changed.body.error?.code]).toEqual([403, 'TARGET_NOT_ALLOWED']);
      expect((await server.request('/api/databases')).body.databases.map((d: { name: string }) => d.name)).toEqual(['plain']);
      expect((await server.graphql('/db/plain/graphql', '{ t { id } }')).errors).toBeUndefined();
    } finally {
      await server.stop();
      await holder.drop();
      await plain.drop();
    }
  });

  it.skipIf(!hasPostgres)('is skipped on load, even with a cached model, when the registry table appeared since', async () => {
    const db = await createThrowawayDatabase('postgres', { sql: 'create table t (id integer primary key)' });
    let server = await startTestServer();
    const dataDir = server.dataDir;
    try {
      const connection = { host: '127.0.0.1', port: 5432, user: 'postgres', database: db.name };
      expect((await server.request('/api/databases', { method: 'POST', json: { name: 'became_registry', dialect: 'postgres', connection } })).status).toBe(201);
      await server.stop({ keepData: true });
      const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: db.name });
      await admin.connect();
      await admin.query('create table lazydb_databases (name text primary key)');
      await admin.end();

      // The cached model does not show the table yet: the first introspection after start does.
      server = await startTestServer({ dataDir });
      await eventually(() => server.logs.some((line) => line.includes('it holds a lazydb registry')));
      const listing = (await server.request('/api/databases')).body;
      expect(listing.databases).toEqual([]);
      expect(listing.skipped.map((s: { name: string }) => s.name)).toEqual(['became_registry']);
      expect((await server.request('/db/became_registry/rest/t')).status).toBe(404);
      await server.stop({ keepData: true });

      // A cached model that holds it (written by an older lazydb): never served, not even from
      // the cache while the first introspection runs.
      const cacheFile = path.join(dataDir, 'schema-cache', 'became_registry.json');
      const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as { tables: Array<{ name: string }> };
      cached.tables.push({ ...cached.tables[0]!, name: 'lazydb_databases' });
      fs.writeFileSync(cacheFile, JSON.stringify(cached));
      server = await startTestServer({ dataDir });
      expect((await server.request('/api/databases')).body.databases).toEqual([]);
      expect((await server.request('/db/became_registry/rest/lazydb_databases')).status).toBe(404);
      expect(server.logs.some((line) => line.includes('it holds a lazydb registry'))).toBe(true);
    } finally {
      await server.stop();
      await db.drop();
    }
  });
});
