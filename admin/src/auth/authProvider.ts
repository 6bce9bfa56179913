import { HttpError, type AuthProvider } from 'react-admin';
import type { ResourceInfo } from '../model';
import { decideAccess } from './access';
import { authApi } from './api';
import { sessionStore } from './session';

type Lookup = (database: string, table: string) => ResourceInfo | undefined;

/** What the login page passes to useLogin(). */
export interface LoginParams {
  email: string;
  password: string;
}

/**
 * react-admin's view of lazydb's sessions. The session lives in an HttpOnly cookie the server
 * sets, so nothing is stored here: every check asks the server. A visitor who has not signed in
 * is not sent away: they browse what the anonymous role may read, with a "Sign in" action.
 */
export function createAuthProvider(lookup: Lookup): AuthProvider {
  return {
    async login({ email, password }: LoginParams) {
      await authApi.login(email, password);
      await sessionStore.load();
    },
    async logout() {
      // A session that has already ended answers 401 or 204 alike: either way it is over.
      await authApi.logout().catch(() => undefined);
      await sessionStore.load();
      // Signed out, the admin stays browsable as a visitor; a 401 passes /login as its own target.
      return '/';
    },
    async checkAuth() {
      await sessionStore.load();
    },
    async checkError(error: unknown) {
      const status = error instanceof HttpError ? error.status : (error as { status?: number } | null)?.status;
      // 401: no identity or one that no longer holds; sign in. A 403 is an answer to show, not a sign-out.
      if (status === 401) {
        await sessionStore.load();
        throw { redirectTo: '/login', message: 'Sign in to see this.' };
      }
    },
    async getIdentity() {
      const session = sessionStore.get() ?? (await sessionStore.load());
      const { principal } = session;
      return { id: principal.id ?? principal.kind, fullName: principal.email ?? (session.authenticated ? principal.role : 'Visitor') };
    },
    async getPermissions() {
      const session = sessionStore.get() ?? (await sessionStore.load());
      return { role: session.principal.role, roles: session.principal.roles };
    },
    async canAccess({ resource, action }) {
      const session = sessionStore.get() ?? (await sessionStore.load());
      return decideAccess(session.principal.role, { resource, action }, lookup);
    },
  };
}
