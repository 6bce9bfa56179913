import type { ApiErrorBody, ConnectionTestResult, DatabaseInfo, DatabaseList, DatabaseModel, DialectInfo, DialectList, FieldError, RefreshResult, RemoveResult } from './model';

/** A failed management API call: lazydb's `{ error: { code, message, fields?, reason? } }` with the status. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly fields: FieldError[] = [],
    readonly reason: string | null = null,
  ) {
    super(message);
  }
}

type UnauthorizedListener = (error: ApiError) => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/**
 * Called with every 401 of a management call (the session ended, or the screen needs a sign-in),
 * so the app can send to the login page; returns the unsubscribe function.
 */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export interface ApiInit {
  method?: string;
  json?: unknown;
  signal?: AbortSignal;
  /** A 401 is this call's own answer (a failed sign-in), not a reason to leave the page. */
  ownUnauthorized?: boolean;
}

export async function api<T>(path: string, init: ApiInit = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: init.method ?? 'GET',
      headers: init.json !== undefined ? { 'content-type': 'application/json', accept: 'application/json' } : { accept: 'application/json' },
      body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
      signal: init.signal ?? null,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError('The lazydb server cannot be reached.', 0, 'UNREACHABLE');
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    // Whatever answered (a proxy, say) may not be lazydb: every part is checked before use.
    const error: Partial<ApiErrorBody['error']> = (body as Partial<ApiErrorBody> | null)?.error ?? {};
    const failure = new ApiError(
      typeof error.message === 'string' ? error.message : `${response.status} ${response.statusText}`,
      response.status,
      typeof error.code === 'string' ? error.code : 'HTTP_ERROR',
      Array.isArray(error.fields) ? error.fields : [],
      typeof error.reason === 'string' ? error.reason : null,
    );
    if (response.status === 401 && !init.ownUnauthorized) for (const listener of unauthorizedListeners) listener(failure);
    throw failure;
  }
  return body as T;
}

export const databasesApi = {
  list: (signal?: AbortSignal) => api<DatabaseList>('/api/databases', { signal }).then((r) => r.databases),
  get: (name: string) => api<DatabaseInfo>(`/api/databases/${encodeURIComponent(name)}`),
  model: (name: string) => api<DatabaseModel>(`/api/databases/${encodeURIComponent(name)}/model`),
  register: (spec: unknown) => api<DatabaseInfo>('/api/databases', { method: 'POST', json: spec }),
  update: (name: string, patch: unknown) => api<DatabaseInfo>(`/api/databases/${encodeURIComponent(name)}`, { method: 'PATCH', json: patch }),
  remove: (name: string) => api<RemoveResult>(`/api/databases/${encodeURIComponent(name)}`, { method: 'DELETE' }),
  refresh: (name: string) => api<RefreshResult>(`/api/databases/${encodeURIComponent(name)}/refresh`, { method: 'POST' }),
  reconnect: (name: string) => api<DatabaseInfo>(`/api/databases/${encodeURIComponent(name)}/reconnect`, { method: 'POST' }),
  test: (spec: unknown) => api<ConnectionTestResult>('/api/databases/test', { method: 'POST', json: spec }),
};

export const dialectsApi = {
  // The screens do without the dialects' names: a visitor refused them is not sent to sign in.
  list: () => api<DialectList>('/api/dialects', { ownUnauthorized: true }).then((r): DialectInfo[] => r.dialects),
};
