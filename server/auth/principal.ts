import type { RateLimits } from '../rate-limit/limits';

/**
 * Who is calling, once the identity plugin (use-identity) has looked at the request. Exactly one
 * source decides it: the admin secret, an API key, a session of the admin app (cookie or its
 * bearer token), a JWT of a configured OpenID Connect issuer, or nothing (anonymous).
 */
export type PrincipalKind = 'anonymous' | 'admin-secret' | 'session' | 'key' | 'jwt';

/** The built-in roles: `admin` may do everything (management API, /metrics), `anonymous` what its rules allow. */
export const ADMIN_ROLE = 'admin';
export const ANONYMOUS_ROLE = 'anonymous';
export const BUILT_IN_ROLES: readonly string[] = [ADMIN_ROLE, ANONYMOUS_ROLE];

/** The session variable every identity has (its subject), as filters name it. Names are case-insensitive. */
export const USER_ID_VARIABLE = 'x-lazydb-user-id';
/** The session variable holding the role the request acts as. */
export const ROLE_VARIABLE = 'x-lazydb-role';

export interface Principal {
  readonly kind: PrincipalKind;
  /**
   * A stable id within its kind: a local user's id, an API key's id, `<issuer>|<sub>` for a JWT;
   * null for anonymous and the admin secret. Metrics and usage never label by it.
   */
  readonly id: string | null;
  /** The subject filters see as X-Lazydb-User-Id (a local user's id, a JWT's `sub`); null when there is none. */
  readonly subject: string | null;
  readonly email: string | null;
  /** Every role this identity may act as. */
  readonly roles: readonly string[];
  /** The role this request acts as: X-Lazydb-Role when it names one of `roles`, else the identity's default. */
  readonly role: string;
  /**
   * Session variables, lower-case names (`x-lazydb-user-id`, `x-lazydb-role`, and the claims an
   * issuer's claimsMap maps): the values permission filters may compare with. Always bound as values.
   */
  readonly variables: Readonly<Record<string, string>>;
  /** An API key may be limited to some databases; null: any the role's rules allow. */
  readonly databases: readonly string[] | null;
  /** An API key's own rate limits (server/rate-limit); null for other identities and keys without. */
  readonly limits: RateLimits | null;
}

export const ANONYMOUS: Principal = Object.freeze({
  kind: 'anonymous',
  id: null,
  subject: null,
  email: null,
  roles: Object.freeze([ANONYMOUS_ROLE]),
  role: ANONYMOUS_ROLE,
  variables: Object.freeze({ [ROLE_VARIABLE]: ANONYMOUS_ROLE }),
  databases: null,
  limits: null,
} satisfies Principal);

/**
 * Admin is all or nothing: an identity limited to some databases (an API key's list) is never
 * admin, whatever its role, since admin reaches every database and the management API (where it
 * could make itself an unlimited key). Such a key is refused at creation; one stored before is
 * served as a role without rules (it sees nothing), failing closed.
 */
export function isAdmin(principal: Principal): boolean {
  return principal.role === ADMIN_ROLE && principal.databases === null;
}
