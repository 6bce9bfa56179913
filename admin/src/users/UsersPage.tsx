import DeleteIcon from '@mui/icons-material/DeleteOutline';
import EditIcon from '@mui/icons-material/EditOutlined';
import PasswordIcon from '@mui/icons-material/PasswordOutlined';
import SearchIcon from '@mui/icons-material/Search';
import { Box, Button, Chip, InputAdornment, Stack, Switch, TableCell, TableRow, TextField, Tooltip, Typography } from '@mui/material';
import { useState, type FormEvent } from 'react';
import { useNotify } from 'react-admin';
import { rolesApi, usersApi } from '../auth/api';
import type { DirectoryAction, DirectoryUser, UserList } from '../auth/model';
import { ConfirmAction, useReportedAction } from '../common/actions';
import { FormDialog } from '../common/FormDialog';
import { EmptyRow, ListPage, ListTable, LoadedContent, NewButton, RowAction } from '../common/ListPage';
import { NamesInput } from '../common/NamesInput';
import { timeAgo, useNow } from '../common/status';
import { useLoaded } from '../common/useLoaded';
import { useDialogFor } from '../common/useDialogFor';
import { useSubmit } from '../common/useSubmit';
import { IdentitiesSection } from './IdentitiesSection';

const DIRECTORY_NAMES: Record<UserList['directory']['kind'], string> = { local: 'lazydb (local users)', auth0: 'Auth0', firebase: 'Firebase Authentication' };

function NewUserDialog({ roles, canSetPassword, onClose, onSaved }: { roles: string[]; canSetPassword: boolean; onClose(): void; onSaved(): void }) {
  const notify = useNotify();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const { busy, submit, message, unplaced } = useSubmit();
  const save = () =>
    submit(async () => {
      await usersApi.create({ email: email.trim(), ...(password ? { password } : {}), roles: chosen });
      notify(`User ${email.trim()} created`, { type: 'success' });
      onSaved();
    });
  const emailError = message('email');
  const passwordError = message('password');
  return (
    <FormDialog title="New user" onClose={onClose} onSubmit={save} submitLabel="Create" submitDisabled={busy || !email.trim()} error={unplaced(['email', 'password', 'roles'])}>
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
      <NamesInput label="Roles" options={roles} value={chosen} onChange={setChosen} helperText={message('roles') ?? 'The roles this user may act as; the first is the default.'} testId="user-roles" />
    </FormDialog>
  );
}

function RolesDialog({ user, roles, onClose, onSaved }: { user: DirectoryUser; roles: string[]; onClose(): void; onSaved(): void }) {
  const notify = useNotify();
  const [chosen, setChosen] = useState<string[]>(user.roles);
  const { error, submit } = useSubmit();
  const save = () =>
    submit(async () => {
      await usersApi.update(user.id, { roles: chosen });
      notify(`Roles of ${user.email ?? user.id} saved`, { type: 'success' });
      onSaved();
    });
  return (
    <FormDialog title={`Roles of ${user.email ?? user.id}`} onClose={onClose} onSubmit={save} submitLabel="Save" error={error?.message}>
      <NamesInput label="Roles" options={roles} value={chosen} onChange={setChosen} testId="user-roles-edit" />
    </FormDialog>
  );
}

function PasswordDialog({ user, onClose, onSaved }: { user: DirectoryUser; onClose(): void; onSaved(): void }) {
  const notify = useNotify();
  const [password, setPassword] = useState('');
  const { error, submit, message } = useSubmit();
  const save = () =>
    submit(async () => {
      await usersApi.update(user.id, { password });
      notify(`Password of ${user.email ?? user.id} set`, { type: 'success' });
      onSaved();
    });
  const shown = message('password') ?? error?.message;
  return (
    <FormDialog title={`New password for ${user.email ?? user.id}`} maxWidth="xs" onClose={onClose} onSubmit={save} submitLabel="Set password" submitDisabled={!password}>
      <TextField label="Password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} error={Boolean(shown)} helperText={shown} autoFocus />
    </FormDialog>
  );
}

/** Users of the configured directory (local, Auth0 or Firebase): only the actions it supports are offered. */
export function UsersPage() {
  const now = useNow();
  const [search, setSearch] = useState('');
  const [typed, setTyped] = useState('');
  /** Cursors of the pages before this one (the first page has none), and this page's. */
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const page = cursors[cursors.length - 1] ?? null;
  const { data, error, reload } = useLoaded(() => usersApi.list(search, page), `${search}\u0001${page ?? ''}`);
  const roles = useLoaded(rolesApi.list);
  const creating = useDialogFor<'new'>(reload);
  const editingRoles = useDialogFor<DirectoryUser>(reload);
  const settingPassword = useDialogFor<DirectoryUser>(reload);
  const removing = useDialogFor<DirectoryUser>(reload);
  const can = (action: DirectoryAction) => data?.directory.capabilities.includes(action) ?? false;
  const roleNames = (roles.data ?? []).filter((r) => r.name !== 'anonymous').map((r) => r.name);

  const run = useReportedAction(reload);
  const submitSearch = (event: FormEvent) => {
    event.preventDefault();
    setSearch(typed.trim());
    setCursors([null]);
  };
  return (
    <ListPage
      title="Users"
      subtitle={data ? `Directory: ${DIRECTORY_NAMES[data.directory.kind] ?? data.directory.kind}${data.total !== null ? ` · ${data.total} user${data.total === 1 ? '' : 's'}` : ''}` : 'Who may sign in, and as which roles.'}
      actions={can('create') && <NewButton onClick={() => creating.open('new')}>New user</NewButton>}
    >
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
      <LoadedContent data={data} error={error}>
        {(data) => (
          <ListTable
            testId="users"
            columns={['User', 'Roles', 'Signed in', 'Created', can('block') && 'Active', { label: 'Actions', align: 'right' }]}
          >
            {data.users.length === 0 && <EmptyRow columns={6}>{search ? `No user matches “${search}”.` : 'No user yet.'}</EmptyRow>}
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
                  {can('setRoles') && <RowAction title="Roles" label={`roles of ${user.email ?? user.id}`} icon={<EditIcon fontSize="small" />} onClick={() => editingRoles.open(user)} />}
                  {can('setPassword') && <RowAction title="Set password" label={`set the password of ${user.email ?? user.id}`} icon={<PasswordIcon fontSize="small" />} onClick={() => settingPassword.open(user)} />}
                  {can('delete') && <RowAction title="Delete" label={`delete ${user.email ?? user.id}`} icon={<DeleteIcon fontSize="small" />} danger onClick={() => removing.open(user)} />}
                </TableCell>
              </TableRow>
            ))}
          </ListTable>
        )}
      </LoadedContent>
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
      {creating.target && <NewUserDialog roles={roleNames} canSetPassword={can('setPassword')} onClose={creating.close} onSaved={creating.saved} />}
      {editingRoles.target && <RolesDialog user={editingRoles.target} roles={roleNames} onClose={editingRoles.close} onSaved={editingRoles.saved} />}
      {settingPassword.target && <PasswordDialog user={settingPassword.target} onClose={settingPassword.close} onSaved={settingPassword.saved} />}
      <ConfirmAction
        target={removing.target}
        title={`Delete ${removing.target?.email ?? removing.target?.id ?? ''}?`}
        content="The user can no longer sign in, and their sessions end. Rows they wrote stay."
        confirm="Delete"
        onConfirm={(user) => void run(() => usersApi.remove(user.id), `${user.email ?? user.id} deleted`)}
        onClose={removing.close}
      />
      <IdentitiesSection roles={roleNames} />
    </ListPage>
  );
}
