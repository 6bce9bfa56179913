import { Box } from '@mui/material';
import { BulkDeleteButton, CreateButton, Datagrid, FilterButton, List, Loading, Pagination, TopToolbar } from 'react-admin';
import { fieldSource } from '../rest/adapter';
import { PageHeader } from '../common/PageHeader';
import { Endpoints } from './Endpoints';
import { columnField } from './fields';
import { tableFilters } from './filters';
import { Notices } from './Notices';
import { useTable } from './useTable';

function ListActions({ canCreate }: { canCreate: boolean }) {
  return (
    <TopToolbar>
      <FilterButton />
      {canCreate && <CreateButton variant="contained" />}
    </TopToolbar>
  );
}

/** Describes a table in one line: what it is in SQL, its key and its size in columns. */
export function tableSubtitle(resource: { kind: string; schema: string | null; table: string; primaryKey: string[]; fields: unknown[] }) {
  const sqlName = resource.schema ? `${resource.schema}.${resource.table}` : resource.table;
  const key = resource.kind === 'view' ? 'view' : resource.primaryKey.length > 0 ? `key (${resource.primaryKey.join(', ')})` : 'no primary key';
  return `${resource.kind === 'view' ? 'View' : 'Table'} ${sqlName} · ${key} · ${resource.fields.length} columns`;
}

/** Every table's list: paginated, sortable on every column, filters per column, quick search. */
export function TableList() {
  const table = useTable();
  if (!table) return <Loading />;
  const { database, resource, model, caps, raName } = table;
  const firstKey = resource.primaryKey[0] ?? resource.fields[0]?.name ?? 'id';
  return (
    <Box sx={{ pb: 4 }}>
      <PageHeader
        crumbs={[{ label: 'Databases', to: '/' }, { label: database, to: `/db/${database}` }, { label: resource.name }]}
        title={resource.name}
        subtitle={tableSubtitle(resource)}
      />
      <Notices model={model} resource={resource} />
      <List
        key={raName}
        resource={raName}
        title={`${database} · ${resource.name}`}
        filters={tableFilters(database, model, resource)}
        actions={<ListActions canCreate={caps.create} />}
        perPage={25}
        pagination={<Pagination rowsPerPageOptions={[10, 25, 50, 100]} />}
        sort={{ field: fieldSource(resource, firstKey), order: 'ASC' }}
        exporter={false}
        empty={false}
        sx={{ '& .RaList-main': { minWidth: 0 }, '& .RaList-content': { overflowX: 'auto' } }}
      >
        <Datagrid
          rowClick={caps.open ? 'show' : false}
          bulkActionButtons={caps.remove ? <BulkDeleteButton mutationMode="pessimistic" /> : false}
          size="small"
          sx={{ '& .RaDatagrid-headerCell': { fontWeight: 600, whiteSpace: 'nowrap' }, '& td': { whiteSpace: 'nowrap' } }}
        >
          {resource.fields.map((field) => columnField(database, model, resource, field, 'list'))}
        </Datagrid>
      </List>
      <Endpoints database={database} resource={resource} />
    </Box>
  );
}
