/**
 * The OpenID Connect issuers lazydb trusts (LAZYDB_OIDC_ISSUERS), parsed and checked once so the
 * verifier and the admin sign-in can rely on every field. Presets for Auth0 and Firebase build the
 * same shape as a hand-written entry and go through the same checks.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { ROLE_VARIABLE, USER_ID_VARIABLE } from './principal';

export interface IssuerConfig {
  /** The `iss` its tokens carry, exactly (Auth0's ends with `/`). https unless the host is loopback. */
  readonly issuer: string;
  /** Tokens must name one of these in `aud`. */
  readonly audience: readonly string[];
  /**
   * Where the roles are: a claim name (may be a namespaced URL such as `https://lazydb.dev/roles`)
   * or a dot path (`app_metadata.roles`); its value is a list of role names or one name.
   */
  readonly rolesClaim: string | null;
  /** The role of a token whose roles claim is missing or empty. */
  readonly defaultRole: string | null;
  /** Session variable (lower case, `x-lazydb-…`) -> the claim name or dot path it is read from. */
  readonly claimsMap: Readonly<Record<string, string>>;
  /** Admin sign-in through this issuer (authorization code + PKCE) needs a client registered there. */
  readonly clientId: string | null;
  /** Absent: a public client (PKCE alone). Never logged, never answered. */
  readonly clientSecret: string | null;
  /** What the admin's sign-in button and `/api/auth/oidc/:id/login` call it. */
  readonly name: string | null;
  /** The JWKS address, when it is known: discovery (`/.well-known/openid-configuration`) is skipped. */
  readonly jwksUri: string | null;
  /** The scopes admin sign-in asks this issuer for (some put roles in the ID token only for a scope of their own). Null: `openid email profile`. */
  readonly scope: string | null;
}

/** An entry as written in LAZYDB_OIDC_ISSUERS (or given to a preset) before it is checked. */
export interface IssuerInput {
  issuer: string;
  audience: string | string[];
  rolesClaim?: string;
  defaultRole?: string;
  claimsMap?: Record<string, string>;
  clientId?: string;
  clientSecret?: string;
  name?: string;
  jwksUri?: string;
}

/** The variables lazydb sets itself: a claim mapped onto them would let an issuer's user pick another identity or role. */
const RESERVED_VARIABLES: ReadonlySet<string> = new Set([USER_ID_VARIABLE, ROLE_VARIABLE]);

/** 127.0.0.0/8, ::1 and localhost: the only hosts where plain http is accepted (tests, a local issuer). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/** Why `text` is not an acceptable issuer or JWKS address, or null when it is. */
export function endpointProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  if (url.search !== '' || url.hash !== '') return 'must not have a query or fragment';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return null;
  return 'must be https (plain http only on a loopback host: 127.0.0.0/8, ::1, localhost)';
}

const endpoint = z.string().superRefine((value, ctx) => {
  const problem = endpointProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

const nonEmpty = z.string().trim().min(1, 'must not be empty').max(512, 'is too long');

/** Why `name` cannot be a session variable fed from a claim, or null when it can. */
function variableProblem(name: string): string | null {
  if (!/^x-lazydb-[a-z0-9_-]+$/.test(name)) return 'must start with x-lazydb- and use letters, digits, - or _';
  if (RESERVED_VARIABLES.has(name)) return 'is set by lazydb itself and cannot come from a claim';
  return null;
}

/** Session variable names are case-insensitive: kept lower-case, checked after folding. */
const claimsMapSchema = z.record(z.string(), nonEmpty).transform((map, ctx) => {
  const folded: Record<string, string> = {};
  for (const [name, path] of Object.entries(map)) {
    const lower = name.toLowerCase();
    const problem = variableProblem(lower);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, path: [name] });
    else if (Object.hasOwn(folded, lower)) ctx.addIssue({ code: 'custom', message: 'is mapped twice (names are case-insensitive)', path: [name] });
    else folded[lower] = path;
  }
  return folded;
});

const issuerSchema = z
  .object({
    issuer: endpoint,
    audience: z.union([nonEmpty, z.array(nonEmpty).min(1, 'must name at least one audience')]),
    rolesClaim: nonEmpty.optional(),
    defaultRole: nonEmpty.max(64, 'is too long').optional(),
    claimsMap: claimsMapSchema.optional(),
    clientId: nonEmpty.optional(),
    clientSecret: z.string().min(1, 'must not be empty').optional(),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, - or _ (it is part of the sign-in URL)')
      .optional(),
    jwksUri: endpoint.optional(),
    scope: z
      .string()
      .regex(/^openid( [\x21\x23-\x5b\x5d-\x7e]{1,64}){0,20}$/, 'must be space-separated scopes starting with openid')
      .optional(),
  })
  .strict()
  .refine((entry) => entry.clientSecret === undefined || entry.clientId !== undefined, {
    message: 'needs a clientId',
    path: ['clientSecret'],
  });

