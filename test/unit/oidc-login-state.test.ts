import { describe, expect, it } from 'vitest';
import { loginStateKey, openLoginState, sealLoginState, type LoginState } from '../../server/auth/login-state';
import { isSameSitePath } from '../../server/auth/oidc-login';
import { LazydbError } from '../../server/errors/lazydb-error';

const state: LoginState = {
  issuer: 'https://issuer.example/',
  state: 'st',
  nonce: 'nn',
  codeVerifier: 'a-code-verifier-that-must-stay-secret',
  redirectUri: 'https://lazydb.example/api/auth/oidc/callback',
  returnTo: '/admin/',
};
const key = loginStateKey('a key of at least thirty-two bytes, for tests');

async function code(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(LazydbError);
  return (error as LazydbError).code;
}

describe('the sealed sign-in state', () => {
  it('round-trips and does not show the code verifier', async () => {
    const sealed = await sealLoginState(state, key);
    expect(await openLoginState(sealed, key)).toEqual(state);
    const readable = sealed.split('.').map((part) => Buffer.from(part, 'base64url').toString('latin1')).join('');
    expect(readable).not.toContain(state.codeVerifier);
    expect(readable).not.toContain(state.returnTo);
  });

  it('refuses a missing, altered or foreign value with SESSION_INVALID', async () => {
    const sealed = await sealLoginState(state, key);
    expect(await code(openLoginState(undefined, key))).toBe('SESSION_INVALID');
    expect(await code(openLoginState('', key))).toBe('SESSION_INVALID');
    const parts = sealed.split('.');
    const flipped = parts[3]!.startsWith('A') ? `B${parts[3]!.slice(1)}` : `A${parts[3]!.slice(1)}`;
    expect(await code(openLoginState([...parts.slice(0, 3), flipped, parts[4]].join('.'), key))).toBe('SESSION_INVALID');
    expect(await code(openLoginState(sealed, loginStateKey('another key of at least thirty-two bytes!')))).toBe('SESSION_INVALID');
  });

  it('wants a key of 32 bytes or more', () => {
    expect(() => loginStateKey('short')).toThrow(/at least 32 bytes/);
    expect(loginStateKey(new Uint8Array(32)).byteLength).toBe(32);
  });
});

describe('isSameSitePath', () => {
  it('accepts paths of this site only', () => {
    expect(['/', '/admin/', '/admin/#/databases?x=1', '/a//b'].every(isSameSitePath)).toBe(true);
    expect(['', 'admin', '//evil.example', '/\\evil.example', 'https://evil.example/', '/a\\b', '/a\tb', '/a\nb', `/${'a'.repeat(3000)}`].some(isSameSitePath)).toBe(false);
  });
});
