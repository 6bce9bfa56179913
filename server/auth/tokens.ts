import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The credentials lazydb issues: session tokens (`lzs_<id>_<secret>`, the admin app's cookie and
 * the bearer POST /api/auth/login answers) and API keys (`lzk_<id>_<secret>`). The id finds the
 * row; only a SHA-256 of the secret is stored (the secret is 32 random bytes, so a slow hash
 * would add nothing), compared in constant time.
 */
export type TokenKind = 'session' | 'key';

const PREFIX: Record<TokenKind, string> = { session: 'lzs', key: 'lzk' };
const TOKEN = /^(lzs|lzk)_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

export interface IssuedToken {
  id: string;
  token: string;
  secretHash: string;
}

export function issueToken(kind: TokenKind): IssuedToken {
  const id = randomBytes(10).toString('hex').slice(0, 16);
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${PREFIX[kind]}_${id}_${secret}`, secretHash: hashSecret(secret) };
}

/** The kind, id and secret of a token lazydb could have issued; null for anything else. */
export function parseToken(token: string): { kind: TokenKind; id: string; secret: string } | null {
  const match = TOKEN.exec(token);
  if (!match) return null;
  return { kind: match[1] === 'lzs' ? 'session' : 'key', id: match[2]!, secret: match[3]! };
}

export function looksIssued(token: string): boolean {
  return token.startsWith('lzs_') || token.startsWith('lzk_');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret));
  const b = Buffer.from(storedHash);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Constant-time equality of two strings (the admin secret): their hashes are compared, so length leaks nothing. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
