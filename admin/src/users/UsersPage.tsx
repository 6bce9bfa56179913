import AddIcon from '@mui/icons-material/Add';
import DeleteIcon from '@mui/icons-material/DeleteOutline';
import EditIcon from '@mui/icons-material/EditOutlined';
import PasswordIcon from '@mui/icons-material/PasswordOutlined';
import SearchIcon from '@mui/icons-material/Search';
import {
  Alert,
  Box,
  Button,
  Card,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  IconButton,
  InputAdornment,
  Stack,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Tooltip,
  Typography,
} from '@mui/material';
import { useState, type FormEvent } from 'react';
import { Confirm, Loading, Title, useNotify } from 'react-admin';
import { ApiError } from '../api';
import { rolesApi, usersApi } from '../auth/api';
import type { DirectoryAction, DirectoryUser, UserList } from '../auth/model';
import { NamesInput } from '../common/NamesInput';
import { PageHeader } from '../common/PageHeader';
import { timeAgo, useNow } from '../common/status';
import { useLoaded } from '../common/useLoaded';

const DIRECTORY_NAMES: Record<UserList['directory']['kind'], string> = { local: 'lazydb (local users)', auth0: 'Auth0', firebase: 'Firebase Authentication' };

function fieldMessage(error: ApiError | null, field: string): string | undefined {
  return error?.fields.find((f) => f.field === field || f.field.startsWith(`${field}.`) || f.field.startsWith(`${field}[`))?.message;
}