function toConfig(entry: z.infer<typeof issuerSchema>): IssuerConfig {
  return Object.freeze({
    issuer: entry.issuer,
    audience: Object.freeze(typeof entry.audience === 'string' ? [entry.audience] : [...entry.audience]),
    rolesClaim: entry.rolesClaim ?? null,
    defaultRole: entry.defaultRole ?? null,
    claimsMap: Object.freeze({ ...entry.claimsMap }),
    clientId: entry.clientId ?? null,
    clientSecret: entry.clientSecret ?? null,
    name: entry.name ?? null,
    jwksUri: entry.jwksUri ?? null,
    scope: entry.scope ?? null,
  });
}

/** Names the bad entries and fields; never quotes a value (a clientSecret may be among them). */
function describe(error: z.ZodError, label: string): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : null;
      const message = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message;
      return field === null ? `${label}: ${message}` : `${label}: ${field} ${message}`;
    })
    .join('; ');
}

/** One entry, checked: the same rules as LAZYDB_OIDC_ISSUERS. Throws an Error naming the field. */
export function issuerConfig(input: unknown, label = 'issuer'): IssuerConfig {
  const parsed = issuerSchema.safeParse(input);
  if (!parsed.success) throw new Error(describe(parsed.error, label));
  return toConfig(parsed.data);
}

/** Two entries with one issuer or one name would make the choice of config ambiguous. */
function refuseDuplicates(configs: readonly IssuerConfig[]): void {
  const issuers = new Map<string, number>();
  const names = new Map<string, number>();
  configs.forEach((config, index) => {
    const sameIssuer = issuers.get(config.issuer);
    if (sameIssuer !== undefined) throw new Error(`LAZYDB_OIDC_ISSUERS entries ${sameIssuer} and ${index}: the same issuer ${config.issuer} is listed twice`);
    issuers.set(config.issuer, index);
    if (config.name === null) return;
    const sameName = names.get(config.name);
    if (sameName !== undefined) throw new Error(`LAZYDB_OIDC_ISSUERS entries ${sameName} and ${index}: the name "${config.name}" is used twice`);
    names.set(config.name, index);
  });
}

/**
 * LAZYDB_OIDC_ISSUERS: a JSON list of issuer entries. Empty text: no issuers. Throws an Error whose
 * message names the entry (by index) and the field that is wrong.
 */
export function parseIssuers(text: string): IssuerConfig[] {
  if (text.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the text, and the text may hold a client secret.
    throw new Error('LAZYDB_OIDC_ISSUERS is not valid JSON: write a list of {"issuer", "audience", ...} objects');
  }
  if (!Array.isArray(value)) throw new Error('LAZYDB_OIDC_ISSUERS must be a JSON list of {"issuer", "audience", ...} objects');
  const configs = value.map((entry, index) => issuerConfig(entry, `LAZYDB_OIDC_ISSUERS entry ${index}`));
  refuseDuplicates(configs);
  return configs;
}

/** Extra settings a preset passes through. */
export type PresetOptions = Pick<IssuerInput, 'defaultRole' | 'claimsMap' | 'clientId' | 'clientSecret' | 'name'>;

/**
 * An Auth0 tenant. `domain` is the tenant's host (`example.eu.auth0.com` or a custom domain);
 * `audience` the API identifier tokens are requested for; `namespace` the prefix of the custom
 * claims an Action adds (`https://lazydb.dev`): roles are read from `<namespace>/roles`.
 * Auth0's issuer ends with a slash and its keys are at `/.well-known/jwks.json`.
 */
export function auth0Issuer(domain: string, audience: string | string[], namespace: string, options: PresetOptions = {}): IssuerConfig {
  if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(domain)) throw new Error('auth0Issuer: domain must be a host name such as example.eu.auth0.com (no scheme, no path)');
  const origin = `https://${domain.toLowerCase()}`;
  return issuerConfig(
    {
      name: 'auth0',
      ...options,
      issuer: `${origin}/`,
      audience,
      rolesClaim: `${namespace.replace(/\/+$/, '')}/roles`,
      jwksUri: `${origin}/.well-known/jwks.json`,
    },
    'auth0Issuer',
  );
}

/** Google's keys for Firebase Authentication ID tokens (they are not behind a discovery document). */
export const FIREBASE_JWKS_URI = 'https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com';

/**
 * A Firebase project's ID tokens: issuer `https://securetoken.google.com/<projectId>`, audience the
 * project id, roles from the custom claim `roles` (set with the Admin SDK's setCustomUserClaims).
 */
export function firebaseIssuer(projectId: string, options: PresetOptions = {}): IssuerConfig {
  if (!/^[a-z0-9-]{1,64}$/.test(projectId)) throw new Error('firebaseIssuer: projectId must be a Firebase project id (lower-case letters, digits and -)');
  return issuerConfig(
    {
      name: 'firebase',
      ...options,
      issuer: `https://securetoken.google.com/${projectId}`,
      audience: projectId,
      rolesClaim: 'roles',
      jwksUri: FIREBASE_JWKS_URI,
    },
    'firebaseIssuer',
  );
}
