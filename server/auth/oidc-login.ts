/**
 * Admin sign-in through an OpenID Connect issuer (openid-client): the authorization code flow
 * with PKCE, state and nonce. `start` sends the browser to the issuer and seals what the answer
 * must be checked against into a cookie value; `callback` checks the answer, redeems the code
 * and verifies the ID token by the same rules as a bearer JWT (TokenVerifier), with the client
 * id as its audience. Sessions are the caller's business: this returns who signed in.
 */
import * as client from 'openid-client';
import { fail } from '../errors/catalogue';
import { LazydbError } from '../errors/lazydb-error';
import { boundedFetch } from './issuer-fetch';
import { isLoopbackHost, type IssuerConfig } from './issuers';
import { TokenVerifier, type VerifiedToken } from './jwt';
import { LOGIN_STATE_TTL_SECONDS, loginStateKey, openLoginState, sealLoginState } from './login-state';

/** The cookie that carries a sign-in's sealed state; scoped to the callback, which alone reads it. */
export const LOGIN_STATE_COOKIE = 'lazydb_oidc_state';
export const DEFAULT_CALLBACK_PATH = '/api/auth/oidc/callback';

export interface OidcLoginOptions {
  /** The configured issuers; only those with a clientId offer sign-in. */
  issuers: readonly IssuerConfig[];
  /** Seals the state cookie: at least 32 bytes (a purpose-bound key is derived from it). */
  stateKey: string | Uint8Array;
  /** lazydb's public origin (`https://lazydb.example.com`): the redirect_uri is built on it. Absent: the origin passed to start(). */
  publicUrl?: string;
  /** @default '/api/auth/oidc/callback' */
  callbackPath?: string;
  /** Verifies the ID token; share the server's so the key caches are shared. Absent: one over `issuers`. */
  verifier?: TokenVerifier;
  /** Scopes asked for. @default 'openid email profile' */
  scope?: string;
  /** Deadline of each request to the issuer, in seconds. @default 5 */
  timeoutSeconds?: number;
  /** Largest answer read from the issuer (discovery, token endpoint), in bytes. @default 262144 */
  maxResponseBytes?: number;
}

export interface LoginStart {
  /** Where to send the browser (302). */
  redirectUrl: string;
  /** The value of the {@link LOGIN_STATE_COOKIE} cookie to set (see {@link loginStateCookieHeader}). */
  stateCookie: string;
}

/** Who signed in, and the same-site path they asked to come back to. */
export type SignedIn = VerifiedToken & { readonly returnTo: string };

export interface OidcLogin {
  /** The issuers that offer sign-in, for the admin's buttons: index (as in the config) and name. */
  readonly providers: readonly { index: number; name: string | null; issuer: string }[];
  start(issuerIndexOrName: number | string, returnTo: string, requestOrigin?: string): Promise<LoginStart>;
  callback(currentUrl: string | URL, stateCookieValue: string | undefined): Promise<SignedIn>;
}

/** A same-site path: `/…` but not `//…` or `/\…` (both mean another host to a browser), no control characters. */
export function isSameSitePath(returnTo: string): boolean {
  if (returnTo.length > 2048 || !returnTo.startsWith('/') || /^\/[/\\]/.test(returnTo) || /[\\\u0000-\u001f\u007f]/.test(returnTo)) return false;
  const base = 'http://lazydb.invalid';
  return new URL(returnTo, base).origin === base;
}

