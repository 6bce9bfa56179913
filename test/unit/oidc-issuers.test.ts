import { describe, expect, it } from 'vitest';
import { auth0Issuer, firebaseIssuer, FIREBASE_JWKS_URI, isLoopbackHost, parseIssuers } from '../../server/auth/issuers';
import { readClaim, rolesOf, variablesOf } from '../../server/auth/claims';
import { looksLikeJwt } from '../../server/auth/jwt';

const one = (entry: Record<string, unknown>) => parseIssuers(JSON.stringify([entry]));

function problem(text: string): string {
  try {
    parseIssuers(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected parseIssuers to refuse the text');
}

describe('parseIssuers', () => {
  it('reads a full entry and normalises it', () => {
    const [config] = one({
      issuer: 'https://tenant.example.com/',
      audience: 'https://api.lazydb.dev',
      rolesClaim: 'https://lazydb.dev/roles',
      defaultRole: 'viewer',
      claimsMap: { 'X-Lazydb-Org-Id': 'org' },
      clientId: 'admin-app',
      clientSecret: 's3cret',
      name: 'corp',
      jwksUri: 'https://tenant.example.com/keys',
      scope: 'openid email roles',
    });
    expect(config).toEqual({
      issuer: 'https://tenant.example.com/',
      audience: ['https://api.lazydb.dev'],
      rolesClaim: 'https://lazydb.dev/roles',
      defaultRole: 'viewer',
      claimsMap: { 'x-lazydb-org-id': 'org' },
      clientId: 'admin-app',
      clientSecret: 's3cret',
      name: 'corp',
      jwksUri: 'https://tenant.example.com/keys',
      scope: 'openid email roles',
    });
  });

  it('fills the optional fields with null and accepts a list audience', () => {
    const [config] = one({ issuer: 'https://a.example', audience: ['x', 'y'] });
    expect(config).toMatchObject({ audience: ['x', 'y'], rolesClaim: null, defaultRole: null, claimsMap: {}, clientId: null, clientSecret: null, name: null, jwksUri: null, scope: null });
  });

  it('treats empty text as no issuers', () => {
    expect(parseIssuers('')).toEqual([]);
    expect(parseIssuers('  ')).toEqual([]);
    expect(parseIssuers('[]')).toEqual([]);
  });

  it('accepts plain http only on loopback hosts', () => {
    for (const issuer of ['http://127.0.0.1:8080', 'http://127.1.2.3', 'http://[::1]:9000/realm', 'http://localhost:3000']) {
      expect(one({ issuer, audience: 'a' })[0]!.issuer).toBe(issuer);
    }
    for (const issuer of ['http://example.com', 'http://10.0.0.1', 'http://128.0.0.1', 'ftp://127.0.0.1']) {
      expect(problem(JSON.stringify([{ issuer, audience: 'a' }]))).toMatch(/entry 0: issuer must be https/);
    }
    expect(problem(JSON.stringify([{ issuer: 'https://a.example', audience: 'a', jwksUri: 'http://keys.example' }]))).toMatch(/entry 0: jwksUri must be https/);
  });

  it('names the entry and field that is wrong', () => {
    const good = { issuer: 'https://a.example', audience: 'a' };
    expect(problem(JSON.stringify([good, { issuer: 'https://b.example' }]))).toMatch(/entry 1: audience/);
    expect(problem(JSON.stringify([{ ...good, audience: [] }]))).toMatch(/entry 0: audience must name at least one/);
    expect(problem(JSON.stringify([{ ...good, claimsMap: { org: 'org' } }]))).toMatch(/entry 0: claimsMap\.org must start with x-lazydb-/);
    expect(problem(JSON.stringify([{ ...good, claimsMap: { 'x-lazydb-role': 'r' } }]))).toMatch(/x-lazydb-role is set by lazydb/);
    expect(problem(JSON.stringify([{ ...good, claimsMap: { 'X-Lazydb-User-Id': 'email' } }]))).toMatch(/is set by lazydb/);
    expect(problem(JSON.stringify([{ ...good, clientSecret: 'x' }]))).toMatch(/entry 0: clientSecret needs a clientId/);
    expect(problem(JSON.stringify([{ ...good, name: 'has space' }]))).toMatch(/entry 0: name must be/);
    expect(problem(JSON.stringify([{ ...good, audiences: 'a' }]))).toMatch(/entry 0: unknown field\(s\) audiences/);
    expect(problem(JSON.stringify([{ ...good, issuer: 'https://a.example/?tenant=1' }]))).toMatch(/query or fragment/);
    expect(problem(JSON.stringify([{ ...good, issuer: 'https://user:pw@a.example' }]))).toMatch(/credentials/);
  });

  it('refuses the same issuer or name twice', () => {
    const entry = { issuer: 'https://a.example', audience: 'a', name: 'a' };
    expect(problem(JSON.stringify([entry, { ...entry, name: 'b' }]))).toMatch(/entries 0 and 1: the same issuer/);
    expect(problem(JSON.stringify([entry, { ...entry, issuer: 'https://b.example' }]))).toMatch(/entries 0 and 1: the name "a"/);
  });

  it('refuses text that is not a JSON list, without quoting it', () => {
    const text = '[{"issuer":"https://a.example","clientSecret":"hunter2",';
    const message = problem(text);
    expect(message).toMatch(/not valid JSON/);
    expect(message).not.toContain('hunter2');
    expect(problem('{"issuer":"https://a.example"}')).toMatch(/must be a JSON list/);
  });

  it('never quotes a secret in a field error', () => {
    const message = problem(JSON.stringify([{ issuer: 'https://a.example', audience: 'a', clientId: 'c', clientSecret: 'hunter2', name: 'bad name' }]));
    expect(message).not.toContain('hunter2');
  });
});

describe('presets', () => {
  it('builds an Auth0 tenant', () => {
    expect(auth0Issuer('Example.eu.auth0.com', 'https://api.lazydb.dev', 'https://lazydb.dev/')).toMatchObject({
      issuer: 'https://example.eu.auth0.com/',
      audience: ['https://api.lazydb.dev'],
      rolesClaim: 'https://lazydb.dev/roles',
      jwksUri: 'https://example.eu.auth0.com/.well-known/jwks.json',
      name: 'auth0',
    });
    expect(() => auth0Issuer('https://example.auth0.com', 'a', 'https://lazydb.dev')).toThrow(/domain must be a host name/);
  });

  it('builds a Firebase project', () => {
    expect(firebaseIssuer('my-project', { defaultRole: 'user' })).toMatchObject({
      issuer: 'https://securetoken.google.com/my-project',
      audience: ['my-project'],
      rolesClaim: 'roles',
      jwksUri: FIREBASE_JWKS_URI,
      defaultRole: 'user',
      name: 'firebase',
    });
    expect(() => firebaseIssuer('My Project')).toThrow(/projectId/);
  });
});

describe('claims', () => {
  const [config] = one({ issuer: 'https://a.example', audience: 'a', rolesClaim: 'app_metadata.roles', defaultRole: 'viewer', claimsMap: { 'x-lazydb-org-id': 'org.id', 'x-lazydb-tier': 'tier' } });

  it('reads a namespaced claim by its whole name before a dot path', () => {
    expect(readClaim({ 'https://lazydb.dev/roles': ['a'] }, 'https://lazydb.dev/roles')).toEqual(['a']);
    expect(readClaim({ app_metadata: { roles: ['b'] } }, 'app_metadata.roles')).toEqual(['b']);
    expect(readClaim({ app_metadata: { roles: ['b'] } }, 'app_metadata.missing')).toBeUndefined();
    expect(readClaim({ a: 'text' }, 'a.length')).toBeUndefined();
  });

  it('reads roles as a list or one name, else the default role', () => {
    expect(rolesOf({ app_metadata: { roles: ['editor', 'editor', 7, 'viewer'] } }, config!)).toEqual(['editor', 'viewer']);
    expect(rolesOf({ app_metadata: { roles: 'editor' } }, config!)).toEqual(['editor']);
    expect(rolesOf({ app_metadata: { roles: [] } }, config!)).toEqual(['viewer']);
    expect(rolesOf({}, { ...config!, defaultRole: null })).toEqual([]);
  });

  it('maps claims to session variables, scalars only', () => {
    expect(variablesOf({ org: { id: 42 }, tier: 'gold' }, config!)).toEqual({ 'x-lazydb-org-id': '42', 'x-lazydb-tier': 'gold' });
    expect(variablesOf({ org: { id: [1, 2] }, tier: { a: 1 } }, config!)).toEqual({});
  });
});

describe('looksLikeJwt', () => {
  it('wants three base64url parts', () => {
    expect(looksLikeJwt('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')).toBe(true);
    expect(looksLikeJwt('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')).toBe(true);
    expect(looksLikeJwt('lzk_abc')).toBe(false);
    expect(looksLikeJwt('a.b')).toBe(false);
    expect(looksLikeJwt('a.b.c.d')).toBe(false);
    expect(looksLikeJwt('a+b.c.d')).toBe(false);
  });
});

describe('isLoopbackHost', () => {
  it('knows the loopback names', () => {
    expect(['127.0.0.1', '127.255.0.9', '[::1]', 'localhost', 'LOCALHOST'].every(isLoopbackHost)).toBe(true);
    expect(['10.0.0.1', 'example.com', '[::2]', '127.0.0.1.example.com'].some(isLoopbackHost)).toBe(false);
  });
});
