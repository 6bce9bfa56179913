import type { ErrorFamily } from './lazydb-error';

/** Refused for where the request comes from or what it points at: a setting decides, not the request. */
export const ACCESS_ERRORS = {
  HOST_NOT_ALLOWED: { status: 403, hint: 'call lazydb by a host name listed in LAZYDB_ALLOWED_HOSTS' },
  CORS_ORIGIN_NOT_ALLOWED: { status: 403, hint: 'add the page\'s origin to LAZYDB_CORS_ORIGINS' },
  CSRF_REJECTED: { status: 403, hint: 'send state changes from a page of an allowed origin, as JSON' },
  TARGET_NOT_ALLOWED: { status: 403, hint: 'connect to a target LAZYDB_ALLOW_TARGETS / LAZYDB_SQLITE_DIRS allow' },
  METRICS_TOKEN_INVALID: {
    status: 401,
    hint: 'send Authorization: Bearer <the value of LAZYDB_METRICS_TOKEN>',
    headers: { 'www-authenticate': 'Bearer realm="lazydb metrics"' },
  },
  METRICS_LOOPBACK_ONLY: { status: 403, hint: 'scrape from the same host, or set LAZYDB_METRICS_TOKEN and send it as a bearer token' },
} as const satisfies ErrorFamily;
