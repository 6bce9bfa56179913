import ExpandLessIcon from '@mui/icons-material/ExpandLess';
import ExpandMoreIcon from '@mui/icons-material/ExpandMore';
import PreviewIcon from '@mui/icons-material/VisibilityOutlined';
import SaveIcon from '@mui/icons-material/SaveOutlined';
import { Alert, Box, Button, Checkbox, CircularProgress, Collapse, IconButton, Stack, TableCell, TableRow, TextField, Tooltip, Typography } from '@mui/material';
import { Fragment, useEffect, useMemo, useState } from 'react';
import { Loading, useNotify } from 'react-admin';
import { useSearchParams } from 'react-router-dom';
import { ApiError } from '../api';
import { permissionsApi, rolesApi } from '../auth/api';
import { ADMIN_ROLE, type Operation, type PermissionDocument, type PermissionPreview } from '../auth/model';
import { ListTable, PageError, nameOptions } from '../common/ListPage';
import { useLoaded } from '../common/useLoaded';
import type { DatabaseModel } from '../model';
import { TableRulesEditor } from './TableRulesEditor';
import { OPERATIONS, documentFromDraft, draftFromDocument, entryKey, placeServerErrors, problemsByEntry, type OperationDraft, type PermissionDraft } from './draft';

const HEADINGS: Record<Operation, string> = { select: 'Read', insert: 'Insert', update: 'Update', delete: 'Delete' };

/** A role without rules on this database may not have a document yet: that is the empty one. */
async function readDocument(database: string, role: string): Promise<PermissionDocument> {
  try {
    return await permissionsApi.get(database, role);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return {};
    throw error;
  }
}

/**
 * A database's permissions, one role at a time: a table × operation grid, per table its columns,
 * filters, checks and presets; "preview as role" counts the rows the draft would let it see.
 * The role is in the URL (`?tab=permissions&role=…`), so a role's page can be linked to.
 */
