/**
 * Where users live: lazydb's registry (local), Auth0, or Firebase Authentication. One interface,
 * one adapter each; an adapter says what it can do and the admin offers only that. Roles are
 * lazydb role names, kept where the directory keeps them (Auth0 roles, Firebase custom claims).
 */
export type DirectoryKind = 'local' | 'auth0' | 'firebase';

export type DirectoryAction = 'list' | 'search' | 'create' | 'block' | 'delete' | 'setRoles' | 'setPassword';

export interface DirectoryUser {
  id: string;
  email: string | null;
  name: string | null;
  blocked: boolean;
  /** lazydb role names. */
  roles: string[];
  createdAt: string | null;
  lastSignInAt: string | null;
}

export interface UserPage {
  users: DirectoryUser[];
  /** Null when the directory does not say. */
  total: number | null;
  /** Pass back to read the next page; null at the end. */
  next: string | null;
}

export interface NewUser {
  email: string;
  /** Absent: the directory's own invitation or password-less flow (local: the user cannot sign in until an admin sets one). */
  password?: string;
  roles: string[];
}

export interface UserDirectory {
  readonly kind: DirectoryKind;
  readonly capabilities: ReadonlySet<DirectoryAction>;
  list(options: { search?: string; page?: string | null; perPage?: number }): Promise<UserPage>;
  get(id: string): Promise<DirectoryUser | null>;
  create(user: NewUser): Promise<DirectoryUser>;
  setBlocked(id: string, blocked: boolean): Promise<DirectoryUser>;
  setRoles(id: string, roles: string[]): Promise<DirectoryUser>;
  remove(id: string): Promise<void>;
}
