import type { ErrorFamily } from './lazydb-error';

/** Nothing the client did: masked, with the request id that the server log line carries too. */
export const INTERNAL_ERRORS = {
  INTERNAL: { status: 500, hint: 'report it with the request id; the server log has the details' },
  /** What graphql-yoga and the fast path call a masked resolver error. */
  INTERNAL_SERVER_ERROR: { status: 500, hint: 'report it with the request id; the server log has the details' },
} as const satisfies ErrorFamily;