export function PermissionsTab({ database, model }: { database: string; model: DatabaseModel }) {
  const notify = useNotify();
  const [params, setParams] = useSearchParams();
  const roles = useLoaded(rolesApi.list);
  const choices = (roles.data ?? []).filter((r) => r.name !== ADMIN_ROLE).map((r) => r.name);
  const role = params.get('role') ?? choices[0] ?? null;
  const tables = useMemo(() => model.resources.map((r) => r.name), [model.resources]);
  const stored = useLoaded(() => (role ? readDocument(database, role) : Promise.resolve<PermissionDocument>({})), `${database}\u0001${role ?? ''}`);
  const [draft, setDraft] = useState<PermissionDraft | null>(null);
  const [expanded, setExpanded] = useState<string | null>(null);
  const [server, setServer] = useState<{ byEntry: Map<string, string[]>; general: string[] }>({ byEntry: new Map(), general: [] });
  const [preview, setPreview] = useState<PermissionPreview | null>(null);
  const [busy, setBusy] = useState<'save' | 'preview' | null>(null);
  /** The X-Lazydb-User-Id to preview with: filters on it match nothing without one, as in a request. */
  const [previewUser, setPreviewUser] = useState('');

  useEffect(() => {
    setDraft(stored.data ? draftFromDocument(stored.data, tables) : null);
    setServer({ byEntry: new Map(), general: [] });
    setPreview(null);
  }, [stored.data, tables]);

  const built = useMemo(() => (draft ? documentFromDraft(draft) : null), [draft]);
  const local = useMemo(() => problemsByEntry(built?.problems ?? []), [built]);
  const dirty = built !== null && stored.data !== null && JSON.stringify(built.document) !== JSON.stringify(documentFromDraft(draftFromDocument(stored.data, tables)).document);

  const messagesFor = (table: string) => (operation: Operation | '', entry: string) => {
    const key = entryKey(table, operation, entry as never);
    return [...(local.get(key) ?? []), ...(server.byEntry.get(key) ?? [])];
  };
  const tableHasMessages = (table: string) => [...local.keys(), ...server.byEntry.keys()].some((key) => key.startsWith(`${table}\u0001`));

  const change = (table: string, operation: Operation, patch: Partial<OperationDraft>) => {
    setDraft((current) => (current ? { ...current, [table]: { ...current[table]!, [operation]: { ...current[table]![operation], ...patch } } } : current));
    // The server's word on this operation is about what it was before the edit.
    setServer((current) => {
      const byEntry = new Map([...current.byEntry].filter(([key]) => !key.startsWith(entryKey(table, operation, ''))));
      return byEntry.size === current.byEntry.size ? current : { ...current, byEntry };
    });
    setPreview(null);
  };

  const save = async () => {
    if (!built || built.problems.length > 0 || !role) return;
    setBusy('save');
    try {
      await permissionsApi.put(database, role, built.document);
      notify(`Permissions of ${role} on ${database} saved`, { type: 'success' });
      setServer({ byEntry: new Map(), general: [] });
      await stored.reload();
    } catch (error) {
      if (error instanceof ApiError && error.fields.length > 0) setServer(placeServerErrors(error.fields, Object.keys(draft ?? {})));
      else setServer({ byEntry: new Map(), general: [(error as Error).message] });
    } finally {
      setBusy(null);
    }
  };

  const runPreview = async () => {
    if (!built || built.problems.length > 0 || !role) return;
    setBusy('preview');
    try {
      setPreview(await permissionsApi.preview(database, role, built.document, previewUser.trim() ? { 'x-lazydb-user-id': previewUser.trim() } : {}));
    } catch (error) {
      if (error instanceof ApiError && error.fields.length > 0) setServer(placeServerErrors(error.fields, Object.keys(draft ?? {})));
      else notify((error as Error).message, { type: 'error', multiLine: true });
    } finally {
      setBusy(null);
    }
  };

  if (roles.error) return <Alert severity="error" sx={{ mt: 2 }}>{roles.error}</Alert>;
  if (!roles.data) return <Loading />;
  const resources = new Map(model.resources.map((r) => [r.name, r]));
  return (
    <Box sx={{ mt: 2 }} data-testid="permissions">
      <Stack direction="row" spacing={1} alignItems="center" sx={{ flexWrap: 'wrap', gap: 1, mb: 2 }}>
        <TextField
          select
          size="small"
          label="Role"
          value={role ?? ''}
          onChange={(e) => {
            setExpanded(null);
            setParams((current) => {
              const next = new URLSearchParams(current);
              next.set('role', e.target.value);
              return next;
            });
          }}
          sx={{ width: 240, flex: '0 0 auto' }}
          slotProps={{ htmlInput: { 'data-testid': 'perm-role' } }}
        >
          {nameOptions(choices)}
        </TextField>
        <Button variant="contained" startIcon={busy === 'save' ? <CircularProgress size={16} /> : <SaveIcon />} onClick={save} disabled={!dirty || busy !== null || (built?.problems.length ?? 0) > 0} data-testid="perm-save">
          Save
        </Button>
        <Button onClick={() => stored.data && setDraft(draftFromDocument(stored.data, tables))} disabled={!dirty || busy !== null}>
          Revert
        </Button>
        <Tooltip title="Count the rows each table would show this role with the rules as drafted (nothing is saved)">
          <span>
            <Button variant="outlined" startIcon={busy === 'preview' ? <CircularProgress size={16} /> : <PreviewIcon />} onClick={runPreview} disabled={busy !== null || !built || built.problems.length > 0} data-testid="perm-preview">
              Preview as {role ?? 'role'}
            </Button>
          </span>
        </Tooltip>
        <TextField
          size="small"
          label="as user id (X-Lazydb-User-Id)"
          value={previewUser}
          onChange={(e) => {
            setPreviewUser(e.target.value);
            setPreview(null);
          }}
          sx={{ width: 240, flex: '0 0 auto' }}
        />
        <Typography variant="body2" color="text.secondary">
          admin may do everything; a role may do only what is ticked here (and what it inherits).
        </Typography>
      </Stack>
      {choices.length === 0 && <Alert severity="info">Create a role first (Roles in the menu): admin needs no permissions.</Alert>}
      {stored.error && <PageError>{stored.error}</PageError>}
      {server.general.length > 0 && (
        <Alert severity="error" sx={{ mb: 2 }} data-testid="perm-errors">
          {server.general.join(' · ')}
        </Alert>
      )}
      {role && !draft && !stored.error && <Loading />}
      {draft && (
        <ListTable
          testId="perm-grid"
          columns={['Table', ...OPERATIONS.map((o) => ({ label: HEADINGS[o], align: 'center' as const, key: o })), { label: `Rows ${role} sees`, align: 'right' }, null]}
        >
          {Object.entries(draft).map(([table, operations]) => {
            const resource = resources.get(table);
            const writable = resource ? resource.kind === 'table' && resource.writable : true;
            const open = expanded === table;
            const count = preview?.counts[table];
            return (
              <Fragment key={table}>
                <TableRow hover data-testid={`perm-row-${table}`} sx={{ '& td': { borderBottom: open ? 0 : undefined } }}>
                  <TableCell sx={{ fontWeight: 600, cursor: 'pointer' }} onClick={() => setExpanded(open ? null : table)}>
                    {table}
                    {tableHasMessages(table) && <Typography component="span" color="error" sx={{ ml: 1 }} title="Something to fix">●</Typography>}
                  </TableCell>
                  {OPERATIONS.map((operation) => {
                    const op = operations[operation];
                    // A view or read-only table cannot be written; a rule already there can still be turned off.
                    const possible = operation === 'select' || writable || op.enabled;
                    return (
                      <TableCell key={operation} align="center" sx={{ whiteSpace: 'nowrap' }}>
                        <Checkbox
                          size="small"
                          checked={op.enabled}
                          disabled={!possible}
                          onChange={(e) => {
                            change(table, operation, { enabled: e.target.checked });
                            if (e.target.checked) setExpanded(table);
                          }}
                          slotProps={{ input: { 'aria-label': `${table} ${operation}`, 'data-testid': `perm-${table}-${operation}` } as object }}
                        />
                        {op.enabled && operation !== 'delete' && !op.allColumns && (
                          <Typography variant="caption" color="text.secondary" sx={{ display: 'block', mt: -1 }}>
                            {op.columns.length}/{resource?.fields.length ?? op.columns.length} columns
                          </Typography>
                        )}
                      </TableCell>
                    );
                  })}
                  <TableCell align="right" data-testid={`perm-count-${table}`}>
                    {preview === null ? '' : count === null || count === undefined ? <Typography variant="body2" color="text.secondary">no access</Typography> : count.toLocaleString()}
                  </TableCell>
                  <TableCell padding="checkbox">
                    <IconButton size="small" aria-label={`${open ? 'hide' : 'show'} rules of ${table}`} onClick={() => setExpanded(open ? null : table)}>
                      {open ? <ExpandLessIcon fontSize="small" /> : <ExpandMoreIcon fontSize="small" />}
                    </IconButton>
                  </TableCell>
                </TableRow>
                <TableRow>
                  <TableCell colSpan={OPERATIONS.length + 3} sx={{ py: 0, ...(open ? {} : { borderBottom: 0 }) }}>
                    <Collapse in={open} unmountOnExit>
                      <TableRulesEditor table={table} resource={resource} draft={operations} onChange={(operation, patch) => change(table, operation, patch)} messages={messagesFor(table)} />
                    </Collapse>
                  </TableCell>
                </TableRow>
              </Fragment>
            );
          })}
        </ListTable>
      )}
      {dirty && (
        <Typography variant="body2" color="warning.main" sx={{ mt: 1 }}>
          Unsaved changes{(built?.problems.length ?? 0) > 0 ? `: fix ${built!.problems.length} entr${built!.problems.length === 1 ? 'y' : 'ies'} first` : ''}.
        </Typography>
      )}
    </Box>
  );
}
