import { useSyncExternalStore } from 'react';
import { ApiError } from '../api';
import { authApi } from './api';
import { ADMIN_ROLE, ANONYMOUS_ROLE, type Session } from './model';

/**
 * The session as the server last described it (GET /api/auth/session), shared by the auth
 * provider (react-admin) and the screens that depend on who is signed in (the registry picks
 * its endpoints by role, the app bar shows "Sign in" or the user). Read again on every
 * react-admin auth check, after sign-in and sign-out, and when an API call answers 401.
 */
export interface SessionState extends Session {
  /** False when the server has no sign-in at all (a lazydb without /api/auth): everything is open, no "Sign in" is offered. */
  signInOffered: boolean;
}

/** A server without /api/auth answers 404: it predates sign-in, and its management API is open to all. */
const OPEN: SessionState = {
  authenticated: false,
  principal: { kind: 'anonymous', id: null, email: null, roles: [ADMIN_ROLE], role: ADMIN_ROLE },
  providers: [],
  signInOffered: false,
};

/** Until the server answers (or when it cannot be reached): a visitor, who may sign in. */
const VISITOR: SessionState = {
  authenticated: false,
  principal: { kind: 'anonymous', id: null, email: null, roles: [ANONYMOUS_ROLE], role: ANONYMOUS_ROLE },
  providers: [],
  signInOffered: true,
};

let current: SessionState | null = null;
let loading: Promise<SessionState> | null = null;
const listeners = new Set<() => void>();

function publish(next: SessionState): SessionState {
  // Same content: keep the object, so nothing re-renders (checkAuth reads it on every page).
  if (current && JSON.stringify(current) === JSON.stringify(next)) return current;
  current = next;
  for (const listener of listeners) listener();
  return next;
}

async function read(): Promise<SessionState> {
  try {
    const session = await authApi.session();
    return publish({ ...session, providers: Array.isArray(session.providers) ? session.providers : [], signInOffered: true });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return publish(OPEN);
    // Unreachable or failing: keep what was known; the registry says the server is down.
    return current ?? publish(VISITOR);
  }
}

export const sessionStore = {
  get: (): SessionState | null => current,
  /** Reads the session again; concurrent callers share one request. */
  load(): Promise<SessionState> {
    loading ??= read().finally(() => {
      loading = null;
    });
    return loading;
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

/** The current session, null until it has been read once. */
export function useSession(): SessionState | null {
  return useSyncExternalStore(sessionStore.subscribe, sessionStore.get);
}
