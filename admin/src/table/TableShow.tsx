import AddIcon from '@mui/icons-material/Add';
import LinkIcon from '@mui/icons-material/Link';
import { Box, Button, Card, CardContent, Chip, Stack, Typography } from '@mui/material';
import {
  Datagrid,
  DeleteButton,
  EditButton,
  Labeled,
  Link,
  Loading,
  Pagination,
  ReferenceManyField,
  Show,
  useCreatePath,
  useRecordContext,
} from 'react-admin';
import type { DatabaseModel, RelationInfo, ResourceInfo } from '../model';
import { capabilities } from '../model';
import { fieldSource, recordId } from '../rest/adapter';
import { PageHeader } from '../common/PageHeader';
import { Endpoints } from './Endpoints';
import { columnField, RawValue } from './fields';
import { Notices } from './Notices';
import { tableSubtitle } from './TableList';
import { findResource, referenceFor, representation, targetName, useTable, type TableContext } from './useTable';

function ShowActions({ table }: { table: TableContext }) {
  const record = useRecordContext();
  const label = record ? representation(table.resource)(record) : '';
  return (
    <>
      {table.caps.edit && <EditButton variant="contained" />}
      {table.caps.remove && (
        <DeleteButton
          mutationMode="pessimistic"
          variant="outlined"
          confirmTitle={`Delete ${table.resource.name} ${label}?`}
          confirmContent="The row is deleted from the database. This cannot be undone."
        />
      )}
    </>
  );
}

/** A link to a row of another table named by a (possibly composite) foreign key. */
function ReferenceLink({ database, model, relation }: { database: string; model: DatabaseModel; relation: RelationInfo }) {
  const record = useRecordContext();
  const createPath = useCreatePath();
  const target = findResource(model, relation.target);
  if (!record || !target) return null;
  const values = Object.fromEntries(relation.targetFields.map((f, i) => [f, record[relation.fields[i]!]]));
  if (Object.values(values).some((v) => v === null || v === undefined)) return <Typography color="text.secondary">—</Typography>;
  const id = recordId(target, values);
  const text = relation.fields.map((f) => String(record[f])).join(' · ');
  if (id === undefined || !capabilities(target).open) return <span>{text}</span>;
  return (
    <Link to={createPath({ resource: targetName(database, target.name), id, type: 'show' })}>
      {target.name} {text}
    </Link>
  );
}

/** The rows of another table that point at this one (an artist's albums), with a shortcut to add one. */
function ReverseRelation({ database, model, resource, relation }: { database: string; model: DatabaseModel; resource: ResourceInfo; relation: RelationInfo }) {
  const record = useRecordContext();
  const createPath = useCreatePath();
  const target = findResource(model, relation.target);
  if (!record || !target) return null;
  const targetRa = targetName(database, target.name);
  const targetCaps = capabilities(target);
  const [firstOwn, ...otherOwn] = relation.fields;
  const [firstTarget, ...otherTarget] = relation.targetFields;
  if (!firstOwn || !firstTarget) return null;
  // Further columns of a composite foreign key narrow the rows as a fixed filter.
  const extra = Object.fromEntries(otherTarget.map((f, i) => [f, record[otherOwn[i]!]]));
  const prefill = Object.fromEntries(relation.targetFields.map((f, i) => [fieldSource(target, f), record[relation.fields[i]!]]));
  const columns = target.fields.filter((f) => !relation.targetFields.includes(f.name)).slice(0, 6);
  const filter = JSON.stringify(prefill);
  return (
    <Card variant="outlined" sx={{ mt: 2, overflowX: 'auto' }} data-testid={`relation-${relation.name}`}>
      <CardContent>
        <Stack direction="row" alignItems="center" justifyContent="space-between" sx={{ mb: 1 }}>
          <Box>
            <Typography variant="subtitle1" fontWeight={600}>
              {relation.name}
            </Typography>
            <Typography variant="body2" color="text.secondary">
              {target.name} rows whose {relation.targetFields.join(', ')} = this row&apos;s {relation.fields.join(', ')}
            </Typography>
          </Box>
          <Stack direction="row" spacing={1}>
            <Button size="small" component={Link} to={`${createPath({ resource: targetRa, type: 'list' })}?filter=${encodeURIComponent(filter)}`}>
              Open as list
            </Button>
            {targetCaps.create && (
              <Button size="small" variant="outlined" startIcon={<AddIcon />} component={Link} to={createPath({ resource: targetRa, type: 'create' })} state={{ record: prefill }}>
                Add {target.name}
              </Button>
            )}
          </Stack>
        </Stack>
        <ReferenceManyField reference={targetRa} target={firstTarget} source={fieldSource(resource, firstOwn)} filter={extra} perPage={10} pagination={<Pagination rowsPerPageOptions={[10, 25, 50]} />}>
          <Datagrid rowClick={targetCaps.open ? 'show' : false} bulkActionButtons={false} size="small" empty={<Typography color="text.secondary" sx={{ py: 1 }}>None.</Typography>}>
            {columns.map((field) => columnField(database, model, target, field, 'list'))}
          </Datagrid>
        </ReferenceManyField>
      </CardContent>
    </Card>
  );
}

