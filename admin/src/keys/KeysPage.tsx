import AddIcon from '@mui/icons-material/Add';
import BlockIcon from '@mui/icons-material/Block';
import {
  Alert,
  AlertTitle,
  Box,
  Button,
  Card,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  IconButton,
  MenuItem,
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
import { keysApi, rolesApi } from '../auth/api';
import type { ApiKey, CreatedApiKey } from '../auth/model';
import { NamesInput } from '../common/NamesInput';
import { PageHeader } from '../common/PageHeader';
import { timeAgo, useNow } from '../common/status';
import { useLoaded } from '../common/useLoaded';
import { useRegistry } from '../registry';
import { CopyBlock } from '../table/Endpoints';

function keyState(key: ApiKey, now: number): { label: string; color: 'success' | 'default' | 'warning' } {
  if (key.revokedAt) return { label: 'revoked', color: 'default' };
  if (key.expiresAt && new Date(key.expiresAt).getTime() <= now) return { label: 'expired', color: 'warning' };
  return { label: 'active', color: 'success' };
}

function NewKeyDialog({ roles, onClose, onCreated }: { roles: string[]; onClose(): void; onCreated(key: CreatedApiKey): void }) {
  const { databases } = useRegistry();
  const [name, setName] = useState('');
  const [role, setRole] = useState(roles[0] ?? '');
  const [limitedTo, setLimitedTo] = useState<string[]>([]);
  /** `YYYY-MM-DD` from a date input; empty: the key does not expire. */
  const [expires, setExpires] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const created = await keysApi.create({
        name: name.trim(),
        role,
        ...(limitedTo.length > 0 ? { databases: limitedTo } : {}),
        // The end of the chosen day, in the browser's time zone.
        ...(expires ? { expiresAt: new Date(`${expires}T23:59:59`).toISOString() } : {}),
      });
      onCreated(created);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError((e as Error).message, 0, 'UNKNOWN'));
    } finally {
      setBusy(false);
    }
  };
  const message = (field: string) => error?.fields.find((f) => f.field === field || f.field.startsWith(`${field}.`) || f.field.startsWith(`${field}[`))?.message;
  const shown = ['name', 'role', 'databases', 'expiresAt'].some((f) => message(f));
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>New API key</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} error={Boolean(message('name'))} helperText={message('name') ?? 'What it is for (a service, a script).'} autoFocus slotProps={{ htmlInput: { 'data-testid': 'key-name' } }} />
          <TextField select label="Role" value={role} onChange={(e) => setRole(e.target.value)} error={Boolean(message('role'))} helperText={message('role') ?? 'Requests with this key act as this role.'} slotProps={{ htmlInput: { 'data-testid': 'key-role' } }}>
            {roles.map((r) => (
              <MenuItem key={r} value={r}>
                {r}
              </MenuItem>
            ))}
          </TextField>
          <NamesInput
            label="Only these databases"
            options={(databases ?? []).map((d) => d.name)}
            value={limitedTo}
            onChange={setLimitedTo}
            helperText={message('databases') ?? 'Empty: every database the role may read.'}
            testId="key-databases"
          />
          <TextField
            label="Expires"
            type="date"
            value={expires}
            onChange={(e) => setExpires(e.target.value)}
            error={Boolean(message('expiresAt'))}
            helperText={message('expiresAt') ?? 'Empty: it works until revoked.'}
            slotProps={{ inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'key-expires' } }}
          />
          {error && !shown && <Alert severity="error">{error.message}</Alert>}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" onClick={save} disabled={busy || !name.trim() || !role}>
          Create key
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** The key itself, once: lazydb keeps only what verifies it. */
function CreatedKeyDialog({ created, onClose }: { created: CreatedApiKey; onClose(): void }) {
  return (
    // Only the button closes it: a stray click beside the dialog must not lose the key.
    <Dialog open fullWidth maxWidth="sm" disableEscapeKeyDown>
      <DialogTitle>API key {created.name} created</DialogTitle>
      <DialogContent>
        <Alert severity="warning" sx={{ mb: 2 }}>
          <AlertTitle>Copy the key now</AlertTitle>
          This is the only time it is shown: lazydb does not keep it and cannot show it again. If it is lost, revoke it and create another.
        </Alert>
        <Box data-testid="created-key">
          <CopyBlock label={`Send it as Authorization: Bearer … (role ${created.role})`} text={created.key} />
        </Box>
      </DialogContent>
      <DialogActions>
        <Button variant="contained" onClick={onClose}>
          I have copied it
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** API keys: for programs calling the GraphQL and REST APIs as a role. */
export function KeysPage() {
  const notify = useNotify();
  const now = useNow();
  const { data: keys, error, reload } = useLoaded(keysApi.list);
  const roles = useLoaded(rolesApi.list);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const revoke = async () => {
    const key = revoking;
    setRevoking(null);
    if (!key) return;
    try {
      await keysApi.revoke(key.id);
      notify(`Key ${key.name} revoked`, { type: 'info' });
    } catch (e) {
      notify((e as Error).message, { type: 'error', multiLine: true, autoHideDuration: 10000 });
    }
    void reload();
  };
  return (
    <Box sx={{ pb: 4 }}>
      <Title title="API keys" />
      <PageHeader
        crumbs={[]}
        title="API keys"
        subtitle="Programs send a key as Authorization: Bearer lzk_… and act as its role."
        actions={
          <Button variant="contained" startIcon={<AddIcon />} onClick={() => setCreating(true)} disabled={!roles.data}>
            New key
          </Button>
        }
      />
      {error && (
        <Alert severity="error" sx={{ mb: 2 }}>
          {error}
        </Alert>
      )}
      {keys === null ? (
        !error && <Loading />
      ) : (
        <Card variant="outlined" sx={{ overflowX: 'auto' }}>
          <Table size="small" data-testid="keys">
            <TableHead>
              <TableRow sx={{ '& th': { fontWeight: 600, whiteSpace: 'nowrap' } }}>
                <TableCell>Name</TableCell>
                <TableCell>Role</TableCell>
                <TableCell>Databases</TableCell>
                <TableCell>Status</TableCell>
                <TableCell>Created</TableCell>
                <TableCell>Expires</TableCell>
                <TableCell>Last used</TableCell>
                <TableCell align="right">Revoke</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {keys.length === 0 && (
                <TableRow>
                  <TableCell colSpan={8}>
                    <Typography color="text.secondary">No API key yet.</Typography>
                  </TableCell>
                </TableRow>
              )}
              {keys.map((key) => {
                const state = keyState(key, now);
                return (
                  <TableRow key={key.id} hover data-testid={`key-${key.name}`}>
                    <TableCell>
                      <Typography fontWeight={600}>{key.name}</Typography>
                      <Typography variant="caption" color="text.secondary" sx={{ fontFamily: 'monospace' }}>
                        lzk_{key.id}_…
                      </Typography>
                    </TableCell>
                    <TableCell>{key.role}</TableCell>
                    <TableCell>{key.databases === null ? <Typography variant="body2" color="text.secondary">any</Typography> : key.databases.join(', ')}</TableCell>
                    <TableCell>
                      <Chip size="small" label={state.label} color={state.color} variant="outlined" />
                    </TableCell>
                    <TableCell sx={{ whiteSpace: 'nowrap' }}>{timeAgo(key.createdAt, now)}</TableCell>
                    <TableCell sx={{ whiteSpace: 'nowrap' }}>{key.expiresAt ? new Date(key.expiresAt).toLocaleString() : 'never'}</TableCell>
                    <TableCell sx={{ whiteSpace: 'nowrap' }}>{key.lastUsedAt ? timeAgo(key.lastUsedAt, now) : 'never'}</TableCell>
                    <TableCell align="right">
                      {!key.revokedAt && (
                        <Tooltip title="Revoke: requests with it are refused from now on">
                          <IconButton size="small" color="error" aria-label={`revoke ${key.name}`} onClick={() => setRevoking(key)}>
                            <BlockIcon fontSize="small" />
                          </IconButton>
                        </Tooltip>
                      )}
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        </Card>
      )}
      {creating && roles.data && (
        <NewKeyDialog
          roles={roles.data.map((r) => r.name)}
          onClose={() => setCreating(false)}
          onCreated={(key) => {
            setCreating(false);
            setCreated(key);
            void reload();
          }}
        />
      )}
      {created && <CreatedKeyDialog created={created} onClose={() => setCreated(null)} />}
      <Confirm
        isOpen={revoking !== null}
        title={`Revoke ${revoking?.name ?? ''}?`}
        content="Requests that send this key are refused from now on. This cannot be undone."
        confirm="Revoke"
        confirmColor="warning"
        onConfirm={revoke}
        onClose={() => setRevoking(null)}
      />
    </Box>
  );
}
