import EditIcon from '@mui/icons-material/EditOutlined';
import { Box, Chip, TableCell, TableRow, Typography } from '@mui/material';
import { useState } from 'react';
import { useNotify } from 'react-admin';
import { identitiesApi } from '../auth/api';
import type { Identity } from '../auth/model';
import { FormDialog } from '../common/FormDialog';
import { EmptyRow, ListTable, LoadedContent, RowAction } from '../common/ListPage';
import { NamesInput } from '../common/NamesInput';
import { timeAgo, useNow } from '../common/status';
import { useDialogFor } from '../common/useDialogFor';
import { useLoaded } from '../common/useLoaded';
import { useSubmit } from '../common/useSubmit';

function GrantDialog({ identity, roles, onClose, onSaved }: { identity: Identity; roles: string[]; onClose(): void; onSaved(): void }) {
  const notify = useNotify();
  const [chosen, setChosen] = useState<string[]>(identity.roles);
  const { error, submit } = useSubmit();
  const who = identity.email ?? identity.subject;
  const save = () =>
    submit(async () => {
      await identitiesApi.setRoles(identity.id, chosen);
      notify(`Roles granted to ${who} saved`, { type: 'success' });
      onSaved();
    });
  return (
    <FormDialog title={`Roles granted to ${who}`} onClose={onClose} onSubmit={save} submitLabel="Save" error={error?.message}>
      <NamesInput label="Roles" options={roles} value={chosen} onChange={setChosen} helperText="Added to the roles their tokens carry." testId="identity-roles" />
    </FormDialog>
  );
}

/**
 * People and services of the OpenID Connect issuers lazydb trusts, recorded when they first sign in
 * or send a token, with the roles granted to them here (merged with the roles in their tokens).
 */
export function IdentitiesSection({ roles }: { roles: string[] }) {
  const now = useNow();
  const { data, error, reload } = useLoaded(identitiesApi.list);
  const granting = useDialogFor<Identity>(reload);
  return (
    <Box sx={{ mt: 4 }}>
      <Typography variant="h6">Signed in through an identity provider</Typography>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
        Recorded on first sign-in or first token. Roles granted here are added to the roles their tokens carry.
      </Typography>
      <LoadedContent data={data} error={error}>
        {(identities) => (
          <ListTable testId="identities" columns={['Who', 'Issuer', 'Granted roles', 'Last seen', { label: 'Actions', align: 'right' }]}>
            {identities.length === 0 && <EmptyRow columns={5}>No one has signed in through an identity provider yet.</EmptyRow>}
            {identities.map((identity) => (
              <TableRow key={identity.id} hover data-testid={`identity-${identity.subject}`}>
                <TableCell sx={{ fontWeight: 600 }}>{identity.email ?? identity.subject}</TableCell>
                <TableCell>{identity.issuer}</TableCell>
                <TableCell>{identity.roles.length === 0 ? '—' : identity.roles.map((role) => <Chip key={role} size="small" label={role} sx={{ mr: 0.5 }} />)}</TableCell>
                <TableCell>{timeAgo(identity.lastSeenAt, now)}</TableCell>
                <TableCell align="right">
                  <RowAction title="Grant roles" label={`grant roles to ${identity.subject}`} icon={<EditIcon fontSize="small" />} onClick={() => granting.open(identity)} />
                </TableCell>
              </TableRow>
            ))}
          </ListTable>
        )}
      </LoadedContent>
      {granting.target && <GrantDialog identity={granting.target} roles={roles} onClose={granting.close} onSaved={granting.saved} />}
    </Box>
  );
}