function ShowBody({ table }: { table: TableContext }) {
  const record = useRecordContext();
  const { database, model, resource } = table;
  if (!record) return <Loading />;
  const label = representation(resource)(record);
  const composite = resource.relations.filter((r) => r.kind === 'object' && !r.fields.every((f) => referenceFor(model, resource, f)?.relation === r));
  const reverse = resource.relations.filter((r) => r.kind === 'array');
  return (
    <Box>
      <Card variant="outlined">
        <CardContent>
          <Stack direction="row" spacing={1} alignItems="center" sx={{ mb: 2 }}>
            <Typography variant="subtitle2" color="text.secondary">
              {resource.name}
            </Typography>
            {resource.primaryKey.map((k) => (
              <Chip key={k} size="small" label={`${k} = ${String(record[fieldSource(resource, k)])}`} />
            ))}
          </Stack>
          <Box sx={{ display: 'grid', gridTemplateColumns: { sm: '1fr', md: '1fr 1fr', lg: '1fr 1fr 1fr' }, columnGap: 3, rowGap: 1 }}>
            {resource.fields.map((field) => {
              const wide = field.kind === 'json' || (field.kind === 'string' && (field.length === null || field.length > 255) && String(record[field.name] ?? '').length > 60);
              const reference = referenceFor(model, resource, field.name);
              return (
                <Box key={field.name} sx={{ gridColumn: wide ? '1 / -1' : undefined, minWidth: 0 }}>
                  <Labeled label={field.name} title={field.sqlType} fullWidth>
                    <Box component="span" sx={{ display: 'inline-flex', alignItems: 'center' }}>
                      {columnField(database, model, resource, field, 'show')}
                      {reference && <RawValue source={fieldSource(resource, field.name)} />}
                    </Box>
                  </Labeled>
                </Box>
              );
            })}
          </Box>
          {composite.length > 0 && (
            <Box sx={{ mt: 2 }}>
              {composite.map((relation) => (
                <Stack key={relation.name} direction="row" spacing={1} alignItems="center">
                  <LinkIcon fontSize="small" color="action" />
                  <Typography variant="body2" color="text.secondary">
                    {relation.name}:
                  </Typography>
                  <ReferenceLink database={database} model={model} relation={relation} />
                </Stack>
              ))}
            </Box>
          )}
        </CardContent>
      </Card>
      {reverse.map((relation) => (
        <ReverseRelation key={relation.name} database={database} model={model} resource={resource} relation={relation} />
      ))}
      <Endpoints database={database} resource={resource} id={record.id as string | number} record={record} />
    </Box>
  );
}

function ShowHeader({ table }: { table: TableContext }) {
  const record = useRecordContext();
  const { database, resource } = table;
  const label = record ? representation(resource)(record) : '';
  return (
    <PageHeader
      crumbs={[{ label: 'Databases', to: '/' }, { label: database, to: `/db/${database}` }, { label: resource.name, to: `/db/${database}/${resource.name}` }, { label: label || String(record?.id ?? '…') }]}
      title={label || `${resource.name} ${String(record?.id ?? '')}`}
      subtitle={tableSubtitle(resource)}
      actions={<ShowActions table={table} />}
    />
  );
}

/** One row: every column (typed), links for foreign keys, the rows that point at it, its endpoints. */
export function TableShow() {
  const table = useTable();
  if (!table) return <Loading />;
  return (
    <Show title={`${table.database} · ${table.resource.name}`} actions={false} component="div" sx={{ pb: 4 }}>
      <ShowHeader table={table} />
      <Notices model={table.model} resource={table.resource} />
      <Box sx={{ mt: 2 }}>
        <ShowBody table={table} />
      </Box>
    </Show>
  );
}
