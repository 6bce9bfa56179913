import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalAddress, parseTargetRule, TargetNotAllowedError, TargetPolicy, type PolicyConfig } from '../../server/gateway/targets';
import { DEFAULT_DENY_TARGETS } from '../../server/config';
import { dialectModule } from '../../server/introspect';

// Only literal addresses and names refused before any lookup, plus `localhost` (/etc/hosts):
// these tests resolve nothing on the network.
function policy(overrides: Partial<PolicyConfig> = {}): TargetPolicy {
  return new TargetPolicy({ allowTargets: [], denyTargets: [...DEFAULT_DENY_TARGETS], sqliteDirs: ['/srv/dbs'], dataDir: '/var/lib/lazydb', schemaCacheDir: '/var/lib/lazydb/schema-cache', ...overrides });
}

async function verdict(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof TargetNotAllowedError) return error.setting;
    throw error;
  }
}

describe('target rules', () => {
  it.each([
    ['db.internal', { kind: 'name', name: 'db.internal' }, undefined],
    ['DB.Internal.:5432', { kind: 'name', name: 'db.internal' }, 5432],
    ['*.corp.example', { kind: 'suffix', suffix: '.corp.example' }, undefined],
    ['*', { kind: 'any' }, undefined],
    ['*:5432', { kind: 'any' }, 5432],
    ['10.0.0.0/8', { kind: 'addresses' }, undefined],
    ['10.0.0.0/8:5432', { kind: 'addresses' }, 5432],
    ['[::1]:5432', { kind: 'addresses' }, 5432],
    ['[fd00::/8]:5432', { kind: 'addresses' }, 5432],
    ['fd00::/8', { kind: 'addresses' }, undefined],
    ['::1', { kind: 'addresses' }, undefined],
  ])('parses %s', (text, host, port) => {
    const rule = parseTargetRule(text, 'LAZYDB_ALLOW_TARGETS');
    expect(rule.host).toMatchObject(host);
    expect(rule.port).toBe(port);
  });

  it.each(['10.0.0.0/33', 'db:0', 'db:99999', '[::1', '[::1]x', 'bad host', '*.', 'a/b', '::1/129'])('refuses %s, naming the setting', (text) => {
    expect(() => parseTargetRule(text, 'LAZYDB_DENY_TARGETS')).toThrow(/^LAZYDB_DENY_TARGETS: /);
  });

  it('reads IPv4-mapped IPv6 addresses as the IPv4 address they are', () => {
    expect(canonicalAddress('::ffff:169.254.169.254')).toBe('169.254.169.254');
    expect(canonicalAddress('::ffff:a9fe:a9fe')).toBe('169.254.169.254');
    expect(canonicalAddress('0:0:0:0:0:ffff:7f00:1')).toBe('127.0.0.1');
    expect(canonicalAddress('::1')).toBe('::1');
    expect(canonicalAddress('10.1.2.3')).toBe('10.1.2.3');
  });

  it('the policy refuses bad entries at construction', () => {
    expect(() => policy({ allowTargets: ['10.0.0.0/99'] })).toThrow(/LAZYDB_ALLOW_TARGETS: "10.0.0.0\/99"/);
  });
});

