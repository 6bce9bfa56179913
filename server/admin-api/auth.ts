import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Access } from '../auth';
import { isSecureRequest, sessionCookieHeader, sessionCookieOf } from '../auth/cookies';
import { fail } from '../errors/catalogue';
import { readJson, sendJson } from '../http/io';
import type { RequestContext } from '../pipeline/context';
import { clientAddressOf } from '../rate-limit/client-address';
import { email, parseInput } from './input';
import { routeTable } from './router';

const LOGIN = z.object({ email, password: z.string().min(1).max(1024) }).strict();

/** An OIDC issuer the admin can sign in with (GET /api/auth/session lists them). */
export interface SignInProvider {
  id: string;
  name: string;
  issuer: string;
  loginUrl: string;
}

export interface AuthApiOptions {
  maxBody: number;
  trustProxy: number;
  sessionTtlHours: number;
  /** The issuers configured for admin sign-in (with a client id). */
  providers: () => SignInProvider[];
  /** The databases the request's principal may read, as the admin's catalogue shows them. */
  catalogue: (context: RequestContext) => unknown[];
}

/**
 * /api/auth: sign-in with a local user's email and password (the admin app's cookie, and a bearer
 * for API clients), sign-out, who is signed in, and what they may see. Failed sign-ins are counted
 * per account and address (LoginGuard) and answered alike whether the email exists or not.
 */
export function authApi(access: Access, options: AuthApiOptions) {
  const cookie = (request: IncomingMessage, token: string, maxAgeSeconds: number) => sessionCookieHeader(token, maxAgeSeconds, isSecureRequest(request, options.trustProxy));

  return routeTable<RequestContext>('/api/auth', {
      'POST /login': async (request, response) => {
        const input = parseInput(LOGIN, await readJson(request, options.maxBody), 'sign-in');
        const address = clientAddressOf(request, options.trustProxy);
        const settled = await access.loginGuard.admit(input.email, address);
        let user: Awaited<ReturnType<typeof access.local.authenticate>>;
        try {
          user = await access.local.authenticate(input.email, input.password);
          if (!user) await access.loginGuard.failed(input.email, address);
        } finally {
          settled();
        }
        if (!user) throw fail('INVALID_CREDENTIALS', 'the email or password is wrong, or the account is blocked');
        const session = await access.sessions.create({ kind: 'local', userId: user.id, email: user.email });
        const roles = access.local.rolesOf(user).filter((role) => access.rules.hasRole(role));
        sendJson(response, 200, { token: session.token, expiresAt: session.expiresAt, user: { id: user.id, email: user.email, roles } }, { 'set-cookie': cookie(request, session.token, options.sessionTtlHours * 3600), 'cache-control': 'no-store' });
      },
      'POST /logout': async (request, response) => {
        const bearer = /^Bearer +(lzs_[^\s]+)/i.exec(request.headers.authorization ?? '')?.[1];
        const token = bearer ?? sessionCookieOf(request.headers.cookie);
        if (token) {
          await access.sessions.end(token);
          await access.changed();
        }
        response.writeHead(204, { 'set-cookie': cookie(request, '', 0) });
        response.end();
      },
      'GET /session': async (_request, response, _params, context) => {
        const { principal } = context;
        sendJson(
          response,
          200,
          {
            authenticated: principal.kind !== 'anonymous',
            principal: { kind: principal.kind, id: principal.id, email: principal.email, roles: principal.roles, role: principal.role },
            providers: options.providers(),
            ...(context.credentialRefusal ? { refused: context.credentialRefusal } : {}),
          },
          { 'cache-control': 'no-store' },
        );
      },
      'GET /databases': async (_request, response, _params, context) => sendJson(response, 200, { databases: options.catalogue(context) }, { 'cache-control': 'no-store' }),
    });
}
