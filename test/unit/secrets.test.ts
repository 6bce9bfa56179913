import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  decodeRawKey,
  derivePassphraseKey,
  isSealed,
  legacyRowSealContext,
  openSecret,
  resolveSecretKey,
  SecretBox,
  SecretKeyError,
  rowSealContext,
  ROW_SEAL_FORMAT,
  sealSecret,
} from '../../server/registry/secrets';

const key = randomBytes(32);
const dirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazydb-secrets-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Flips one bit in the decoded part `index` (1 iv, 2 tag, 3 ciphertext) of a sealed value. */
function flip(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index] ?? '', 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('sealSecret / openSecret', () => {
  it('round-trips, including non-ASCII and empty text', () => {
    for (const plain of ['s3cret!', 'pässwörd 🔑 with spaces', '', 'x'.repeat(5000)]) {
      const sealed = sealSecret(plain, key);
      expect(openSecret(sealed, key)).toBe(plain);
    }
  });

  it('uses the versioned v1.<iv>.<tag>.<ciphertext> format and never shows the plain text', () => {
    const sealed = sealSecret('hunter2', key);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('hunter2');
    expect(isSealed(sealed)).toBe(true);
    expect(isSealed('hunter2')).toBe(false);
  });

  it('uses a fresh IV every time', () => {
    const a = sealSecret('same', key);
    const b = sealSecret('same', key);
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
  });

  it.each([
    [1, 'IV'],
    [2, 'tag'],
    [3, 'ciphertext'],
  ])('detects a tampered %s (%s)', (index) => {
    const sealed = sealSecret('hunter2', key);
    expect(() => openSecret(flip(sealed, index), key)).toThrow(SecretKeyError);
    expect(() => openSecret(flip(sealed, index), key)).toThrow(/secret key changed|tampered/);
  });

  it('says the key changed when opened with another key', () => {
    const sealed = sealSecret('hunter2', key);
    expect(() => openSecret(sealed, randomBytes(32), '', 'LAZYDB_SECRET_KEY')).toThrow(
      /the secret key changed since it was sealed \(the key now comes from LAZYDB_SECRET_KEY\)/,
    );
  });

  it('binds the context: a value sealed for one database does not open for another', () => {
    const sealed = sealSecret('hunter2', key, 'sales');
    expect(openSecret(sealed, key, 'sales')).toBe('hunter2');
    expect(() => openSecret(sealed, key, 'hr')).toThrow(SecretKeyError);
  });

  it('rejects values that are not sealed, or from an unknown format version', () => {
    expect(() => openSecret('plain text', key)).toThrow(/not a sealed secret/);
    expect(() => openSecret('v2.a.b.c', key)).toThrow(/format v2/);
    expect(() => openSecret('v1.AAAA.BBBB.CCCC', key)).toThrow(/damaged/);
  });

  it('refuses keys of the wrong size', () => {
    expect(() => sealSecret('x', randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('registry row seal contexts', () => {
  it('marks the format-2 context, and keeps it apart from the format-1 (name only) one', () => {
    expect(rowSealContext('sales')).toBe(`${ROW_SEAL_FORMAT}:sales`);
    expect(legacyRowSealContext('sales')).toBe('sales');
    expect(rowSealContext('sales')).not.toBe(legacyRowSealContext('sales'));
  });

  it('a value sealed in one format does not open in the other', () => {
    const current = sealSecret('hunter2', key, rowSealContext('sales'));
    const legacy = sealSecret('hunter2', key, legacyRowSealContext('sales'));
    expect(openSecret(current, key, rowSealContext('sales'))).toBe('hunter2');
    expect(openSecret(legacy, key, legacyRowSealContext('sales'))).toBe('hunter2');
    expect(() => openSecret(legacy, key, rowSealContext('sales'))).toThrow(SecretKeyError);
    expect(() => openSecret(current, key, legacyRowSealContext('sales'))).toThrow(SecretKeyError);
    // Nor under another row's name in the same format.
    expect(() => openSecret(current, key, rowSealContext('hr'))).toThrow(SecretKeyError);
  });

  it('no registry name gives a format-1 context equal to a format-2 one', () => {
    // Registry names match ^[a-z][a-z0-9_]{0,62}$: never a ':'.
    expect(/^[a-z][a-z0-9_]{0,62}$/.test(rowSealContext('sales'))).toBe(false);
  });
});

describe('key material', () => {
  it('decodes 64 hex characters and base64/base64url of 32 bytes as raw keys', () => {
    const raw = randomBytes(32);
    expect(decodeRawKey(raw.toString('hex'))?.equals(raw)).toBe(true);
    expect(decodeRawKey(raw.toString('base64'))?.equals(raw)).toBe(true);
    expect(decodeRawKey(raw.toString('base64url'))?.equals(raw)).toBe(true);
    expect(decodeRawKey(`  ${raw.toString('hex')}\n`)?.equals(raw)).toBe(true);
  });

  it('treats anything else as a passphrase, derived deterministically', () => {
    expect(decodeRawKey('correct horse battery staple')).toBeNull();
    expect(decodeRawKey(randomBytes(16).toString('hex'))).toBeNull();
    const a = resolveSecretKey({ secretKey: 'correct horse battery staple', dataDir: '/nonexistent' });
    const b = resolveSecretKey({ secretKey: 'correct horse battery staple', dataDir: '/elsewhere' });
    expect(a.source).toBe('env-passphrase');
    expect(a.key.equals(b.key)).toBe(true);
    expect(a.key.equals(derivePassphraseKey('correct horse battery stapler'))).toBe(false);
    expect(a.key).toHaveLength(32);
  });

  it('uses a raw LAZYDB_SECRET_KEY as it is and creates no key file', () => {
    const dir = tempDir();
    const raw = randomBytes(32);
    const resolved = resolveSecretKey({ secretKey: raw.toString('hex'), dataDir: dir });
    expect(resolved.source).toBe('env-key');
    expect(resolved.key.equals(raw)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'secret.key'))).toBe(false);
  });

  it('generates <dataDir>/secret.key once, with mode 0600, creating the directory', () => {
    const dir = path.join(tempDir(), 'nested', 'data');
    const first = resolveSecretKey({ dataDir: dir });
    const file = path.join(dir, 'secret.key');
    expect(first.source).toBe('key-file');
    expect(first.description).toBe(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    const second = resolveSecretKey({ dataDir: dir });
    expect(second.key.equals(first.key)).toBe(true);
  });

  it('warns when the key file is readable by others', () => {
    const dir = tempDir();
    resolveSecretKey({ dataDir: dir });
    fs.chmodSync(path.join(dir, 'secret.key'), 0o644);
    const warn = vi.fn();
    resolveSecretKey({ dataDir: dir, warn });
    expect(warn).toHaveBeenCalledOnce();
    expect(warn.mock.calls[0]?.[0]).toMatch(/readable by other users.*chmod 600/);
  });

  it('refuses a damaged key file with a clear error', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'secret.key'), 'not a key\n', { mode: 0o600 });
    expect(() => resolveSecretKey({ dataDir: dir })).toThrow(/does not hold a 32-byte key/);
  });
});

describe('SecretBox', () => {
  it('seals with the configured key and names its source when it cannot open', () => {
    const dir = tempDir();
    const box = SecretBox.fromConfig({ dataDir: dir });
    const sealed = box.seal('pw', 'db1');
    expect(box.open(sealed, 'db1')).toBe('pw');
    const other = SecretBox.fromConfig({ dataDir: dir, secretKey: 'a different passphrase' });
    expect(() => other.open(sealed, 'db1')).toThrow(/key now comes from LAZYDB_SECRET_KEY \(passphrase\)/);
  });
});
