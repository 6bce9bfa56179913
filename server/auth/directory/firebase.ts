import { randomUUID } from 'node:crypto';
import { cert, deleteApp, initializeApp, type App, type Credential, type ServiceAccount } from 'firebase-admin/app';
import { getAuth, type Auth, type UserRecord } from 'firebase-admin/auth';
import { fail } from '../../errors/catalogue';
import { LazydbError } from '../../errors/lazydb-error';
import type { DirectoryAction, DirectoryUser, NewUser, UserDirectory, UserPage } from './types';

export interface FirebaseDirectoryOptions {
  /** The Firebase (Google Cloud) project whose users these are. */
  projectId: string;
  /**
   * A service account's key, read from its JSON file (see readServiceAccount in ./index). Absent: the Auth emulator named by
   * `FIREBASE_AUTH_EMULATOR_HOST`, which firebase-admin reads for the whole process (it has no
   * per-app setting); without either the directory refuses to start rather than fall back to
   * Google's application-default credentials (the cloud metadata server).
   */
  serviceAccount?: ServiceAccount;
}

/** Firebase's page size limit for listUsers. */
const MAX_PAGE = 1000;
const DEFAULT_PAGE = 50;

/**
 * Firebase Authentication as lazydb's user directory, through firebase-admin's Auth. Blocking is
 * Firebase's `disabled`; roles are the custom claim `roles` (other custom claims are kept), and
 * changing them revokes the user's refresh tokens so that no token minted later carries the old
 * roles. Firebase has no user search, so `search` is not offered.
 */
export class FirebaseDirectory implements UserDirectory {
  readonly kind = 'firebase' as const;
  readonly capabilities: ReadonlySet<DirectoryAction> = new Set<DirectoryAction>(['list', 'create', 'block', 'delete', 'setRoles']);
  private readonly app: App;
  private readonly auth: Auth;

  constructor(options: FirebaseDirectoryOptions) {
    if (options.serviceAccount === undefined && !process.env.FIREBASE_AUTH_EMULATOR_HOST) {
      throw new Error('FirebaseDirectory needs a service account key, or FIREBASE_AUTH_EMULATOR_HOST for the emulator');
    }
    // A named app per directory: several can live in one process (tests, a change of settings),
    // and none touches firebase-admin's default app, which the host application may use itself.
    const credential: Credential | undefined = options.serviceAccount === undefined ? undefined : cert(options.serviceAccount);
    this.app = initializeApp({ projectId: options.projectId, ...(credential ? { credential } : {}) }, `lazydb-directory-${randomUUID()}`);
    this.auth = getAuth(this.app);
  }

  async list(options: { search?: string; page?: string | null; perPage?: number }): Promise<UserPage> {
    if (options.search !== undefined && options.search !== '') {
      throw fail('DIRECTORY_ACTION_UNSUPPORTED', 'Firebase Authentication cannot search users: list them page by page instead');
    }
    const perPage = Math.min(Math.max(options.perPage ?? DEFAULT_PAGE, 1), MAX_PAGE);
    const result = await this.call(() => this.auth.listUsers(perPage, options.page ?? undefined), 'the page asked for');
    return { users: result.users.map(toDirectoryUser), total: null, next: result.pageToken ?? null };
  }

  async get(id: string): Promise<DirectoryUser | null> {
    try {
      return toDirectoryUser(await this.call(() => this.auth.getUser(id), id));
    } catch (error) {
      if (error instanceof LazydbError && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  async create(user: NewUser): Promise<DirectoryUser> {
    const created = await this.call(() => this.auth.createUser({ email: user.email, ...(user.password === undefined ? {} : { password: user.password }) }), user.email);
    if (user.roles.length === 0) return toDirectoryUser(created);
    return this.setRoles(created.uid, user.roles);
  }

  async setBlocked(id: string, blocked: boolean): Promise<DirectoryUser> {
    return toDirectoryUser(await this.call(() => this.auth.updateUser(id, { disabled: blocked }), id));
  }

  async setRoles(id: string, roles: string[]): Promise<DirectoryUser> {
    const current = await this.call(() => this.auth.getUser(id), id);
    const claims = { ...current.customClaims, roles: [...new Set(roles)] };
    await this.call(() => this.auth.setCustomUserClaims(id, claims), id);
    // ID tokens already issued keep their claims until they expire (an hour at most); revoking the
    // refresh tokens stops the user from minting new ones with the old roles.
    await this.call(() => this.auth.revokeRefreshTokens(id), id);
    return toDirectoryUser(await this.call(() => this.auth.getUser(id), id));
  }

  async remove(id: string): Promise<void> {
    await this.call(() => this.auth.deleteUser(id), id);
  }

  /** Releases the firebase-admin app (its HTTP agents and token refresh timers). */
  async close(): Promise<void> {
    await deleteApp(this.app);
  }

  private async call<T>(operation: () => Promise<T>, subject: string): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw firebaseFailure(error, subject);
    }
  }
}

/** The catalogue's error for what firebase-admin threw; `subject` names the user or page concerned. */
export function firebaseFailure(error: unknown, subject: string): LazydbError {
  if (error instanceof LazydbError) return error;
  const code = errorCode(error);
  switch (code) {
    case 'auth/user-not-found':
      return fail('NOT_FOUND', `Firebase has no user "${subject}"`);
    case 'auth/email-already-exists':
      return fail('USER_EXISTS', `Firebase has a user with the email "${subject}" already`);
    case 'auth/invalid-page-token':
      return fail('BAD_PARAMETER', 'page is not a page token this directory gave out: start from the first page');
    case 'auth/invalid-password':
    case 'auth/invalid-email':
    case 'auth/invalid-uid':
    case 'auth/invalid-claims':
    case 'auth/claims-too-large':
    case 'auth/reserved-claim':
    case 'auth/invalid-argument':
    case 'auth/argument-error':
      // These messages are firebase-admin's own sentences about the values sent; they carry no secret.
      return fail('DIRECTORY_REFUSED', `Firebase refused it: ${messageOf(error)}`);
    case 'auth/invalid-credential':
    case 'app/invalid-credential':
    case 'auth/insufficient-permission':
    case 'auth/project-not-found':
      return fail('DIRECTORY_UNAVAILABLE', `Firebase refused lazydb's service account or project (${code}): check LAZYDB_FIREBASE_PROJECT_ID and LAZYDB_FIREBASE_CREDENTIALS`);
    default:
      // Network failures, timeouts and Firebase's own errors: the message may name hosts, so only the code is passed on.
      return fail('DIRECTORY_UNAVAILABLE', `Firebase Authentication did not answer as expected (${code ?? 'no error code'})`);
  }
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function toDirectoryUser(record: UserRecord): DirectoryUser {
  const roles = record.customClaims?.roles;
  return {
    id: record.uid,
    email: record.email ?? null,
    name: record.displayName ?? null,
    blocked: record.disabled,
    roles: Array.isArray(roles) ? roles.filter((role): role is string => typeof role === 'string') : [],
    createdAt: isoTime(record.metadata.creationTime),
    lastSignInAt: isoTime(record.metadata.lastSignInTime),
  };
}

/** Firebase gives times as HTTP dates ("Tue, 01 Dec 2026 15:00:00 GMT"); lazydb answers ISO 8601. */
function isoTime(text: string | null | undefined): string | null {
  if (!text) return null;
  const time = new Date(text);
  return Number.isNaN(time.getTime()) ? null : time.toISOString();
}
