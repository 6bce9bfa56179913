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
import { identityProvidersApi, rolesApi } from '../auth/api';
import type { IdentityProvider, IdentityProviderInput } from '../auth/model';
import { formatJson, parseJsonObject } from '../common/json';
import { JsonField } from '../common/JsonField';
import { PageHeader } from '../common/PageHeader';
import { useLoaded } from '../common/useLoaded';

const EMPTY: IdentityProviderInput = { name: '', issuer: '', audience: '', rolesClaim: 'roles', defaultRole: 'anonymous', claimsMap: {} };

function ProviderDialog({ provider, roles, onClose, onSaved }: { provider: IdentityProvider | null; roles: string[]; onClose(): void; onSaved(): void }) {
  const notify = useNotify();
  const [values, setValues] = useState<IdentityProviderInput>(() => {
    if (!provider) return EMPTY;
    const { id: _id, source: _source, ...input } = provider;
    return input;
  });
  const [claimsText, setClaimsText] = useState(() => formatJson(provider?.claimsMap ?? {}));
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof IdentityProviderInput) => (event: { target: { value: string } }) => setValues((v) => ({ ...v, [key]: event.target.value }));
  const claims = parseJsonObject(claimsText);
  const message = (field: string) => error?.fields.find((f) => f.field === field || f.field.startsWith(`${field}.`))?.message;
  const save = async () => {
    if (!claims.ok) return;
    setBusy(true);
    setError(null);
    const input: IdentityProviderInput = { ...values, claimsMap: claims.value as Record<string, string> };
    try {
      if (provider) await identityProvidersApi.update(provider.id, input);
      else await identityProvidersApi.create(input);
      notify(`Identity provider ${values.name} saved`, { type: 'success' });
      onSaved();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError((e as Error).message, 0, 'UNKNOWN'));
    } finally {
      setBusy(false);
    }
  };
  const fields: Array<{ key: Exclude<keyof IdentityProviderInput, 'claimsMap' | 'defaultRole'>; label: string; help: string }> = [
    { key: 'name', label: 'Name', help: 'Shown on the sign-in button.' },
    { key: 'issuer', label: 'Issuer URL', help: 'Its OpenID Connect discovery document is read from <issuer>/.well-known/openid-configuration.' },
    { key: 'audience', label: 'Audience', help: 'The aud a token must carry (the client id or API identifier).' },
    { key: 'rolesClaim', label: 'Roles claim', help: 'The claim listing lazydb roles (a dotted path for nested claims).' },
  ];
  const shown = [...fields.map((f) => f.key), 'defaultRole', 'claimsMap'].some((f) => message(f));
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>{provider ? `Identity provider ${provider.name}` : 'New identity provider'}</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          {fields.map((f) => (
            <TextField key={f.key} label={f.label} value={values[f.key]} onChange={set(f.key)} error={Boolean(message(f.key))} helperText={message(f.key) ?? f.help} slotProps={{ htmlInput: { 'data-testid': `idp-${f.key}` } }} />
          ))}
          <TextField select label="Default role" value={values.defaultRole} onChange={set('defaultRole')} error={Boolean(message('defaultRole'))} helperText={message('defaultRole') ?? 'The role of a token whose roles claim names none.'}>
            {roles.map((r) => (
              <MenuItem key={r} value={r}>
                {r}
              </MenuItem>
            ))}
          </TextField>
          <JsonField
            label="Claims map"
            value={claimsText}
            onChange={setClaimsText}
            serverError={message('claimsMap')}
            helperText='Session variables from claims, e.g. { "x-lazydb-org-id": "org_id" }; filters compare with them.'
            testId="idp-claims"
          />
          {error && !shown && <Alert severity="error">{error.message}</Alert>}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" onClick={save} disabled={busy || !claims.ok || !values.name.trim() || !values.issuer.trim()}>
          Save
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** OpenID Connect issuers whose tokens lazydb accepts (and whose sign-in the admin offers). */
export function IdentityProvidersPage() {
  const notify = useNotify();
  const { data: providers, error, reload } = useLoaded(identityProvidersApi.list);
  const roles = useLoaded(rolesApi.list);
  const [editing, setEditing] = useState<IdentityProvider | 'new' | null>(null);
  const [removing, setRemoving] = useState<IdentityProvider | null>(null);
  const remove = async () => {
    const provider = removing;
    setRemoving(null);
    if (!provider) return;
    try {
      await identityProvidersApi.remove(provider.id);
      notify(`Identity provider ${provider.name} removed`, { type: 'info' });
    } catch (e) {
      notify((e as Error).message, { type: 'error', multiLine: true, autoHideDuration: 10000 });
    }
    void reload();
  };
  return (
    <Box sx={{ pb: 4 }}>
      <Title title="Identity providers" />
      <PageHeader
        crumbs={[]}
        title="Identity providers"
        subtitle="OpenID Connect issuers: their tokens are accepted as Authorization: Bearer, and the sign-in page offers them. Those from LAZYDB_OIDC_ISSUERS are read-only here."
        actions={
          <Button variant="contained" startIcon={<AddIcon />} onClick={() => setEditing('new')} disabled={!roles.data}>
            New provider
          </Button>
        }
      />
      {error && (
        <Alert severity="error" sx={{ mb: 2 }}>
          {error}
        </Alert>
      )}
      {providers === null ? (
        !error && <Loading />
      ) : (
        <Card variant="outlined" sx={{ overflowX: 'auto' }}>
          <Table size="small" data-testid="identity-providers">
            <TableHead>
              <TableRow sx={{ '& th': { fontWeight: 600, whiteSpace: 'nowrap' } }}>
                <TableCell>Name</TableCell>
                <TableCell>Issuer</TableCell>
                <TableCell>Audience</TableCell>
                <TableCell>Roles claim</TableCell>
                <TableCell>Default role</TableCell>
                <TableCell>Claims map</TableCell>
                <TableCell align="right">Actions</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {providers.length === 0 && (
                <TableRow>
                  <TableCell colSpan={7}>
                    <Typography color="text.secondary">No identity provider: only lazydb&apos;s own users, API keys and the admin secret are accepted.</Typography>
                  </TableCell>
                </TableRow>
              )}
              {providers.map((p) => (
                <TableRow key={p.id} hover data-testid={`idp-${p.id}`}>
                  <TableCell sx={{ fontWeight: 600 }}>
                    {p.name}
                    {p.source === 'env' && <Chip size="small" variant="outlined" label="from LAZYDB_OIDC_ISSUERS" sx={{ ml: 1 }} />}
                  </TableCell>
                  <TableCell sx={{ wordBreak: 'break-all' }}>{p.issuer}</TableCell>
                  <TableCell>{p.audience}</TableCell>
                  <TableCell sx={{ fontFamily: 'monospace' }}>{p.rolesClaim}</TableCell>
                  <TableCell>{p.defaultRole}</TableCell>
                  <TableCell sx={{ fontFamily: 'monospace', fontSize: '0.8rem' }}>
                    {Object.entries(p.claimsMap).map(([variable, claim]) => `${variable} ← ${claim}`).join(', ') || '—'}
                  </TableCell>
                  <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                    {p.source === 'admin' ? (
                      <>
                        <Tooltip title="Edit">
                          <IconButton size="small" aria-label={`edit ${p.name}`} onClick={() => setEditing(p)}>
                            <EditIcon fontSize="small" />
                          </IconButton>
                        </Tooltip>
                        <Tooltip title="Remove">
                          <IconButton size="small" color="error" aria-label={`remove ${p.name}`} onClick={() => setRemoving(p)}>
                            <DeleteIcon fontSize="small" />
                          </IconButton>
                        </Tooltip>
                      </>
                    ) : (
                      <Typography variant="body2" color="text.secondary">
                        change it in the environment
                      </Typography>
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Card>
      )}
      {editing !== null && roles.data && (
        <ProviderDialog
          provider={editing === 'new' ? null : editing}
          roles={roles.data.map((r) => r.name)}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void reload();
          }}
        />
      )}
      <Confirm
        isOpen={removing !== null}
        title={`Remove ${removing?.name ?? ''}?`}
        content="Its tokens are refused from now on, and the sign-in page no longer offers it."
        confirm="Remove"
        confirmColor="warning"
        onConfirm={remove}
        onClose={() => setRemoving(null)}
      />
    </Box>
  );
}
