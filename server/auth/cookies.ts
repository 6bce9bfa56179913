import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';

/** The admin app's session cookie: HttpOnly, SameSite=Lax, Secure on https. */
export const SESSION_COOKIE = 'lazydb_session';

/** Whether the browser reached lazydb over https: directly, or through LAZYDB_TRUST_PROXY proxies that say so. */
export function isSecureRequest(request: IncomingMessage, trustProxy: number): boolean {
  return request.socket instanceof TLSSocket || (trustProxy > 0 && String(request.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim() === 'https');
}

/** The session cookie: HttpOnly, SameSite=Lax, Secure on https; an empty token with max age 0 clears it. */
export function sessionCookieHeader(token: string, maxAgeSeconds: number, secure: boolean): string {
  return [`${SESSION_COOKIE}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAgeSeconds}`, ...(secure ? ['Secure'] : [])].join('; ');
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** The session token in a Cookie header, or null (no such cookie, or an empty one). */
export function sessionCookieOf(header: string | undefined): string | null {
  return cookieValue(header, SESSION_COOKIE) || null;
}
