import { createCipheriv, createDecipheriv, randomBytes, scryptSync, hkdfSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Secret sealing for the registry: AES-256-GCM, one random 96-bit IV per value, in a
 * versioned text form `v1.<iv>.<tag>.<ciphertext>` (each part base64url) so the format can
 * change later without guessing what an old value is.
 *
 * The key comes from LAZYDB_SECRET_KEY when set: 64 hex characters or base64 of exactly 32
 * bytes are used as they are; any other string is a passphrase stretched with scrypt
 * (N=2^15, r=8, p=1) and the fixed salt {@link PASSPHRASE_SALT}. The salt is fixed on
 * purpose: every replica must derive the same key from the same passphrase with nothing
 * else shared. Without LAZYDB_SECRET_KEY a random key is generated once into
 * `<dataDir>/secret.key` (mode 0600).
 */

export const SEALED_PREFIX = 'v1.';
/** Fixed scrypt salt for passphrases. Changing it makes every stored secret unreadable. */
export const PASSPHRASE_SALT = 'lazydb/secret-key/v1';
export const KEY_FILE_NAME = 'secret.key';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';

export type KeySource = 'env-key' | 'env-passphrase' | 'key-file' | 'explicit';

/** A sealed value could not be opened: wrong key, tampering, or not a sealed value at all. */
export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

export interface ResolvedKey {
  key: Buffer;
  source: KeySource;
  /** Human description of where the key came from, used in error messages. */
  description: string;
}

export interface KeyOptions {
  /** The raw LAZYDB_SECRET_KEY value, if any. */
  secretKey?: string;
  dataDir: string;
  /** Receives non-fatal findings (e.g. a key file readable by others). Default: console.warn. */
  warn?: (message: string) => void;
}

/** Picks the sealing key as described in the module comment; creates the key file if needed. */
export function resolveSecretKey(options: KeyOptions): ResolvedKey {
  const warn = options.warn ?? ((message: string) => console.warn(`[lazydb] ${message}`));
  if (options.secretKey !== undefined && options.secretKey !== '') {
    const raw = decodeRawKey(options.secretKey);
    if (raw) return { key: raw, source: 'env-key', description: 'LAZYDB_SECRET_KEY' };
    return {
      key: derivePassphraseKey(options.secretKey),
      source: 'env-passphrase',
      description: 'LAZYDB_SECRET_KEY (passphrase)',
    };
  }
  const file = path.join(options.dataDir, KEY_FILE_NAME);
  return { key: loadOrCreateKeyFile(file, warn), source: 'key-file', description: file };
}

/** 64 hex characters, or base64/base64url that decodes to exactly 32 bytes; otherwise null. */
export function decodeRawKey(text: string): Buffer | null {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === KEY_BYTES) return bytes;
  }
  return null;
}

export function derivePassphraseKey(passphrase: string): Buffer {
  return scryptSync(passphrase, PASSPHRASE_SALT, KEY_BYTES, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
}

function loadOrCreateKeyFile(file: string, warn: (message: string) => void): Buffer {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    // 'wx' so two processes starting at once cannot both write a key: the loser reads the winner's.
    fs.writeFileSync(file, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stat = fs.statSync(file);
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    warn(
      `${file} is readable by other users (mode ${(stat.mode & 0o777).toString(8)}); ` +
        `it protects every stored password: run chmod 600 on it`,
    );
  }
  const key = decodeRawKey(fs.readFileSync(file, 'utf8'));
  if (!key) {
    throw new SecretKeyError(
      `${file} does not hold a 32-byte key (64 hex characters). It was edited or truncated; ` +
        `restore it from a backup, or set LAZYDB_SECRET_KEY to the key the registry was sealed with`,
    );
  }
  return key;
}

export function isSealed(text: string): boolean {
  return text.startsWith(SEALED_PREFIX) && text.split('.').length === 4;
}

/**
 * Seals `plain`. `context` is bound as additional authenticated data: a value sealed for one
 * context (e.g. one database name) cannot be opened under another.
 */
export function sealSecret(plain: string, key: Buffer, context = ''): string {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(context));
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `v1.${iv.toString('base64url')}.${tag.toString('base64url')}.${ciphertext.toString('base64url')}`;
}

