import DeleteIcon from '@mui/icons-material/DeleteOutline';
import EditIcon from '@mui/icons-material/EditOutlined';
import { Chip, TableCell, TableRow, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { useNotify } from 'react-admin';
import { rolesApi } from '../auth/api';
import type { Role } from '../auth/model';
import { ConfirmAction, useReportedAction } from '../common/actions';
import { FormDialog } from '../common/FormDialog';
import { ListPage, ListTable, LoadedContent, NewButton, RowAction } from '../common/ListPage';
import { NamesInput } from '../common/NamesInput';
import { useLoaded } from '../common/useLoaded';
import { useDialogFor } from '../common/useDialogFor';
import { useSubmit } from '../common/useSubmit';
import { LimitsFields, limitsOf, limitsText, limitsTexts } from '../common/LimitsFields';

/** Create a role (name and the roles it inherits from) or change what an existing one inherits. */
function RoleDialog({ role, roles, onClose, onSaved }: { role: Role | null; roles: Role[]; onClose(): void; onSaved(): void }) {
  const notify = useNotify();
  const [name, setName] = useState(role?.name ?? '');
  const [inherits, setInherits] = useState<string[]>(role?.inherits ?? []);
  const [limits, setLimits] = useState(limitsTexts(role?.limits));
  // ROLE_CONFLICT (409) says which rule the inherited roles disagree on: the dialog shows it.
  const { busy, submit, message, unplaced } = useSubmit();
  const save = () =>
    submit(async () => {
      if (role) await rolesApi.update(role.name, inherits, limitsOf(limits));
      else await rolesApi.create(name.trim(), inherits, limitsOf(limits));
      notify(role ? `Role ${role.name} updated` : `Role ${name.trim()} created`, { type: 'success' });
      onSaved();
    });
  const nameError = message('name');
  return (
    <FormDialog
      title={role ? `Role ${role.name}` : 'New role'}
      onClose={onClose}
      onSubmit={save}
      submitLabel={role ? 'Save' : 'Create'}
      submitDisabled={busy || (!role && !name.trim())}
      error={unplaced(['name', 'inherits', 'limits'])}
      errorTestId="role-error"
    >
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
        helperText={message('inherits') ?? 'The role may do whatever these roles may; its own rules come on top.'}
        testId="role-inherits"
      />
      <LimitsFields value={limits} onChange={setLimits} error={message('limits')} helperText="Rate limits of each key, user or token acting as this role (empty: none)." testId="role-limits" />
    </FormDialog>
  );
}

/** Roles: the built-in admin and anonymous (read-only), and the ones made here with what they inherit. */
export function RolesPage() {
  const { data: roles, error, reload } = useLoaded(rolesApi.list);
  const run = useReportedAction(reload);
  const editing = useDialogFor<Role | 'new'>(reload);
  const removing = useDialogFor<Role>(reload);
  return (
    <ListPage
      title="Roles"
      subtitle="What a user, an API key or a token acts as. Each database's Permissions tab says what a role may read and write."
      actions={<NewButton onClick={() => editing.open('new')}>New role</NewButton>}
    >
      <LoadedContent data={roles} error={error}>
        {(roles) => (
          <ListTable
            testId="roles"
            columns={['Role', 'Inherits from', 'Limits', { label: 'Actions', align: 'right' }]}
          >
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
                <TableCell sx={{ whiteSpace: 'nowrap' }}>{role.builtIn ? '—' : limitsText(role.limits)}</TableCell>
                <TableCell align="right">
                  {role.builtIn ? (
                    <Typography variant="body2" color="text.secondary">
                      {role.name === 'admin' ? 'may do everything' : 'what visitors may do'}
                    </Typography>
                  ) : (
                    <>
                      <RowAction title="Change what it inherits" label={`edit ${role.name}`} icon={<EditIcon fontSize="small" />} onClick={() => editing.open(role)} />
                      <RowAction title="Remove" label={`remove ${role.name}`} icon={<DeleteIcon fontSize="small" />} danger onClick={() => removing.open(role)} />
                    </>
                  )}
                </TableCell>
              </TableRow>
            ))}
          </ListTable>
        )}
      </LoadedContent>
      {editing.target !== null && roles && <RoleDialog role={editing.target === 'new' ? null : editing.target} roles={roles} onClose={editing.close} onSaved={editing.saved} />}
      <ConfirmAction
        target={removing.target}
        title={`Remove role ${removing.target?.name ?? ''}?`}
        content="Its permissions on every database go with it. Users, keys and tokens that name it can no longer act as it."
        confirm="Remove"
        onConfirm={(role) => void run(() => rolesApi.remove(role.name), `Role ${role.name} removed`, 'info')}
        onClose={removing.close}
      />
    </ListPage>
  );
}
