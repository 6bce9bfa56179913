/**
 * A real OpenID Connect issuer for tests: oidc-provider 9 on 127.0.0.1 (a port of the system's
 * choosing), signing with RS256 keys generated here. It has
 * - a confidential client for the authorization code flow with PKCE (`lazydb-admin`), whose
 *   sign-in is finished without a form: the interaction signs in `account` at once;
 * - a client for client credentials (`lazydb-service`);
 * - access tokens as JWTs for one resource indicator (`audience`);
 * - Auth0-shaped namespaced role claims (`https://lazydb.dev/roles`) in ID and access tokens.
 * `rotateKeys()` swaps in a fresh provider with a new key set on the same address (what an issuer
 * rotating its key looks like from outside); `jwksRequests` counts GETs of the key set.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import Provider from 'oidc-provider';

export const ROLES_CLAIM = 'https://lazydb.dev/roles';
export const ADMIN_CLIENT = { id: 'lazydb-admin', secret: 'admin-client-secret-for-tests' } as const;
export const SERVICE_CLIENT = { id: 'lazydb-service', secret: 'service-client-secret-for-tests' } as const;

export interface TestAccount {
  sub: string;
  email: string;
  roles: string[];
}

export interface TestIssuerOptions {
  /** Where the admin client may be sent back to after sign-in. */
  redirectUri?: string;
  /** The resource indicator access tokens are issued for (their `aud`). */
  audience?: string;
  /** Roles the client-credentials tokens carry. */
  serviceRoles?: string[];
}

