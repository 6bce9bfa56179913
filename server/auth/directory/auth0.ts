import { randomBytes } from 'node:crypto';
import { ManagementClient, ManagementError, ManagementTimeoutError, type Management } from 'auth0';
import { DEFAULT_AUTH0_CONNECTION } from '../../config';
import { fail } from '../../errors/catalogue';
import { LazydbError } from '../../errors/lazydb-error';
import type { DirectoryAction, DirectoryUser, NewUser, UserDirectory, UserPage } from './types';

export interface Auth0DirectoryOptions {
  /** The tenant's domain, `your-tenant.eu.auth0.com` (a bare host name). */
  domain: string;
  /** A machine-to-machine application allowed the Management API with read:users, create:users, update:users, delete:users, read:roles, create:roles. */
  clientId: string;
  clientSecret: string;
  /** The database connection new users are created in. @default 'Username-Password-Authentication' */
  connection?: string;
  /** Retries of a call Auth0 answered 429 or 5xx (the SDK's backoff). @default 2 */
  maxRetries?: number;
  /** Bound on each call, in seconds. @default 10 */
  timeoutInSeconds?: number;
  /**
   * The fetch the SDK sends every call with, its token request included. The SDK always builds
   * `https://<domain>/...`; tests hand it one that answers from a recorded contract.
   */
  fetch?: typeof fetch;
}

const DEFAULT_PAGE = 50;
/** Auth0's largest per_page. */
const MAX_PAGE = 100;
/** Auth0's user search returns the first 1000 results at most, whatever the paging. */
const SEARCH_WINDOW = 1000;
/** Role look-ups in flight at once when a page of users is listed (Auth0's Management API is rate limited). */
const ROLE_LOOKUPS_AT_ONCE = 4;

/**
 * Auth0 as lazydb's user directory, through the `auth0` SDK's ManagementClient (client
 * credentials: the SDK fetches and renews the Management API token itself). lazydb role names are
 * Auth0 role names: setting a user's roles looks them up by name, creates those missing, and
 * assigns and removes roles until the user has exactly that set. Blocking is Auth0's `blocked`.
 */
export class Auth0Directory implements UserDirectory {
  readonly kind = 'auth0' as const;
  readonly capabilities: ReadonlySet<DirectoryAction> = new Set<DirectoryAction>(['list', 'search', 'create', 'block', 'delete', 'setRoles']);
  private readonly client: ManagementClient;
  private readonly connection: string;

