import { Box } from '@mui/material';
import { Create, DeleteButton, Edit, Loading, SaveButton, ShowButton, SimpleForm, Toolbar, useRecordContext } from 'react-admin';
import { PageHeader } from '../common/PageHeader';
import { columnInput, isWide } from './inputs';
import { Notices } from './Notices';
import { tableSubtitle } from './TableList';
import { representation, useTable, type TableContext } from './useTable';

function FormFields({ table, mode }: { table: TableContext; mode: 'create' | 'edit' }) {
  const { database, model, resource } = table;
  return (
    <Box sx={{ display: 'grid', gridTemplateColumns: { sm: '1fr', md: '1fr 1fr' }, columnGap: 3, width: '100%' }}>
      {resource.fields.map((field) => {
        const input = columnInput(database, model, resource, field, mode);
        if (!input) return null;
        return (
          <Box key={field.name} sx={{ gridColumn: isWide(field) ? '1 / -1' : undefined, minWidth: 0 }}>
            {input}
          </Box>
        );
      })}
    </Box>
  );
}

function EditToolbar({ table }: { table: TableContext }) {
  const record = useRecordContext();
  const label = record ? representation(table.resource)(record) : '';
  return (
    <Toolbar sx={{ justifyContent: 'space-between' }}>
      <SaveButton />
      {table.caps.remove && (
        <DeleteButton
          mutationMode="pessimistic"
          confirmTitle={`Delete ${table.resource.name} ${label}?`}
          confirmContent="The row is deleted from the database. This cannot be undone."
        />
      )}
    </Toolbar>
  );
}

function EditHeader({ table }: { table: TableContext }) {
  const record = useRecordContext();
  const { database, resource } = table;
  const label = record ? representation(resource)(record) : '';
  return (
    <PageHeader
      crumbs={[
        { label: 'Databases', to: '/' },
        { label: database, to: `/db/${database}` },
        { label: resource.name, to: `/db/${database}/${resource.name}` },
        { label: `Edit ${label || String(record?.id ?? '')}` },
      ]}
      title={`Edit ${resource.name} ${label}`.trim()}
      subtitle={tableSubtitle(resource)}
      actions={table.caps.open ? <ShowButton /> : undefined}
    />
  );
}

/** Edit one row; only the changed columns are sent, and the server's refusal is shown as it says it. */
export function TableEdit() {
  const table = useTable();
  if (!table) return <Loading />;
  return (
    <Edit title={`${table.database} · ${table.resource.name}`} mutationMode="pessimistic" redirect="show" actions={false} component="div" sx={{ pb: 4 }}>
      <EditHeader table={table} />
      <Notices model={table.model} resource={table.resource} />
      <Box sx={{ mt: 2, bgcolor: 'background.paper', border: 1, borderColor: 'divider', borderRadius: 1 }}>
        <SimpleForm toolbar={<EditToolbar table={table} />} warnWhenUnsavedChanges>
          <FormFields table={table} mode="edit" />
        </SimpleForm>
      </Box>
    </Edit>
  );
}

export function TableCreate() {
  const table = useTable();
  if (!table) return <Loading />;
  const { database, resource, caps } = table;
  return (
    <Create title={`${database} · ${resource.name}`} redirect={caps.open ? 'show' : 'list'} actions={false} component="div" sx={{ pb: 4 }}>
      <PageHeader
        crumbs={[{ label: 'Databases', to: '/' }, { label: database, to: `/db/${database}` }, { label: resource.name, to: `/db/${database}/${resource.name}` }, { label: 'New row' }]}
        title={`New ${resource.name}`}
        subtitle={tableSubtitle(resource)}
      />
      <Notices model={table.model} resource={resource} />
      <Box sx={{ mt: 2, bgcolor: 'background.paper', border: 1, borderColor: 'divider', borderRadius: 1 }}>
        <SimpleForm>
          <FormFields table={table} mode="create" />
        </SimpleForm>
      </Box>
    </Create>
  );
}
