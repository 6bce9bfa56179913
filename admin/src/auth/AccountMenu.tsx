import LoginIcon from '@mui/icons-material/Login';
import { Button } from '@mui/material';
import { Link, Logout, UserMenu } from 'react-admin';
import { useSession } from './session';

/** The app bar's account corner: the signed-in user with "Sign out", or "Sign in" for a visitor. */
export function AccountMenu() {
  const session = useSession();
  if (!session || !session.signInOffered) return null;
  if (session.authenticated) {
    return (
      <UserMenu>
        <Logout />
      </UserMenu>
    );
  }
  return (
    <Button color="inherit" component={Link} to="/login" startIcon={<LoginIcon />} data-testid="sign-in">
      Sign in
    </Button>
  );
}
