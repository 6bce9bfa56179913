import EditIcon from '@mui/icons-material/EditOutlined';
import GridOnIcon from '@mui/icons-material/GridOn';
import OpenInNewIcon from '@mui/icons-material/OpenInNew';
import RefreshIcon from '@mui/icons-material/Refresh';
import VisibilityIcon from '@mui/icons-material/VisibilityOutlined';
import { Alert, AlertTitle, Box, Button, Card, CardContent, Chip, CircularProgress, Stack, Tab, Table, TableBody, TableCell, TableHead, TableRow, Tabs, Tooltip, Typography } from '@mui/material';
import { useState } from 'react';
import { Link, Loading, Title, useNotify } from 'react-admin';
import { useParams, useSearchParams } from 'react-router-dom';
import { databasesApi } from '../api';
import { useAccess } from '../auth/useAccess';
import { PermissionsTab } from '../permissions/PermissionsTab';
import { PageHeader } from '../common/PageHeader';
import { StatusChip, connectionSummary, timeAgo, useNow } from '../common/status';
import { useDialects } from '../dialects';
import { capabilities, type DatabaseModel, type DatabaseStatus, type ResourceInfo } from '../model';
import { useRegistry } from '../registry';
import { CopyBlock } from '../table/Endpoints';
import { reportFor } from '../table/useTable';

function AccessChip({ resource }: { resource: ResourceInfo }) {
  const caps = capabilities(resource);
  if (resource.kind === 'view') return <Tooltip title={caps.reason}><Chip size="small" label="read-only: view" variant="outlined" /></Tooltip>;
  if (resource.primaryKey.length === 0) return <Tooltip title={caps.reason}><Chip size="small" label="read-only: no key" variant="outlined" color="warning" /></Tooltip>;
  if (!caps.create) return <Tooltip title={caps.reason ?? ''}><Chip size="small" label="read-only" variant="outlined" /></Tooltip>;
  return <Chip size="small" label="read / write" color="success" variant="outlined" />;
}

