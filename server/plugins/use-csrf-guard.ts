import type { Config } from '../config';
import type { LazydbPlugin } from '../pipeline/plugin';
import { LazydbError } from '../errors/lazydb-error';
import { fail } from '../errors/catalogue';
import type { IncomingMessage } from 'node:http';
import { parseHostHeader } from './use-host-guard';


const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Refuses cross-site requests that change state (403 CSRF_REJECTED). A hostile page can make a
 * victim's browser send "simple" requests (a form POST, a bodiless fetch) without a
 * preflight; the browser then says where they come from in `Origin`. So a state-changing
 * request is served only when
 * - its Origin is this server itself (same scheme-less host and port as the Host header) or
 *   one of LAZYDB_CORS_ORIGINS;
 * - or it has no Origin and no Cookie: not a browser acting for a signed-in user (curl, a
 *   server-side client), which a cross-site page cannot forge;
 * - a request with a Cookie and no Origin must show a Referer of an allowed origin instead:
 *   cookies are ambient authority, so their requests must prove they are same-origin.
 * `Origin: null` (sandboxed frames, some redirects) is never allowed to change state.
 */
export function createCsrfGuard(corsOrigins: readonly string[]): (request: IncomingMessage) => void {
  const allowed = new Set(corsOrigins);

  const fromHere = (origin: string, request: IncomingMessage): boolean => {
    if (allowed.has(origin)) return true;
    return sameOrigin(origin, request.headers.host);
  };

  return (request) => {
    if (!STATE_CHANGING.has(request.method ?? 'GET')) return;
    const origin = request.headers.origin;
    if (origin !== undefined) {
      if (fromHere(origin, request)) return;
      throw rejected(`a ${request.method} from the page of another origin (${clip(origin)})`);
    }
    if (request.headers.cookie === undefined) return;
    const referer = refererOrigin(request.headers.referer);
    if (referer !== null && fromHere(referer, request)) return;
    throw rejected(`a ${request.method} that carries cookies and neither an Origin nor a Referer of this server`);
  };
}

function rejected(what: string): LazydbError {
  return fail('CSRF_REJECTED', `${what} is refused, to protect against cross-site request forgery: send it from a page of this server, from an origin listed in LAZYDB_CORS_ORIGINS, or without cookies from a non-browser client`,
  );
}

/** Whether `origin` (`scheme://host[:port]`) names the host and port the request was sent to. */
export function sameOrigin(origin: string, hostHeader: string | undefined): boolean {
  const host = parseHostHeader(hostHeader);
  if (!host) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  const name = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  // A Host without a port means the scheme's default one (a TLS proxy in front forwards
  // `Host: lazydb.example.com` for `https://lazydb.example.com`).
  return name === host.name && (url.port || defaultPort) === (host.port ?? defaultPort);
}

function refererOrigin(referer: string | undefined): string | null {
  if (referer === undefined) return null;
  try {
    const origin = new URL(referer).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

/** The plugin: a state change from a page that may not make it is refused before its body is read. */
export function useCsrfGuard(config: Pick<Config, 'corsOrigins'>): LazydbPlugin {
  const guard = createCsrfGuard(config.corsOrigins);
  return {
    name: 'csrf-guard',
    onRequest(request) {
      guard(request);
    },
  };
}