  constructor(options: Auth0DirectoryOptions) {
    this.connection = options.connection ?? DEFAULT_AUTH0_CONNECTION;
    this.client = new ManagementClient({
      domain: options.domain,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      maxRetries: options.maxRetries ?? 2,
      timeoutInSeconds: options.timeoutInSeconds ?? 10,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  async list(options: { search?: string; page?: string | null; perPage?: number }): Promise<UserPage> {
    const page = pageNumber(options.page);
    const perPage = Math.min(Math.max(options.perPage ?? DEFAULT_PAGE, 1), MAX_PAGE);
    const search = options.search?.trim();
    const result = await this.call(
      () => this.client.users.list({ page, per_page: perPage, include_totals: true, ...(search ? { q: searchQuery(search), search_engine: 'v3' as const } : {}) }),
      'the page asked for',
    );
    const found = result.response.users ?? [];
    const users = await mapAtMost(ROLE_LOOKUPS_AT_ONCE, found, async (user) => toDirectoryUser(user, await this.roleNames(user.user_id ?? '')));
    const total = result.response.total ?? null;
    const reachable = Math.min(total ?? 0, SEARCH_WINDOW);
    return { users, total, next: (page + 1) * perPage < reachable ? String(page + 1) : null };
  }

  async get(id: string): Promise<DirectoryUser | null> {
    try {
      const user = await this.call(() => this.client.users.get(id), id);
      return toDirectoryUser(user, await this.roleNames(id));
    } catch (error) {
      if (error instanceof LazydbError && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  async create(user: NewUser): Promise<DirectoryUser> {
    const created = await this.call(
      () => this.client.users.create({ connection: this.connection, email: user.email, password: user.password ?? unguessablePassword() }),
      user.email,
    );
    const id = created.user_id ?? '';
    const roles = [...new Set(user.roles)];
    if (roles.length > 0) await this.call(() => this.assign(id, roles), id);
    return toDirectoryUser(created, roles);
  }

  async setBlocked(id: string, blocked: boolean): Promise<DirectoryUser> {
    const user = await this.call(() => this.client.users.update(id, { blocked }), id);
    return toDirectoryUser(user, await this.roleNames(id));
  }

  async setRoles(id: string, roles: string[]): Promise<DirectoryUser> {
    const user = await this.call(() => this.client.users.get(id), id);
    const wanted = [...new Set(roles)];
    const current = await this.call(() => this.userRoles(id), id);
    const held = new Set(current.map((role) => role.name));
    const surplus = current.filter((role) => !wanted.includes(role.name ?? '')).map((role) => role.id ?? '');
    const missing = wanted.filter((name) => !held.has(name));
    if (missing.length > 0) await this.call(() => this.assign(id, missing), id);
    if (surplus.length > 0) await this.call(() => this.client.users.roles.delete(id, { roles: surplus }), id);
    return toDirectoryUser(user, wanted);
  }

  async remove(id: string): Promise<void> {
    // Auth0 answers 204 to deleting a user that does not exist; lazydb answers NOT_FOUND, as for the other directories.
    await this.call(() => this.client.users.get(id, { fields: 'user_id', include_fields: true }), id);
    await this.call(() => this.client.users.delete(id), id);
  }

  private async roleNames(id: string): Promise<string[]> {
    const roles = await this.call(() => this.userRoles(id), id);
    return roles.map((role) => role.name ?? '').filter((name) => name !== '');
  }

  private async userRoles(id: string): Promise<Management.Role[]> {
    const roles: Management.Role[] = [];
    let page = await this.client.users.roles.list(id, { per_page: MAX_PAGE });
    roles.push(...page.data);
    while (page.hasNextPage()) {
      page = await page.getNextPage();
      roles.push(...page.data);
    }
    return roles;
  }

  private async assign(id: string, names: string[]): Promise<void> {
    const ids = await Promise.all(names.map((name) => this.roleId(name)));
    await this.client.users.roles.assign(id, { roles: ids });
  }

  /** The id of the Auth0 role called `name` (names compare exactly), created when there is none. */
  private async roleId(name: string): Promise<string> {
    const existing = await this.findRole(name);
    if (existing) return existing;
    try {
      const created = await this.client.roles.create({ name, description: 'lazydb role (created by lazydb when it was first assigned)' });
      if (created.id) return created.id;
    } catch (error) {
      // Created meanwhile by another replica or request: use that one.
      if (!(error instanceof ManagementError && error.statusCode === 409)) throw error;
    }
    const raced = await this.findRole(name);
    if (!raced) throw fail('DIRECTORY_UNAVAILABLE', `Auth0 neither created nor listed the role "${name}"`);
    return raced;
  }

  private async findRole(name: string): Promise<string | undefined> {
    // name_filter matches any part of the name, ignoring case: the exact name is picked from what it finds.
    let page = await this.client.roles.list({ name_filter: name, per_page: MAX_PAGE });
    for (;;) {
      const match = page.data.find((role) => role.name === name);
      if (match?.id) return match.id;
      if (!page.hasNextPage()) return undefined;
      page = await page.getNextPage();
    }
  }

  private async call<T>(operation: () => Promise<T>, subject: string): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw auth0Failure(error, subject);
    }
  }
}

/** The catalogue's error for what the SDK threw; `subject` names the user or page concerned. Never echoes a credential. */
export function auth0Failure(error: unknown, subject: string): LazydbError {
  if (error instanceof LazydbError) return error;
  if (error instanceof ManagementTimeoutError) return fail('DIRECTORY_UNAVAILABLE', 'Auth0 did not answer in time');
  if (!(error instanceof ManagementError) || error.statusCode === undefined) {
    return fail('DIRECTORY_UNAVAILABLE', 'Auth0 could not be reached: check LAZYDB_AUTH0_DOMAIN and the network');
  }
  switch (error.statusCode) {
    case 400:
      // Auth0's message says which value it refused ("PasswordStrengthError: Password is too weak").
      return fail('DIRECTORY_REFUSED', `Auth0 refused it: ${auth0Message(error) ?? 'invalid request'}`);
    case 404:
      return fail('NOT_FOUND', `Auth0 has no user "${subject}"`);
    case 409:
      return fail('USER_EXISTS', `Auth0 has a user with the email "${subject}" already`);
    case 401:
    case 403:
      return fail('DIRECTORY_UNAVAILABLE', "Auth0 refused lazydb's client credentials or their scopes: check LAZYDB_AUTH0_CLIENT_ID and LAZYDB_AUTH0_CLIENT_SECRET, and that the application is allowed the Management API");
    case 429:
      return fail('DIRECTORY_UNAVAILABLE', "Auth0's rate limit for the Management API was reached: try again shortly");
    default:
      return fail('DIRECTORY_UNAVAILABLE', `Auth0 answered ${error.statusCode}`);
  }
}

function auth0Message(error: ManagementError): string | undefined {
  const body = error.body as { message?: unknown; error_description?: unknown } | undefined;
  const message = body?.message ?? body?.error_description;
  return typeof message === 'string' ? message.slice(0, 300) : undefined;
}

/** Page tokens are Auth0's page indexes, as decimal text. */
function pageNumber(page: string | null | undefined): number {
  if (page === undefined || page === null || page === '') return 0;
  if (!/^\d{1,4}$/.test(page)) throw fail('BAD_PARAMETER', 'page is not a page token this directory gave out: start from the first page');
  return Number(page);
}

/** Auth0's v3 user search (Lucene syntax): email or name starting with the text, its special characters escaped. */
export function searchQuery(text: string): string {
  const term = text.replace(/[+\-&|!(){}[\]^"~*?:\\/\s]/g, (character) => `\\${character}`);
  return `email:${term}* OR name:${term}*`;
}

/**
 * Auth0 database connections need a password. Without one the user gets a password nobody knows
 * (from 24 random bytes, with the four kinds of character Auth0's strictest policy asks for), to
 * be replaced through Auth0's password reset, which is how an Auth0 invitation works.
 */
function unguessablePassword(): string {
  return `${randomBytes(24).toString('base64url')}aA1!`;
}

function toDirectoryUser(user: Management.UserResponseSchema, roles: string[]): DirectoryUser {
  return {
    id: user.user_id ?? '',
    email: user.email ?? null,
    name: user.name ?? null,
    blocked: user.blocked === true,
    roles,
    createdAt: isoTime(user.created_at),
    lastSignInAt: isoTime(user.last_login),
  };
}

function isoTime(text: unknown): string | null {
  if (typeof text !== 'string' || text === '') return null;
  const time = new Date(text);
  return Number.isNaN(time.getTime()) ? null : time.toISOString();
}

/** `work` over `items`, at most `limit` at a time, results in the items' order. */
async function mapAtMost<T, R>(limit: number, items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
