import AddIcon from '@mui/icons-material/Add';
import DeleteIcon from '@mui/icons-material/DeleteOutline';
import EditIcon from '@mui/icons-material/EditOutlined';
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
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Tooltip,
  Typography,
} from '@mui/material';
import { useState } from 'react';
import { Confirm, Loading, Title, useNotify } from 'react-admin';
import { ApiError } from '../api';
import { rolesApi } from '../auth/api';
import type { Role } from '../auth/model';
import { NamesInput } from '../common/NamesInput';
import { PageHeader } from '../common/PageHeader';
import { useLoaded } from '../common/useLoaded';

/** Create a role (name and the roles it inherits from) or change what an existing one inherits. */
function RoleDialog({ role, roles, onClose, onSaved }: { role: Role | null; roles: Role[]; onClose(): void; onSaved(): void }) {
  const notify = useNotify();
  const [name, setName] = useState(role?.name ?? '');
  const [inherits, setInherits] = useState<string[]>(role?.inherits ?? []);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      if (role) await rolesApi.update(role.name, inherits);
      else await rolesApi.create(name.trim(), inherits);
      notify(role ? `Role ${role.name} updated` : `Role ${name.trim()} created`, { type: 'success' });
      onSaved();
    } catch (e) {
      // ROLE_CONFLICT (409) says which rule the inherited roles disagree on.
      setError(e instanceof ApiError ? e : new ApiError((e as Error).message, 0, 'UNKNOWN'));
    } finally {
      setBusy(false);
    }
  };
  const nameError = error?.fields.find((f) => f.field === 'name')?.message;
  const inheritsError = error?.fields.find((f) => f.field.startsWith('inherits'))?.message;
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>{role ? `Role ${role.name}` : 'New role'}</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          {!role && (
            <TextField
              label="Name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              error={Boolean(nameError)}
              helperText={nameError ?? 'Letters, digits, - and _. Requests choose it with X-Lazydb-Role.'}
              autoFocus
              slotProps={{ htmlInput: { 'data-testid': 'role-name' } }}
            />
          )}
          <NamesInput
            label="Inherits from"
            options={roles.filter((r) => r.name !== role?.name && r.name !== 'admin').map((r) => r.name)}
            value={inherits}
            onChange={setInherits}
            helperText={inheritsError ?? 'The role may do whatever these roles may; its own rules come on top.'}
            testId="role-inherits"
          />
          {error && !nameError && !inheritsError && (
            <Alert severity="error" data-testid="role-error">
              {error.message}
            </Alert>
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" onClick={save} disabled={busy || (!role && !name.trim())}>
          {role ? 'Save' : 'Create'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** Roles: the built-in admin and anonymous (read-only), and the ones made here with what they inherit. */
export function RolesPage() {
  const notify = useNotify();
  const { data: roles, error, reload } = useLoaded(rolesApi.list);
  const [editing, setEditing] = useState<Role | 'new' | null>(null);
  const [removing, setRemoving] = useState<Role | null>(null);
  const remove = async () => {
    const role = removing;
    setRemoving(null);
    if (!role) return;
    try {
      await rolesApi.remove(role.name);
      notify(`Role ${role.name} removed`, { type: 'info' });
    } catch (e) {
      notify((e as Error).message, { type: 'error', multiLine: true, autoHideDuration: 10000 });
    }
    void reload();
  };
  return (
    <Box sx={{ pb: 4 }}>
      <Title title="Roles" />
      <PageHeader
        crumbs={[]}
        title="Roles"
        subtitle="What a user, an API key or a token acts as. Each database's Permissions tab says what a role may read and write."
        actions={
          <Button variant="contained" startIcon={<AddIcon />} onClick={() => setEditing('new')}>
            New role
          </Button>
        }
      />
      {error && (
        <Alert severity="error" sx={{ mb: 2 }}>
          {error}
        </Alert>
      )}
      {roles === null ? (
        !error && <Loading />
      ) : (
        <Card variant="outlined">
          <Table size="small" data-testid="roles">
            <TableHead>
              <TableRow sx={{ '& th': { fontWeight: 600 } }}>
                <TableCell>Role</TableCell>
                <TableCell>Inherits from</TableCell>
                <TableCell align="right">Actions</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {roles.map((role) => (
                <TableRow key={role.name} hover data-testid={`role-${role.name}`}>
                  <TableCell sx={{ fontWeight: 600 }}>
                    {role.name}
                    {role.builtIn && <Chip size="small" label="built in" variant="outlined" sx={{ ml: 1 }} />}
                  </TableCell>
                  <TableCell>
                    {role.inherits.length === 0 ? (
                      <Typography variant="body2" color="text.secondary">
                        —
                      </Typography>
                    ) : (
                      role.inherits.map((name) => <Chip key={name} size="small" label={name} sx={{ mr: 0.5 }} />)
                    )}
                  </TableCell>
                  <TableCell align="right">
                    {role.builtIn ? (
                      <Typography variant="body2" color="text.secondary">
                        {role.name === 'admin' ? 'may do everything' : 'what visitors may do'}
                      </Typography>
                    ) : (
                      <>
                        <Tooltip title="Change what it inherits">
                          <IconButton size="small" aria-label={`edit ${role.name}`} onClick={() => setEditing(role)}>
                            <EditIcon fontSize="small" />
                          </IconButton>
                        </Tooltip>
                        <Tooltip title="Remove">
                          <IconButton size="small" color="error" aria-label={`remove ${role.name}`} onClick={() => setRemoving(role)}>
                            <DeleteIcon fontSize="small" />
                          </IconButton>
                        </Tooltip>
                      </>
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Card>
      )}
      {editing !== null && roles && (
        <RoleDialog
          role={editing === 'new' ? null : editing}
          roles={roles}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void reload();
          }}
        />
      )}
      <Confirm
        isOpen={removing !== null}
        title={`Remove role ${removing?.name ?? ''}?`}
        content="Its permissions on every database go with it. Users, keys and tokens that name it can no longer act as it."
        confirm="Remove"
        confirmColor="warning"
        onConfirm={remove}
        onClose={() => setRemoving(null)}
      />
    </Box>
  );
}
