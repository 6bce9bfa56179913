/**
 * A database's statementTimeoutMs in the registry (issue 12): stored in the `settings` column,
 * outside the sealed target (changing it keeps the stored password usable), round-tripped as it
 * was given, validated on load like on register, and added to a registry made before it existed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatabaseSpec } from '../../server/model/types';
import { REGISTRY_FILE_NAME, RegistryStore } from '../../server/registry/store';
import { validatePatch, validateRegister } from '../../server/registry/validate';

const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazydb-settings-'));
  dirs.push(dir);
  return dir;
};
const noWarn = () => undefined;

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const spec: DatabaseSpec = {
  name: 'shop',
  dialect: 'postgres',
  connection: { host: '127.0.0.1', port: 5432, user: 'app', password: 's3cret', database: 'shop' },
  statementTimeoutMs: 2500,
};

describe('statementTimeoutMs in the registry', () => {
  it('round-trips, stays out of the sealed target, and can be changed or removed without the password again', async () => {
    const dataDir = tempDir();
    const store = await RegistryStore.open({ dataDir, secretKey: 'a passphrase for this test' }, { warn: noWarn });
    try {
      await store.insert(spec);
      expect(await store.get('shop')).toEqual(spec);
      const patched = validatePatch(spec, { statementTimeoutMs: 900 });
      expect(patched.ok && patched.value).toEqual({ ...spec, statementTimeoutMs: 900 });
      await store.update('shop', (patched as { value: DatabaseSpec }).value);
      expect((await store.get('shop'))?.statementTimeoutMs).toBe(900);
      const cleared = validatePatch({ ...spec, statementTimeoutMs: 900 }, { statementTimeoutMs: null });
      expect(cleared.ok && cleared.value.statementTimeoutMs).toBeUndefined();
      await store.update('shop', (cleared as { value: DatabaseSpec }).value);
      // The sealed password still opens: the timeout is no part of where it may be sent.
      expect(await store.get('shop')).toEqual({ name: 'shop', dialect: 'postgres', connection: spec.connection });
    } finally {
      await store.close();
    }
    const raw = new Database(path.join(dataDir, REGISTRY_FILE_NAME), { readonly: true });
    try {
      expect(raw.prepare('select settings from lazydb_databases').get()).toEqual({ settings: null });
    } finally {
      raw.close();
    }
  });

  it('refuses out-of-range values on register and on load', async () => {
    for (const bad of [0, 99, 86_400_001, 1.5, '1000']) {
      const result = validateRegister({ ...spec, statementTimeoutMs: bad });
      expect(result.ok).toBe(false);
      expect(!result.ok && result.errors.map((e) => e.field)).toEqual(['statementTimeoutMs']);
    }
    const dataDir = tempDir();
    const store = await RegistryStore.open({ dataDir, secretKey: 'a passphrase for this test' }, { warn: noWarn });
    try {
      await store.insert({ name: 'lite', dialect: 'sqlite', connection: { filename: '/tmp/x.sqlite' } });
    } finally {
      await store.close();
    }
    const raw = new Database(path.join(dataDir, REGISTRY_FILE_NAME));
    raw.prepare('update lazydb_databases set settings = ?').run(JSON.stringify({ statementTimeoutMs: 5 }));
    raw.close();
    const reopened = await RegistryStore.open({ dataDir, secretKey: 'a passphrase for this test' }, { warn: noWarn });
    try {
      const { specs, unreadable } = await reopened.listReadable();
      expect(specs).toEqual([]);
      expect(unreadable[0]?.error.message).toMatch(/statementTimeoutMs/);
    } finally {
      await reopened.close();
    }
  });

  it('adds the settings column to a registry made before it existed, keeping its rows', async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, REGISTRY_FILE_NAME);
    const old = new Database(file);
    old.exec(
      'create table lazydb_databases (name varchar(63) primary key, dialect varchar(16) not null, connection text not null, secrets text, schemas text, created_at varchar(32) not null, updated_at varchar(32) not null)',
    );
    old.prepare('insert into lazydb_databases values (?, ?, ?, null, null, ?, ?)').run('lite', 'sqlite', JSON.stringify({ filename: '/tmp/x.sqlite' }), 'now', 'now');
    old.close();
    const store = await RegistryStore.open({ dataDir, secretKey: 'a passphrase for this test' }, { warn: noWarn });
    try {
      expect(await store.list()).toEqual([{ name: 'lite', dialect: 'sqlite', connection: { filename: '/tmp/x.sqlite' } }]);
      await store.update('lite', { name: 'lite', dialect: 'sqlite', connection: { filename: '/tmp/x.sqlite' }, statementTimeoutMs: 400 });
      expect((await store.get('lite'))?.statementTimeoutMs).toBe(400);
    } finally {
      await store.close();
    }
  });
});
