import LoginIcon from '@mui/icons-material/Login';
import { Alert, Box, Button, Card, CardContent, CircularProgress, Divider, Stack, TextField, Typography } from '@mui/material';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useLogin } from 'react-admin';
import { ApiError } from '../api';
import type { LoginParams } from './authProvider';
import { sessionStore, useSession } from './session';

/** Sign-in: email and password for lazydb's own users, and one button per OpenID Connect issuer. */
export function LoginPage() {
  const session = useSession();
  const login = useLogin();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    void sessionStore.load();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login({ email, password } satisfies LoginParams);
    } catch (e) {
      // INVALID_CREDENTIALS, LOGIN_RATE_LIMITED…: the server's message says what to do.
      setError(e instanceof ApiError ? e.message : 'Sign-in failed.');
      setBusy(false);
    }
  };

  const providers = session?.providers ?? [];
  return (
    <Box sx={{ minHeight: '100vh', display: 'grid', placeItems: 'center', bgcolor: 'grey.100', p: 2 }}>
      <Card sx={{ width: '100%', maxWidth: 400 }} variant="outlined">
        <CardContent sx={{ p: 3 }}>
          <Typography variant="h5" component="h1" sx={{ fontWeight: 700 }}>
            lazydb
          </Typography>
          <Typography color="text.secondary" sx={{ mb: 2 }}>
            Sign in to manage databases, users and permissions.
          </Typography>
          {session?.authenticated && (
            <Alert severity="info" sx={{ mb: 2 }}>
              Signed in as {session.principal.email ?? session.principal.role}. Signing in again replaces that session.
            </Alert>
          )}
          <Box component="form" onSubmit={submit} noValidate>
            <Stack spacing={2}>
              <TextField label="Email" type="email" name="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required autoFocus fullWidth />
              <TextField
                label="Password"
                type="password"
                name="password"
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                required
                fullWidth
              />
              {error && (
                <Alert severity="error" data-testid="login-error">
                  {error}
                </Alert>
              )}
              <Button type="submit" variant="contained" size="large" disabled={busy || !email || !password} startIcon={busy ? <CircularProgress size={18} /> : <LoginIcon />}>
                Sign in
              </Button>
            </Stack>
          </Box>
          {providers.length > 0 && (
            <>
              <Divider sx={{ my: 2 }}>or</Divider>
              <Stack spacing={1}>
                {providers.map((provider) => (
                  // A full-page navigation: the issuer's sign-in page, then back to /admin/ with the session cookie.
                  <Button key={provider.id} variant="outlined" href={provider.loginUrl} title={provider.issuer}>
                    Sign in with {provider.name}
                  </Button>
                ))}
              </Stack>
            </>
          )}
          <Typography variant="body2" sx={{ mt: 2, textAlign: 'center' }}>
            <Link to="/">Continue without signing in</Link>
          </Typography>
        </CardContent>
      </Card>
    </Box>
  );
}
