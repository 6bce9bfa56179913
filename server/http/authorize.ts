import { isAdmin, type Principal } from '../auth/principal';
import { fail } from '../errors/catalogue';
import type { LazydbError } from '../errors/lazydb-error';

/**
 * The management API (/api/databases, /api/users, /api/roles, /api/keys, permissions, usage) is
 * for admins only: 401 without an identity, 403 with one that is not admin.
 */
export function requireAdmin(principal: Principal, what: string): void {
  if (isAdmin(principal)) return;
  throw refusal(principal, what);
}

/** 401 UNAUTHENTICATED for anonymous (sign in), 403 FORBIDDEN for anyone else (another role). */
export function refusal(principal: Principal, what: string): LazydbError {
  if (principal.kind === 'anonymous') return fail('UNAUTHENTICATED', `${what} needs you to sign in (or send an API key or token)`);
  return fail('FORBIDDEN', `${what} is not allowed for role "${principal.role}"`);
}

/**
 * Whether a non-admin principal may use database `name` at all: its key names it (or names no
 * databases), and its role has rules there. A database it may not use answers the same as one
 * that does not exist, so names do not leak.
 */
export function mayUseDatabase(principal: Principal, name: string, roleSees: (database: string, role: string) => boolean): boolean {
  if (isAdmin(principal)) return true;
  if (principal.databases !== null && !principal.databases.includes(name)) return false;
  return roleSees(name, principal.role);
}
