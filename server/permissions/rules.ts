import { createHash } from 'node:crypto';
import { fail } from '../errors/catalogue';
import { ADMIN_ROLE, ANONYMOUS_ROLE, BUILT_IN_ROLES } from '../auth/principal';
import { ACCESS_TABLES, jsonColumn, now, stringList, type AccessStore, type PermissionRow, type RoleRow } from '../auth/store';
import type { PermissionDocument } from './document';
import { flattenRoles, RoleConflict, type RoleDefinition } from './inherit';
import { storedLimits, type RateLimits } from '../rate-limit/limits';

export interface RoleInfo {
  name: string;
  inherits: string[];
  builtIn: boolean;
  /** Rate limits for each identity acting as the role (server/rate-limit); null: none. */
  limits: RateLimits | null;
}

/** A role's effective rules on one database, and a version that changes whenever they do (per-role schema caches key on it). */
export interface EffectiveRules {
  version: string;
  document: PermissionDocument;
}

const ROLE_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/**
 * Roles and permission documents, read from the registry into memory (every request consults
 * them, none waits for the registry) and flattened per database. Writes are checked against the
 * whole picture first: a change that would leave any role with conflicting inherited rules is
 * refused (409 ROLE_CONFLICT) before anything is written.
 */
export class AccessRules {
  #roles = new Map<string, RoleDefinition>();
  #limits = new Map<string, RateLimits>();
  /** database -> role -> own document. */
  #own = new Map<string, Map<string, PermissionDocument>>();
  /** database -> role -> effective rules. */
  #effective = new Map<string, Map<string, EffectiveRules>>();

  constructor(private readonly store: AccessStore) {}

  async load(): Promise<void> {
    const [roleRows, permissionRows] = await Promise.all([
      this.store.db<RoleRow>(ACCESS_TABLES.roles).select('*'),
      this.store.db<PermissionRow>(ACCESS_TABLES.permissions).select('*'),
    ]);
    const roles = new Map<string, RoleDefinition>(BUILT_IN_ROLES.map((name) => [name, { name, inherits: [] }]));
    const limits = new Map<string, RateLimits>();
    for (const row of roleRows) {
      if (!ROLE_NAME.test(row.name) || roles.has(row.name)) continue;
      roles.set(row.name, { name: row.name, inherits: stringList(row.inherits) });
      const stored = storedLimits(row.limits);
      if (stored) limits.set(row.name, stored);
    }
    this.#limits = limits;
    const own = new Map<string, Map<string, PermissionDocument>>();
    for (const row of permissionRows) {
      const document = jsonColumn(row.document, null);
      // Only plain objects are documents; what each says is checked against the model where it is served.
      if (document === null || typeof document !== 'object' || Array.isArray(document) || !roles.has(row.role) || row.role === ADMIN_ROLE) continue;
      if (!own.has(row.database)) own.set(row.database, new Map());
      own.get(row.database)!.set(row.role, document as PermissionDocument);
    }
    this.#install(roles, own);
  }

