import AddIcon from '@mui/icons-material/Add';
import DeleteIcon from '@mui/icons-material/DeleteOutline';
import EditIcon from '@mui/icons-material/EditOutlined';
import NetworkCheckIcon from '@mui/icons-material/NetworkCheck';
import OpenInNewIcon from '@mui/icons-material/OpenInNew';
import RefreshIcon from '@mui/icons-material/Refresh';
import StorageIcon from '@mui/icons-material/Storage';
import {
  Button,
  Card,
  CircularProgress,
  IconButton,
  Link as MuiLink,
  Stack,
  TableCell,
  TableRow,
  Tooltip,
  Typography,
} from '@mui/material';
import { useState } from 'react';
import { Confirm, Link, Loading, useNotify } from 'react-admin';
import { databasesApi } from '../api';
import { useAccess } from '../auth/useAccess';
import { ERROR_NOTICE } from '../common/actions';
import { ListPage, ListTable, PageError } from '../common/ListPage';
import { StatusChip, connectionSummary, timeAgo, useNow } from '../common/status';
import { useDialects } from '../dialects';
import type { DatabaseInfo } from '../model';
import { useRegistry } from '../registry';

type Busy = 'test' | 'refresh' | 'remove' | null;

function RowActions({ db }: { db: DatabaseInfo }) {
  const notify = useNotify();
  const { reload } = useRegistry();
  const { label } = useDialects();
  const [busy, setBusy] = useState<Busy>(null);
  const [confirming, setConfirming] = useState(false);

  const run = async (what: Exclude<Busy, null>, action: () => Promise<void>) => {
    setBusy(what);
    try {
      await action();
    } catch (error) {
      notify((error as Error).message, ERROR_NOTICE);
    } finally {
      setBusy(null);
      void reload();
    }
  };

  const test = () =>
    run('test', async () => {
      const result = await databasesApi.reconnect(db.name);
      notify(`${db.name}: connected${result.serverVersion ? ` (${label(result.dialect)} ${result.serverVersion})` : ''}`, { type: 'success' });
    });
  const refresh = () =>
    run('refresh', async () => {
      const result = await databasesApi.refresh(db.name);
      notify(result.changed ? `${db.name}: schema changed, screens updated` : `${db.name}: schema unchanged`, { type: 'success' });
    });
  const remove = () =>
    run('remove', async () => {
      setConfirming(false);
      await databasesApi.remove(db.name);
      notify(`${db.name} removed from lazydb (the database itself is untouched)`, { type: 'info' });
    });

  const icon = (what: Busy, node: React.ReactNode) => (busy === what ? <CircularProgress size={18} /> : node);
  return (
    <Stack direction="row" spacing={0} justifyContent="flex-end">
      <Tooltip title="Edit connection">
        <IconButton component={Link} to={`/databases/${db.name}/edit`} aria-label={`edit ${db.name}`} size="small">
          <EditIcon fontSize="small" />
        </IconButton>
      </Tooltip>
      <Tooltip title="Test connection (connect again with the stored settings)">
        <span>
          <IconButton onClick={test} disabled={busy !== null} aria-label={`test ${db.name}`} size="small">
            {icon('test', <NetworkCheckIcon fontSize="small" />)}
          </IconButton>
        </span>
      </Tooltip>
      <Tooltip title="Refresh schema (introspect again)">
        <span>
          <IconButton onClick={refresh} disabled={busy !== null} aria-label={`refresh ${db.name}`} size="small">
            {icon('refresh', <RefreshIcon fontSize="small" />)}
          </IconButton>
        </span>
      </Tooltip>
      <Tooltip title="Remove from lazydb">
        <span>
          <IconButton onClick={() => setConfirming(true)} disabled={busy !== null} aria-label={`remove ${db.name}`} size="small" color="error">
            {icon('remove', <DeleteIcon fontSize="small" />)}
          </IconButton>
        </span>
      </Tooltip>
      <Confirm
        isOpen={confirming}
        title={`Remove ${db.name}?`}
        content={`lazydb stops serving ${db.name} and forgets its connection and cached schema. The database itself and its data are not touched; you can register it again later.`}
        confirm="Remove"
        confirmColor="warning"
        onConfirm={remove}
        onClose={() => setConfirming(false)}
      />
    </Stack>
  );
}

/** `A, B or C`. */
function oneOf(names: string[]): string {
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : (names[0] ?? '');
}

