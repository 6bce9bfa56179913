/**
 * OpenID Connect against real issuers: oidc-provider 9 on loopback (test/helpers/oidc-issuer.ts).
 * Tokens the issuers mint verify; crafted ones (signed with jose here) are refused each with its
 * code; key rotation is picked up by a kid-triggered re-fetch whose cooldown bounds how often a
 * flood of forged kids can make lazydb ask the issuer; the admin sign-in runs end to end.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64url, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { issuerConfig, type IssuerConfig, type IssuerInput } from '../../server/auth/issuers';
import { TokenVerifier } from '../../server/auth/jwt';
import { createOidcLogin, LOGIN_STATE_COOKIE, loginStateCookieHeader } from '../../server/auth/oidc-login';
import { LazydbError } from '../../server/errors/lazydb-error';
import { ADMIN_CLIENT, browse, ROLES_CLAIM, startTestIssuer, type TestIssuer } from '../helpers/oidc-issuer';

let first: TestIssuer;
let second: TestIssuer;

beforeAll(async () => {
  [first, second] = await Promise.all([startTestIssuer({ serviceRoles: ['service', 'reporter'] }), startTestIssuer({ serviceRoles: ['other-service'] })]);
});

afterAll(async () => {
  await Promise.all([first?.close(), second?.close()]);
});

function configOf(issuer: TestIssuer, extra: Partial<IssuerInput> = {}): IssuerConfig {
  return issuerConfig({ issuer: issuer.url, audience: issuer.audience, rolesClaim: ROLES_CLAIM, ...extra });
}

/** The catalogue error a promise is refused with. */
async function refused(promise: Promise<unknown>): Promise<LazydbError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(LazydbError);
    return error as LazydbError;
  }
  throw new Error('expected a refusal');
}