export function createOidcLogin(options: OidcLoginOptions): OidcLogin {
  const key = loginStateKey(options.stateKey);
  const verifier = options.verifier ?? new TokenVerifier(options.issuers);
  const callbackPath = options.callbackPath ?? DEFAULT_CALLBACK_PATH;
  const scope = options.scope ?? 'openid email profile';
  const timeout = options.timeoutSeconds ?? 5;
  const maxBytes = options.maxResponseBytes ?? 256 * 1024;
  const configurations = new Map<string, Promise<client.Configuration>>();

  const signInIssuers = options.issuers.flatMap((config, index) => (config.clientId === null ? [] : [{ index, config }]));

  /** The issuer's metadata, discovered once; a failed discovery is forgotten so the next sign-in retries. */
  const configurationOf = (config: IssuerConfig & { clientId: string }): Promise<client.Configuration> => {
    let pending = configurations.get(config.issuer);
    if (pending === undefined) {
      const issuerUrl = new URL(config.issuer);
      const auth = config.clientSecret === null ? client.None() : client.ClientSecretBasic(config.clientSecret);
      const insecure = issuerUrl.protocol === 'http:' && isLoopbackHost(issuerUrl.hostname);
      pending = client.discovery(issuerUrl, config.clientId, undefined, auth, {
        timeout,
        [client.customFetch]: boundedFetch(maxBytes),
        ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      });
      pending.catch(() => configurations.delete(config.issuer));
      configurations.set(config.issuer, pending);
    }
    return pending.catch(() => {
      throw fail('ISSUER_UNAVAILABLE', `the discovery document of ${config.issuer} could not be fetched`);
    });
  };

  const find = (which: number | string) => {
    const found = signInIssuers.find(({ index, config }) => (typeof which === 'number' ? index === which : config.name === which || String(index) === which));
    if (found === undefined) throw fail('NOT_FOUND', 'no configured issuer of that name or index offers sign-in (it needs a clientId in LAZYDB_OIDC_ISSUERS)');
    return found.config as IssuerConfig & { clientId: string };
  };

  const redirectUriFor = (requestOrigin: string | undefined): string => {
    const origin = options.publicUrl ?? requestOrigin;
    if (origin === undefined) throw new Error('createOidcLogin: pass publicUrl, or the request origin to start()');
    return new URL(callbackPath, origin).href;
  };

  return {
    providers: signInIssuers.map(({ index, config }) => ({ index, name: config.name, issuer: config.issuer })),

    async start(which, returnTo, requestOrigin) {
      if (!isSameSitePath(returnTo)) throw fail('BAD_PARAMETER', 'returnTo must be a path on this server (starting with one /)');
      const config = find(which);
      const configuration = await configurationOf(config);
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = { issuer: config.issuer, state: client.randomState(), nonce: client.randomNonce(), codeVerifier, redirectUri: redirectUriFor(requestOrigin), returnTo };
      const redirectUrl = client.buildAuthorizationUrl(configuration, {
        redirect_uri: state.redirectUri,
        response_type: 'code',
        scope: config.scope ?? scope,
        state: state.state,
        nonce: state.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      });
      return { redirectUrl: redirectUrl.href, stateCookie: await sealLoginState(state, key) };
    },

    async callback(currentUrl, stateCookieValue) {
      const saved = await openLoginState(stateCookieValue, key);
      const config = signInIssuers.find(({ config: candidate }) => candidate.issuer === saved.issuer)?.config as (IssuerConfig & { clientId: string }) | undefined;
      if (config === undefined) throw fail('SESSION_INVALID', 'the issuer this sign-in started with is no longer configured: start the sign-in again');
      const configuration = await configurationOf(config);
      // The answer's parameters on the redirect_uri sent: a proxy in front may have changed the URL's origin.
      const answer = new URL(saved.redirectUri);
      for (const [name, value] of new URL(currentUrl, saved.redirectUri).searchParams) answer.searchParams.append(name, value);
      let idToken: string | undefined;
      try {
        const tokens = await client.authorizationCodeGrant(configuration, answer, {
          pkceCodeVerifier: saved.codeVerifier,
          expectedState: saved.state,
          expectedNonce: saved.nonce,
          idTokenExpected: true,
        });
        idToken = tokens.id_token;
      } catch (error) {
        throw signInRefusal(error, config);
      }
      if (idToken === undefined) throw fail('OIDC_SIGN_IN_FAILED', 'the issuer answered without an ID token');
      const verified = await verifier.verify(idToken, { audience: [config.clientId], nonce: saved.nonce });
      return { ...verified, returnTo: saved.returnTo };
    },
  };
}

/** openid-client's verdict as a catalogue code; the issuer's own error code is kept (it says why), its description is not. */
function signInRefusal(error: unknown, config: IssuerConfig): LazydbError {
  if (error instanceof LazydbError) return error;
  if (error instanceof client.AuthorizationResponseError || error instanceof client.ResponseBodyError) {
    return fail('OIDC_SIGN_IN_FAILED', `${config.issuer} refused the sign-in (${safeCode(error.error)})`);
  }
  const cause = error instanceof Error ? error : null;
  if (cause?.name === 'TimeoutError' || cause?.name === 'AbortError' || (cause?.cause instanceof Error && cause.cause.name === 'TimeoutError')) {
    return fail('ISSUER_UNAVAILABLE', `${config.issuer} did not answer in time`);
  }
  // fetch's network failure (refused, reset, DNS); openid-client's own TypeErrors are about its arguments.
  if (cause instanceof TypeError && cause.message === 'fetch failed') return fail('ISSUER_UNAVAILABLE', `${config.issuer} could not be reached`);
  return fail('OIDC_SIGN_IN_FAILED', 'the issuer\'s answer to the sign-in did not check out (state, nonce or tokens)');
}

/** OAuth error codes are short ASCII words; anything else is not repeated. */
function safeCode(code: string): string {
  return /^[a-z_]{1,64}$/.test(code) ? code : 'error';
}

/**
 * The Set-Cookie value for the state cookie: HttpOnly, SameSite=Lax (the issuer's redirect back
 * is a cross-site top-level GET, which Strict would strip), only sent to the callback path.
 */
export function loginStateCookieHeader(value: string, { secure, callbackPath = DEFAULT_CALLBACK_PATH }: { secure: boolean; callbackPath?: string }): string {
  return `${LOGIN_STATE_COOKIE}=${value}; Path=${callbackPath}; Max-Age=${LOGIN_STATE_TTL_SECONDS}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** Clears the state cookie once the callback has used it (a sign-in state serves once). */
export function clearLoginStateCookieHeader({ secure, callbackPath = DEFAULT_CALLBACK_PATH }: { secure: boolean; callbackPath?: string }): string {
  return `${LOGIN_STATE_COOKIE}=; Path=${callbackPath}; Max-Age=0; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}