/** The landing page: every registered database with its status (kept current), its APIs and actions. */
export function Overview() {
  const { databases, error, scope } = useRegistry();
  const { list: dialects, label } = useDialects();
  const now = useNow();
  const manage = useAccess('databases', 'edit');
  const addButton = manage && (
    <Button variant="contained" startIcon={<AddIcon />} component={Link} to="/databases/new">
      Add database
    </Button>
  );
  return (
    <ListPage
      title="Databases"
      subtitle={
        scope === 'admin'
          ? 'Every registered database, its status and its APIs. Status updates by itself.'
          : 'The databases and tables your role may read, and their APIs. Sign in as an admin to manage them.'
      }
      actions={addButton || undefined}
    >
      {error && <PageError>{error} Retrying…</PageError>}
      {databases === null ? (
        <Loading />
      ) : databases.length === 0 ? (
        <Card variant="outlined" sx={{ p: 6, textAlign: 'center' }}>
          <StorageIcon sx={{ fontSize: 48, color: 'text.disabled' }} />
          <Typography variant="h6" sx={{ mt: 1 }}>
            {manage ? 'No database yet' : 'Nothing to read here'}
          </Typography>
          <Typography color="text.secondary" sx={{ mb: 2 }}>
            {manage
              ? `Register ${dialects ? oneOf(dialects.map((d) => d.label)) : 'a database'} and get its GraphQL API, REST API and admin screens at once.`
              : 'Your role may not read any table. Sign in with another account, or ask an admin for permissions.'}
          </Typography>
          {addButton}
        </Card>
      ) : (
        <ListTable
          testId="databases"
          size="medium"
          sx={{ '& td, & th': { px: 1.5 } }}
          columns={['Database', 'Dialect', 'Status', 'Schema', 'APIs', manage && { label: 'Actions', align: 'right' }]}
        >
          {databases.map((db) => (
            <TableRow key={db.name} data-testid={`database-${db.name}`} hover>
              <TableCell sx={{ maxWidth: 230 }}>
                <Link to={`/db/${db.name}`} sx={{ fontWeight: 600, fontSize: '1rem' }}>
                  {db.name}
                </Link>
                <Typography variant="body2" color="text.secondary" noWrap title={connectionSummary(db)} sx={{ maxWidth: 200 }}>
                  {connectionSummary(db)}
                </Typography>
              </TableCell>
              <TableCell sx={{ whiteSpace: 'nowrap' }}>
                {label(db.dialect)}
                {db.serverVersion && (
                  <Typography variant="body2" color="text.secondary" noWrap title={db.serverVersion} sx={{ maxWidth: 110 }}>
                    {db.serverVersion.split(' ')[0]}
                  </Typography>
                )}
              </TableCell>
              <TableCell sx={{ maxWidth: 220 }}>
                <StatusChip status={db.status} />
                {db.lastError && (
                  <Typography variant="body2" color="error" sx={{ mt: 0.5, overflow: 'hidden', display: '-webkit-box', WebkitLineClamp: 2, WebkitBoxOrient: 'vertical' }} title={db.lastError} data-testid="last-error">
                    {db.lastError}
                  </Typography>
                )}
              </TableCell>
              <TableCell sx={{ whiteSpace: 'nowrap' }}>
                {db.tableCount} {db.tableCount === 1 ? 'table' : 'tables'}, {db.viewCount} {db.viewCount === 1 ? 'view' : 'views'}
                {scope === 'admin' && (
                  <Typography variant="body2" color="text.secondary" title={db.introspectedAt ?? ''}>
                    {db.introspectedAt ? `read ${timeAgo(db.introspectedAt, now)}${db.introspectMs !== null ? ` in ${db.introspectMs} ms` : ''}` : 'not read yet'}
                  </Typography>
                )}
              </TableCell>
              <TableCell sx={{ whiteSpace: 'nowrap' }}>
                <Stack spacing={0.25}>
                  <MuiLink href={db.links.graphql} target="_blank" underline="hover" sx={{ display: 'inline-flex', alignItems: 'center', gap: 0.5 }}>
                    GraphiQL <OpenInNewIcon sx={{ fontSize: 14 }} />
                  </MuiLink>
                  <MuiLink href={db.links.docs} target="_blank" underline="hover" sx={{ display: 'inline-flex', alignItems: 'center', gap: 0.5 }}>
                    REST docs <OpenInNewIcon sx={{ fontSize: 14 }} />
                  </MuiLink>
                </Stack>
              </TableCell>
              {manage && (
                <TableCell align="right">
                  <RowActions db={db} />
                </TableCell>
              )}
            </TableRow>
          ))}
        </ListTable>
      )}
      <Typography variant="body2" color="text.secondary" sx={{ mt: 2 }}>
        All databases in one GraphQL endpoint:{' '}
        <MuiLink href="/graphql" target="_blank">
          /graphql
        </MuiLink>
        . lazydb reads and writes rows only; it never changes a database&apos;s structure.
      </Typography>
    </ListPage>
  );
}
