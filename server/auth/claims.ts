/**
 * Reading what a verified token says about its holder: roles and session variables, from the
 * claims an issuer's config names. Only verified payloads come here.
 */
import type { JWTPayload } from 'jose';
import type { IssuerConfig } from './issuers';

/** Bounds on what a token may contribute, so one token cannot blow up a principal. */
const MAX_ROLES = 100;
const MAX_ROLE_LENGTH = 128;
const MAX_VARIABLE_LENGTH = 1024;

/**
 * The value at `path`: first as one claim name (namespaced claims such as
 * `https://lazydb.dev/roles` contain dots), then as a dot path through nested objects.
 */
export function readClaim(payload: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  let value: unknown = payload;
  for (const step of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, step)) return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

/** The role names at the issuer's rolesClaim (a list or one name); none: its defaultRole, if any. */
export function rolesOf(payload: JWTPayload, config: IssuerConfig): string[] {
  const value = config.rolesClaim === null ? undefined : readClaim(payload, config.rolesClaim);
  const listed = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  const roles = [...new Set(listed.filter((role): role is string => typeof role === 'string' && role.length > 0 && role.length <= MAX_ROLE_LENGTH))];
  if (roles.length > 0) return roles.slice(0, MAX_ROLES);
  return config.defaultRole === null ? [] : [config.defaultRole];
}

/**
 * The session variables of the issuer's claimsMap. Strings, numbers and booleans become their
 * text; a claim that is missing, a list or an object sets no variable (filters then see none).
 */
export function variablesOf(payload: JWTPayload, config: IssuerConfig): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, path] of Object.entries(config.claimsMap)) {
    const value = readClaim(payload, path);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
    const text = String(value);
    if (text.length <= MAX_VARIABLE_LENGTH) variables[name] = text;
  }
  return variables;
}

/** The token's email, unless the issuer says it is not verified. */
export function emailOf(payload: JWTPayload): string | null {
  return typeof payload.email === 'string' && payload.email_verified !== false ? payload.email : null;
}
