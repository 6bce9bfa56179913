/**
 * What a sign-in through an issuer must remember between its start and the issuer's redirect
 * back: state, nonce, the PKCE code verifier, where to go afterwards. It travels in a cookie,
 * sealed (jose: direct AES-256-GCM, an encrypted JWT with `exp`), so lazydb keeps no server-side
 * state for an unfinished sign-in and the browser can neither read the verifier nor alter any of it.
 */
import { hkdfSync } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';
import { fail } from '../errors/catalogue';

export interface LoginState {
  /** The issuer signed in with (its `iss`). */
  readonly issuer: string;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** The redirect_uri sent to the issuer: the code is redeemed with the same one. */
  readonly redirectUri: string;
  /** A same-site path to send the browser to once signed in. */
  readonly returnTo: string;
}

/** How long a sign-in may take, from the redirect to the issuer to its answer. */
export const LOGIN_STATE_TTL_SECONDS = 600;

const KEY_INFO = 'lazydb oidc sign-in state v1';

/** A 256-bit key for this purpose only, derived from the key passed in (which may serve others). */
export function loginStateKey(secret: string | Uint8Array): Uint8Array {
  const material = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (material.byteLength < 32) throw new Error('the sign-in state key must be at least 32 bytes');
  return new Uint8Array(hkdfSync('sha256', material, Buffer.alloc(0), KEY_INFO, 32));
}

export async function sealLoginState(state: LoginState, key: Uint8Array): Promise<string> {
  return new EncryptJWT({ ...state })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .setIssuedAt()
    .setExpirationTime(`${LOGIN_STATE_TTL_SECONDS}s`)
    .encrypt(key);
}

const FIELDS = ['issuer', 'state', 'nonce', 'codeVerifier', 'redirectUri', 'returnTo'] as const;

/** The state sealed by {@link sealLoginState}; SESSION_INVALID when it is missing, altered or expired. */
export async function openLoginState(sealed: string | undefined, key: Uint8Array): Promise<LoginState> {
  if (sealed === undefined || sealed === '') throw fail('SESSION_INVALID', 'the sign-in has no state cookie: start the sign-in again from this browser');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtDecrypt(sealed, key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] }));
  } catch {
    throw fail('SESSION_INVALID', 'the sign-in state cookie is expired or not one this server made: start the sign-in again');
  }
  if (!FIELDS.every((field) => typeof payload[field] === 'string')) throw fail('SESSION_INVALID', 'the sign-in state cookie is incomplete: start the sign-in again');
  const [issuer, state, nonce, codeVerifier, redirectUri, returnTo] = FIELDS.map((field) => payload[field] as string) as [string, string, string, string, string, string];
  return { issuer, state, nonce, codeVerifier, redirectUri, returnTo };
}