function TablesCard({ database, model, kind }: { database: string; model: DatabaseModel; kind: 'table' | 'view' }) {
  const resources = model.resources.filter((r) => r.kind === kind);
  if (resources.length === 0) return null;
  return (
    <Card variant="outlined" sx={{ mt: 2, overflowX: 'auto' }}>
      <Table size="small" data-testid={kind === 'table' ? 'tables' : 'views'}>
        <TableHead>
          <TableRow sx={{ '& th': { fontWeight: 600, whiteSpace: 'nowrap' } }}>
            <TableCell>{kind === 'table' ? `Tables (${resources.length})` : `Views (${resources.length})`}</TableCell>
            <TableCell>Key</TableCell>
            <TableCell align="right">Columns</TableCell>
            <TableCell>Relations</TableCell>
            <TableCell>Access</TableCell>
            <TableCell>Report</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {resources.map((r) => {
            const report = reportFor(model, r).filter((e) => e.level !== 'info');
            return (
              <TableRow key={r.name} hover>
                <TableCell>
                  <Link to={`/db/${database}/${r.name}`} sx={{ fontWeight: 600, display: 'inline-flex', alignItems: 'center', gap: 0.75 }}>
                    {kind === 'table' ? <GridOnIcon fontSize="inherit" /> : <VisibilityIcon fontSize="inherit" />}
                    {r.name}
                  </Link>
                  {(r.schema ? `${r.schema}.${r.table}` : r.table) !== r.name && !(r.schema && r.table === r.name && model.schemas[0] === r.schema) && (
                    <Typography variant="caption" color="text.secondary" sx={{ display: 'block' }}>
                      SQL: {r.schema ? `${r.schema}.${r.table}` : r.table}
                    </Typography>
                  )}
                </TableCell>
                <TableCell sx={{ whiteSpace: 'nowrap' }}>{r.primaryKey.length > 0 ? r.primaryKey.join(', ') : <Typography variant="body2" color="text.secondary">—</Typography>}</TableCell>
                <TableCell align="right">{r.fields.length}</TableCell>
                <TableCell sx={{ maxWidth: 300 }}>
                  {r.relations.length === 0 ? (
                    <Typography variant="body2" color="text.secondary">—</Typography>
                  ) : (
                    <Typography variant="body2" sx={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }} title={r.relations.map((rel) => `${rel.name} → ${rel.target}`).join(', ')}>
                      {r.relations.map((rel) => `${rel.name} → ${rel.target}`).join(', ')}
                    </Typography>
                  )}
                </TableCell>
                <TableCell>
                  <AccessChip resource={r} />
                </TableCell>
                <TableCell>
                  {report.length > 0 ? (
                    <Tooltip title={report.map((e) => `${e.object}: ${e.reason}`).join('\n')}>
                      <Chip size="small" color="warning" label={`${report.length} warning${report.length > 1 ? 's' : ''}`} />
                    </Tooltip>
                  ) : (
                    <Typography variant="body2" color="text.secondary">—</Typography>
                  )}
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </Card>
  );
}

const STATUS_TITLES: Partial<Record<DatabaseStatus, string>> = {
  error: 'The database is unreachable; lazydb retries by itself',
  degraded: 'Every connection to the database is busy; requests are waiting',
  connecting: 'Connecting…',
};

/** One database: its status, tables and views (with what introspection reported), and its endpoints. */
export function DatabaseHome() {
  const { name = '' } = useParams();
  const { databases, models, modelErrors, ready, reload } = useRegistry();
  const { label } = useDialects();
  const notify = useNotify();
  const [refreshing, setRefreshing] = useState(false);
  const now = useNow();
  const manage = useAccess('databases', 'edit');
  const managePermissions = useAccess('permissions');
  const [params, setParams] = useSearchParams();
  // `?tab=permissions` (a query, not a path: `/db/<db>/<segment>` is a table's list).
  const tab = managePermissions && params.get('tab') === 'permissions' ? 'permissions' : 'tables';
  const db = databases?.find((d) => d.name === name);
  const model = models[name];
  if (!ready) return <Loading />;
  if (!db) {
    return (
      <Box sx={{ mt: 2 }}>
        <Title title="Not found" />
        <Alert severity="warning" action={<Button component={Link} to="/">All databases</Button>}>
          No database named “{name}” is registered.
        </Alert>
      </Box>
    );
  }
  const refresh = async () => {
    setRefreshing(true);
    try {
      const result = await databasesApi.refresh(name);
      notify(result.changed ? 'Schema changed: screens updated' : 'Schema unchanged', { type: 'success' });
    } catch (error) {
      notify((error as Error).message, { type: 'error', multiLine: true });
    } finally {
      setRefreshing(false);
      void reload();
    }
  };
  const origin = window.location.origin;
  const warnings = model ? model.report.filter((e) => e.level !== 'info') : [];
  const notes = model ? model.report.filter((e) => e.level === 'info') : [];
  return (
    <Box sx={{ pb: 4 }}>
      <Title title={name} />
      <PageHeader
        crumbs={[{ label: 'Databases', to: '/' }, { label: name }]}
        title={
          <Stack direction="row" spacing={1.5} alignItems="center" component="span">
            <span>{name}</span>
            <StatusChip status={db.status} />
          </Stack>
        }
        subtitle={[`${label(db.dialect)}${db.serverVersion ? ` ${db.serverVersion}` : ''}`, connectionSummary(db), db.introspectedAt ? `introspected ${timeAgo(db.introspectedAt, now)}` : '']
          .filter(Boolean)
          .join(' · ')}
        actions={
          <>
            {manage && (
              <Button variant="outlined" startIcon={<EditIcon />} component={Link} to={`/databases/${name}/edit`}>
                Connection
              </Button>
            )}
            {manage && (
              <Button variant="outlined" startIcon={refreshing ? <CircularProgress size={16} /> : <RefreshIcon />} onClick={refresh} disabled={refreshing}>
                Refresh schema
              </Button>
            )}
            <Button variant="outlined" href={db.links.graphql} target="_blank" endIcon={<OpenInNewIcon />}>
              GraphiQL
            </Button>
            <Button variant="outlined" href={db.links.docs} target="_blank" endIcon={<OpenInNewIcon />}>
              REST docs
            </Button>
          </>
        }
      />
      {db.status !== 'ready' && db.lastError && (
        <Alert severity={db.status === 'error' ? 'error' : 'warning'} sx={{ mt: 2 }}>
          <AlertTitle>{STATUS_TITLES[db.status] ?? 'Connecting…'}</AlertTitle>
          {db.lastError}
        </Alert>
      )}
      {managePermissions && (
        <Tabs
          value={tab}
          onChange={(_, value: string) =>
            setParams((current) => {
              const next = new URLSearchParams(current);
              if (value === 'permissions') next.set('tab', 'permissions');
              else {
                next.delete('tab');
                next.delete('role');
              }
              return next;
            })
          }
          sx={{ borderBottom: 1, borderColor: 'divider', mt: 1 }}
        >
          <Tab value="tables" label="Tables" />
          <Tab value="permissions" label="Permissions" data-testid="permissions-tab" />
        </Tabs>
      )}
      {tab === 'permissions' && model ? (
        <PermissionsTab database={name} model={model} />
      ) : !model ? (
        modelErrors[name] ? (
          <Alert severity="warning" sx={{ mt: 2 }}>
            {modelErrors[name]}
          </Alert>
        ) : (
          <Loading loadingPrimary="Reading the schema" loadingSecondary="" />
        )
      ) : (
        <>
          {warnings.length > 0 && (
            <Alert severity="warning" sx={{ mt: 2 }} data-testid="report">
              <AlertTitle>Introspection report: {warnings.length} object{warnings.length > 1 ? 's' : ''} skipped, degraded or renamed</AlertTitle>
              <Box component="ul" sx={{ m: 0, pl: 2, maxHeight: 180, overflow: 'auto' }}>
                {warnings.map((e) => (
                  <li key={`${e.object} ${e.reason}`}>
                    <strong>{e.object}</strong> ({e.level}): {e.reason}
                  </li>
                ))}
              </Box>
            </Alert>
          )}
          <TablesCard database={name} model={model} kind="table" />
          <TablesCard database={name} model={model} kind="view" />
          {notes.length > 0 && (
            <Typography variant="body2" color="text.secondary" sx={{ mt: 1 }}>
              {notes.map((e) => `${e.object}: ${e.reason}`).join(' · ')}
            </Typography>
          )}
          <Card variant="outlined" sx={{ mt: 2 }}>
            <CardContent>
              <Typography variant="subtitle1" fontWeight={600} sx={{ mb: 1 }}>
                Endpoints
              </Typography>
              <Box sx={{ display: 'grid', gridTemplateColumns: { md: '1fr 1fr' }, columnGap: 2 }}>
                <CopyBlock label={`GraphQL for ${name} (GraphiQL in a browser)`} text={`${origin}${db.links.graphql}`} />
                <CopyBlock label="Every database in one GraphQL endpoint" text={`${origin}/graphql  →  query { ${name} { … } }`} />
                <CopyBlock label="REST base (one route per table)" text={`${origin}${db.links.rest}/<table>`} />
                <CopyBlock label="OpenAPI 3 document" text={`${origin}${db.links.openapi}`} />
              </Box>
            </CardContent>
          </Card>
        </>
      )}
    </Box>
  );
}
