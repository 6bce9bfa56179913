import type { ErrorFamily } from './lazydb-error';

const BEARER = { 'www-authenticate': 'Bearer realm="lazydb"' } as const;

/**
 * Who is calling, and what they may do (server/auth, server/permissions). 401: no identity, or
 * credentials that failed verification (never served as anonymous); 403: a known identity that
 * may not do this.
 */
export const AUTH_ERRORS = {
  UNAUTHENTICATED: { status: 401, hint: 'sign in (POST /api/auth/login), or send Authorization: Bearer <token, API key or admin secret>', headers: BEARER },
  FORBIDDEN: { status: 403, hint: 'use a role that is allowed this (X-Lazydb-Role), or ask an admin for the permission' },
  ROLE_NOT_ALLOWED: { status: 403, hint: 'pick one of your roles in X-Lazydb-Role (GET /api/auth/session lists them)' },
  INVALID_CREDENTIALS: { status: 401, hint: 'check the email and password' },
  LOGIN_RATE_LIMITED: { status: 429, hint: 'too many failed sign-ins: wait the seconds Retry-After gives', variableHeaders: ['Retry-After'] },
  SESSION_INVALID: { status: 401, hint: 'the session or sign-in token is unknown, expired or ended: sign in again', headers: BEARER },
  API_KEY_INVALID: { status: 401, hint: 'the API key is unknown, revoked or expired: create a new one (POST /api/keys)', headers: BEARER },
  TOKEN_INVALID: { status: 401, hint: 'send a JWT signed by a configured issuer (LAZYDB_OIDC_ISSUERS)', headers: BEARER },
  TOKEN_EXPIRED: { status: 401, hint: 'get a fresh token from the issuer', headers: BEARER },
  TOKEN_NOT_YET_VALID: { status: 401, hint: 'the token\'s nbf/iat is in the future: check the issuer\'s and this server\'s clocks', headers: BEARER },
  TOKEN_AUDIENCE_MISMATCH: { status: 401, hint: 'request a token for the audience configured for its issuer', headers: BEARER },
  TOKEN_ISSUER_UNKNOWN: { status: 401, hint: 'add the token\'s issuer to LAZYDB_OIDC_ISSUERS, or use a configured one', headers: BEARER },
  TOKEN_ALGORITHM_REFUSED: { status: 401, hint: 'sign tokens with an asymmetric algorithm (RS256, ES256, EdDSA…)', headers: BEARER },
  ISSUER_UNAVAILABLE: { status: 503, hint: 'the issuer\'s discovery document or keys could not be fetched: try again shortly' },
  OIDC_SIGN_IN_FAILED: { status: 401, hint: 'the issuer refused the sign-in, or its answer did not check out: start the sign-in again' },
  PERMISSION_CHECK_FAILED: { status: 403, hint: 'the row written does not pass the role\'s check: nothing was written' },
  INVALID_PERMISSIONS: { status: 400, hint: 'fix the permission document: the message names each bad entry' },
  ROLE_CONFLICT: { status: 409, hint: 'the inherited roles disagree on a rule: set the rule on the role itself, or inherit from fewer roles' },
  ROLE_BUILT_IN: { status: 400, hint: 'admin and anonymous are built in: they cannot be changed or removed' },
  DIRECTORY_ACTION_UNSUPPORTED: { status: 400, hint: 'this user directory cannot do that (GET /api/users says what it can)' },
  DIRECTORY_UNAVAILABLE: { status: 502, hint: 'the user directory (Auth0, Firebase) did not answer: check its settings and try again' },
  DIRECTORY_REFUSED: { status: 400, hint: 'the user directory refused the values (a weak password, a malformed email…): the message says which' },
  USER_EXISTS: { status: 409, hint: 'a user with that email exists already: change that user, or pick another email' },
} as const satisfies ErrorFamily;
