import { Identity } from '../auth/identity';
import { LazydbError } from '../errors/lazydb-error';
import type { LazydbPlugin } from '../pipeline/plugin';

/** Paths that answer the same to everyone: no credential is looked at (or verified) for them. */
function isPublicPath(path: string): boolean {
  return path === '/healthz' || path === '/' || path === '/admin' || path.startsWith('/admin/') || path.startsWith('/assets/');
}

/**
 * Paths where a credential that fails verification leaves the request anonymous instead of refused:
 * signing in again with a stale cookie, and /metrics, whose scraper sends LAZYDB_METRICS_TOKEN as
 * its bearer (the metrics endpoint checks that token itself).
 */
function isLenientPath(path: string): boolean {
  return path.startsWith('/api/auth/') || path === '/metrics';
}

/**
 * Identity (server/auth/identity.ts): the principal of every request, from exactly one credential
 * (admin secret, API key, session, JWT) or none (anonymous), set on the context before admission
 * and routing. A credential that fails verification is refused 401, never served as anonymous;
 * except on the lenient paths (the request is anonymous there, and GET /api/auth/session says why).
 */
export function useIdentity(identity: Identity): LazydbPlugin {
  return {
    name: 'identity',
    onContext(context, response) {
      const headers = response.req.headers;
      if (isPublicPath(context.path) || !Identity.presented(headers)) return;
      return identity.principalOf(headers).then(
        (principal) => {
          context.principal = principal;
        },
        (error: unknown) => {
          if (isLenientPath(context.path) && error instanceof LazydbError && error.status === 401) {
            context.credentialRefusal = error.code;
            return;
          }
          throw error;
        },
      );
    },
  };
}
