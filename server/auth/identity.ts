import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { fail } from '../errors/catalogue';
import type { LocalDirectory } from './directory/local';
import type { ApiKeys } from './keys';
import { ADMIN_ROLE, ANONYMOUS, ANONYMOUS_ROLE, ROLE_VARIABLE, USER_ID_VARIABLE, type Principal, type PrincipalKind } from './principal';
import type { Sessions } from './sessions';
import { ACCESS_TABLES, now, stringList, type AccessStore, type IdentityRow } from './store';
import { looksIssued, sameSecret } from './tokens';
import { sessionCookieOf } from './cookies';
import { storedLimits, type RateLimits } from '../rate-limit/limits';

/** What identity needs of a JWT verifier (server/auth/jwt.ts). */
export interface JwtVerifier {
  looksLikeJwt(token: string): boolean;
  verify(token: string): Promise<{ issuer: string; subject: string; email: string | null; roles: string[]; variables: Record<string, string>; expiresAt: number }>;
}

/** Who a credential names, before the request picks a role. */
interface Identified {
  kind: Exclude<PrincipalKind, 'anonymous'>;
  id: string | null;
  subject: string | null;
  email: string | null;
  /** In order of preference: the first is the default role. */
  roles: string[];
  variables: Record<string, string>;
  databases: readonly string[] | null;
  /** An API key's own rate limits. */
  limits: RateLimits | null;
  /** The admin secret may act as any role. */
  anyRole: boolean;
  /** When the credential itself ends (ms since the epoch); null: it does not. Never remembered past it. */
  expiresAt: number | null;
}

/** How long a verified credential is remembered (revocations elsewhere reach this replica with the access poll, which clears it). */
const REMEMBER_MS = 30_000;
const MAX_REMEMBERED = 10_000;

/**
 * Works out a request's principal from exactly one credential: `Authorization: Bearer` (the admin
 * secret, an `lzk_` API key, an `lzs_` session token, or a JWT of a configured issuer), else the
 * admin app's session cookie, else anonymous. A credential that fails verification is answered
 * 401 with its reason — never served as anonymous. `X-Lazydb-Role` picks one of the identity's
 * roles (403 ROLE_NOT_ALLOWED otherwise).
 */
export class Identity {
  /** sha256(credential) -> what it identified, until `until`. */
  readonly #remembered = new Map<string, { identified: Identified; until: number }>();
  readonly #seenWritten = new Map<string, number>();

  constructor(
    private readonly store: AccessStore,
    private readonly users: LocalDirectory,
    private readonly sessions: Sessions,
    private readonly keys: ApiKeys,
    private readonly options: {
      adminSecret?: string | undefined;
      jwt?: JwtVerifier | null;
      /** Whether a role name exists (unknown roles in a token or a user record are ignored). */
      hasRole: (role: string) => boolean;
    },
  ) {}

  /** Whether the request carries any credential (the cheap test: anonymous requests never wait). */
  static presented(headers: IncomingHttpHeaders): boolean {
    return headers.authorization !== undefined || sessionCookieOf(headers.cookie) !== null || headers['x-lazydb-role'] !== undefined;
  }

  async principalOf(headers: IncomingHttpHeaders): Promise<Principal> {
    const identified = await this.identify(headers);
    const asked = headers['x-lazydb-role'];
    const wanted = typeof asked === 'string' && asked.trim() !== '' ? asked.trim() : null;
    if (!identified) {
      if (wanted !== null && wanted !== ANONYMOUS_ROLE) throw fail('UNAUTHENTICATED', `X-Lazydb-Role "${clip(wanted)}" needs a signed-in identity that has that role`);
      return ANONYMOUS;
    }
    let role: string;
    if (wanted !== null) {
      const allowed = identified.anyRole ? this.options.hasRole(wanted) : identified.roles.includes(wanted);
      if (!allowed) throw fail('ROLE_NOT_ALLOWED', `X-Lazydb-Role "${clip(wanted)}" is not one of this identity's roles (${identified.roles.join(', ') || 'none'})`);
      role = wanted;
    } else {
      role = identified.roles[0] ?? ANONYMOUS_ROLE;
    }
    const roles = identified.roles.length > 0 ? identified.roles : [ANONYMOUS_ROLE];
    return Object.freeze({
      kind: identified.kind,
      id: identified.id,
      subject: identified.subject,
      email: identified.email,
      roles: Object.freeze(identified.anyRole ? [ADMIN_ROLE] : roles),
      role,
      variables: Object.freeze({ ...identified.variables, ...(identified.subject !== null ? { [USER_ID_VARIABLE]: identified.subject } : {}), [ROLE_VARIABLE]: role }),
      databases: identified.databases,
      limits: identified.limits,
    });
  }

  /** Forgets every credential verified so far (access changed: a key revoked, a user blocked, roles changed). */
  forget(): void {
    this.#remembered.clear();
  }