function NewUserDialog({ roles, canSetPassword, onClose, onSaved }: { roles: string[]; canSetPassword: boolean; onClose(): void; onSaved(): void }) {
  const notify = useNotify();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      await usersApi.create({ email: email.trim(), ...(password ? { password } : {}), roles: chosen });
      notify(`User ${email.trim()} created`, { type: 'success' });
      onSaved();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError((e as Error).message, 0, 'UNKNOWN'));
    } finally {
      setBusy(false);
    }
  };
  const emailError = fieldMessage(error, 'email');
  const passwordError = fieldMessage(error, 'password');
  const rolesError = fieldMessage(error, 'roles');
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>New user</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          <TextField label="Email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} error={Boolean(emailError)} helperText={emailError} autoFocus slotProps={{ htmlInput: { 'data-testid': 'user-email' } }} />
          {canSetPassword && (
            <TextField
              label="Password"
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              error={Boolean(passwordError)}
              helperText={passwordError ?? 'Leave empty to let the user be invited (a local user cannot sign in until a password is set).'}
              slotProps={{ htmlInput: { 'data-testid': 'user-password' } }}
            />
          )}
          <NamesInput label="Roles" options={roles} value={chosen} onChange={setChosen} helperText={rolesError ?? 'The roles this user may act as; the first is the default.'} testId="user-roles" />
          {error && !emailError && !passwordError && !rolesError && <Alert severity="error">{error.message}</Alert>}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" onClick={save} disabled={busy || !email.trim()}>
          Create
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function RolesDialog({ user, roles, onClose, onSaved }: { user: DirectoryUser; roles: string[]; onClose(): void; onSaved(): void }) {
  const notify = useNotify();
  const [chosen, setChosen] = useState<string[]>(user.roles);
  const [error, setError] = useState<string | null>(null);
  const save = async () => {
    try {
      await usersApi.update(user.id, { roles: chosen });
      notify(`Roles of ${user.email ?? user.id} saved`, { type: 'success' });
      onSaved();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>Roles of {user.email ?? user.id}</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          <NamesInput label="Roles" options={roles} value={chosen} onChange={setChosen} testId="user-roles-edit" />
          {error && <Alert severity="error">{error}</Alert>}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" onClick={save}>
          Save
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function PasswordDialog({ user, onClose, onSaved }: { user: DirectoryUser; onClose(): void; onSaved(): void }) {
  const notify = useNotify();
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const save = async () => {
    try {
      await usersApi.update(user.id, { password });
      notify(`Password of ${user.email ?? user.id} set`, { type: 'success' });
      onSaved();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError((e as Error).message, 0, 'UNKNOWN'));
    }
  };
  const message = fieldMessage(error, 'password') ?? error?.message;
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <DialogTitle>New password for {user.email ?? user.id}</DialogTitle>
      <DialogContent>
        <TextField
          label="Password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={Boolean(message)}
          helperText={message}
          fullWidth
          autoFocus
          sx={{ mt: 1 }}
        />
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" onClick={save} disabled={!password}>
          Set password
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** Users of the configured directory (local, Auth0 or Firebase): only the actions it supports are offered. */
export function UsersPage() {
  const notify = useNotify();
  const now = useNow();
  const [search, setSearch] = useState('');
  const [typed, setTyped] = useState('');
  /** Cursors of the pages before this one (the first page has none), and this page's. */
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const page = cursors[cursors.length - 1] ?? null;
  const { data, error, reload } = useLoaded(() => usersApi.list(search, page), `${search}\u0001${page ?? ''}`);
  const roles = useLoaded(rolesApi.list);
  const [creating, setCreating] = useState(false);
  const [editingRoles, setEditingRoles] = useState<DirectoryUser | null>(null);
  const [settingPassword, setSettingPassword] = useState<DirectoryUser | null>(null);
  const [removing, setRemoving] = useState<DirectoryUser | null>(null);
  const can = (action: DirectoryAction) => data?.directory.capabilities.includes(action) ?? false;
  const roleNames = (roles.data ?? []).filter((r) => r.name !== 'anonymous').map((r) => r.name);

  const run = async (action: () => Promise<unknown>, done: string) => {
    try {
      await action();
      notify(done, { type: 'success' });
    } catch (e) {
      notify((e as Error).message, { type: 'error', multiLine: true, autoHideDuration: 10000 });
    }
    void reload();
  };
  const submitSearch = (event: FormEvent) => {
    event.preventDefault();
    setSearch(typed.trim());
    setCursors([null]);
  };
  return (
    <Box sx={{ pb: 4 }}>
      <Title title="Users" />
      <PageHeader
        crumbs={[]}
        title="Users"
        subtitle={data ? `Directory: ${DIRECTORY_NAMES[data.directory.kind] ?? data.directory.kind}${data.total !== null ? ` · ${data.total} user${data.total === 1 ? '' : 's'}` : ''}` : 'Who may sign in, and as which roles.'}
        actions={
          can('create') && (
            <Button variant="contained" startIcon={<AddIcon />} onClick={() => setCreating(true)}>
              New user
            </Button>
          )
        }
      />
      {can('search') && (
        <Box component="form" onSubmit={submitSearch} sx={{ mb: 2, maxWidth: 420 }}>
          <TextField
            size="small"
            fullWidth
            placeholder="Search by email or name"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            slotProps={{ input: { startAdornment: <InputAdornment position="start"><SearchIcon fontSize="small" /></InputAdornment> }, htmlInput: { 'data-testid': 'user-search' } }}
          />
        </Box>
      )}
      {error && (
        <Alert severity="error" sx={{ mb: 2 }}>
          {error}
        </Alert>
      )}
      {data === null ? (
        !error && <Loading />
      ) : (
        <Card variant="outlined" sx={{ overflowX: 'auto' }}>
          <Table size="small" data-testid="users">
            <TableHead>
              <TableRow sx={{ '& th': { fontWeight: 600, whiteSpace: 'nowrap' } }}>
                <TableCell>User</TableCell>
                <TableCell>Roles</TableCell>
                <TableCell>Signed in</TableCell>
                <TableCell>Created</TableCell>
                {can('block') && <TableCell>Active</TableCell>}
                <TableCell align="right">Actions</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {data.users.length === 0 && (
                <TableRow>
                  <TableCell colSpan={6}>
                    <Typography color="text.secondary">{search ? `No user matches “${search}”.` : 'No user yet.'}</Typography>
                  </TableCell>
                </TableRow>
              )}
              {data.users.map((user) => (
                <TableRow key={user.id} hover data-testid={`user-${user.email ?? user.id}`}>
                  <TableCell>
                    <Typography fontWeight={600}>{user.email ?? user.id}</Typography>
                    {user.name && (
                      <Typography variant="body2" color="text.secondary">
                        {user.name}
                      </Typography>
                    )}
                    {user.blocked && <Chip size="small" color="warning" label="blocked" sx={{ mt: 0.5 }} />}
                  </TableCell>
                  <TableCell>
                    {user.roles.length === 0 ? <Typography variant="body2" color="text.secondary">—</Typography> : user.roles.map((r) => <Chip key={r} size="small" label={r} sx={{ mr: 0.5 }} />)}
                  </TableCell>
                  <TableCell sx={{ whiteSpace: 'nowrap' }}>{user.lastSignInAt ? timeAgo(user.lastSignInAt, now) : 'never'}</TableCell>
                  <TableCell sx={{ whiteSpace: 'nowrap' }}>{user.createdAt ? timeAgo(user.createdAt, now) : '—'}</TableCell>
                  {can('block') && (
                    <TableCell>
                      <Tooltip title={user.blocked ? 'Blocked: cannot sign in. Unblock' : 'Block: ends sign-ins'}>
                        <Switch
                          size="small"
                          checked={!user.blocked}
                          onChange={() => void run(() => usersApi.update(user.id, { blocked: !user.blocked }), user.blocked ? `${user.email ?? user.id} unblocked` : `${user.email ?? user.id} blocked`)}
                          slotProps={{ input: { 'aria-label': `${user.blocked ? 'unblock' : 'block'} ${user.email ?? user.id}` } }}
                        />
                      </Tooltip>
                    </TableCell>
                  )}
                  <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                    {can('setRoles') && (
                      <Tooltip title="Roles">
                        <IconButton size="small" aria-label={`roles of ${user.email ?? user.id}`} onClick={() => setEditingRoles(user)}>
                          <EditIcon fontSize="small" />
                        </IconButton>
                      </Tooltip>
                    )}
                    {can('setPassword') && (
                      <Tooltip title="Set password">
                        <IconButton size="small" aria-label={`set the password of ${user.email ?? user.id}`} onClick={() => setSettingPassword(user)}>
                          <PasswordIcon fontSize="small" />
                        </IconButton>
                      </Tooltip>
                    )}
                    {can('delete') && (
                      <Tooltip title="Delete">
                        <IconButton size="small" color="error" aria-label={`delete ${user.email ?? user.id}`} onClick={() => setRemoving(user)}>
                          <DeleteIcon fontSize="small" />
                        </IconButton>
                      </Tooltip>
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Card>
      )}
      {data && (cursors.length > 1 || data.next) && (
        <Stack direction="row" spacing={1} sx={{ mt: 1 }} justifyContent="flex-end">
          <Button disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
            Previous
          </Button>
          <Button disabled={!data.next} onClick={() => data.next && setCursors((c) => [...c, data.next])}>
            Next
          </Button>
        </Stack>
      )}
      {creating && (
        <NewUserDialog
          roles={roleNames}
          canSetPassword={can('setPassword')}
          onClose={() => setCreating(false)}
          onSaved={() => {
            setCreating(false);
            void reload();
          }}
        />
      )}
      {editingRoles && (
        <RolesDialog
          user={editingRoles}
          roles={roleNames}
          onClose={() => setEditingRoles(null)}
          onSaved={() => {
            setEditingRoles(null);
            void reload();
          }}
        />
      )}
      {settingPassword && (
        <PasswordDialog
          user={settingPassword}
          onClose={() => setSettingPassword(null)}
          onSaved={() => {
            setSettingPassword(null);
            void reload();
          }}
        />
      )}
      <Confirm
        isOpen={removing !== null}
        title={`Delete ${removing?.email ?? removing?.id ?? ''}?`}
        content="The user can no longer sign in, and their sessions end. Rows they wrote stay."
        confirm="Delete"
        confirmColor="warning"
        onConfirm={() => {
          const user = removing;
          setRemoving(null);
          if (user) void run(() => usersApi.remove(user.id), `${user.email ?? user.id} deleted`);
        }}
        onClose={() => setRemoving(null)}
      />
    </Box>
  );
}
