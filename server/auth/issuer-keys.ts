/**
 * One issuer's signing keys: found through discovery (or a configured jwksUri), fetched, cached.
 *
 * A token whose `kid` is not in the cached set triggers a re-fetch (the issuer may have rotated),
 * but at most once per cooldown: a flood of forged kids costs the issuer one request per cooldown,
 * not one per token. The cooldown counts from the last kid-triggered re-fetch, not from the first
 * load, so the first token signed with a freshly rotated key is not refused. A failed fetch is not
 * retried before the cooldown either: while the issuer is down, requests fail fast.
 */
import { createLocalJWKSet, errors as joseErrors, type FlattenedJWSInput, type JWTHeaderParameters, type JWTVerifyGetKey } from 'jose';
import { fail } from '../errors/catalogue';
import { LazydbError } from '../errors/lazydb-error';
import { fetchIssuerJson, type IssuerFetchLimits } from './issuer-fetch';
import { endpointProblem, type IssuerConfig } from './issuers';

export interface IssuerKeysOptions extends IssuerFetchLimits {
  /** Least time between two re-fetches caused by an unknown kid, and between retries after a failure. */
  readonly cooldownMs: number;
  /** How long a fetched key set is used before it is fetched again. */
  readonly maxAgeMs: number;
}

type LocalKeys = ReturnType<typeof createLocalJWKSet>;

export class IssuerKeys {
  private keys: LocalKeys | null = null;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private lastKidRefetchAt = Number.NEGATIVE_INFINITY;
  private failedAt = Number.NEGATIVE_INFINITY;
  private lastFailure: LazydbError | null = null;
  private pending: Promise<void> | null = null;
  private jwksUri: string | null;

  constructor(
    private readonly config: IssuerConfig,
    private readonly options: IssuerKeysOptions,
  ) {
    this.jwksUri = config.jwksUri;
  }

  /** The key for a token's header, for jose's jwtVerify. */
  readonly getKey: JWTVerifyGetKey = async (header: JWTHeaderParameters, token: FlattenedJWSInput) => {
    const keys = await this.current();
    try {
      return await keys(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
      const refreshed = await this.afterUnknownKid();
      if (refreshed === null) throw error;
      return refreshed(header, token);
    }
  };

  /** The cached set; loaded first, and again once older than maxAge (the old set serves if that fails). */
  private async current(): Promise<LocalKeys> {
    if (this.keys !== null && Date.now() - this.fetchedAt < this.options.maxAgeMs) return this.keys;
    try {
      await this.load();
    } catch (error) {
      if (this.keys === null) throw error;
    }
    if (this.keys === null) throw fail('ISSUER_UNAVAILABLE', `the keys of ${this.config.issuer} could not be loaded`);
    return this.keys;
  }

  /** A fresher set to try a kid in, or null when none may be fetched now (cooldown). */
  private async afterUnknownKid(): Promise<LocalKeys | null> {
    if (this.pending !== null) {
      // A fetch is under way (another token's kid, or a refresh): its result may hold this kid too.
      await this.pending.catch(() => undefined);
      return this.keys;
    }
    if (Date.now() - this.lastKidRefetchAt < this.options.cooldownMs) return null;
    this.lastKidRefetchAt = Date.now();
    await this.load();
    return this.keys;
  }

  private load(): Promise<void> {
    if (this.pending !== null) return this.pending;
    if (this.lastFailure !== null && Date.now() - this.failedAt < this.options.cooldownMs) return Promise.reject(this.lastFailure);
    this.pending = this.fetchKeys()
      .then((keys) => {
        this.keys = keys;
        this.fetchedAt = Date.now();
        this.lastFailure = null;
      })
      .catch((error: unknown) => {
        this.lastFailure = error instanceof LazydbError ? error : fail('ISSUER_UNAVAILABLE', `the keys of ${this.config.issuer} could not be loaded`);
        this.failedAt = Date.now();
        throw this.lastFailure;
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }

  private async fetchKeys(): Promise<LocalKeys> {
    const uri = this.jwksUri ?? (this.jwksUri = await this.discover());
    const jwks = await fetchIssuerJson(uri, `the key set of ${this.config.issuer}`, this.options);
    try {
      return createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
    } catch {
      throw fail('ISSUER_UNAVAILABLE', `the key set of ${this.config.issuer} is not a JSON Web Key Set`);
    }
  }

  /** The jwks_uri of the issuer's discovery document, which must be the issuer's own. */
  private async discover(): Promise<string> {
    const url = `${this.config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const what = `the discovery document of ${this.config.issuer}`;
    const document = await fetchIssuerJson(url, what, this.options);
    if (typeof document !== 'object' || document === null) throw fail('ISSUER_UNAVAILABLE', `${what} is not a JSON object`);
    const { issuer, jwks_uri: jwksUri } = document as Record<string, unknown>;
    if (issuer !== this.config.issuer) throw fail('ISSUER_UNAVAILABLE', `${what} names another issuer: check the issuer URL in LAZYDB_OIDC_ISSUERS (a trailing slash counts)`);
    if (typeof jwksUri !== 'string' || endpointProblem(jwksUri) !== null) throw fail('ISSUER_UNAVAILABLE', `${what} has no usable jwks_uri`);
    return jwksUri;
  }
}
