import { Alert, Box, Button } from '@mui/material';
import type { ReactNode } from 'react';
import { Link, Title } from 'react-admin';
import type { ManagementResource } from './access';
import { useSession } from './session';
import { useAccess } from './useAccess';

/** A management screen: shown to roles that may use it; anyone else is told why and offered a sign-in. */
export function RequireAccess({ resource, title, children }: { resource: ManagementResource; title: string; children: ReactNode }) {
  const allowed = useAccess(resource);
  const session = useSession();
  if (allowed) return <>{children}</>;
  return (
    <Box sx={{ mt: 2 }}>
      <Title title={title} />
      <Alert
        severity="warning"
        action={
          session?.signInOffered ? (
            <Button component={Link} to="/login" state={{ nextPathname: `/${resource}` }}>
              {session.authenticated ? 'Sign in as an admin' : 'Sign in'}
            </Button>
          ) : undefined
        }
      >
        {title} is for admins. {session?.authenticated ? `You are signed in as ${session.principal.email ?? session.principal.role} (role ${session.principal.role}).` : 'You are not signed in.'}
      </Alert>
    </Box>
  );
}