  /** Computes every database's effective rules; a stored picture that conflicts (written by hand) serves the conflicting roles nothing. */
  #install(roles: Map<string, RoleDefinition>, own: Map<string, Map<string, PermissionDocument>>): void {
    const effective = new Map<string, Map<string, EffectiveRules>>();
    for (const [database, documents] of own) {
      const byRole = new Map<string, EffectiveRules>();
      for (const [role, document] of flattenEach(roles, documents)) byRole.set(role, { version: versionOf(document), document });
      effective.set(database, byRole);
    }
    this.#roles = roles;
    this.#own = own;
    this.#effective = effective;
  }

  roles(): RoleInfo[] {
    return [...this.#roles.values()].map((role) => ({ name: role.name, inherits: [...role.inherits], builtIn: BUILT_IN_ROLES.includes(role.name), limits: this.#limits.get(role.name) ?? null }));
  }

  /** The rate limits of each identity acting as `role`; null: none. */
  roleLimits(role: string): RateLimits | null {
    return this.#limits.get(role) ?? null;
  }

  hasRole(name: string): boolean {
    return this.#roles.has(name);
  }

  /** The rules `role` reads and writes `database` with; null: none (it sees nothing of it). Admin needs none. */
  effective(database: string, role: string): EffectiveRules | null {
    return this.#effective.get(database)?.get(role) ?? null;
  }

  /** Whether `role` has any rule on `database` (it may see it). */
  sees(database: string, role: string): boolean {
    const rules = this.effective(database, role);
    return rules !== null && Object.keys(rules.document).length > 0;
  }

  own(database: string, role: string): PermissionDocument | null {
    return this.#own.get(database)?.get(role) ?? null;
  }

  ownAll(database: string): Record<string, PermissionDocument> {
    return Object.fromEntries(this.#own.get(database) ?? []);
  }

  async putPermissions(database: string, role: string, document: PermissionDocument): Promise<void> {
    this.#assertEditable(role, 'permissions');
    if (!this.#roles.has(role)) throw fail('NOT_FOUND', `no role named "${role}": create it first (POST /api/roles)`);
    const own = cloneOwn(this.#own);
    if (!own.has(database)) own.set(database, new Map());
    own.get(database)!.set(role, document);
    this.#check(this.#roles, own);
    await this.store.write((trx) =>
      trx(ACCESS_TABLES.permissions)
        .insert({ database, role, document: JSON.stringify(document), updated_at: now() })
        .onConflict(['database', 'role'])
        .merge(['document', 'updated_at']),
    );
    this.#install(this.#roles, own);
  }

  /** Forgets every rule about a database (it was removed). */
  async dropDatabase(database: string): Promise<void> {
    await this.store.write((trx) => trx(ACCESS_TABLES.permissions).where({ database }).delete());
    const own = cloneOwn(this.#own);
    own.delete(database);
    this.#install(this.#roles, own);
  }

  async createRole(name: string, inherits: string[], limits: RateLimits | null = null): Promise<RoleInfo> {
    if (!ROLE_NAME.test(name)) throw fail('VALIDATION_FAILED', 'a role name is 1–63 lower-case letters, digits, _ or -, starting with a letter', { fields: [{ field: 'name', message: 'use lower-case letters, digits, _ or -' }] });
    if (this.#roles.has(name)) throw fail('DUPLICATE_NAME', `a role named "${name}" exists already`);
    const roles = this.#withRole(name, inherits);
    this.#check(roles, this.#own);
    await this.store.write((trx) => trx(ACCESS_TABLES.roles).insert({ name, inherits: JSON.stringify(inherits), limits: limitsColumn(limits), created_at: now(), updated_at: now() }));
    this.#setLimits(name, limits);
    this.#install(roles, this.#own);
    return { name, inherits, builtIn: false, limits: this.roleLimits(name) };
  }

  /** `limits` undefined keeps the role's limits; null removes them. */
  async updateRole(name: string, inherits: string[], limits?: RateLimits | null): Promise<RoleInfo> {
    this.#assertEditable(name, 'inheritance');
    if (!this.#roles.has(name)) throw fail('NOT_FOUND', `no role named "${name}"`);
    const roles = this.#withRole(name, inherits);
    this.#check(roles, this.#own);
    await this.store.write((trx) => trx(ACCESS_TABLES.roles).where({ name }).update({ inherits: JSON.stringify(inherits), ...(limits !== undefined ? { limits: limitsColumn(limits) } : {}), updated_at: now() }));
    if (limits !== undefined) this.#setLimits(name, limits);
    this.#install(roles, this.#own);
    return { name, inherits, builtIn: false, limits: this.roleLimits(name) };
  }

  #setLimits(name: string, limits: RateLimits | null): void {
    if (limits && Object.keys(limits).length > 0) this.#limits.set(name, limits);
    else this.#limits.delete(name);
  }

  async deleteRole(name: string): Promise<void> {
    this.#assertEditable(name, 'existence');
    if (!this.#roles.has(name)) throw fail('NOT_FOUND', `no role named "${name}"`);
    const heirs = [...this.#roles.values()].filter((role) => role.inherits.includes(name)).map((role) => role.name);
    if (heirs.length > 0) throw fail('ROLE_CONFLICT', `role "${name}" is inherited by ${heirs.map((h) => `"${h}"`).join(', ')}: change those first`);
    await this.store.write(async (trx) => {
      await trx(ACCESS_TABLES.permissions).where({ role: name }).delete();
      await trx(ACCESS_TABLES.keys).where({ role: name }).whereNull('revoked_at').update({ revoked_at: now() });
      await trx(ACCESS_TABLES.roles).where({ name }).delete();
    });
    const roles = new Map(this.#roles);
    roles.delete(name);
    const own = cloneOwn(this.#own);
    for (const documents of own.values()) documents.delete(name);
    this.#install(roles, own);
  }

  #withRole(name: string, inherits: string[]): Map<string, RoleDefinition> {
    for (const parent of inherits) {
      if (parent === ADMIN_ROLE) throw fail('ROLE_CONFLICT', 'no role inherits from admin: give the user the admin role instead');
      if (!this.#roles.has(parent)) throw fail('NOT_FOUND', `role "${name}" cannot inherit from "${parent}": no such role`);
    }
    const roles = new Map(this.#roles);
    roles.set(name, { name, inherits: [...new Set(inherits)] });
    return roles;
  }

  #check(roles: Map<string, RoleDefinition>, own: Map<string, Map<string, PermissionDocument>>): void {
    for (const [database, documents] of own) {
      try {
        flattenRoles({ roles, own: documents });
      } catch (error) {
        if (error instanceof RoleConflict) throw fail('ROLE_CONFLICT', `on database "${database}": ${error.message}`);
        throw error;
      }
    }
    // Cycles show without any document too.
    try {
      flattenRoles({ roles, own: new Map() });
    } catch (error) {
      if (error instanceof RoleConflict) throw fail('ROLE_CONFLICT', error.message);
      throw error;
    }
  }

  #assertEditable(role: string, what: string): void {
    if (role === ADMIN_ROLE || (role === ANONYMOUS_ROLE && what !== 'permissions')) {
      throw fail('ROLE_BUILT_IN', `the ${what} of the built-in role "${role}" cannot be changed`);
    }
  }
}

function limitsColumn(limits: RateLimits | null): string | null {
  return limits && Object.keys(limits).length > 0 ? JSON.stringify(limits) : null;
}

function cloneOwn(own: Map<string, Map<string, PermissionDocument>>): Map<string, Map<string, PermissionDocument>> {
  return new Map([...own].map(([database, documents]) => [database, new Map(documents)]));
}

/** Each role's flattened document; a role whose inheritance conflicts (a hand-edited registry) gets none. */
function flattenEach(roles: Map<string, RoleDefinition>, documents: Map<string, PermissionDocument>): Map<string, PermissionDocument> {
  try {
    return flattenRoles({ roles, own: documents });
  } catch {
    const out = new Map<string, PermissionDocument>();
    for (const name of roles.keys()) {
      try {
        const one = new Map([...roles].filter(([n]) => n === name || isAncestor(roles, n, name)));
        const flat = flattenRoles({ roles: one, own: documents }).get(name);
        if (flat) out.set(name, flat);
      } catch {
        // conflicting: this role serves nothing until an admin fixes it
      }
    }
    return out;
  }
}

function isAncestor(roles: Map<string, RoleDefinition>, candidate: string, of: string, seen = new Set<string>()): boolean {
  if (seen.has(of)) return false;
  seen.add(of);
  const parents = roles.get(of)?.inherits ?? [];
  return parents.includes(candidate) || parents.some((parent) => isAncestor(roles, candidate, parent, seen));
}

function versionOf(document: PermissionDocument): string {
  return createHash('sha256').update(JSON.stringify(document)).digest('base64url').slice(0, 16);
}
