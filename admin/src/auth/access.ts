import { capabilities, type ResourceInfo } from '../model';
import { ADMIN_ROLE } from './model';

/**
 * Who may see which screen: one rule for react-admin's canAccess, the menu and the management
 * pages. The server decides what is allowed; this only keeps out of sight what would be refused.
 */

/** Screens of the management API (`/api/...`, admin only on the server). */
export const MANAGEMENT_RESOURCES = ['databases', 'usage', 'users', 'roles', 'keys', 'identity-providers', 'permissions'] as const;
export type ManagementResource = (typeof MANAGEMENT_RESOURCES)[number];

const READ_ACTIONS = new Set(['list', 'show', 'export']);

export interface AccessRequest {
  resource: string;
  action: string;
}

type Lookup = (database: string, table: string) => ResourceInfo | undefined;

export function isAdminRole(role: string): boolean {
  return role === ADMIN_ROLE;
}

/**
 * Admins may do everything. Anyone else: the tables of `db/<database>/<table>` resources that
 * the registry holds for their role (it lists only what the role may read), written to only
 * where the table can be written at all, and no management screen. Anything else is denied.
 */
export function decideAccess(role: string, request: AccessRequest, lookup: Lookup): boolean {
  if (isAdminRole(role)) return true;
  const match = /^db\/([^/]+)\/(.+)$/.exec(request.resource);
  if (!match) return false;
  const resource = lookup(match[1]!, match[2]!);
  if (!resource) return false;
  if (READ_ACTIONS.has(request.action)) return true;
  const caps = capabilities(resource);
  if (request.action === 'create') return caps.create;
  if (request.action === 'edit') return caps.edit;
  if (request.action === 'delete') return caps.remove;
  return false;
}