/** The code a promise is refused with. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  return (await refused(promise)).code;
}

describe('tokens minted by a real issuer', () => {
  it('verifies a client-credentials access token and reads its roles from the namespaced claim', async () => {
    const verifier = new TokenVerifier([configOf(first)]);
    const token = await first.clientCredentialsToken();
    expect(verifier.looksLikeJwt(token)).toBe(true);
    const verified = await verifier.verify(token);
    expect(verified).toMatchObject({ issuer: first.url, subject: 'lazydb-service', email: null, roles: ['service', 'reporter'], variables: {} });
    expect(verified.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it('maps claims to session variables and falls back to the default role', async () => {
    const verifier = new TokenVerifier([configOf(first, { rolesClaim: 'app.roles', defaultRole: 'viewer', claimsMap: { 'x-lazydb-org-id': 'org.id', 'X-Lazydb-Client': 'client_id' } })]);
    const verified = await verifier.verify(await first.clientCredentialsToken());
    expect(verified.roles).toEqual(['viewer']);
    expect(verified.variables).toEqual({ 'x-lazydb-client': 'lazydb-service' });
    const crafted = await verifier.verify(await first.sign({ app: { roles: 'editor' }, org: { id: 7 } }));
    expect([crafted.roles, crafted.variables]).toEqual([['editor'], { 'x-lazydb-org-id': '7' }]);
  });

  it('verifies each token against its own issuer when two are configured', async () => {
    const verifier = new TokenVerifier([configOf(first), configOf(second)]);
    const [one, two] = await Promise.all([first.clientCredentialsToken(), second.clientCredentialsToken()]);
    expect(await verifier.verify(one)).toMatchObject({ issuer: first.url, roles: ['service', 'reporter'] });
    expect(await verifier.verify(two)).toMatchObject({ issuer: second.url, roles: ['other-service'] });
    // A token claiming the second issuer but signed with the first's key: the second's keys decide.
    const impostor = await first.sign({ iss: second.url, aud: second.audience });
    expect(await refusal(verifier.verify(impostor))).toBe('TOKEN_INVALID');
  });
});

describe('crafted tokens are refused with their code', () => {
  let verifier: TokenVerifier;
  beforeAll(() => {
    verifier = new TokenVerifier([configOf(first)], { clockSkewSeconds: 30 });
  });
  const now = () => Math.floor(Date.now() / 1000);

  it('accepts the well-formed baseline (so each refusal below is for its one difference)', async () => {
    expect(await verifier.verify(await first.sign())).toMatchObject({ subject: 'alice' });
  });

  it('expired', async () => {
    expect(await refusal(verifier.verify(await first.sign({ iat: now() - 7200, exp: now() - 3600 })))).toBe('TOKEN_EXPIRED');
  });

  it('expired within the clock skew still verifies', async () => {
    expect(await verifier.verify(await first.sign({ exp: now() - 5 }))).toMatchObject({ subject: 'alice' });
  });

  it('not yet valid (nbf) and issued in the future (iat)', async () => {
    expect(await refusal(verifier.verify(await first.sign({ nbf: now() + 3600 })))).toBe('TOKEN_NOT_YET_VALID');
    expect(await refusal(verifier.verify(await first.sign({ iat: now() + 3600, exp: now() + 7200 })))).toBe('TOKEN_NOT_YET_VALID');
  });

  it('wrong audience', async () => {
    expect(await refusal(verifier.verify(await first.sign({ aud: 'https://someone-else.example' })))).toBe('TOKEN_AUDIENCE_MISMATCH');
  });

  it('unknown issuer, decided before any key is fetched', async () => {
    const before = second.jwksRequests;
    expect(await refusal(verifier.verify(await second.sign()))).toBe('TOKEN_ISSUER_UNKNOWN');
    expect(await refusal(verifier.verify(await first.sign({ iss: undefined })))).toBe('TOKEN_ISSUER_UNKNOWN');
    expect(second.jwksRequests).toBe(before);
  });

  it('forged signature: the issuer\'s kid, another key', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ iss: first.url, sub: 'mallory', aud: first.audience, exp: now() + 600 }).setProtectedHeader({ alg: 'RS256', kid: first.kid }).sign(privateKey);
    expect(await refusal(verifier.verify(forged))).toBe('TOKEN_INVALID');
    // A genuine token with its payload swapped keeps a signature over other bytes.
    const [header, , signature] = (await first.sign()).split('.');
    const payload = base64url.encode(JSON.stringify({ iss: first.url, sub: 'mallory', aud: first.audience, exp: now() + 600 }));
    expect(await refusal(verifier.verify(`${header}.${payload}.${signature}`))).toBe('TOKEN_INVALID');
  });

  it('alg none and HS256, decided from the header before any key lookup', async () => {
    const fresh = new TokenVerifier([configOf(first)]);
    const before = first.jwksRequests;
    const claims = { iss: first.url, sub: 'mallory', aud: first.audience, exp: now() + 600 };
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify(claims))}.`;
    expect(await refusal(fresh.verify(none))).toBe('TOKEN_ALGORITHM_REFUSED');
    const hs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: first.kid }).sign(new TextEncoder().encode('a shared secret of thirty-two bytes!'));
    expect(await refusal(fresh.verify(hs256))).toBe('TOKEN_ALGORITHM_REFUSED');
    expect(first.jwksRequests).toBe(before);
    // Named from the header: lazydb's own check, not only jose's allow-list further on.
    expect((await refused(fresh.verify(none))).message).toContain('"none"');
    expect((await refused(fresh.verify(hs256))).message).toContain('"HS256"');
  });

  it('no sub, no exp, not a JWT', async () => {
    expect(await refusal(verifier.verify(await first.sign({ sub: undefined })))).toBe('TOKEN_INVALID');
    expect(await refusal(verifier.verify(await first.sign({ exp: undefined })))).toBe('TOKEN_INVALID');
    expect(await refusal(verifier.verify('not-a-jwt'))).toBe('TOKEN_INVALID');
    expect(await refusal(verifier.verify('eyJ.eyJ.c2ln'))).toBe('TOKEN_INVALID');
  });

  it('never quotes the token in a message', async () => {
    const token = await first.sign({ aud: 'elsewhere' });
    const error = await refused(verifier.verify(token));
    expect(error.message).not.toContain(token.split('.')[1]!.slice(0, 12));
    expect(error.message).not.toContain('elsewhere');
  });
});

describe('key rotation and the re-fetch cooldown', () => {
  it('picks up a rotated key with one re-fetch, and forged kids do not make it ask again within the cooldown', async () => {
    const issuer = await startTestIssuer();
    try {
      const verifier = new TokenVerifier([configOf(issuer)]);
      await verifier.verify(await issuer.clientCredentialsToken());
      expect(issuer.jwksRequests).toBe(1);
      await verifier.verify(await issuer.clientCredentialsToken());
      expect(issuer.jwksRequests).toBe(1);

      const oldKid = issuer.kid;
      await issuer.rotateKeys();
      expect(issuer.kid).not.toBe(oldKid);
      const rotated = await issuer.clientCredentialsToken();
      expect(await verifier.verify(rotated)).toMatchObject({ subject: 'lazydb-service' });
      expect(issuer.jwksRequests).toBe(2);

      const now = Math.floor(Date.now() / 1000);
      const { privateKey } = await generateKeyPair('RS256');
      const forged = await Promise.all(
        Array.from({ length: 25 }, (_, index) =>
          new SignJWT({ iss: issuer.url, sub: 'mallory', aud: issuer.audience, exp: now + 600 }).setProtectedHeader({ alg: 'RS256', kid: `forged-${index}` }).sign(privateKey),
        ),
      );
      const codes = await Promise.all(forged.map((token) => refusal(verifier.verify(token))));
      expect(new Set(codes)).toEqual(new Set(['TOKEN_INVALID']));
      expect(issuer.jwksRequests).toBe(2);
      // The good tokens keep verifying from the cache meanwhile.
      await verifier.verify(rotated);
      expect(issuer.jwksRequests).toBe(2);
    } finally {
      await issuer.close();
    }
  });

  it('without a cooldown each unknown kid would be a fetch: the count above is the cooldown at work', async () => {
    const issuer = await startTestIssuer();
    try {
      const verifier = new TokenVerifier([configOf(issuer)], { jwksCooldownMs: 0 });
      await verifier.verify(await issuer.sign());
      const { privateKey } = await generateKeyPair('RS256');
      for (let index = 0; index < 3; index++) {
        const token = await new SignJWT({ iss: issuer.url, sub: 'mallory', aud: issuer.audience, exp: Math.floor(Date.now() / 1000) + 600 })
          .setProtectedHeader({ alg: 'RS256', kid: `forged-${index}` })
          .sign(privateKey);
        expect(await refusal(verifier.verify(token))).toBe('TOKEN_INVALID');
      }
      expect(issuer.jwksRequests).toBe(4);
    } finally {
      await issuer.close();
    }
  });

  it('an issuer that answers badly is ISSUER_UNAVAILABLE, and is not asked again before the cooldown', async () => {
    const trouble = await troubledIssuer((_request, response) => response.writeHead(500).end('down'));
    try {
      const verifier = new TokenVerifier([issuerConfig({ issuer: trouble.url, audience: 'api' })]);
      const token = await new SignJWT({ iss: trouble.url, sub: 'x', aud: 'api', exp: Math.floor(Date.now() / 1000) + 600 })
        .setProtectedHeader({ alg: 'RS256', kid: 'k' })
        .sign((await generateKeyPair('RS256')).privateKey);
      expect(await refusal(verifier.verify(token))).toBe('ISSUER_UNAVAILABLE');
      expect(await refusal(verifier.verify(token))).toBe('ISSUER_UNAVAILABLE');
      expect(trouble.requests).toEqual(['/.well-known/openid-configuration']);
    } finally {
      await trouble.close();
    }
  });

  it('a discovery document that never comes, or is too large, is ISSUER_UNAVAILABLE', async () => {
    const silent = await troubledIssuer(() => undefined);
    const huge = await troubledIssuer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ padding: 'x'.repeat(300_000) })));
    try {
      for (const issuer of [silent, huge]) {
        const verifier = new TokenVerifier([issuerConfig({ issuer: issuer.url, audience: 'api' })], { fetchTimeoutMs: 300 });
        const token = await new SignJWT({ iss: issuer.url, sub: 'x', aud: 'api', exp: Math.floor(Date.now() / 1000) + 600 })
          .setProtectedHeader({ alg: 'ES256', kid: 'k' })
          .sign((await generateKeyPair('ES256')).privateKey);
        const error = await refused(verifier.verify(token));
        expect(error.code).toBe('ISSUER_UNAVAILABLE');
        expect(error.message).toMatch(issuer === silent ? /within 300 ms/ : /larger than 262144 bytes/);
      }
    } finally {
      await Promise.all([silent.close(), huge.close()]);
    }
  });

  it('tries each published key for a token without a kid (an issuer mid-rotation publishes two)', async () => {
    const [one, two] = await Promise.all([generateKeyPair('RS256', { extractable: true }), generateKeyPair('RS256', { extractable: true })]);
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(one.publicKey)), alg: 'RS256', use: 'sig' }, { ...(await exportJWK(two.publicKey)), alg: 'RS256', use: 'sig' }] });
    const keys = await troubledIssuer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
    try {
      const verifier = new TokenVerifier([issuerConfig({ issuer: 'https://issuer.example', audience: 'api', jwksUri: `${keys.url}/keys` })]);
      const claims = { iss: 'https://issuer.example', sub: 'carol', aud: 'api', exp: Math.floor(Date.now() / 1000) + 600 };
      const signed = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(two.privateKey);
      expect(await verifier.verify(signed)).toMatchObject({ subject: 'carol' });
      const stranger = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign((await generateKeyPair('RS256')).privateKey);
      expect(await refusal(verifier.verify(stranger))).toBe('TOKEN_INVALID');
      // The configured jwksUri is used as is: no discovery.
      expect(new Set(keys.requests)).toEqual(new Set(['/keys']));
    } finally {
      await keys.close();
    }
  });

  it('setIssuers replaces the trusted list at runtime and keeps the keys of an issuer that stays', async () => {
    const verifier = new TokenVerifier([configOf(first)]);
    const token = await first.sign();
    await verifier.verify(token);
    const fetched = first.jwksRequests;
    expect(await verifier.verify(token)).toMatchObject({ roles: [] });
    verifier.setIssuers([configOf(second), configOf(first, { defaultRole: 'viewer' })]);
    expect(await verifier.verify(token)).toMatchObject({ roles: ['viewer'] });
    expect(first.jwksRequests).toBe(fetched);
    verifier.setIssuers([configOf(second)]);
    expect(await refusal(verifier.verify(token))).toBe('TOKEN_ISSUER_UNKNOWN');
  });
});

/** A loopback "issuer" answering every request with `answer`; records the paths asked for. */
async function troubledIssuer(answer: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    answer(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('admin sign-in: authorization code with PKCE', () => {
  const stateKey = 'a test key for the sign-in state, at least 32 bytes';
  const publicUrl = 'http://127.0.0.1:9';

  function login(extra: Partial<Parameters<typeof createOidcLogin>[0]> = {}) {
    const issuers = [configOf(second), configOf(first, { name: 'corp', clientId: ADMIN_CLIENT.id, clientSecret: ADMIN_CLIENT.secret })];
    return createOidcLogin({ issuers, publicUrl, stateKey, scope: 'openid email roles', ...extra });
  }

  it('signs in end to end and verifies the ID token (roles from the namespaced claim)', async () => {
    first.account = { sub: 'alice', email: 'alice@example.test', roles: ['editor', 'admin'] };
    const oidc = login();
    expect(oidc.providers).toEqual([{ index: 1, name: 'corp', issuer: first.url }]);
    const { redirectUrl, stateCookie } = await oidc.start('corp', '/admin/#/databases');
    const sent = new URL(redirectUrl);
    expect(sent.origin).toBe(first.url);
    expect(sent.searchParams.get('code_challenge_method')).toBe('S256');
    expect(sent.searchParams.get('redirect_uri')).toBe(`${publicUrl}/api/auth/oidc/callback`);
    expect(redirectUrl).not.toContain(stateCookie.slice(-20));

    const back = (await browse(redirectUrl, `${publicUrl}/api/auth/oidc/callback`)).url;
    expect(back.searchParams.get('code')).toBeTruthy();
    const signedIn = await oidc.callback(back, stateCookie);
    expect(signedIn).toMatchObject({ issuer: first.url, subject: 'alice', email: 'alice@example.test', roles: ['editor', 'admin'], returnTo: '/admin/#/databases' });
  });

  it('starts by index too, and the callback accepts the URL as a proxy rewrote it', async () => {
    first.account = { sub: 'bob', email: 'bob@example.test', roles: ['viewer'] };
    const oidc = login();
    const { redirectUrl, stateCookie } = await oidc.start(1, '/admin/');
    const back = (await browse(redirectUrl, `${publicUrl}/api/auth/oidc/callback`)).url;
    const behindProxy = `http://10.0.0.5:4000/api/auth/oidc/callback${back.search}`;
    expect(await oidc.callback(behindProxy, stateCookie)).toMatchObject({ subject: 'bob', roles: ['viewer'], returnTo: '/admin/' });
  });

  it('refuses a callback without, or with another sign-in\'s, state cookie', async () => {
    const oidc = login();
    const one = await oidc.start('corp', '/admin/');
    const other = await oidc.start('corp', '/admin/');
    const back = (await browse(one.redirectUrl, `${publicUrl}/api/auth/oidc/callback`)).url;
    expect(await refusal(oidc.callback(back, undefined))).toBe('SESSION_INVALID');
    expect(await refusal(oidc.callback(back, `${one.stateCookie.slice(0, -4)}AAAA`))).toBe('SESSION_INVALID');
    expect(await refusal(oidc.callback(back, other.stateCookie))).toBe('OIDC_SIGN_IN_FAILED');
    // A cookie sealed with another key is not this server's.
    const foreign = await login({ stateKey: 'another key for the sign-in state, 32 bytes or more' }).start('corp', '/admin/');
    expect(await refusal(oidc.callback(back, foreign.stateCookie))).toBe('SESSION_INVALID');
  });

  it('refuses a code redeemed twice and an issuer\'s error answer', async () => {
    const oidc = login();
    const { redirectUrl, stateCookie } = await oidc.start('corp', '/admin/');
    const back = (await browse(redirectUrl, `${publicUrl}/api/auth/oidc/callback`)).url;
    await oidc.callback(back, stateCookie);
    expect(await refusal(oidc.callback(back, stateCookie))).toBe('OIDC_SIGN_IN_FAILED');
    const state = new URL(redirectUrl).searchParams.get('state')!;
    const denied = `${publicUrl}/api/auth/oidc/callback?error=access_denied&state=${state}&iss=${encodeURIComponent(first.url)}`;
    expect(await refusal(oidc.callback(denied, stateCookie))).toBe('OIDC_SIGN_IN_FAILED');
  });

  it('is ISSUER_UNAVAILABLE when the issuer is gone by the time the browser comes back', async () => {
    const issuer = await startTestIssuer();
    const oidc = createOidcLogin({ issuers: [configOf(issuer, { clientId: ADMIN_CLIENT.id, clientSecret: ADMIN_CLIENT.secret })], publicUrl, stateKey, scope: 'openid email roles' });
    const { redirectUrl, stateCookie } = await oidc.start(0, '/admin/');
    const back = (await browse(redirectUrl, issuer.redirectUri)).url;
    await issuer.close();
    expect(await refusal(oidc.callback(back, stateCookie))).toBe('ISSUER_UNAVAILABLE');
  });

  it('is ISSUER_UNAVAILABLE when the discovery document is too large or never comes', async () => {
    // A well-formed document but for its size: only the bound refuses it.
    const discovery = (host: string, padding: number) => JSON.stringify({
      issuer: `http://${host}`, authorization_endpoint: `http://${host}/auth`, token_endpoint: `http://${host}/token`, jwks_uri: `http://${host}/jwks`, padding: 'x'.repeat(padding),
    });
    const small = await troubledIssuer((request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(discovery(request.headers.host!, 10)));
    const huge = await troubledIssuer((request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(discovery(request.headers.host!, 300_000)));
    const silent = await troubledIssuer(() => undefined);
    try {
      const fine = createOidcLogin({ issuers: [issuerConfig({ issuer: small.url, audience: 'api', clientId: 'c' })], publicUrl, stateKey });
      expect(new URL((await fine.start(0, '/admin/')).redirectUrl).pathname).toBe('/auth');
      for (const issuer of [huge, silent]) {
        const oidc = createOidcLogin({ issuers: [issuerConfig({ issuer: issuer.url, audience: 'api', clientId: 'c' })], publicUrl, stateKey, timeoutSeconds: 1 });
        expect(await refusal(oidc.start(0, '/admin/'))).toBe('ISSUER_UNAVAILABLE');
      }
    } finally {
      await Promise.all([small.close(), huge.close(), silent.close()]);
    }
  });

  it('refuses returnTo that leaves the site, and issuers without a client', async () => {
    const oidc = login();
    for (const returnTo of ['https://evil.example/', '//evil.example/', '/\\evil.example', 'admin', '/admin\n/x']) {
      expect(await refusal(oidc.start('corp', returnTo))).toBe('BAD_PARAMETER');
    }
    expect(await refusal(oidc.start(0, '/admin/'))).toBe('NOT_FOUND');
    expect(await refusal(oidc.start('nope', '/admin/'))).toBe('NOT_FOUND');
  });

  it('writes the state cookie HttpOnly, SameSite=Lax, scoped to the callback', () => {
    expect(loginStateCookieHeader('v', { secure: true })).toBe(`${LOGIN_STATE_COOKIE}=v; Path=/api/auth/oidc/callback; Max-Age=600; HttpOnly; SameSite=Lax; Secure`);
  });
});
