import DeleteIcon from '@mui/icons-material/DeleteOutline';
import EditIcon from '@mui/icons-material/EditOutlined';
import { Chip, TableCell, TableRow, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { useNotify } from 'react-admin';
import { identityProvidersApi, rolesApi } from '../auth/api';
import type { IdentityProvider, IdentityProviderInput } from '../auth/model';
import { ConfirmAction, useReportedAction } from '../common/actions';
import { FormDialog } from '../common/FormDialog';
import { formatJson, parseJsonObject } from '../common/json';
import { JsonField } from '../common/JsonField';
import { EmptyRow, ListPage, ListTable, LoadedContent, NewButton, RowAction, nameOptions } from '../common/ListPage';
import { useLoaded } from '../common/useLoaded';
import { useDialogFor } from '../common/useDialogFor';
import { useSubmit } from '../common/useSubmit';

const EMPTY: IdentityProviderInput = { name: '', issuer: '', audience: '', rolesClaim: 'roles', defaultRole: 'anonymous', claimsMap: {} };

function ProviderDialog({ provider, roles, onClose, onSaved }: { provider: IdentityProvider | null; roles: string[]; onClose(): void; onSaved(): void }) {
  const notify = useNotify();
  const [values, setValues] = useState<IdentityProviderInput>(() => {
    if (!provider) return EMPTY;
    const { id: _id, source: _source, ...input } = provider;
    return input;
  });
  const [claimsText, setClaimsText] = useState(() => formatJson(provider?.claimsMap ?? {}));
  const { busy, submit, message, unplaced } = useSubmit();
  const set = (key: keyof IdentityProviderInput) => (event: { target: { value: string } }) => setValues((v) => ({ ...v, [key]: event.target.value }));
  const claims = parseJsonObject(claimsText);
  const save = () => {
    if (!claims.ok) return;
    const input: IdentityProviderInput = { ...values, claimsMap: claims.value as Record<string, string> };
    return submit(async () => {
      if (provider) await identityProvidersApi.update(provider.id, input);
      else await identityProvidersApi.create(input);
      notify(`Identity provider ${values.name} saved`, { type: 'success' });
      onSaved();
    });
  };
  const fields: Array<{ key: Exclude<keyof IdentityProviderInput, 'claimsMap' | 'defaultRole'>; label: string; help: string }> = [
    { key: 'name', label: 'Name', help: 'Shown on the sign-in button.' },
    { key: 'issuer', label: 'Issuer URL', help: 'Its OpenID Connect discovery document is read from <issuer>/.well-known/openid-configuration.' },
    { key: 'audience', label: 'Audience', help: 'The aud a token must carry (the client id or API identifier).' },
    { key: 'rolesClaim', label: 'Roles claim', help: 'The claim listing lazydb roles (a dotted path for nested claims).' },
  ];
  return (
    <FormDialog
      title={provider ? `Identity provider ${provider.name}` : 'New identity provider'}
      onClose={onClose}
      onSubmit={save}
      submitLabel="Save"
      submitDisabled={busy || !claims.ok || !values.name.trim() || !values.issuer.trim()}
      error={unplaced([...fields.map((f) => f.key), 'defaultRole', 'claimsMap'])}
    >
      {fields.map((f) => (
        <TextField key={f.key} label={f.label} value={values[f.key]} onChange={set(f.key)} error={Boolean(message(f.key))} helperText={message(f.key) ?? f.help} slotProps={{ htmlInput: { 'data-testid': `idp-${f.key}` } }} />
      ))}
      <TextField select label="Default role" value={values.defaultRole} onChange={set('defaultRole')} error={Boolean(message('defaultRole'))} helperText={message('defaultRole') ?? 'The role of a token whose roles claim names none.'}>
        {nameOptions(roles)}
      </TextField>
      <JsonField
        label="Claims map"
        value={claimsText}
        onChange={setClaimsText}
        serverError={message('claimsMap')}
        helperText='Session variables from claims, e.g. { "x-lazydb-org-id": "org_id" }; filters compare with them.'
        testId="idp-claims"
      />
    </FormDialog>
  );
}

/** OpenID Connect issuers whose tokens lazydb accepts (and whose sign-in the admin offers). */
export function IdentityProvidersPage() {
  const { data: providers, error, reload } = useLoaded(identityProvidersApi.list);
  const roles = useLoaded(rolesApi.list);
  const run = useReportedAction(reload);
  const editing = useDialogFor<IdentityProvider | 'new'>(reload);
  const removing = useDialogFor<IdentityProvider>(reload);
  return (
    <ListPage
      title="Identity providers"
      subtitle="OpenID Connect issuers: their tokens are accepted as Authorization: Bearer, and the sign-in page offers them. Those from LAZYDB_OIDC_ISSUERS are read-only here."
      actions={
        <NewButton onClick={() => editing.open('new')} disabled={!roles.data}>
          New provider
        </NewButton>
      }
    >
      <LoadedContent data={providers} error={error}>
        {(providers) => (
          <ListTable
            testId="identity-providers"
            columns={['Name', 'Issuer', 'Audience', 'Roles claim', 'Default role', 'Claims map', { label: 'Actions', align: 'right' }]}
          >
            {providers.length === 0 && <EmptyRow columns={7}>No identity provider: only lazydb&apos;s own users, API keys and the admin secret are accepted.</EmptyRow>}
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
                      <RowAction title="Edit" label={`edit ${p.name}`} icon={<EditIcon fontSize="small" />} onClick={() => editing.open(p)} />
                      <RowAction title="Remove" label={`remove ${p.name}`} icon={<DeleteIcon fontSize="small" />} danger onClick={() => removing.open(p)} />
                    </>
                  ) : (
                    <Typography variant="body2" color="text.secondary">
                      change it in the environment
                    </Typography>
                  )}
                </TableCell>
              </TableRow>
            ))}
          </ListTable>
        )}
      </LoadedContent>
      {editing.target !== null && roles.data && (
        <ProviderDialog provider={editing.target === 'new' ? null : editing.target} roles={roles.data.map((r) => r.name)} onClose={editing.close} onSaved={editing.saved} />
      )}
      <ConfirmAction
        target={removing.target}
        title={`Remove ${removing.target?.name ?? ''}?`}
        content="Its tokens are refused from now on, and the sign-in page no longer offers it."
        confirm="Remove"
        onConfirm={(p) => void run(() => identityProvidersApi.remove(p.id), `Identity provider ${p.name} removed`, 'info')}
        onClose={removing.close}
      />
    </ListPage>
  );
}
