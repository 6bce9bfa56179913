import { fail } from '../../errors/catalogue';
import { hashPassword, verifyPassword } from '../passwords';
import { ACCESS_TABLES, newId, now, stringList, type AccessStore, type UserRow } from '../store';
import type { DirectoryAction, DirectoryUser, NewUser, UserDirectory, UserPage } from './types';

const PER_PAGE = 50;

/** Users kept in lazydb's registry, with scrypt password hashes: the embedded default. */
export class LocalDirectory implements UserDirectory {
  readonly kind = 'local' as const;
  readonly capabilities: ReadonlySet<DirectoryAction> = new Set<DirectoryAction>(['list', 'search', 'create', 'block', 'delete', 'setRoles', 'setPassword']);

  constructor(private readonly store: AccessStore) {}

  async list(options: { search?: string; page?: string | null; perPage?: number }): Promise<UserPage> {
    const perPage = Math.min(Math.max(options.perPage ?? PER_PAGE, 1), 200);
    const offset = Math.max(0, Number.parseInt(options.page ?? '0', 10) || 0);
    const query = this.store.db<UserRow>(ACCESS_TABLES.users);
    if (options.search) query.whereRaw("?? like ? escape '\\'", ['email', `%${options.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`]);
    const [rows, [counted]] = await Promise.all([
      query.clone().orderBy('email').limit(perPage + 1).offset(offset),
      query.clone().count<{ count: number | string }[]>({ count: '*' }),
    ]);
    const more = rows.length > perPage;
    return { users: rows.slice(0, perPage).map(toUser), total: Number(counted?.count ?? 0), next: more ? String(offset + perPage) : null };
  }

  async get(id: string): Promise<DirectoryUser | null> {
    const row = await this.row(id);
    return row ? toUser(row) : null;
  }

  async row(id: string): Promise<UserRow | undefined> {
    return this.store.db<UserRow>(ACCESS_TABLES.users).where({ id }).first();
  }

  async byEmail(email: string): Promise<UserRow | undefined> {
    return this.store.db<UserRow>(ACCESS_TABLES.users).where({ email: normaliseEmail(email) }).first();
  }

  async count(): Promise<number> {
    const [counted] = await this.store.db(ACCESS_TABLES.users).count<{ count: number | string }[]>({ count: '*' });
    return Number(counted?.count ?? 0);
  }

  async create(user: NewUser): Promise<DirectoryUser> {
    const email = normaliseEmail(user.email);
    if (await this.byEmail(email)) throw fail('DUPLICATE_NAME', `a user with the email ${email} exists already`);
    const row: UserRow = {
      id: newId(),
      email,
      name: null,
      password_hash: user.password === undefined ? null : await hashPassword(user.password),
      roles: JSON.stringify(user.roles),
      blocked: false,
      created_at: now(),
      last_sign_in_at: null,
    };
    await this.store.write((trx) => trx(ACCESS_TABLES.users).insert(row));
    return toUser(row);
  }

  async setBlocked(id: string, blocked: boolean): Promise<DirectoryUser> {
    return this.change(id, { blocked });
  }

  async setRoles(id: string, roles: string[]): Promise<DirectoryUser> {
    return this.change(id, { roles: JSON.stringify(roles) });
  }

  async setPassword(id: string, password: string): Promise<DirectoryUser> {
    return this.change(id, { password_hash: await hashPassword(password) });
  }

  async remove(id: string): Promise<void> {
    const removed = await this.store.write(async (trx) => {
      await trx(ACCESS_TABLES.sessions).where({ user_kind: 'local', user_ref: id }).update({ ended_at: now() });
      return trx(ACCESS_TABLES.users).where({ id }).delete();
    });
    if (removed === 0) throw userNotFound(id);
  }

  rolesOf(row: UserRow): string[] {
    return stringList(row.roles);
  }

  /** The user whose email and password these are, unless blocked; null otherwise (same cost either way). */
  async authenticate(email: string, password: string): Promise<UserRow | null> {
    const row = await this.byEmail(email);
    const matches = await verifyPassword(password, row?.password_hash ?? null);
    if (!row || !matches || Boolean(row.blocked)) return null;
    await this.store.db(ACCESS_TABLES.users).where({ id: row.id }).update({ last_sign_in_at: now() });
    return row;
  }

  private async change(id: string, patch: Partial<UserRow>): Promise<DirectoryUser> {
    const changed = await this.store.write(async (trx) => {
      const count = await trx(ACCESS_TABLES.users).where({ id }).update(patch);
      // A blocked user's sessions end with the block; a new password ends them too (it is how a
      // stolen session or a leaked password is answered, and the old sessions are exactly what to end).
      if (count > 0 && (patch.blocked || patch.password_hash !== undefined)) await trx(ACCESS_TABLES.sessions).where({ user_kind: 'local', user_ref: id }).whereNull('ended_at').update({ ended_at: now() });
      return count;
    });
    if (changed === 0) throw userNotFound(id);
    return (await this.get(id))!;
  }
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function userNotFound(id: string) {
  return fail('NOT_FOUND', `no user with id ${id.slice(0, 64)}`);
}

export function toUser(row: UserRow): DirectoryUser {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    blocked: Boolean(row.blocked),
    roles: stringList(row.roles),
    createdAt: row.created_at,
    lastSignInAt: row.last_sign_in_at,
  };
}