/** Opens a value from {@link sealSecret}; throws {@link SecretKeyError} when it cannot. */
export function openSecret(sealed: string, key: Buffer, context = '', keyDescription?: string): string {
  assertKey(key);
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== 'v1') {
    const version = parts.length > 1 ? parts[0] : undefined;
    throw new SecretKeyError(
      version && /^v\d+$/.test(version)
        ? `sealed secret has format ${version}, which this version of lazydb cannot read`
        : 'value is not a sealed secret (expected v1.<iv>.<tag>.<ciphertext>)',
    );
  }
  const iv = Buffer.from(parts[1] ?? '', 'base64url');
  const tag = Buffer.from(parts[2] ?? '', 'base64url');
  const ciphertext = Buffer.from(parts[3] ?? '', 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new SecretKeyError('sealed secret is damaged (bad IV or tag length)');
  }
  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    const where = keyDescription ? ` (the key now comes from ${keyDescription})` : '';
    throw new SecretKeyError(
      `cannot open a stored secret: the secret key changed since it was sealed${where}, ` +
        `or the stored data was tampered with. Restore the original LAZYDB_SECRET_KEY or ` +
        `secret.key file, or re-enter the password`,
    );
  }
}

/**
 * Seal contexts of a registry row's secrets. Format 2 (this one) marks its context with
 * {@link ROW_SEAL_FORMAT} and seals, next to the password and URL, the row's target identity
 * (dialect, host, port, user, database, TLS, URL parameters or file; see targetIdentity in
 * validate.ts); the store opens a row only when the identity it reads from the row's clear
 * columns equals the sealed one, so editing the clear `connection` column cannot send the sealed
 * password anywhere else. (The identity travels inside the sealed value rather than in the context
 * itself because a URL-form row keeps its whole target inside the sealed URL.)
 *
 * Format 1 sealed under the row's name alone ({@link legacyRowSealContext}). Such a value opens
 * only in the store's one-time migration at start, which re-seals it in format 2 bound to the
 * target the row names at that moment; a format-1 value met anywhere else is refused. The two
 * contexts never collide: a registry name has no `:`.
 */
export const ROW_SEAL_FORMAT = 'row-v2';

/** Context (additional authenticated data) of a format-2 row seal. */
export function rowSealContext(name: string): string {
  return `${ROW_SEAL_FORMAT}:${name}`;
}

/** Context of a format-1 row seal: the name alone. For the migration at start only. */
export function legacyRowSealContext(name: string): string {
  return name;
}

/** A key bound to its origin, so errors can say where the key came from. */
export class SecretBox {
  readonly source: KeySource;
  readonly description: string;
  readonly #key: Buffer;

  constructor(key: Buffer, source: KeySource = 'explicit', description = 'an explicit key') {
    assertKey(key);
    this.#key = Buffer.from(key);
    this.source = source;
    this.description = description;
  }

  static fromConfig(options: KeyOptions): SecretBox {
    const resolved = resolveSecretKey(options);
    return new SecretBox(resolved.key, resolved.source, resolved.description);
  }

  /** A key for another purpose (signing the OIDC sign-in state), derived with HKDF: the sealing key itself never leaves this class. */
  derivedKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#key, Buffer.alloc(0), `lazydb:${purpose}`, 32));
  }

  seal(plain: string, context = ''): string {
    return sealSecret(plain, this.#key, context);
  }

  open(sealed: string, context = ''): string {
    return openSecret(sealed, this.#key, context, this.description);
  }
}

function aad(context: string): Buffer {
  return Buffer.from(`lazydb:${context}`, 'utf8');
}

function assertKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new TypeError(`secret key must be ${KEY_BYTES} bytes`);
  }
}
