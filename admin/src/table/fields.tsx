import CheckIcon from '@mui/icons-material/Check';
import CloseIcon from '@mui/icons-material/Close';
import { Box, Chip, Tooltip, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { FunctionField, ReferenceField, useRecordContext } from 'react-admin';
import type { DatabaseModel, FieldInfo, ResourceInfo } from '../model';
import { fieldSource } from '../rest/adapter';
import { capabilities } from '../model';
import { referenceFor, targetName } from './useTable';

const NUMERIC = new Set(['int', 'bigint', 'float', 'decimal']);

export function isNumeric(field: FieldInfo): boolean {
  return NUMERIC.has(field.kind);
}

function Null() {
  return (
    <Typography component="span" variant="body2" sx={{ color: 'text.disabled' }} title="NULL">
      —
    </Typography>
  );
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function base64Size(value: string): number {
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((value.length * 3) / 4) - padding);
}

function hexPreview(value: string, bytes: number): string {
  try {
    const binary = atob(value);
    const hex = Array.from(binary.slice(0, bytes), (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(' ');
    return binary.length > bytes ? `${hex} …` : hex;
  } catch {
    return value;
  }
}

const mono = { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace', fontSize: '0.8125rem' } as const;

/** One value, rendered for its column type: compact in lists, complete on the show page. */
export function formatValue(field: FieldInfo, value: unknown, variant: 'list' | 'show'): ReactNode {
  if (value === null || value === undefined) return <Null />;
  switch (field.kind) {
    case 'boolean':
      return value ? (
        <CheckIcon fontSize="small" color="success" titleAccess="true" />
      ) : (
        <CloseIcon fontSize="small" sx={{ color: 'text.secondary' }} titleAccess="false" />
      );
    case 'json': {
      if (variant === 'list') {
        const text = JSON.stringify(value);
        return (
          <Tooltip title={<pre style={{ margin: 0, whiteSpace: 'pre-wrap' }}>{truncate(JSON.stringify(value, null, 2), 2000)}</pre>}>
            <Box component="span" sx={{ ...mono, color: 'text.secondary' }}>
              {truncate(text, 32)}
            </Box>
          </Tooltip>
        );
      }
      return (
        <Box component="pre" sx={{ ...mono, m: 0, p: 1.5, bgcolor: 'action.hover', borderRadius: 1, whiteSpace: 'pre-wrap', wordBreak: 'break-word', maxHeight: 320, overflow: 'auto' }}>
          {JSON.stringify(value, null, 2)}
        </Box>
      );
    }
    case 'bytes': {
      const text = String(value);
      const size = base64Size(text);
      return (
        <Box component="span" sx={mono}>
          {variant === 'list' ? `${size} bytes` : `${size} bytes: ${hexPreview(text, 64)}`}
        </Box>
      );
    }
    case 'datetime':
      return <span>{String(value).replace('T', ' ')}</span>;
    case 'enum':
      return <Chip size="small" label={String(value)} variant="outlined" />;
    case 'uuid':
      return (
        <Box component="span" sx={mono}>
          {variant === 'list' ? truncate(String(value), 13) : String(value)}
        </Box>
      );
    case 'string': {
      const text = String(value);
      if (variant === 'list') {
        return text.length > 60 ? (
          <Tooltip title={truncate(text, 1000)}>
            <span>{truncate(text, 60)}</span>
          </Tooltip>
        ) : (
          <span>{text}</span>
        );
      }
      return <Box component="span" sx={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>{text === '' ? <em style={{ opacity: 0.6 }}>(empty text)</em> : text}</Box>;
    }
    case 'unknown':
      return <Box component="span" sx={mono}>{variant === 'list' ? truncate(String(value), 60) : String(value)}</Box>;
    default:
      return <span>{String(value)}</span>;
  }
}

/** A column as a react-admin field: a link to the referenced row for foreign keys, else its formatted value. */
export function columnField(database: string, model: DatabaseModel, resource: ResourceInfo, field: FieldInfo, variant: 'list' | 'show') {
  const source = fieldSource(resource, field.name);
  const reference = referenceFor(model, resource, field.name);
  const align = isNumeric(field) && !reference ? 'right' : undefined;
  if (reference) {
    return (
      <ReferenceField
        key={field.name}
        source={source}
        label={field.name}
        sortBy={source}
        reference={targetName(database, reference.target.name)}
        link={capabilities(reference.target).open ? 'show' : false}
        emptyText="—"
      />
    );
  }
  return (
    <FunctionField
      key={field.name}
      source={source}
      label={field.name}
      sortBy={source}
      textAlign={align}
      render={(record: Record<string, unknown>) => formatValue(field, record?.[source], variant)}
    />
  );
}

/** For the show page: the key value beside a foreign-key link, so the raw id is visible too. */
export function RawValue({ source }: { source: string }) {
  const record = useRecordContext();
  const value = record?.[source];
  if (value === null || value === undefined) return null;
  return (
    <Typography component="span" variant="caption" sx={{ color: 'text.secondary', ml: 1 }}>
      ({String(value)})
    </Typography>
  );
}