export interface TestIssuer {
  /** The issuer identifier (`iss`), `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly audience: string;
  readonly redirectUri: string;
  /** The account the next sign-in signs in. */
  account: TestAccount;
  /** GET /jwks requests served so far. */
  readonly jwksRequests: number;
  /** The kid of the current signing key. */
  readonly kid: string;
  /** Replaces the signing key: a new provider with a new key set, same address; the old key is no longer published. */
  rotateKeys(): Promise<void>;
  /** A client-credentials access token (JWT) for `audience`. */
  clientCredentialsToken(): Promise<string>;
  /**
   * A token signed with the issuer's current key and kid, with `claims` on top of valid defaults
   * (iss, sub, aud, iat, exp): for crafting tokens that differ from a good one in one respect.
   */
  sign(claims?: JWTPayload, header?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

interface KeySet {
  kid: string;
  privateKey: CryptoKey;
  privateJwk: Record<string, unknown>;
}

async function newKeySet(): Promise<KeySet> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `test-${randomUUID()}`;
  return { kid, privateKey, privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' } };
}

export async function startTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  let handler: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => response.writeHead(503).end();
  let jwksRequests = 0;
  const server = http.createServer((request, response) => {
    if (request.method === 'GET' && request.url?.startsWith('/jwks')) jwksRequests++;
    handler(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const audience = options.audience ?? `${url}/api`;
  const redirectUri = options.redirectUri ?? 'http://127.0.0.1:9/api/auth/oidc/callback';
  const serviceRoles = options.serviceRoles ?? ['service'];

  const state = {
    account: { sub: 'alice', email: 'alice@example.test', roles: ['editor'] } as TestAccount,
    keys: await newKeySet(),
  };

  const build = (keys: KeySet): Provider => {
    const provider = new Provider(url, {
      clients: [
        {
          client_id: ADMIN_CLIENT.id,
          client_secret: ADMIN_CLIENT.secret,
          redirect_uris: [redirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
        {
          client_id: SERVICE_CLIENT.id,
          client_secret: SERVICE_CLIENT.secret,
          redirect_uris: [],
          response_types: [],
          grant_types: ['client_credentials'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      jwks: { keys: [keys.privateJwk] },
      cookies: { keys: [`cookie-key-${keys.kid}`] },
      scopes: ['openid', 'email', 'roles', 'api'],
      claims: { openid: ['sub'], email: ['email', 'email_verified'], roles: [ROLES_CLAIM] },
      // Scope claims in the ID token itself (as Auth0 puts its namespaced claims there).
      conformIdTokenClaims: false,
      pkce: { required: () => true },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          getResourceServerInfo: async (_ctx: unknown, indicator: string) => {
            if (indicator !== audience) throw new Error(`unknown resource ${indicator}`);
            return { scope: 'api', audience, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } };
          },
        },
      },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      findAccount: async (_ctx: unknown, sub: string) => ({
        accountId: sub,
        claims: async () => ({ sub, email: state.account.email, email_verified: true, [ROLES_CLAIM]: state.account.roles }),
      }),
      extraTokenClaims: async (_ctx: unknown, token: { kind: string }) =>
        token.kind === 'ClientCredentials' ? { [ROLES_CLAIM]: serviceRoles } : { [ROLES_CLAIM]: state.account.roles },
      // First-party client: consent is implied, so a sign-in needs only the login step.
      loadExistingGrant: async (ctx: GrantContext) => {
        const existing = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client.clientId);
        if (existing) return ctx.oidc.provider.Grant.find(existing);
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session?.accountId });
        grant.addOIDCScope('openid email roles');
        await grant.save();
        return grant;
      },
    });
    const callback = provider.callback();
    handler = (request, response) => {
      if (request.url?.startsWith('/interaction/')) void signIn(provider, request, response);
      else callback(request, response);
    };
    return provider;
  };

  /** The login page, without a page: whoever reaches it is `state.account`. */
  const signIn = async (provider: Provider, request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const details = await provider.interactionDetails(request, response);
      if (details.prompt.name !== 'login') throw new Error(`unexpected prompt ${details.prompt.name}`);
      await provider.interactionFinished(request, response, { login: { accountId: state.account.sub } }, { mergeWithLastSubmission: false });
    } catch (error) {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    }
  };

  build(state.keys);

  return {
    url,
    audience,
    redirectUri,
    get account() {
      return state.account;
    },
    set account(account: TestAccount) {
      state.account = account;
    },
    get jwksRequests() {
      return jwksRequests;
    },
    get kid() {
      return state.keys.kid;
    },
    async rotateKeys() {
      state.keys = await newKeySet();
      build(state.keys);
    },
    async clientCredentialsToken() {
      const response = await fetch(`${url}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${SERVICE_CLIENT.id}:${SERVICE_CLIENT.secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: audience, scope: 'api' }),
      });
      const body = (await response.json()) as { access_token?: string };
      if (response.status !== 200 || typeof body.access_token !== 'string') throw new Error(`client credentials refused: ${response.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async sign(claims = {}, header = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: url, sub: state.account.sub, aud: audience, iat: now, exp: now + 600, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: state.keys.kid, ...header })
        .sign(state.keys.privateKey);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The part of oidc-provider's request context loadExistingGrant reads. */
interface GrantContext {
  oidc: {
    provider: Provider;
    client: { clientId: string };
    session?: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    result?: { consent?: { grantId?: string } };
  };
}

/**
 * Follows a browser's redirects from `start` (cookies kept per name in `jar`), stopping at the first
 * URL that starts with `until`. Loopback only: it refuses to follow a redirect anywhere else.
 */
export async function browse(start: string, until: string, jar = new Map<string, string>()): Promise<{ url: URL; jar: Map<string, string> }> {
  let url = new URL(start);
  for (let hop = 0; hop < 12; hop++) {
    if (url.href.startsWith(until)) return { url, jar };
    if (url.hostname !== '127.0.0.1') throw new Error(`refusing to leave loopback: ${url.host}`);
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') } });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair!.indexOf('=');
      jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    const location = response.headers.get('location');
    if (location === null) throw new Error(`stopped at ${url.pathname} with ${response.status}: ${(await response.text()).slice(0, 300)}`);
    url = new URL(location, url);
  }
  throw new Error('too many redirects');
}
