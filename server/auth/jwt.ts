/**
 * Verifying bearer JWTs of the configured OpenID Connect issuers (jose). The issuer's config is
 * chosen by the token's unverified `iss` before anything else is trusted; the signature is then
 * checked with that issuer's published keys only, and `iss`, `aud`, `exp`, `nbf` (and `iat`)
 * are enforced with a small clock skew. Every refusal is one catalogue code; no message quotes
 * the token.
 */
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { fail } from '../errors/catalogue';
import { LazydbError } from '../errors/lazydb-error';
import { emailOf, rolesOf, variablesOf } from './claims';
import { IssuerKeys } from './issuer-keys';
import type { IssuerConfig } from './issuers';

export interface VerifiedToken {
  /** The issuer's `iss`, as configured. */
  readonly issuer: string;
  /** The token's `sub`. */
  readonly subject: string;
  /** `email`, unless `email_verified` is false; null when there is none. */
  readonly email: string | null;
  /** lazydb role names from the issuer's rolesClaim (or its defaultRole). */
  readonly roles: string[];
  /** Session variables from the issuer's claimsMap (lower-case `x-lazydb-…` names). */
  readonly variables: Record<string, string>;
  /** `exp`, in seconds since the epoch. */
  readonly expiresAt: number;
}

export interface TokenVerifierOptions {
  /** Tolerance on `exp`, `nbf` and `iat`, in seconds. @default 30 */
  clockSkewSeconds?: number;
  /** Least time between two key re-fetches caused by an unknown `kid`, per issuer, in ms. @default 30000 */
  jwksCooldownMs?: number;
  /** How long a fetched key set is used before it is fetched again, in ms. @default 600000 */
  jwksMaxAgeMs?: number;
  /** Deadline of one discovery or key-set fetch, in ms. @default 5000 */
  fetchTimeoutMs?: number;
  /** Largest discovery document or key set read, in bytes. @default 262144 */
  maxDocumentBytes?: number;
}

export interface VerifyOptions {
  /** Check `aud` against these instead of the issuer's audience (an ID token's audience is the client id). */
  audience?: readonly string[];
  /** The `nonce` the token must carry (an ID token of a sign-in). */
  nonce?: string;
}

/** Asymmetric JWS algorithms only: with HS* anyone holding the shared secret could mint tokens, and `none` is no signature. */
export const ALLOWED_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Larger than any real ID or access token; refusing bigger ones bounds the work of decoding. */
const MAX_TOKEN_LENGTH = 16 * 1024;
const BASE64URL_PART = '[A-Za-z0-9_-]+';
const JWT_SHAPE = new RegExp(`^${BASE64URL_PART}\\.${BASE64URL_PART}\\.[A-Za-z0-9_-]*$`);

/** Three base64url parts (the signature may be empty, as in `alg: none`, which verify then refuses by name). */
export function looksLikeJwt(token: string): boolean {
  return token.length <= MAX_TOKEN_LENGTH && JWT_SHAPE.test(token);
}

export class TokenVerifier {
  private configs: readonly IssuerConfig[] = [];
  private readonly keys = new Map<string, IssuerKeys>();
  private readonly clockSkewSeconds: number;
  private readonly keyOptions: ConstructorParameters<typeof IssuerKeys>[1];

  constructor(issuers: readonly IssuerConfig[], options: TokenVerifierOptions = {}) {
    this.clockSkewSeconds = options.clockSkewSeconds ?? 30;
    this.keyOptions = {
      cooldownMs: options.jwksCooldownMs ?? 30_000,
      maxAgeMs: options.jwksMaxAgeMs ?? 600_000,
      timeoutMs: options.fetchTimeoutMs ?? 5_000,
      maxBytes: options.maxDocumentBytes ?? 256 * 1024,
    };
    this.setIssuers(issuers);
  }

  /** Replaces the trusted issuers; an issuer kept with the same key source keeps its cached keys. */
  setIssuers(issuers: readonly IssuerConfig[]): void {
    const kept = new Map<string, IssuerKeys>();
    for (const config of issuers) {
      const previous = this.configs.find((old) => old.issuer === config.issuer);
      const cached = this.keys.get(config.issuer);
      kept.set(config.issuer, previous?.jwksUri === config.jwksUri && cached !== undefined ? cached : new IssuerKeys(config, this.keyOptions));
    }
    this.keys.clear();
    for (const [issuer, keys] of kept) this.keys.set(issuer, keys);
    this.configs = [...issuers];
  }

  get issuers(): readonly IssuerConfig[] {
    return this.configs;
  }

  looksLikeJwt(token: string): boolean {
    return looksLikeJwt(token);
  }