  private async identify(headers: IncomingHttpHeaders): Promise<Identified | null> {
    const authorization = headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer +([^\s]+) *$/i.exec(authorization);
      if (!match) throw fail('UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>" (an API key, a sign-in token, a JWT or the admin secret)');
      return this.remember(match[1]!, (token) => this.fromBearer(token));
    }
    const cookie = sessionCookieOf(headers.cookie);
    if (cookie !== null) return this.remember(cookie, (token) => this.fromSession(token));
    return null;
  }

  private async remember(credential: string, verify: (credential: string) => Promise<Identified>): Promise<Identified> {
    const key = createHash('sha256').update(credential).digest('base64url');
    const known = this.#remembered.get(key);
    if (known && known.until > Date.now()) return known.identified;
    const identified = await verify(credential);
    if (this.#remembered.size >= MAX_REMEMBERED) this.#remembered.clear();
    // An expiring credential (a key, a session, a JWT) is remembered no longer than it is valid.
    const until = Math.min(Date.now() + REMEMBER_MS, identified.expiresAt ?? Number.POSITIVE_INFINITY);
    this.#remembered.set(key, { identified, until });
    return identified;
  }

  private async fromBearer(token: string): Promise<Identified> {
    const { adminSecret, jwt } = this.options;
    if (adminSecret !== undefined && sameSecret(token, adminSecret)) {
      return { kind: 'admin-secret', id: null, subject: null, email: null, roles: [ADMIN_ROLE], variables: {}, databases: null, limits: null, anyRole: true, expiresAt: null };
    }
    if (token.startsWith('lzk_')) {
      const key = await this.keys.resolve(token);
      if (!key) throw fail('API_KEY_INVALID', 'the API key is unknown, revoked or expired');
      const databases = key.databases === null ? null : stringList(key.databases);
      const expiresAt = key.expires_at === null ? null : Date.parse(key.expires_at);
      return { kind: 'key', id: key.id, subject: key.id, email: null, roles: this.options.hasRole(key.role) ? [key.role] : [], variables: {}, databases, limits: storedLimits(key.limits), anyRole: false, expiresAt };
    }
    if (looksIssued(token)) return this.fromSession(token);
    if (jwt && jwt.looksLikeJwt(token)) {
      const verified = await jwt.verify(token);
      const granted = await this.granted(verified.issuer, verified.subject, verified.email);
      const roles = unique([...verified.roles, ...granted]).filter(this.options.hasRole);
      const id = `${verified.issuer}|${verified.subject}`;
      return { kind: 'jwt', id, subject: verified.subject, email: verified.email, roles, variables: verified.variables, databases: null, limits: null, anyRole: false, expiresAt: verified.expiresAt * 1000 };
    }
    throw fail('UNAUTHENTICATED', jwt ? 'the bearer token is not an API key, a sign-in token, a JWT or the admin secret' : 'the bearer token is not an API key, a sign-in token or the admin secret (no OIDC issuer is configured for JWTs)');
  }

  private async fromSession(token: string): Promise<Identified> {
    const session = await this.sessions.resolve(token);
    if (!session) throw fail('SESSION_INVALID', 'the session is unknown, expired or ended: sign in again');
    const expiresAt = Date.parse(session.expires_at);
    if (session.user_kind === 'local') {
      const user = await this.users.row(session.user_ref);
      if (!user || Boolean(user.blocked)) throw fail('SESSION_INVALID', 'the session\'s user is blocked or removed: sign in again');
      const roles = stringList(user.roles).filter(this.options.hasRole);
      return { kind: 'session', id: user.id, subject: user.id, email: user.email, roles, variables: {}, databases: null, limits: null, anyRole: false, expiresAt };
    }
    const separator = session.user_ref.indexOf('|');
    const issuer = session.user_ref.slice(0, separator);
    const subject = session.user_ref.slice(separator + 1);
    const granted = await this.granted(issuer, subject, session.email);
    const roles = unique([...stringList(session.roles), ...granted]).filter(this.options.hasRole);
    return { kind: 'session', id: session.user_ref, subject, email: session.email, roles, variables: {}, databases: null, limits: null, anyRole: false, expiresAt };
  }

  /** Roles granted in lazydb to an identity of an OIDC issuer; records it on first sight (and its last sight, once a minute). */
  async granted(issuer: string, subject: string, email: string | null): Promise<string[]> {
    const row = await this.store.db<IdentityRow>(ACCESS_TABLES.identities).where({ issuer, subject }).first();
    const key = `${issuer}|${subject}`;
    const last = this.#seenWritten.get(key) ?? 0;
    if (!row || Date.now() - last > 60_000) {
      this.#seenWritten.set(key, Date.now());
      if (this.#seenWritten.size > MAX_REMEMBERED) this.#seenWritten.clear();
      const seen = now();
      await this.store.db(ACCESS_TABLES.identities)
        .insert({ issuer, subject, email, roles: row?.roles ?? '[]', first_seen_at: row?.first_seen_at ?? seen, last_seen_at: seen })
        .onConflict(['issuer', 'subject'])
        .merge(['email', 'last_seen_at']);
    }
    return stringList(row?.roles);
  }
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
