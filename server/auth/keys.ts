import { fail } from '../errors/catalogue';
import { ACCESS_TABLES, now, stringList, type AccessStore, type KeyRow } from './store';
import { issueToken, parseToken, secretMatches } from './tokens';
import { storedLimits, type RateLimits } from '../rate-limit/limits';

/** An API key as the management API shows it: never its secret. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  role: string;
  databases: string[] | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** Its own rate limits; null: none (its role's still apply). */
  limits: RateLimits | null;
}

/** How often the last use of a key is written: a key used on every request must not cost a write each. */
const LAST_USE_EVERY_MS = 60_000;

/** API keys (`lzk_<id>_<secret>`): answered once at creation, only a hash kept, revocable. */
export class ApiKeys {
  readonly #lastUseWritten = new Map<string, number>();

  constructor(private readonly store: AccessStore) {}

  async create(input: { name: string; role: string; databases: string[] | null; expiresAt: string | null; limits?: RateLimits | null }): Promise<ApiKeyInfo & { key: string }> {
    const issued = issueToken('key');
    const row: KeyRow = {
      id: issued.id,
      name: input.name,
      role: input.role,
      databases: input.databases === null ? null : JSON.stringify(input.databases),
      secret_hash: issued.secretHash,
      created_at: now(),
      expires_at: input.expiresAt,
      revoked_at: null,
      last_used_at: null,
      limits: input.limits ? JSON.stringify(input.limits) : null,
    };
    await this.store.write((trx) => trx(ACCESS_TABLES.keys).insert(row));
    return { ...toInfo(row), key: issued.token };
  }

  async list(): Promise<ApiKeyInfo[]> {
    const rows = await this.store.db<KeyRow>(ACCESS_TABLES.keys).orderBy('created_at', 'desc');
    return rows.map(toInfo);
  }

  /** Changes a key's name or limits (its secret never changes); null when there is no such key. */
  async change(id: string, patch: { name?: string; limits?: RateLimits | null }): Promise<ApiKeyInfo | null> {
    const update: Partial<KeyRow> = {};
    if (patch.name !== undefined) update.name = patch.name;
    if (patch.limits !== undefined) update.limits = patch.limits && Object.keys(patch.limits).length > 0 ? JSON.stringify(patch.limits) : null;
    if (Object.keys(update).length > 0) await this.store.write((trx) => trx(ACCESS_TABLES.keys).where({ id }).update(update));
    const row = await this.store.db<KeyRow>(ACCESS_TABLES.keys).where({ id }).first();
    return row ? toInfo(row) : null;
  }

  async revoke(id: string): Promise<void> {
    const changed = await this.store.write((trx) => trx(ACCESS_TABLES.keys).where({ id }).whereNull('revoked_at').update({ revoked_at: now() }));
    if (changed === 0) {
      const exists = await this.store.db(ACCESS_TABLES.keys).where({ id }).first();
      if (!exists) throw fail('NOT_FOUND', `no API key with id ${id.slice(0, 64)}`);
    }
  }

  /** The live key a token names; null when unknown, revoked, expired or forged. */
  async resolve(token: string): Promise<KeyRow | null> {
    const parsed = parseToken(token);
    if (!parsed || parsed.kind !== 'key') return null;
    const row = await this.store.db<KeyRow>(ACCESS_TABLES.keys).where({ id: parsed.id }).first();
    if (!row || !secretMatches(parsed.secret, row.secret_hash)) return null;
    if (row.revoked_at !== null || (row.expires_at !== null && Date.parse(row.expires_at) <= Date.now())) return null;
    this.#noteUse(row.id);
    return row;
  }

  #noteUse(id: string): void {
    const last = this.#lastUseWritten.get(id) ?? 0;
    if (Date.now() - last < LAST_USE_EVERY_MS) return;
    this.#lastUseWritten.set(id, Date.now());
    if (this.#lastUseWritten.size > 10_000) this.#lastUseWritten.clear();
    void this.store.db(ACCESS_TABLES.keys).where({ id }).update({ last_used_at: now() }).catch(() => undefined);
  }
}

export function toInfo(row: KeyRow): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    databases: row.databases === null ? null : stringList(row.databases),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    limits: storedLimits(row.limits),
  };
}
