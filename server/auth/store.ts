import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * lazydb's own access tables, in the registry (SQLite by default, PostgreSQL for replicas): users,
 * OIDC identities, sessions, API keys, roles, permissions and admin-added identity providers. Every
 * write bumps one version row in the same transaction; each replica polls it (AccessVersion) and
 * drops what it cached, so a change made on one replica applies on the others within the poll.
 * Nothing read back is trusted: the callers validate JSON columns before use.
 */
export const ACCESS_TABLES = {
  users: 'lazydb_users',
  identities: 'lazydb_identities',
  sessions: 'lazydb_sessions',
  keys: 'lazydb_api_keys',
  roles: 'lazydb_roles',
  permissions: 'lazydb_permissions',
  providers: 'lazydb_identity_providers',
  version: 'lazydb_access_version',
} as const;

export interface UserRow {
  id: string;
  email: string;
  name: string | null;
  password_hash: string | null;
  roles: string;
  blocked: boolean | number;
  created_at: string;
  last_sign_in_at: string | null;
}

export interface IdentityRow {
  issuer: string;
  subject: string;
  email: string | null;
  roles: string;
  first_seen_at: string;
  last_seen_at: string;
}

export interface SessionRow {
  id: string;
  /** `local`: user_ref is a local user's id; `oidc`: `<issuer>|<subject>`, with the roles of its sign-in in `roles`. */
  user_kind: 'local' | 'oidc';
  user_ref: string;
  email: string | null;
  roles: string | null;
  secret_hash: string;
  created_at: string;
  expires_at: string;
  ended_at: string | null;
}

export interface KeyRow {
  id: string;
  name: string;
  role: string;
  databases: string | null;
  secret_hash: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  /** JSON: the key's own rate limits (server/rate-limit/limits.ts), or null. */
  limits: string | null;
}

export interface RoleRow {
  name: string;
  inherits: string;
  /** JSON: rate limits for each identity acting as the role, or null. */
  limits: string | null;
  created_at: string;
  updated_at: string;
}

export interface PermissionRow {
  database: string;
  role: string;
  document: string;
  updated_at: string;
}

export interface ProviderRow {
  id: string;
  config: string;
  created_at: string;
  updated_at: string;
}

export function newId(): string {
  return randomBytes(8).toString('hex');
}

export function now(): string {
  return new Date().toISOString();
}

/** JSON from a registry column, or `fallback` when it does not parse (a tampered row fails closed). */
export function jsonColumn<T>(text: string | null | undefined, fallback: T): T | unknown {
  if (text == null) return fallback;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fallback;
  }
}

/** A list of strings from a JSON column; anything else reads as empty. */
export function stringList(text: string | null | undefined): string[] {
  const value = jsonColumn(text, []);
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export class AccessStore {
  constructor(readonly db: Knex) {}

  async ensureTables(): Promise<void> {
    const t = ACCESS_TABLES;
    await this.#create(t.version, (table) => {
      table.integer('id').primary();
      table.bigInteger('version').notNullable();
    });
    await this.db(t.version).insert({ id: 1, version: 1 }).onConflict('id').ignore();
    await this.#create(t.users, (table) => {
      table.string('id', 32).primary();
      table.string('email', 320).notNullable().unique();
      table.string('name', 200).nullable();
      table.text('password_hash').nullable();
      table.text('roles').notNullable();
      table.boolean('blocked').notNullable().defaultTo(false);
      table.string('created_at', 32).notNullable();
      table.string('last_sign_in_at', 32).nullable();
    });
    await this.#create(t.identities, (table) => {
      table.string('issuer', 512).notNullable();
      table.string('subject', 255).notNullable();
      table.string('email', 320).nullable();
      table.text('roles').notNullable();
      table.string('first_seen_at', 32).notNullable();
      table.string('last_seen_at', 32).notNullable();
      table.primary(['issuer', 'subject']);
    });
    await this.#create(t.sessions, (table) => {
      table.string('id', 32).primary();
      table.string('user_kind', 8).notNullable();
      table.string('user_ref', 800).notNullable();
      table.string('email', 320).nullable();
      table.text('roles').nullable();
      table.string('secret_hash', 64).notNullable();
      table.string('created_at', 32).notNullable();
      table.string('expires_at', 32).notNullable();
      table.string('ended_at', 32).nullable();
      table.index(['user_kind', 'user_ref']);
    });
    await this.#create(t.keys, (table) => {
      table.string('id', 32).primary();
      table.string('name', 200).notNullable();
      table.string('role', 64).notNullable();
      table.text('databases').nullable();
      table.string('secret_hash', 64).notNullable();
      table.string('created_at', 32).notNullable();
      table.string('expires_at', 32).nullable();
      table.string('revoked_at', 32).nullable();
      table.string('last_used_at', 32).nullable();
      table.text('limits').nullable();
    });
    await this.#create(t.roles, (table) => {
      table.string('name', 64).primary();
      table.text('inherits').notNullable();
      table.text('limits').nullable();
      table.string('created_at', 32).notNullable();
      table.string('updated_at', 32).notNullable();
    });
    await this.#create(t.permissions, (table) => {
      table.string('database', 63).notNullable();
      table.string('role', 64).notNullable();
      table.text('document').notNullable();
      table.string('updated_at', 32).notNullable();
      table.primary(['database', 'role']);
    });
    await this.#create(t.providers, (table) => {
      table.string('id', 32).primary();
      table.text('config').notNullable();
      table.string('created_at', 32).notNullable();
      table.string('updated_at', 32).notNullable();
    });
  }

  async #create(name: string, define: (table: Knex.CreateTableBuilder) => void): Promise<void> {
    if (await this.db.schema.hasTable(name)) return;
    try {
      await this.db.schema.createTable(name, define);
    } catch (error) {
      // Another replica may have created it between the check and the CREATE.
      if (!(await this.db.schema.hasTable(name))) throw error;
    }
  }

  /** The access version: every write below raises it. */
  async version(): Promise<number> {
    const row = await this.db(ACCESS_TABLES.version).where({ id: 1 }).first<{ version: number | string } | undefined>();
    return Number(row?.version ?? 0);
  }

  /** Runs `work` in a transaction that also bumps the version, so replicas learn of the change. */
  async write<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(async (trx) => {
      const result = await work(trx);
      await trx(ACCESS_TABLES.version).where({ id: 1 }).increment('version', 1);
      return result;
    });
  }
}
