import {
  AutocompleteInput,
  BooleanInput,
  DateInput,
  NullableBooleanInput,
  NumberInput,
  ReferenceInput,
  SelectInput,
  TextInput,
  regex,
  required,
  type Validator,
} from 'react-admin';
import type { ReactElement } from 'react';
import type { DatabaseModel, FieldInfo, ResourceInfo } from '../model';
import { fieldSource } from '../rest/adapter';
import { labelFields, referenceFor, representation, targetName, withTimeZone } from './useTable';

/** A JSON text that does not parse: kept as typed so the person can fix it, refused by validation. */
interface InvalidJson {
  __invalidJson: string;
}
const isInvalidJson = (value: unknown): value is InvalidJson => typeof value === 'object' && value !== null && '__invalidJson' in value;

const formatJson = (value: unknown) => (value === undefined || value === null ? '' : isInvalidJson(value) ? value.__invalidJson : JSON.stringify(value, null, 2));
const parseJson = (text: string): unknown => {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return { __invalidJson: text };
  }
};
const validJson: Validator = (value) => (isInvalidJson(value) ? 'Not valid JSON' : undefined);

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `2024-01-02T03:04:05.123+02:00` -> the same instant as local `2024-01-02T01:04:05` for a datetime-local input. */
function isoToLocal(value: unknown): string {
  if (value === null || value === undefined || value === '') return '';
  const date = new Date(String(value));
  if (Number.isNaN(date.getTime())) return String(value);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
function localToIso(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}
/** Timestamps without a zone are wall-clock text: shown and kept as written, never shifted. */
const formatWallClock = (value: unknown) => (value === null || value === undefined ? '' : String(value).replace(' ', 'T').slice(0, 19));
const parseWallClock = (value: string) => (!value ? null : value.length === 16 ? `${value}:00` : value);
const formatTime = (value: unknown) => (value === null || value === undefined ? '' : String(value).slice(0, 8));
const parseTime = (value: string) => (!value ? null : value.length === 5 ? `${value}:00` : value);

const INTEGER = regex(/^-?\d+$/, 'Must be a whole number');
const DECIMAL = regex(/^-?\d+(\.\d+)?$/, 'Must be a number, e.g. 12.50');
const UUID = regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'Must be a UUID, e.g. 123e4567-e89b-12d3-a456-426614174000');
const BASE64 = regex(/^[A-Za-z0-9+/]*={0,2}$/, 'Must be base64');

/** Inputs that need the whole width (long text, JSON). */
export function isWide(field: FieldInfo): boolean {
  return field.kind === 'json' || (field.kind === 'string' && (field.length === null || field.length > 255)) || field.kind === 'bytes';
}

function helperFor(field: FieldInfo, mode: 'create' | 'edit', isKey: boolean): string {
  const parts = [field.sqlType || field.kind];
  if (mode === 'create' && field.autoIncrement) parts.push('assigned by the database when left empty');
  else if (mode === 'create' && field.hasDefault) parts.push('the column default when left empty');
  if (field.generated) parts.push('computed by the database');
  if (mode === 'edit' && isKey) parts.push('primary key: not editable');
  if (field.comment) parts.push(field.comment);
  return parts.join(' · ');
}

/**
 * The input for one column, matching its type: numbers, dates and times, booleans, enums as
 * selects, JSON and long text as text areas, foreign keys as searchable reference selects.
 * Returns null for what cannot be written on create (generated columns, unknown types).
 */
export function columnInput(database: string, model: DatabaseModel, resource: ResourceInfo, field: FieldInfo, mode: 'create' | 'edit'): ReactElement | null {
  const isKey = resource.primaryKey.includes(field.name);
  if (mode === 'create' && (!field.writable || field.generated)) return null;
  const source = fieldSource(resource, field.name);
  const disabled = !field.writable || (mode === 'edit' && isKey);
  const mustHave = mode === 'create' ? field.required : field.writable && !field.nullable && !disabled;
  const validate: Validator[] = mustHave ? [required()] : [];
  const common = { source, label: field.name, helperText: helperFor(field, mode, isKey), disabled, fullWidth: true };

  const reference = referenceFor(model, resource, field.name);
  if (reference && !disabled) {
    const label = representation(reference.target);
    const named = labelFields(reference.target).length > 0;
    return (
      <ReferenceInput source={source} reference={targetName(database, reference.target.name)} perPage={25}>
        <AutocompleteInput
          label={field.name}
          helperText={`${helperFor(field, mode, isKey)} · references ${reference.target.name}`}
          optionText={(record: Record<string, unknown>) => (named ? `${label(record)} (${String(record?.id ?? '')})` : `#${String(record?.id ?? '')}`)}
          filterToQuery={(q: string) => (q ? { q } : {})}
          validate={validate}
          fullWidth
        />
      </ReferenceInput>
    );
  }

  switch (field.kind) {
    case 'int':
      return <NumberInput {...common} step={1} validate={validate} />;
    case 'float':
      return <NumberInput {...common} validate={validate} />;
    case 'bigint':
      return <TextInput {...common} validate={[...validate, INTEGER]} inputProps={{ inputMode: 'numeric' }} />;
    case 'decimal':
      return <TextInput {...common} validate={[...validate, DECIMAL]} inputProps={{ inputMode: 'decimal' }} />;
    case 'boolean':
      return field.nullable ? <NullableBooleanInput {...common} validate={validate} /> : <BooleanInput {...common} validate={validate} />;
    case 'date':
      return <DateInput {...common} validate={validate} />;
    case 'time':
      return withTimeZone(model, resource, field) ? (
        <TextInput {...common} placeholder="13:45:00+02:00" validate={validate} />
      ) : (
        <TextInput {...common} type="time" inputProps={{ step: 1 }} format={formatTime} parse={parseTime} validate={validate} InputLabelProps={{ shrink: true }} />
      );
    case 'datetime':
      return withTimeZone(model, resource, field) ? (
        <TextInput
          {...common}
          type="datetime-local"
          inputProps={{ step: 1 }}
          format={isoToLocal}
          parse={localToIso}
          validate={validate}
          helperText={`${common.helperText} · in your local time`}
          InputLabelProps={{ shrink: true }}
        />
      ) : (
        <TextInput {...common} type="datetime-local" inputProps={{ step: 1 }} format={formatWallClock} parse={parseWallClock} validate={validate} InputLabelProps={{ shrink: true }} />
      );
    case 'json':
      return (
        <TextInput
          {...common}
          multiline
          minRows={3}
          maxRows={16}
          format={formatJson}
          parse={parseJson}
          validate={[...validate, validJson]}
          sx={{ '& textarea': { fontFamily: 'ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace', fontSize: '0.85rem' } }}
        />
      );
    case 'uuid':
      return <TextInput {...common} validate={[...validate, UUID]} />;
    case 'bytes':
      return <TextInput {...common} multiline maxRows={6} validate={[...validate, BASE64]} helperText={`${common.helperText} · base64`} />;
    case 'enum':
      return <SelectInput {...common} choices={(field.enumValues ?? []).map((v) => ({ id: v, name: v }))} validate={validate} emptyText={field.nullable ? '— (NULL)' : ''} />;
    case 'string': {
      const long = field.length === null || field.length > 255;
      return <TextInput {...common} multiline={long} minRows={long ? 2 : undefined} maxRows={12} validate={validate} inputProps={field.length ? { maxLength: field.length } : undefined} />;
    }
    default:
      return <TextInput {...common} disabled validate={validate} />;
  }
}
