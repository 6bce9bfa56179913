import { useRegistry } from '../registry';
import { decideAccess, isAdminRole } from './access';
import { useSession } from './session';

/** Whether the signed-in role may see a screen (the same rule as the auth provider's canAccess). */
export function useAccess(resource: string, action = 'list'): boolean {
  const session = useSession();
  const { lookup } = useRegistry();
  return session !== null && decideAccess(session.principal.role, { resource, action }, lookup);
}

export function useIsAdmin(): boolean {
  const session = useSession();
  return session !== null && isAdminRole(session.principal.role);
}
