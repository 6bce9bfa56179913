import { api } from '../api';
import type {
  ApiKey,
  ApiKeyList,
  CreatedApiKey,
  DatabasePermissions,
  DirectoryUser,
  Identity,
  IdentityList,
  IdentityProvider,
  IdentityProviderInput,
  IdentityProviderList,
  LoginResult,
  NewApiKey,
  PermissionDocument,
  PermissionPreview,
  ReadableDatabaseList,
  Role,
  RoleList,
  Session,
  UserList,
} from './model';

const segment = encodeURIComponent;

export const authApi = {
  // A wrong password is the form's answer (401 INVALID_CREDENTIALS), not a reason to redirect.
  login: (email: string, password: string) => api<LoginResult>('/api/auth/login', { method: 'POST', json: { email, password }, ownUnauthorized: true }),
  logout: () => api<null>('/api/auth/logout', { method: 'POST', ownUnauthorized: true }),
  session: () => api<Session>('/api/auth/session', { ownUnauthorized: true }),
  databases: (signal?: AbortSignal) => api<ReadableDatabaseList>('/api/auth/databases', { signal }).then((r) => r.databases),
};

export const rolesApi = {
  list: () => api<RoleList>('/api/roles').then((r) => r.roles),
  create: (name: string, inherits: string[], limits: Role['limits'] = null) => api<Role>('/api/roles', { method: 'POST', json: { name, inherits, limits } }),
  update: (name: string, inherits: string[], limits: Role['limits'] = null) => api<Role>(`/api/roles/${segment(name)}`, { method: 'PUT', json: { inherits, limits } }),
  remove: (name: string) => api<null>(`/api/roles/${segment(name)}`, { method: 'DELETE' }),
};

export const usersApi = {
  list: (search: string, page: string | null) => {
    const query = new URLSearchParams();
    if (search) query.set('search', search);
    if (page) query.set('page', page);
    const qs = query.toString();
    return api<UserList>(`/api/users${qs ? `?${qs}` : ''}`);
  },
  create: (user: { email: string; password?: string; roles: string[] }) => api<DirectoryUser>('/api/users', { method: 'POST', json: user }),
  update: (id: string, patch: { roles?: string[]; blocked?: boolean; password?: string }) => api<DirectoryUser>(`/api/users/${segment(id)}`, { method: 'PATCH', json: patch }),
  remove: (id: string) => api<null>(`/api/users/${segment(id)}`, { method: 'DELETE' }),
};

export const identitiesApi = {
  list: () => api<IdentityList>('/api/identities').then((r) => r.identities),
  setRoles: (id: string, roles: string[]) => api<Identity>(`/api/identities/${segment(id)}`, { method: 'PATCH', json: { roles } }),
};

export const keysApi = {
  list: () => api<ApiKeyList>('/api/keys').then((r): ApiKey[] => r.keys),
  create: (key: NewApiKey) => api<CreatedApiKey>('/api/keys', { method: 'POST', json: key }),
  revoke: (id: string) => api<null>(`/api/keys/${segment(id)}`, { method: 'DELETE' }),
};

export const identityProvidersApi = {
  list: () => api<IdentityProviderList>('/api/identity-providers').then((r) => r.providers),
  create: (provider: IdentityProviderInput) => api<IdentityProvider>('/api/identity-providers', { method: 'POST', json: provider }),
  update: (id: string, provider: IdentityProviderInput) => api<IdentityProvider>(`/api/identity-providers/${segment(id)}`, { method: 'PUT', json: provider }),
  remove: (id: string) => api<null>(`/api/identity-providers/${segment(id)}`, { method: 'DELETE' }),
};

export const permissionsApi = {
  all: (database: string) => api<DatabasePermissions>(`/api/databases/${segment(database)}/permissions`),
  get: (database: string, role: string) => api<PermissionDocument>(`/api/databases/${segment(database)}/permissions/${segment(role)}`),
  put: (database: string, role: string, document: PermissionDocument) =>
    api<PermissionDocument>(`/api/databases/${segment(database)}/permissions/${segment(role)}`, { method: 'PUT', json: document }),
  /** Counts with a draft (not saved); `variables` stand for a request's session (`x-lazydb-user-id`…), absent ones match nothing. */
  preview: (database: string, role: string, document: PermissionDocument, variables: Record<string, string> = {}) =>
    api<PermissionPreview>(`/api/databases/${segment(database)}/permissions/${segment(role)}/preview`, {
      method: 'POST',
      json: Object.keys(variables).length > 0 ? { document, variables } : { document },
    }),
};
