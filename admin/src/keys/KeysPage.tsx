import BlockIcon from '@mui/icons-material/Block';
import { Alert, AlertTitle, Box, Button, Chip, Dialog, DialogActions, DialogContent, DialogTitle, TableCell, TableRow, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { keysApi, rolesApi } from '../auth/api';
import type { ApiKey, CreatedApiKey } from '../auth/model';
import { ConfirmAction, useReportedAction } from '../common/actions';
import { FormDialog } from '../common/FormDialog';
import { EmptyRow, ListPage, ListTable, LoadedContent, NewButton, RowAction, nameOptions } from '../common/ListPage';
import { NamesInput } from '../common/NamesInput';
import { timeAgo, useNow } from '../common/status';
import { useLoaded } from '../common/useLoaded';
import { useDialogFor } from '../common/useDialogFor';
import { useSubmit } from '../common/useSubmit';
import { LimitsFields, limitsOf, limitsText, limitsTexts } from '../common/LimitsFields';
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
  const [limits, setLimits] = useState(limitsTexts(null));
  const { busy, submit, message, unplaced } = useSubmit();
  const save = () =>
    submit(async () => {
      const created = await keysApi.create({
        name: name.trim(),
        role,
        ...(limitedTo.length > 0 ? { databases: limitedTo } : {}),
        // The end of the chosen day, in the browser's time zone.
        ...(expires ? { expiresAt: new Date(`${expires}T23:59:59`).toISOString() } : {}),
        ...(limitsOf(limits) ? { limits: limitsOf(limits)! } : {}),
      });
      onCreated(created);
    });
  return (
    <FormDialog title="New API key" onClose={onClose} onSubmit={save} submitLabel="Create key" submitDisabled={busy || !name.trim() || !role} error={unplaced(['name', 'role', 'databases', 'expiresAt', 'limits'])}>
      <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} error={Boolean(message('name'))} helperText={message('name') ?? 'What it is for (a service, a script).'} autoFocus slotProps={{ htmlInput: { 'data-testid': 'key-name' } }} />
      <TextField select label="Role" value={role} onChange={(e) => setRole(e.target.value)} error={Boolean(message('role'))} helperText={message('role') ?? 'Requests with this key act as this role.'} slotProps={{ htmlInput: { 'data-testid': 'key-role' } }}>
        {nameOptions(roles)}
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
      <LimitsFields value={limits} onChange={setLimits} error={message('limits')} helperText="This key's own rate limits (empty: none); its role's apply too." testId="key-limits" />
    </FormDialog>
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
  const now = useNow();
  const { data: keys, error, reload } = useLoaded(keysApi.list);
  const roles = useLoaded(rolesApi.list);
  const run = useReportedAction(reload);
  const creating = useDialogFor<'new'>(reload);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const revoking = useDialogFor<ApiKey>(reload);
  return (
    <ListPage
      title="API keys"
      subtitle="Programs send a key as Authorization: Bearer lzk_… and act as its role."
      actions={
        <NewButton onClick={() => creating.open('new')} disabled={!roles.data}>
          New key
        </NewButton>
      }
    >
      <LoadedContent data={keys} error={error}>
        {(keys) => (
          <ListTable
            testId="keys"
            columns={['Name', 'Role', 'Databases', 'Limits', 'Status', 'Created', 'Expires', 'Last used', { label: 'Revoke', align: 'right' }]}
          >
            {keys.length === 0 && <EmptyRow columns={9}>No API key yet.</EmptyRow>}
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
                  <TableCell sx={{ whiteSpace: 'nowrap' }}>{limitsText(key.limits)}</TableCell>
                  <TableCell>
                    <Chip size="small" label={state.label} color={state.color} variant="outlined" />
                  </TableCell>
                  <TableCell sx={{ whiteSpace: 'nowrap' }}>{timeAgo(key.createdAt, now)}</TableCell>
                  <TableCell sx={{ whiteSpace: 'nowrap' }}>{key.expiresAt ? new Date(key.expiresAt).toLocaleString() : 'never'}</TableCell>
                  <TableCell sx={{ whiteSpace: 'nowrap' }}>{key.lastUsedAt ? timeAgo(key.lastUsedAt, now) : 'never'}</TableCell>
                  <TableCell align="right">
                    {!key.revokedAt && <RowAction title="Revoke: requests with it are refused from now on" label={`revoke ${key.name}`} icon={<BlockIcon fontSize="small" />} danger onClick={() => revoking.open(key)} />}
                  </TableCell>
                </TableRow>
              );
            })}
          </ListTable>
        )}
      </LoadedContent>
      {creating.target && roles.data && (
        <NewKeyDialog
          roles={roles.data.map((r) => r.name)}
          onClose={creating.close}
          onCreated={(key) => {
            creating.saved();
            setCreated(key);
          }}
        />
      )}
      {created && <CreatedKeyDialog created={created} onClose={() => setCreated(null)} />}
      <ConfirmAction
        target={revoking.target}
        title={`Revoke ${revoking.target?.name ?? ''}?`}
        content="Requests that send this key are refused from now on. This cannot be undone."
        confirm="Revoke"
        onConfirm={(key) => void run(() => keysApi.revoke(key.id), `Key ${key.name} revoked`, 'info')}
        onClose={revoking.close}
      />
    </ListPage>
  );
}
