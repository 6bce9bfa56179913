import type { Config } from '../config';
import type { LazydbPlugin } from '../pipeline/plugin';
import { fail } from '../errors/catalogue';
import type { IncomingMessage, ServerResponse } from 'node:http';


/** What a page of an allowed origin may send cross-origin, and read back. */
const ALLOWED_METHODS = 'GET, HEAD, POST, PATCH, DELETE';
const DEFAULT_ALLOWED_HEADERS = 'Content-Type, Accept, Authorization';
/** The REST list's paging headers (ra-data-simple-rest and react-admin read them). */
const EXPOSED_HEADERS = 'X-Total-Count, Content-Range';
const PREFLIGHT_MAX_AGE_S = '600';

export interface Cors {
  /**
   * Answers an OPTIONS request in full, whichever endpoint it names, so that a preflight gets
   * the same answer on the fast path, yoga, REST and the management API. Returns false for
   * any other method.
   */
  answerOptions(request: IncomingMessage, response: ServerResponse): boolean;
  /** Sets the CORS headers of an actual (non-preflight) request on the response, before anything writes it. */
  applyHeaders(request: IncomingMessage, response: ServerResponse): void;
}

/**
 * CORS as an explicit allow-list of origins (LAZYDB_CORS_ORIGINS, normalised by the config):
 * an allowed origin gets `Access-Control-Allow-Origin` with its own value (never `*`, never
 * reflected from an unknown one) and successful preflights; every other origin gets nothing,
 * so a hostile page can neither read an answer nor pass a preflight. Credentials are never
 * allowed cross-origin: cookies (the coming admin login) stay same-origin.
 */
export function createCors(origins: readonly string[]): Cors {
  const allowed = new Set(origins);
  const isAllowed = (origin: string): boolean => allowed.has(origin);

  return {
    answerOptions(request, response) {
      if (request.method !== 'OPTIONS') return false;
      const origin = request.headers.origin;
      if (origin === undefined || request.headers['access-control-request-method'] === undefined) {
        // Not a preflight: say what the server accepts.
        response.writeHead(204, { allow: `${ALLOWED_METHODS}, OPTIONS`, 'content-length': '0' });
        response.end();
        return true;
      }
      if (!isAllowed(origin)) {
        throw fail('CORS_ORIGIN_NOT_ALLOWED', `pages of ${origin.length > 100 ? `${origin.slice(0, 100)}…` : origin} may not call this server: add the origin to LAZYDB_CORS_ORIGINS (comma-separated) to allow it`,
          {},
          { vary: 'Origin' },
        );
      }
      const requested = request.headers['access-control-request-headers'];
      response.writeHead(204, {
        'access-control-allow-origin': origin,
        'access-control-allow-methods': ALLOWED_METHODS,
        // An allowed origin is trusted with any request header name it asks for (GraphQL
        // clients add their own); anything but a plain list of names gets the default list.
        'access-control-allow-headers': requested !== undefined && /^[\w-]+(\s*,\s*[\w-]+)*$/.test(requested) ? requested : DEFAULT_ALLOWED_HEADERS,
        'access-control-max-age': PREFLIGHT_MAX_AGE_S,
        vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
        'content-length': '0',
      });
      response.end();
      return true;
    },

    applyHeaders(request, response) {
      // With no allowed origin no answer differs by Origin, so there is nothing to vary on.
      if (allowed.size === 0) return;
      response.setHeader('vary', 'Origin');
      const origin = request.headers.origin;
      if (origin === undefined || !isAllowed(origin)) return;
      response.setHeader('access-control-allow-origin', origin);
      response.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
    },
  };
}

/** The plugin: preflights are answered here, for every endpoint alike; other requests get their CORS headers. */
export function useCors(config: Pick<Config, 'corsOrigins'>): LazydbPlugin {
  const cors = createCors(config.corsOrigins);
  return {
    name: 'cors',
    onRequest(request, response) {
      if (cors.answerOptions(request, response)) return true;
      cors.applyHeaders(request, response);
      return false;
    },
  };
}