  async verify(token: string, options: VerifyOptions = {}): Promise<VerifiedToken> {
    if (!looksLikeJwt(token)) throw fail('TOKEN_INVALID', 'the bearer token is not a JWT (three base64url parts)');
    refuseSymmetricOrNone(token);
    const config = this.issuerOf(token);
    const keys = this.keys.get(config.issuer)!;
    const checks: JWTVerifyOptions = {
      issuer: config.issuer,
      audience: [...(options.audience ?? config.audience)],
      algorithms: [...ALLOWED_ALGORITHMS],
      clockTolerance: this.clockSkewSeconds,
      requiredClaims: ['exp', 'sub'],
    };
    let payload: JWTPayload;
    try {
      payload = await verifyWithSomeKey(token, keys, checks);
    } catch (error) {
      throw refusal(error, config);
    }
    this.checkIssuedAt(payload);
    if (options.nonce !== undefined && payload.nonce !== options.nonce) throw fail('TOKEN_INVALID', 'the ID token does not carry the nonce of this sign-in');
    return {
      issuer: config.issuer,
      subject: payload.sub!,
      email: emailOf(payload),
      roles: rolesOf(payload, config),
      variables: variablesOf(payload, config),
      expiresAt: payload.exp!,
    };
  }

  /** The config named by the unverified `iss`: only that issuer's keys may then vouch for the token. */
  private issuerOf(token: string): IssuerConfig {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw fail('TOKEN_INVALID', 'the bearer token\'s payload is not a JSON object');
    }
    const config = typeof iss === 'string' ? this.configs.find((candidate) => candidate.issuer === iss) : undefined;
    if (config === undefined) {
      throw fail('TOKEN_ISSUER_UNKNOWN', `the token's issuer (iss) is not one of the ${this.configs.length} configured in LAZYDB_OIDC_ISSUERS`);
    }
    return config;
  }

  /** jose checks `iat` only against a maximum age; a token issued in the future is as suspect as an early `nbf`. */
  private checkIssuedAt(payload: JWTPayload): void {
    if (payload.iat !== undefined && payload.iat > Date.now() / 1000 + this.clockSkewSeconds) {
      throw fail('TOKEN_NOT_YET_VALID', 'the token\'s iat is in the future (beyond the allowed clock skew)');
    }
  }
}

/**
 * jwtVerify with the issuer's key for the token. A token without a `kid` may match several keys
 * (an issuer publishes two while it rotates): each is tried, and a signature that none of them
 * verifies is a bad signature.
 */
async function verifyWithSomeKey(token: string, keys: IssuerKeys, checks: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, keys.getKey, checks)).payload;
  } catch (error) {
    if (!(error instanceof joseErrors.JWKSMultipleMatchingKeys)) throw error;
    for await (const key of error as unknown as AsyncIterable<CryptoKey>) {
      try {
        return (await jwtVerify(token, key, checks)).payload;
      } catch (attempt) {
        if (!(attempt instanceof joseErrors.JWSSignatureVerificationFailed)) throw attempt;
      }
    }
    throw new joseErrors.JWSSignatureVerificationFailed();
  }
}

/** Decided from the header alone, before any key is looked up or fetched. */
function refuseSymmetricOrNone(token: string): void {
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    throw fail('TOKEN_INVALID', 'the bearer token\'s header is not a JSON object');
  }
  if (typeof alg === 'string' && ALLOWED_ALGORITHMS.includes(alg)) return;
  // Only a short alphanumeric name is repeated; anything else in the header stays out of the message.
  const named = typeof alg === 'string' && /^[A-Za-z0-9]{1,16}$/.test(alg) ? `"${alg}"` : 'its algorithm';
  throw fail('TOKEN_ALGORITHM_REFUSED', `the token is signed with ${named}: lazydb accepts only ${ALLOWED_ALGORITHMS.join(', ')}`);
}

/** jose's verdict as a catalogue code. */
function refusal(error: unknown, config: IssuerConfig): LazydbError {
  if (error instanceof LazydbError) return error;
  if (error instanceof joseErrors.JWTExpired) return fail('TOKEN_EXPIRED', 'the token has expired (exp is past)');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'nbf':
        return fail('TOKEN_NOT_YET_VALID', 'the token is not valid yet (nbf is in the future)');
      case 'aud':
        return fail('TOKEN_AUDIENCE_MISMATCH', 'the token\'s audience (aud) is not one this issuer is configured for');
      case 'iss':
        return fail('TOKEN_ISSUER_UNKNOWN', 'the token\'s issuer (iss) is not a configured one');
      default:
        return fail('TOKEN_INVALID', `the token's "${error.claim}" claim is missing or malformed`);
    }
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return fail('TOKEN_ALGORITHM_REFUSED', `lazydb accepts only ${ALLOWED_ALGORITHMS.join(', ')}`);
  if (error instanceof joseErrors.JWKSTimeout) return fail('ISSUER_UNAVAILABLE', `the keys of ${config.issuer} did not arrive in time`);
  if (error instanceof joseErrors.JWKSNoMatchingKey) return fail('TOKEN_INVALID', `the token's key (kid) is not among the keys ${config.issuer} publishes`);
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return fail('TOKEN_INVALID', 'the token\'s signature does not verify with its issuer\'s key');
  return fail('TOKEN_INVALID', 'the token is malformed');
}