describe('server targets', () => {
  it('refuses by default the metadata, link-local and unspecified addresses, also written as IPv6', async () => {
    const p = policy();
    for (const host of ['169.254.169.254', '0.0.0.0', '::', 'fe80::1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '100.100.100.200', 'fd00:ec2::254']) {
      expect([host, await verdict(p.checkServer(host, 80))]).toEqual([host, 'LAZYDB_DENY_TARGETS']);
    }
    expect(await verdict(p.checkServer('10.1.2.3', 5432))).toBe('ok');
    expect(await verdict(p.checkServer('::1', 5432))).toBe('ok');
  });

  it('matches deny rules by range, name, suffix and port', async () => {
    const p = policy({ denyTargets: ['10.0.0.0/8:22', 'db.secret.example', '*.internal', '[::1]:6379'] });
    expect(await verdict(p.checkServer('10.9.9.9', 22))).toBe('LAZYDB_DENY_TARGETS');
    expect(await verdict(p.checkServer('10.9.9.9', 5432))).toBe('ok');
    expect(await verdict(p.checkServer('db.secret.example', 5432))).toBe('LAZYDB_DENY_TARGETS');
    expect(await verdict(p.checkServer('DB.SECRET.EXAMPLE.', 5432))).toBe('LAZYDB_DENY_TARGETS');
    expect(await verdict(p.checkServer('a.b.internal', 1))).toBe('LAZYDB_DENY_TARGETS');
    expect(await verdict(p.checkServer('::1', 6379))).toBe('LAZYDB_DENY_TARGETS');
    expect(await verdict(p.checkServer('::1', 5432))).toBe('ok');
  });

  it('checks every address a name resolves to', async () => {
    const p = policy({ denyTargets: ['127.0.0.0/8'] });
    expect(await verdict(p.checkServer('localhost', 5432))).toBe('LAZYDB_DENY_TARGETS');
    // Without resolving (a start's quick pass) only what the spec says is decided.
    expect(await verdict(p.checkServer('localhost', 5432, false))).toBe('ok');
  });

  it('with an allow list, needs the name, or else every address, to be allowed', async () => {
    const p = policy({ allowTargets: ['127.0.0.1:5432', '[::1]:5432', 'db.allowed.example'] });
    expect(await verdict(p.checkServer('127.0.0.1', 5432))).toBe('ok');
    expect(await verdict(p.checkServer('127.0.0.1', 5433))).toBe('LAZYDB_ALLOW_TARGETS');
    expect(await verdict(p.checkServer('10.0.0.1', 5432))).toBe('LAZYDB_ALLOW_TARGETS');
    expect(await verdict(p.checkServer('localhost', 5432))).toBe('ok'); // 127.0.0.1 and ::1, both allowed
    expect(await verdict(p.checkServer('localhost', 5433))).toBe('LAZYDB_ALLOW_TARGETS');
    const v4only = policy({ allowTargets: ['127.0.0.1'] });
    const addresses = await import('node:dns/promises').then((dns) => dns.lookup('localhost', { all: true }));
    const expected = addresses.every((a) => a.address === '127.0.0.1') ? 'ok' : 'LAZYDB_ALLOW_TARGETS';
    expect(await verdict(v4only.checkServer('localhost', 5432))).toBe(expected);
    // Deny wins over allow.
    const both = policy({ allowTargets: ['*'], denyTargets: ['127.0.0.1'] });
    expect(await verdict(both.checkServer('127.0.0.1', 5432))).toBe('LAZYDB_DENY_TARGETS');
  });

  it('reads the target the way each dialect will connect', async () => {
    const p = policy({ denyTargets: ['10.0.0.0/8:5432', '10.0.0.0/8:3306', '10.0.0.0/8:1521'] });
    const check = (dialect: 'postgres' | 'mariadb' | 'oracle', connection: Record<string, unknown>) =>
      verdict(p.check(dialectModule(dialect), { name: 'x', dialect, connection }));
    expect(await check('postgres', { url: 'postgres://u@10.1.1.1/db' })).toBe('LAZYDB_DENY_TARGETS'); // default port 5432
    expect(await check('postgres', { url: 'postgres://u@10.1.1.1:6000/db' })).toBe('ok');
    expect(await check('mariadb', { host: '10.1.1.1', user: 'u', database: 'd' })).toBe('LAZYDB_DENY_TARGETS');
    expect(await check('oracle', { url: 'oracle://u:p@[::ffff:10.1.1.1]/FREEPDB1' })).toBe('LAZYDB_DENY_TARGETS');
  });
});

describe('SQLite files', () => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'lazydb-policy-')));
  const dataDir = path.join(root, 'data');
  const allowed = path.join(dataDir, 'databases');
  const elsewhere = path.join(root, 'elsewhere');
  const cacheDir = path.join(dataDir, 'schema-cache');
  for (const dir of [allowed, elsewhere, cacheDir]) fs.mkdirSync(dir, { recursive: true });
  new Database(path.join(allowed, 'ok.sqlite')).close();
  new Database(path.join(elsewhere, 'other.sqlite')).close();
  fs.writeFileSync(path.join(dataDir, 'registry.sqlite'), '');
  fs.writeFileSync(path.join(dataDir, 'secret.key'), 'k');
  fs.symlinkSync(path.join(elsewhere, 'other.sqlite'), path.join(allowed, 'link.sqlite'));
  const registryCopy = new Database(path.join(allowed, 'copy.sqlite'));
  registryCopy.exec('create table LAZYDB_DATABASES (name text)');
  registryCopy.close();
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const p = new TargetPolicy({ allowTargets: [], denyTargets: [], sqliteDirs: [allowed], dataDir, schemaCacheDir: cacheDir });

  it.each([
    ['an allowed file', path.join(allowed, 'ok.sqlite'), 'ok'],
    ['a missing file in an allowed folder', path.join(allowed, 'new.sqlite'), 'ok'],
    ['in memory', ':memory:', 'ok'],
    ['the registry', path.join(dataDir, 'registry.sqlite'), 'LAZYDB_SQLITE_DIRS'],
    ['the registry journal', path.join(dataDir, 'registry.sqlite-wal'), 'LAZYDB_SQLITE_DIRS'],
    ['the key', path.join(dataDir, 'secret.key'), 'LAZYDB_SQLITE_DIRS'],
    ['a cache file', path.join(cacheDir, 'x.json'), 'LAZYDB_SQLITE_DIRS'],
    ['another file of the data folder', path.join(dataDir, 'other.sqlite'), 'LAZYDB_SQLITE_DIRS'],
    ['a file elsewhere', path.join(elsewhere, 'other.sqlite'), 'LAZYDB_SQLITE_DIRS'],
    ['a .. path out', `${allowed}/../../elsewhere/other.sqlite`, 'LAZYDB_SQLITE_DIRS'],
    ['a symlink out', path.join(allowed, 'link.sqlite'), 'LAZYDB_SQLITE_DIRS'],
    ['a copy of a registry', path.join(allowed, 'copy.sqlite'), 'LAZYDB_SQLITE_DIRS'],
    ['the allowed folder itself', allowed, 'LAZYDB_SQLITE_DIRS'],
  ])('%s', async (_what, file, expected) => {
    expect(await verdict(p.checkFile(file))).toBe(expected);
  });

  it('refuses the cache and registry even inside an allowed folder', async () => {
    const wide = new TargetPolicy({ allowTargets: [], denyTargets: [], sqliteDirs: [root], dataDir, schemaCacheDir: cacheDir });
    expect(await verdict(wide.checkFile(path.join(dataDir, 'registry.sqlite')))).toBe('LAZYDB_SQLITE_DIRS');
    expect(await verdict(wide.checkFile(path.join(cacheDir, 'a.json')))).toBe('LAZYDB_SQLITE_DIRS');
    expect(await verdict(wide.checkFile(path.join(allowed, 'ok.sqlite')))).toBe('LAZYDB_SQLITE_DIRS'); // in the data folder, no allowed folder in it
    expect(await verdict(wide.checkFile(path.join(elsewhere, 'other.sqlite')))).toBe('ok');
  });
});
