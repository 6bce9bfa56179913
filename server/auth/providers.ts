import type { AccessStore, ProviderRow } from './store';
import { ACCESS_TABLES, jsonColumn, newId, now } from './store';
import { issuerConfig, type IssuerConfig } from './issuers';

/** How an identity provider is shown: never its client secret, only whether it has one. */
export interface ProviderInfo {
  id: string;
  name: string | null;
  issuer: string;
  audience: readonly string[];
  rolesClaim: string | null;
  defaultRole: string | null;
  claimsMap: Readonly<Record<string, string>>;
  clientId: string | null;
  hasClientSecret: boolean;
  jwksUri: string | null;
  scope: string | null;
  /** `env`: from LAZYDB_OIDC_ISSUERS (read-only here); `admin`: added in the admin, kept in the registry. */
  source: 'env' | 'admin';
}

/** Seals and opens client secrets (the registry's secret box, bound to the provider's id). */
export interface SecretSealer {
  seal(plain: string, context: string): string;
  open(sealed: string, context: string): string;
}

/**
 * The OpenID Connect issuers lazydb trusts: those of LAZYDB_OIDC_ISSUERS, then those an admin added
 * (`lazydb_identity_providers`, client secrets sealed). Each stored entry is checked by the same
 * rules as the setting when it is read back; one that no longer passes is left out (and said).
 */
export class IdentityProviders {
  #stored: { id: string; config: IssuerConfig }[] = [];

  constructor(
    private readonly store: AccessStore,
    private readonly fromEnv: readonly IssuerConfig[],
    private readonly secrets: SecretSealer,
    private readonly warn: (message: string, fields: Record<string, unknown>) => void,
  ) {}

  async load(): Promise<void> {
    const rows = await this.store.db<ProviderRow>(ACCESS_TABLES.providers).orderBy('created_at');
    const stored: { id: string; config: IssuerConfig }[] = [];
    for (const row of rows) {
      try {
        const value = jsonColumn(row.config, null) as Record<string, unknown> | null;
        const sealed = typeof value?.clientSecret === 'string' ? value.clientSecret : null;
        stored.push({ id: row.id, config: issuerConfig({ ...value, clientSecret: sealed === null ? undefined : this.secrets.open(sealed, `provider:${row.id}`) }, `identity provider ${row.id}`) });
      } catch (error) {
        this.warn('an identity provider in the registry is left out: it does not pass the checks', { id: row.id, error: (error as Error).message });
      }
    }
    this.#stored = stored;
  }

  /** Every trusted issuer, the setting's first (their order is the sign-in buttons' index). */
  all(): IssuerConfig[] {
    const envIssuers = new Set(this.fromEnv.map((config) => config.issuer));
    return [...this.fromEnv, ...this.#stored.filter(({ config }) => !envIssuers.has(config.issuer)).map(({ config }) => config)];
  }

  list(): ProviderInfo[] {
    return [
      ...this.fromEnv.map((config, index) => info(`env-${index}`, config, 'env')),
      ...this.#stored.map(({ id, config }) => info(id, config, 'admin')),
    ];
  }

  /** Adds one; throws an Error naming the bad field (the API answers it 400). */
  async create(input: Record<string, unknown>): Promise<ProviderInfo> {
    const id = newId();
    const config = this.#checked(input, id);
    if (this.all().some((known) => known.issuer === config.issuer)) throw new Error(`issuer ${config.issuer} is trusted already`);
    await this.store.write((trx) => trx(ACCESS_TABLES.providers).insert({ id, config: this.#row(config, id), created_at: now(), updated_at: now() }));
    await this.load();
    return info(id, config, 'admin');
  }

  /** Replaces one the admin added; a missing clientSecret keeps the stored one. Null when there is none with that id. */
  async update(id: string, input: Record<string, unknown>): Promise<ProviderInfo | null> {
    const current = this.#stored.find((entry) => entry.id === id);
    if (!current) return null;
    const config = this.#checked({ ...input, ...(input.clientSecret === undefined && current.config.clientSecret !== null ? { clientSecret: current.config.clientSecret } : {}) }, id);
    await this.store.write((trx) => trx(ACCESS_TABLES.providers).where({ id }).update({ config: this.#row(config, id), updated_at: now() }));
    await this.load();
    return info(id, config, 'admin');
  }

  async remove(id: string): Promise<boolean> {
    const removed = await this.store.write((trx) => trx(ACCESS_TABLES.providers).where({ id }).delete());
    await this.load();
    return removed > 0;
  }

  isFromEnv(id: string): boolean {
    return /^env-\d+$/.test(id);
  }

  #checked(input: Record<string, unknown>, id: string): IssuerConfig {
    return issuerConfig(input, `identity provider ${id}`);
  }

  #row(config: IssuerConfig, id: string): string {
    const { clientSecret, ...rest } = config;
    // Only what is set: the checks read an absent field as unset, not a null.
    const set = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== null));
    return JSON.stringify({ ...set, audience: [...rest.audience], ...(clientSecret === null ? {} : { clientSecret: this.secrets.seal(clientSecret, `provider:${id}`) }) });
  }
}

function info(id: string, config: IssuerConfig, source: 'env' | 'admin'): ProviderInfo {
  return {
    id,
    name: config.name,
    issuer: config.issuer,
    audience: config.audience,
    rolesClaim: config.rolesClaim,
    defaultRole: config.defaultRole,
    claimsMap: config.claimsMap,
    clientId: config.clientId,
    hasClientSecret: config.clientSecret !== null,
    jwksUri: config.jwksUri,
    scope: config.scope,
    source,
  };
}
