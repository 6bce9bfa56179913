import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Access } from '../auth';
import { cookieValue, isSecureRequest, sessionCookieHeader } from '../auth/cookies';
import { clearLoginStateCookieHeader, LOGIN_STATE_COOKIE, loginStateCookieHeader, type OidcLogin } from '../auth/oidc-login';
import { fail } from '../errors/catalogue';
import type { Logger } from '../log';
import type { SignInProvider } from './auth';

/**
 * /api/auth/oidc: an admin signs in through a configured issuer (authorization code with PKCE,
 * server/auth/oidc-login.ts). `GET /:id/login?returnTo=/admin/` sends the browser to the issuer;
 * `GET /callback` redeems the code, verifies the ID token, records the identity, opens a session
 * (the same cookie as a local sign-in) and sends the browser back to `returnTo`.
 */
export function oidcSignIn(current: () => OidcLogin, access: Access, options: { trustProxy: number; log: Logger }) {
  const secure = (request: IncomingMessage) => isSecureRequest(request, options.trustProxy);
  const origin = (request: IncomingMessage) => `${secure(request) ? 'https' : 'http'}://${request.headers.host ?? 'localhost'}`;

  const providers = (): SignInProvider[] =>
    current().providers.map((provider) => ({
      id: String(provider.index),
      name: provider.name ?? new URL(provider.issuer).host,
      issuer: provider.issuer,
      loginUrl: `/api/auth/oidc/${provider.index}/login?returnTo=${encodeURIComponent('/admin/')}`,
    }));

  async function handle(request: IncomingMessage, response: ServerResponse, rest: string): Promise<void> {
    const login = current();
    if ((request.method ?? 'GET') !== 'GET') throw fail('METHOD_NOT_ALLOWED', 'sign-in through an issuer takes GET', {}, { allow: 'GET' });
    const url = new URL(request.url ?? '/', 'http://lazydb');
    const start = /^\/([^/]+)\/login\/?$/.exec(rest);
    if (start) {
      const started = await login.start(decodeURIComponent(start[1]!), url.searchParams.get('returnTo') ?? '/admin/', origin(request));
      response.writeHead(302, { location: started.redirectUrl, 'set-cookie': loginStateCookieHeader(started.stateCookie, { secure: secure(request) }), 'cache-control': 'no-store' });
      return void response.end();
    }
    if (rest === '/callback' || rest === '/callback/') {
      const signedIn = await login.callback(new URL(request.url ?? '/', origin(request)), cookieValue(request.headers.cookie, LOGIN_STATE_COOKIE));
      const granted = await access.identity.granted(signedIn.issuer, signedIn.subject, signedIn.email);
      const session = await access.sessions.create({ kind: 'oidc', issuer: signedIn.issuer, subject: signedIn.subject, email: signedIn.email, roles: [...new Set([...signedIn.roles, ...granted])] }, signedIn.expiresAt * 1000);
      options.log.info('signed in through an issuer', { issuer: signedIn.issuer });
      const maxAge = Math.max(1, Math.floor((Date.parse(session.expiresAt) - Date.now()) / 1000));
      const sessionCookie = sessionCookieHeader(session.token, maxAge, secure(request));
      response.writeHead(302, { location: signedIn.returnTo, 'set-cookie': [sessionCookie, clearLoginStateCookieHeader({ secure: secure(request) })], 'cache-control': 'no-store' });
      return void response.end();
    }
    throw fail('NOT_FOUND', `no such endpoint: /api/auth/oidc${rest} (use /<issuer>/login or /callback)`);
  }

  return { handle, providers };
}
