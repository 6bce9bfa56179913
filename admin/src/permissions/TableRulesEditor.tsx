import { Alert, Box, Checkbox, FormControlLabel, FormGroup, FormHelperText, Stack, TextField, Typography } from '@mui/material';
import type { Operation } from '../auth/model';
import { JsonField } from '../common/JsonField';
import type { ResourceInfo } from '../model';
import { ENTRIES, OPERATIONS, entryKey, type EntryName, type OperationDraft, type TableDraft } from './draft';

const TITLES: Record<Operation, string> = { select: 'Read (select)', insert: 'Insert', update: 'Update', delete: 'Delete' };

const JSON_HELP: Partial<Record<EntryName, Record<string, string>>> = {
  filter: {
    select: 'Rows the role sees: a where of this table, e.g. { "artist_id": { "_eq": 1 } }; { } is every row. Values may name X-Lazydb-User-Id.',
    update: 'Rows the role may update (a where; { } is every row).',
    delete: 'Rows the role may delete (a where; { } is every row).',
  },
  check: {
    insert: 'Each inserted row must pass it, or nothing is written (a where; { } lets every row in).',
    update: 'Each row as updated must pass it (empty: no check).',
  },
  set: {
    insert: 'Column presets the server sets whatever the client sends, e.g. { "owner": "X-Lazydb-User-Id" } (empty: none).',
    update: 'Column presets the server sets whatever the client sends (empty: none).',
  },
};

type Messages = (operation: Operation | '', entry: EntryName | '') => string[];

function ColumnsEditor({ id, resource, draft, onChange, messages }: { id: string; resource: ResourceInfo | undefined; draft: OperationDraft; onChange(patch: Partial<OperationDraft>): void; messages: string[] }) {
  const fields = resource?.fields.map((f) => f.name) ?? draft.columns;
  const toggle = (name: string) => onChange({ columns: draft.columns.includes(name) ? draft.columns.filter((c) => c !== name) : fields.filter((f) => f === name || draft.columns.includes(f)) });
  return (
    <Box>
      <Typography variant="body2" fontWeight={600}>
        Columns
      </Typography>
      <FormControlLabel
        control={<Checkbox size="small" checked={draft.allColumns} onChange={(e) => onChange({ allColumns: e.target.checked, columns: e.target.checked ? [] : [...fields] })} slotProps={{ input: { 'data-testid': `${id}-all-columns` } as object }} />}
        label="All columns (now and after schema changes)"
      />
      {!draft.allColumns && (
        <FormGroup row sx={{ pl: 2 }}>
          {fields.map((name) => (
            <FormControlLabel
              key={name}
              control={<Checkbox size="small" checked={draft.columns.includes(name)} onChange={() => toggle(name)} slotProps={{ input: { 'data-testid': `${id}-column-${name}` } as object }} />}
              label={<Box component="span" sx={{ fontFamily: 'monospace', fontSize: '0.85rem' }}>{name}</Box>}
            />
          ))}
        </FormGroup>
      )}
      {messages.length > 0 && <FormHelperText error>{messages.join(' · ')}</FormHelperText>}
    </Box>
  );
}

/** One table's rules for one role: per allowed operation, its columns, filters, checks, presets and limits. */
export function TableRulesEditor({
  table,
  resource,
  draft,
  onChange,
  messages,
}: {
  table: string;
  resource: ResourceInfo | undefined;
  draft: TableDraft;
  onChange(operation: Operation, patch: Partial<OperationDraft>): void;
  messages: Messages;
}) {
  const enabled = OPERATIONS.filter((o) => draft[o].enabled);
  const tableMessages = messages('', '');
  return (
    <Stack spacing={2} sx={{ py: 1 }} data-testid={`perm-editor-${table}`}>
      {!resource && <Alert severity="warning">The schema has no table {table} any more: its rules are kept until you turn them off.</Alert>}
      {tableMessages.length > 0 && <Alert severity="error">{tableMessages.join(' · ')}</Alert>}
      {enabled.length === 0 && <Typography color="text.secondary">The role may do nothing with {table}: tick an operation above.</Typography>}
      {enabled.map((operation) => {
        const op = draft[operation];
        const id = `perm-${table}-${operation}`;
        const change = (patch: Partial<OperationDraft>) => onChange(operation, patch);
        const operationMessages = messages(operation, '');
        return (
          <Box key={operation} sx={{ border: 1, borderColor: 'divider', borderRadius: 1, p: 1.5 }}>
            <Typography variant="subtitle2" sx={{ mb: 1 }}>
              {TITLES[operation]}
            </Typography>
            {operationMessages.length > 0 && (
              <Alert severity="error" sx={{ mb: 1 }}>
                {operationMessages.join(' · ')}
              </Alert>
            )}
            <Stack spacing={1.5}>
              {ENTRIES[operation].map((entry) => {
                const entryMessages = messages(operation, entry);
                if (entry === 'columns') return <ColumnsEditor key={entry} id={id} resource={resource} draft={op} onChange={change} messages={entryMessages} />;
                if (entry === 'limit') {
                  return (
                    <TextField
                      key={entry}
                      label="Most rows per read"
                      size="small"
                      value={op.limit}
                      onChange={(e) => change({ limit: e.target.value })}
                      error={entryMessages.length > 0}
                      helperText={entryMessages.join(' · ') || 'Empty: the server\'s LAZYDB_MAX_LIMIT.'}
                      sx={{ maxWidth: 320 }}
                      slotProps={{ htmlInput: { inputMode: 'numeric', 'data-testid': `${id}-limit` } }}
                    />
                  );
                }
                if (entry === 'aggregate') {
                  return (
                    <Box key={entry}>
                      <FormControlLabel
                        control={<Checkbox size="small" checked={op.aggregate} onChange={(e) => change({ aggregate: e.target.checked })} />}
                        label={`Aggregates (${resource?.graphql.aggregate ?? `${table}_aggregate`}: counts, sums… over the rows it sees)`}
                      />
                      {entryMessages.length > 0 && <FormHelperText error>{entryMessages.join(' · ')}</FormHelperText>}
                    </Box>
                  );
                }
                const label = entry === 'filter' ? 'Row filter' : entry === 'check' ? 'Check' : 'Presets';
                return (
                  <JsonField
                    key={entry}
                    label={label}
                    value={op[entry]}
                    onChange={(text) => change({ [entry]: text })}
                    serverError={entryMessages.length > 0 ? entryMessages.join(' · ') : undefined}
                    helperText={JSON_HELP[entry]?.[operation]}
                    testId={`${id}-${entry}`}
                    minRows={2}
                  />
                );
              })}
            </Stack>
          </Box>
        );
      })}
    </Stack>
  );
}
