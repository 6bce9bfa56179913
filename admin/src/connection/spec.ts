import type { ApiError } from '../api';
import type { DatabaseInfo, Dialect } from '../model';

/**
 * The add/edit form's values and their mapping to the management API (pure: unit-tested in
 * test/unit/admin-connection.test.ts).
 */
export interface ConnectionValues {
  name: string;
  dialect: Dialect;
  mode: 'fields' | 'url';
  connection: { url?: string | null; host?: string | null; port?: number | string | null; user?: string | null; password?: string | null; database?: string | null; ssl?: boolean | null; filename?: string | null };
  schemas?: string | null;
}

export const blank = (v: unknown) => v === undefined || v === null || v === '';

/** The JSON the management API takes, from the form's values. */
export function specFromValues(values: ConnectionValues, editing: boolean): Record<string, unknown> {
  const c = values.connection ?? {};
  let connection: Record<string, unknown>;
  if (values.dialect === 'sqlite') connection = { filename: c.filename ?? '' };
  else if (values.mode === 'url') {
    connection = { url: c.url ?? '' };
    if (!blank(c.password)) connection.password = c.password;
  } else {
    connection = {};
    for (const key of ['host', 'user', 'database'] as const) if (!blank(c[key])) connection[key] = String(c[key]).trim();
    if (!blank(c.port)) connection.port = typeof c.port === 'number' ? c.port : Number(c.port);
    if (!blank(c.password)) connection.password = c.password;
    if (c.ssl) connection.ssl = true;
    else if (editing) connection.ssl = false;
  }
  const schemas = (values.schemas ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const spec: Record<string, unknown> = { dialect: values.dialect, connection };
  if (!editing) spec.name = values.name;
  if (schemas.length > 0) spec.schemas = schemas;
  else if (editing) spec.schemas = null;
  return spec;
}

/** The form's values for a registered database (the password is never sent back: left empty). */
export function valuesFromDatabase(db: DatabaseInfo): ConnectionValues {
  const c = db.connection;
  return {
    name: db.name,
    dialect: db.dialect,
    mode: c.url ? 'url' : 'fields',
    connection: { url: c.url ?? null, host: c.host ?? null, port: c.port ?? null, user: c.user ?? null, password: '', database: c.database ?? null, ssl: c.ssl ?? false, filename: c.filename ?? null },
    schemas: db.schemas && db.dialect !== 'sqlite' ? db.schemas.join(', ') : '',
  };
}

/** Server validation (`error.fields` with dotted paths) as form errors on the fields that are shown. */
export function fieldErrors(error: ApiError, values: ConnectionValues): { errors: Record<string, string>; unplaced: string[] } {
  const shown = new Set(['name', 'dialect', 'schemas']);
  if (values.dialect === 'sqlite') shown.add('connection.filename');
  else if (values.mode === 'url') ['connection.url', 'connection.password'].forEach((f) => shown.add(f));
  else ['host', 'port', 'user', 'password', 'database', 'ssl'].forEach((f) => shown.add(`connection.${f}`));
  const errors: Record<string, string> = {};
  const unplaced: string[] = [];
  for (const { field, message } of error.fields) {
    const path = field.startsWith('schemas') ? 'schemas' : field;
    if (shown.has(path)) errors[path] = errors[path] ? `${errors[path]}; ${message}` : message;
    else unplaced.push(`${field === '(body)' ? '' : `${field}: `}${message}`);
  }
  return { errors, unplaced };
}

/** The field a driver's connection error is about (credentials, user, database, host), if any. */
export function fieldForConnectionError(message: string, values: ConnectionValues): string | null {
  if (values.dialect === 'sqlite') return 'connection.filename';
  if (values.mode === 'url') return 'connection.url';
  if (/password|authenticat|access denied/i.test(message)) return 'connection.password';
  if (/\brole\b|\buser\b/i.test(message)) return 'connection.user';
  if (/database .*(does not exist|not exist)|unknown database|service/i.test(message)) return 'connection.database';
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|getaddrinfo|timed? ?out|host/i.test(message)) return 'connection.host';
  return null;
}

