import { z } from 'zod';
import { DIALECTS } from '../model/types';
import type { ConnectionSpec, DatabaseSpec, Dialect } from '../model/types';

/**
 * Input validation for the management API (register / patch a database), plus the helpers
 * that keep passwords out of responses and error messages.
 */

/** What a password looks like in anything lazydb sends back. */
export const MASK = '********';

export const NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
export const NAME_MESSAGE =
  'must start with a lowercase letter and contain only lowercase letters, digits and underscores, ' +
  'at most 63 characters (pattern ^[a-z][a-z0-9_]{0,62}$)';

export interface FieldError {
  /** Dotted path into the request body, e.g. `connection.port`; `(body)` for the body itself. */
  field: string;
  message: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** URL schemes accepted per dialect (lower case, without `:`). */
export const URL_SCHEMES: Record<Dialect, readonly string[]> = {
  postgres: ['postgres', 'postgresql'],
  mysql: ['mysql'],
  mariadb: ['mariadb', 'mysql'],
  oracle: ['oracle'],
  sqlite: ['sqlite', 'file'],
};

const DISCRETE_FIELDS = ['host', 'port', 'user', 'password', 'database', 'ssl'] as const;

// ---------------------------------------------------------------------------------------
// Schemas

const typeError = (expected: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : `must be ${expected}`;

const objectError = (issue: { code?: string; input?: unknown }) =>
  issue.code === 'invalid_type' ? (issue.input === undefined ? 'is required' : 'must be a JSON object') : undefined;

function text(max: number, min = 1) {
  return z
    .string({ error: typeError('a string') })
    .min(min, min === 1 ? 'must not be empty' : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`);
}

const portSchema = z.preprocess(
  // HTML forms send numbers as strings; accept "5432" but nothing looser.
  (value) => (typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value),
  z
    .number({ error: typeError('a whole number between 1 and 65535') })
    .int('must be a whole number between 1 and 65535')
    .min(1, 'must be between 1 and 65535')
    .max(65535, 'must be between 1 and 65535'),
);

const connectionFields = {
  url: text(2048).optional(),
  host: text(256).optional(),
  port: portSchema.optional(),
  user: text(256).optional(),
  password: text(1024, 0).optional(),
  database: text(256).optional(),
  ssl: z.boolean({ error: typeError('true or false') }).optional(),
  filename: text(1024).optional(),
};

export const connectionSchema = z.strictObject(connectionFields, { error: objectError });

export const nameSchema = z.string({ error: typeError('a string') }).regex(NAME_PATTERN, NAME_MESSAGE);

export const dialectSchema = z.enum(DIALECTS, {
  error: (issue) => (issue.input === undefined ? 'is required' : `must be one of ${DIALECTS.join(', ')}`),
});

export const schemasSchema = z
  .array(
    z
      .string({ error: typeError('a string') })
      .min(1, 'must be 1 to 128 characters')
      .max(128, 'must be 1 to 128 characters'),
    {
      error: typeError('an array of schema names'),
    },
  )
  .min(1, 'must name at least one schema (or leave it out for the default)')
  .max(50, 'must name at most 50 schemas');

/** Shape of POST /api/databases. Cross-field rules (which connection form) are in {@link validateRegister}. */
export const registerBodySchema = z.strictObject(
  {
    name: nameSchema,
    dialect: dialectSchema,
    connection: connectionSchema,
    schemas: schemasSchema.optional(),
  },
  { error: objectError },
);

/**
 * Shape of PATCH /api/databases/:name. `name` is accepted only when it equals the current
 * name (clients often send back what they read). In `connection`, a password that is
 * omitted, empty or the mask keeps the stored one; `null` removes it. `schemas: null`
 * returns to the dialect's default schemas.
 */
export const patchBodySchema = z.strictObject(
  {
    name: z.string({ error: typeError('a string') }).optional(),
    dialect: dialectSchema.optional(),
    connection: z
      .strictObject({ ...connectionFields, password: text(1024, 0).nullable().optional() }, { error: objectError })
      .optional(),
    schemas: schemasSchema.nullable().optional(),
  },
  { error: objectError },
);

export type RegisterBody = z.infer<typeof registerBodySchema>;
export type PatchBody = z.infer<typeof patchBodySchema>;

// ---------------------------------------------------------------------------------------
// Validation entry points

/** Validates a register body, including which connection form fits the dialect. */
export function validateRegister(body: unknown): ValidationResult<DatabaseSpec> {
  const parsed = registerBodySchema.safeParse(body);
  const errors = parsed.success ? [] : validationErrors(parsed.error);
  // Cross-field rules run even when other fields failed, so one round trip names every problem.
  const raw = isRecord(body) ? body : {};
  const dialect = dialectSchema.safeParse(raw.dialect);
  const connection = connectionSchema.safeParse(raw.connection);
  if (dialect.success && connection.success) {
    errors.push(...connectionFormErrors(dialect.data, connection.data));
  }
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, value: toSpec(parsed.data) };
}

/** Validates a patch body against the stored spec and returns the merged, validated spec. */
export function validatePatch(existing: DatabaseSpec, body: unknown): ValidationResult<DatabaseSpec> {
  const parsed = patchBodySchema.safeParse(body);
  const errors = parsed.success ? [] : validationErrors(parsed.error);
  if (isRecord(body) && typeof body.name === 'string' && body.name !== existing.name) {
    errors.push({ field: 'name', message: 'cannot be changed; register a new database and remove this one' });
  }
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };
  return validateRegister(mergePatch(existing, parsed.data));
}

/**
 * Applies a (schema-valid) patch to a stored spec. The result still needs
 * {@link validateRegister}: a patch may, for instance, change the dialect without the URL.
 */
export function mergePatch(existing: DatabaseSpec, patch: PatchBody): DatabaseSpec {
  const merged: DatabaseSpec = { name: existing.name, dialect: patch.dialect ?? existing.dialect, connection: existing.connection };
  if (existing.schemas) merged.schemas = [...existing.schemas];
  if (patch.schemas === null) delete merged.schemas;
  else if (patch.schemas) merged.schemas = [...patch.schemas];

  if (patch.connection) {
    const p = patch.connection;
    const old = existing.connection;
    const oldPassword = old.password ?? (old.url !== undefined ? urlPassword(old.url) : undefined);
    const changesForm = p.url !== undefined || p.filename !== undefined;
    // Discrete fields merge field by field; a new url or filename replaces the whole form.
    const base: ConnectionSpec = !changesForm && isDiscrete(old) ? { ...old } : {};
    delete base.password;
    const next: ConnectionSpec = { ...base };
    for (const [key, value] of Object.entries(p)) {
      if (key !== 'password' && value !== undefined && value !== null) {
        (next as Record<string, unknown>)[key] = value;
      }
    }
    const keep = p.password === undefined || p.password === '' || p.password === MASK;
    if (next.url !== undefined) {
      if (p.password === null) {
        // explicit removal: the url is taken as given
      } else if (keep) {
        const current = urlPasswordRaw(next.url);
        if (current === null || current === '' || current === MASK) next.url = withUrlPassword(next.url, oldPassword);
      } else {
        next.password = p.password; // url and password together: validateRegister reports the conflict
      }
    } else if (next.filename !== undefined) {
      if (typeof p.password === 'string' && !keep) next.password = p.password;
    } else if (p.password !== null) {
      const password = keep ? oldPassword : p.password;
      if (password !== undefined) next.password = password;
    }
    merged.connection = next;
  } else {
    merged.connection = { ...existing.connection };
  }
  return merged;
}

/** Flattens a zod error into `{ field, message }` with dotted paths; one entry per unknown key. */
export function validationErrors(error: z.ZodError): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: [...base, key].join('.'), message: 'is not a known field' });
      continue;
    }
    out.push({ field: base.length > 0 ? base.join('.') : '(body)', message: issue.message });
  }
  return out;
}

/** Which connection form fits the dialect: url, discrete fields, or (SQLite) filename. */
export function connectionFormErrors(dialect: Dialect, connection: ConnectionSpec): FieldError[] {
  const errors: FieldError[] = [];
  const err = (field: string, message: string) => errors.push({ field: `connection.${field}`, message });
  const present = DISCRETE_FIELDS.filter((field) => connection[field] !== undefined);

  if (dialect === 'sqlite') {
    for (const field of present) err(field, 'is not used for sqlite: give filename (or a sqlite:/file: url)');
    if (connection.url !== undefined && connection.filename !== undefined) {
      err('url', 'give either url or filename, not both');
    } else if (connection.url === undefined && connection.filename === undefined) {
      err('filename', 'is required for sqlite (or give a sqlite:/file: url)');
    }
    if (connection.url !== undefined) {
      const scheme = urlScheme(connection.url);
      if (scheme === null || !URL_SCHEMES.sqlite.includes(scheme)) {
        err('url', 'must be a sqlite: or file: URL for dialect sqlite');
      }
    }
    return errors;
  }

  if (connection.filename !== undefined) err('filename', `is only used for sqlite, not ${dialect}`);
  if (connection.url !== undefined) {
    for (const field of present) err(field, 'give either url or the separate fields (host, port, user, ...), not both');
    const schemes = URL_SCHEMES[dialect];
    const scheme = urlScheme(connection.url);
    if (scheme === null || !schemes.includes(scheme)) {
      err('url', `must be a ${schemes.map((s) => `${s}://`).join(' or ')} URL for dialect ${dialect}`);
    } else {
      let host = '';
      try {
        host = new URL(connection.url).hostname;
      } catch {
        err('url', 'is not a valid URL (special characters in the password must be percent-encoded)');
        return errors;
      }
      if (host === '') err('url', 'must name a host, e.g. ' + exampleUrl(dialect));
    }
    return errors;
  }
  if (connection.filename === undefined) {
    if (connection.host === undefined) err('host', 'is required (or give url)');
    if (connection.user === undefined) err('user', 'is required (or give url)');
    if (connection.database === undefined) {
      err('database', dialect === 'oracle' ? 'is required: the service name, e.g. FREEPDB1' : 'is required (or give url)');
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------
// Masking and redaction

/** A copy of `spec` safe to show: password and any password inside the URL become {@link MASK}. */
export function maskSpec(spec: DatabaseSpec): DatabaseSpec {
  const connection: ConnectionSpec = { ...spec.connection };
  if (connection.password !== undefined && connection.password !== '') connection.password = MASK;
  if (connection.url !== undefined) connection.url = maskUrl(connection.url);
  const masked: DatabaseSpec = { ...spec, connection };
  if (spec.schemas) masked.schemas = [...spec.schemas];
  return masked;
}

/** `postgres://u:secret@h/db` -> `postgres://u:********@h/db`; everything else is left as written. */
export function maskUrl(url: string): string {
  const at = locateUrlPassword(url);
  if (!at || at.end === at.start) return url;
  return `${url.slice(0, at.start)}${MASK}${url.slice(at.end)}`;
}

/**
 * Removes the spec's password (as written, URL-encoded and URL-decoded) from arbitrary text,
 * e.g. an error message from a driver, and masks any `scheme://user:password@` it contains.
 */
export function redactSecrets(text: string, spec: DatabaseSpec | ConnectionSpec): string {
  const connection = 'connection' in spec ? spec.connection : spec;
  const secrets = new Set<string>();
  const addVariants = (secret: string | undefined | null) => {
    if (!secret) return;
    secrets.add(secret);
    secrets.add(encodeURIComponent(secret));
    try {
      secrets.add(decodeURIComponent(secret));
    } catch {
      // not percent-encoded: the raw form is already in the set
    }
  };
  addVariants(connection.password);
  if (connection.url !== undefined) addVariants(urlPasswordRaw(connection.url));
  let out = text;
  // Longest first, so a password that contains another variant is removed whole.
  for (const secret of [...secrets].filter((s) => s !== '' && s !== MASK).sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(MASK);
  }
  return out.replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)[^\s@/]+@/gi, (_match, head: string) => `${head}${MASK}@`);
}

// ---------------------------------------------------------------------------------------
// URL helpers (string surgery rather than `new URL`, so the rest of the URL stays as written)

/** The password part of a URL as written (still percent-encoded), '' if empty, null if none. */
export function urlPasswordRaw(url: string): string | null {
  const at = locateUrlPassword(url);
  return at ? url.slice(at.start, at.end) : null;
}

/** The decoded password of a URL, or undefined when it has none. */
export function urlPassword(url: string): string | undefined {
  const raw = urlPasswordRaw(url);
  if (raw === null || raw === '') return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Returns `url` with its password set to `password` (encoded), or removed when undefined. */
export function withUrlPassword(url: string, password: string | undefined): string {
  const at = locateUrlPassword(url);
  if (at) {
    if (password === undefined) return `${url.slice(0, at.start - 1)}${url.slice(at.end)}`;
    return `${url.slice(0, at.start)}${encodeURIComponent(password)}${url.slice(at.end)}`;
  }
  if (password === undefined) return url;
  const authority = locateAuthority(url);
  if (!authority) return url;
  const atSign = url.lastIndexOf('@', authority.end - 1);
  if (atSign >= authority.start) {
    return `${url.slice(0, atSign)}:${encodeURIComponent(password)}${url.slice(atSign)}`;
  }
  return `${url.slice(0, authority.start)}:${encodeURIComponent(password)}@${url.slice(authority.start)}`;
}

function locateAuthority(url: string): { start: number; end: number } | null {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0) return null;
  const start = schemeEnd + 3;
  let end = url.length;
  for (const stop of ['/', '?', '#']) {
    const index = url.indexOf(stop, start);
    if (index >= 0 && index < end) end = index;
  }
  return { start, end };
}

function locateUrlPassword(url: string): { start: number; end: number } | null {
  const authority = locateAuthority(url);
  if (!authority) return null;
  const atSign = url.lastIndexOf('@', authority.end - 1);
  if (atSign < authority.start) return null;
  const colon = url.indexOf(':', authority.start);
  if (colon < 0 || colon > atSign) return null;
  return { start: colon + 1, end: atSign };
}

function urlScheme(url: string): string | null {
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(url.trim());
  return match?.[1] ? match[1].toLowerCase() : null;
}

function exampleUrl(dialect: Dialect): string {
  switch (dialect) {
    case 'postgres':
      return 'postgres://user:password@host:5432/database';
    case 'mysql':
    case 'mariadb':
      return 'mysql://user:password@host:3306/database';
    case 'oracle':
      return 'oracle://user:password@host:1521/FREEPDB1';
    case 'sqlite':
      return 'file:/path/to/file.sqlite';
  }
}

function isDiscrete(connection: ConnectionSpec): boolean {
  return connection.url === undefined && connection.filename === undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toSpec(body: RegisterBody): DatabaseSpec {
  const connection: ConnectionSpec = {};
  for (const [key, value] of Object.entries(body.connection)) {
    if (value !== undefined) (connection as Record<string, unknown>)[key] = value;
  }
  const spec: DatabaseSpec = { name: body.name, dialect: body.dialect, connection };
  if (body.schemas) spec.schemas = [...body.schemas];
  return spec;
}
