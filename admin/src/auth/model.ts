import type { RateLimits } from '../../../server/rate-limit/limits';
/**
 * The JSON of lazydb's sign-in and access-control endpoints (/api/auth, /api/users, /api/roles,
 * /api/keys, /api/identity-providers, /api/databases/:name/permissions), as the admin reads it.
 * The permission document and directory shapes are the server's own types (import type only:
 * erased from the bundle). Free of React so pure helpers and their unit tests can use it.
 */
import type { DirectoryAction, DirectoryKind, DirectoryUser } from '../../../server/auth/directory/types';
import type { ApiKeyInfo } from '../../../server/auth/keys';
import type { PrincipalKind } from '../../../server/auth/principal';
import type { PermissionDocument } from '../../../server/permissions/document';
import type { Dialect, DatabaseStatus, ResourceInfo } from '../model';

export type { DeleteRule, InsertRule, Operation, SelectRule, TableRules, UpdateRule } from '../../../server/permissions/document';
export type { DirectoryAction, DirectoryKind, DirectoryUser, PermissionDocument, PrincipalKind };

/** The built-in roles: `admin` may do everything, `anonymous` what its rules allow a visitor. */
export const ADMIN_ROLE = 'admin';
export const ANONYMOUS_ROLE = 'anonymous';

export interface SessionPrincipal {
  kind: PrincipalKind;
  id: string | null;
  email: string | null;
  roles: string[];
  /** The role requests act as. */
  role: string;
}

/** An OpenID Connect issuer the admin can sign in with: `loginUrl` is a full-page navigation. */
export interface SignInProvider {
  id: string;
  name: string;
  issuer: string;
  loginUrl: string;
}

/** GET /api/auth/session. */
export interface Session {
  authenticated: boolean;
  principal: SessionPrincipal;
  providers: SignInProvider[];
}

/** POST /api/auth/login. */
export interface LoginResult {
  token: string;
  expiresAt: string;
  user: { id: string; email: string; roles: string[] };
}

/** One database the signed-in role may read, with the tables it may read (GET /api/auth/databases). */
export interface ReadableDatabase {
  name: string;
  dialect: Dialect;
  status: DatabaseStatus;
  resources: ResourceInfo[];
}

export interface ReadableDatabaseList {
  databases: ReadableDatabase[];
}

export interface Role {
  name: string;
  inherits: string[];
  builtIn: boolean;
  /** Rate limits of each identity acting as the role; null: none. */
  limits: RateLimits | null;
}

export interface RoleList {
  roles: Role[];
}

/** GET /api/users: the directory says what it can do; the admin offers only that. */
export interface UserList {
  directory: { kind: DirectoryKind; capabilities: DirectoryAction[] };
  users: DirectoryUser[];
  total: number | null;
  /** The cursor of the next page, or null at the end. */
  next: string | null;
}

/** As the management API sends it; `databases` null: any the role's rules allow. */
export type ApiKey = ApiKeyInfo;

export interface ApiKeyList {
  keys: ApiKey[];
}

/** POST /api/keys: the only answer that carries the key itself (`lzk_<id>_<secret>`). */
export interface CreatedApiKey {
  id: string;
  key: string;
  name: string;
  role: string;
  databases: string[] | null;
  createdAt: string;
  expiresAt: string | null;
}

export interface NewApiKey {
  name: string;
  role: string;
  databases?: string[];
  expiresAt?: string;
  limits?: RateLimits;
}

export interface IdentityProvider {
  id: string;
  name: string;
  issuer: string;
  audience: string;
  rolesClaim: string;
  defaultRole: string;
  /** Session variable (X-Lazydb-…) -> claim name. */
  claimsMap: Record<string, string>;
  /** `env`: from LAZYDB_OIDC_ISSUERS, read-only here; `admin`: made in the admin. */
  source: 'env' | 'admin';
}

export type IdentityProviderInput = Omit<IdentityProvider, 'id' | 'source'>;

export interface IdentityProviderList {
  providers: IdentityProvider[];
}

/** GET /api/databases/:name/permissions. */
export interface DatabasePermissions {
  database: string;
  roles: Record<string, PermissionDocument>;
}

/** POST /api/databases/:name/permissions/:role/preview: rows the role would see per table (null: not readable). */
export interface PermissionPreview {
  counts: Record<string, number | null>;
}

/** Someone (or a service) of an OpenID Connect issuer lazydb has seen, with the roles granted to them here. */
export interface Identity {
  id: string;
  issuer: string;
  subject: string;
  email: string | null;
  /** Granted in lazydb; merged with the roles their tokens carry. */
  roles: string[];
  firstSeenAt: string;
  lastSeenAt: string;
}

export interface IdentityList {
  identities: Identity[];
}
