import type { ErrorFamily } from './lazydb-error';

/** The request itself cannot be read or does not fit the endpoint: fix the request. */
export const REQUEST_ERRORS = {
  BAD_BODY: { status: 400, hint: 'send the body as a JSON object with Content-Type: application/json' },
  INVALID_JSON: { status: 400, hint: 'send well-formed JSON' },
  INVALID_UTF8: { status: 400, hint: 'encode the body as UTF-8' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, hint: 'send JSON with Content-Type: application/json' },
  PAYLOAD_TOO_LARGE: { status: 413, hint: 'send a smaller body (LAZYDB_MAX_BODY)' },
  BAD_URL_ENCODING: { status: 400, hint: 'percent-encode the URL as UTF-8' },
  BAD_PATH: { status: 400, hint: 'use a path the endpoint documents' },
  BAD_PARAMETER: { status: 400, hint: 'fix the query parameter the message names' },
  BAD_REQUEST: { status: 400, hint: 'fix the GraphQL request (its document, variables or operation name)' },
  BAD_USER_INPUT: { status: 400, hint: 'fix the argument or value the message names' },
  VALIDATION_FAILED: { status: 400, hint: 'fix the fields listed in `fields`' },
  METHOD_NOT_ALLOWED: { status: 405, hint: 'use one of the methods in the Allow header' },
  NOT_FOUND: { status: 404, hint: 'check the path, table name or key' },
} as const satisfies ErrorFamily;
