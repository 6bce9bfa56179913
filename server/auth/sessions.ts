import { ACCESS_TABLES, now, type AccessStore, type SessionRow } from './store';
import { issueToken, parseToken, secretMatches } from './tokens';

/** Who a session is for: a local user, or an identity that signed in through an OIDC issuer. */
export type SessionSubject =
  | { kind: 'local'; userId: string; email: string }
  | { kind: 'oidc'; issuer: string; subject: string; email: string | null; roles: string[] };

/**
 * Sessions of the admin app and of API clients that signed in: a revocable server-side row per
 * sign-in, named by an `lzs_` token (the cookie, and the bearer the login answers).
 */
export class Sessions {
  constructor(
    private readonly store: AccessStore,
    private readonly ttlMs: number,
  ) {}

  /** `notAfter` (epoch ms) ends it sooner than the TTL: a sign-in through an issuer lasts no longer than the issuer's ID token, so roles taken from it are not kept past it. */
  async create(subject: SessionSubject, notAfter = Number.POSITIVE_INFINITY): Promise<{ token: string; id: string; expiresAt: string }> {
    const issued = issueToken('session');
    const expiresAt = new Date(Math.min(Date.now() + this.ttlMs, notAfter)).toISOString();
    const row: SessionRow = {
      id: issued.id,
      user_kind: subject.kind,
      user_ref: subject.kind === 'local' ? subject.userId : `${subject.issuer}|${subject.subject}`,
      email: subject.email,
      roles: subject.kind === 'oidc' ? JSON.stringify(subject.roles) : null,
      secret_hash: issued.secretHash,
      created_at: now(),
      expires_at: expiresAt,
      ended_at: null,
    };
    await this.store.db(ACCESS_TABLES.sessions).insert(row);
    return { token: issued.token, id: issued.id, expiresAt };
  }

  /** The live session a token names; null when unknown, expired, ended or forged. */
  async resolve(token: string): Promise<SessionRow | null> {
    const parsed = parseToken(token);
    if (!parsed || parsed.kind !== 'session') return null;
    const row = await this.store.db<SessionRow>(ACCESS_TABLES.sessions).where({ id: parsed.id }).first();
    if (!row || !secretMatches(parsed.secret, row.secret_hash)) return null;
    if (row.ended_at !== null || Date.parse(row.expires_at) <= Date.now()) return null;
    return row;
  }

  /** Ends the session the token names (a no-op for one that is not live). */
  async end(token: string): Promise<void> {
    const row = await this.resolve(token);
    if (row) await this.store.write((trx) => trx(ACCESS_TABLES.sessions).where({ id: row.id }).update({ ended_at: now() }));
  }

  /** Drops sessions that ended or expired over a day ago (called now and then). */
  async prune(): Promise<void> {
    const dayAgo = new Date(Date.now() - 86_400_000).toISOString();
    await this.store.db(ACCESS_TABLES.sessions).where('expires_at', '<', dayAgo).orWhere('ended_at', '<', dayAgo).delete();
  }
}
