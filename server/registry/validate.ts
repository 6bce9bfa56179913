import { isIP } from 'node:net';
import { z } from 'zod';
import { dialectModule } from '../introspect';
import { DIALECTS } from '../model/types';
import type { ConnectionSpec, DatabaseSpec, Dialect } from '../model/types';
import type { FieldError } from '../admin-api/types';

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

/** A field of the body that is wrong and why: part of the management API's answers (admin-api/types.ts). */
export type { FieldError };

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

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

/** The same range as LAZYDB_STATEMENT_TIMEOUT_MS: every statement has a timeout, none turns it off. */
export const statementTimeoutSchema = z
  .number({ error: typeError('a whole number of milliseconds between 100 and 86400000') })
  .int('must be a whole number of milliseconds between 100 and 86400000')
  .min(100, 'must be between 100 and 86400000 ms')
  .max(86_400_000, 'must be between 100 and 86400000 ms');

/** Shape of POST /api/databases. Cross-field rules (which connection form) are in {@link validateRegister}. */
export const registerBodySchema = z.strictObject(
  {
    name: nameSchema,
    dialect: dialectSchema,
    connection: connectionSchema,
    schemas: schemasSchema.optional(),
    statementTimeoutMs: statementTimeoutSchema.optional(),
  },
  { error: objectError },
);

/**
 * Shape of PATCH /api/databases/:name. `name` is accepted only when it equals the current
 * name (clients often send back what they read). In `connection`, a password that is
 * omitted, empty or the mask keeps the stored one; `null` removes it. `schemas: null`
 * returns to the dialect's default schemas; `statementTimeoutMs: null` to LAZYDB_STATEMENT_TIMEOUT_MS.
 */
export const patchBodySchema = z.strictObject(
  {
    name: z.string({ error: typeError('a string') }).optional(),
    dialect: dialectSchema.optional(),
    connection: z
      .strictObject({ ...connectionFields, password: text(1024, 0).nullable().optional() }, { error: objectError })
      .optional(),
    schemas: schemasSchema.nullable().optional(),
    statementTimeoutMs: statementTimeoutSchema.nullable().optional(),
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
    const formErrors = connectionFormErrors(dialect.data, connection.data);
    errors.push(...formErrors, ...connectionSafetyErrors(connection.data));
    if (formErrors.length === 0 && errors.length === 0) {
      // The dialect's own rules need a connection of the right form (a URL that parses).
      for (const problem of dialectModule(dialect.data).connectionProblems(connection.data)) {
        errors.push({ field: `connection.${problem.field}`, message: problem.message });
      }
    }
  }
  if (Array.isArray(raw.schemas)) {
    raw.schemas.forEach((schema, index) => {
      if (typeof schema === 'string' && CONTROL_CHARACTER.test(schema)) errors.push({ field: `schemas.${index}`, message: CONTROL_MESSAGE });
    });
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
  const merged = validateRegister(mergePatch(existing, parsed.data));
  if (!merged.ok) return merged;
  if (reusesStoredPassword(existing, merged.value, parsed.data) && !sameTarget(existing, merged.value)) {
    return { ok: false, errors: [{ field: 'connection.password', message: STORED_PASSWORD_MESSAGE }] };
  }
  return merged;
}

export const STORED_PASSWORD_MESSAGE =
  'is required again: the stored password is only sent to the server it was stored for, so give the password ' +
  'again to change the dialect, host, port, user, database, ssl or URL parameters';

/** The password a spec sends: the field, or the one inside its URL. */
export function effectivePassword(spec: DatabaseSpec): string | undefined {
  const connection = spec.connection;
  if (connection.password !== undefined && connection.password !== '') return connection.password;
  return connection.url !== undefined ? urlPassword(connection.url) : undefined;
}

/** The patch types a password of its own (not empty, not the mask), as a field or inside a new URL. */
function givesPasswordAnew(patch: PatchBody): boolean {
  const p = patch.connection;
  if (!p) return false;
  if (typeof p.password === 'string' && p.password !== '' && p.password !== MASK) return true;
  if (p.url !== undefined) {
    const inUrl = urlPassword(p.url);
    return inUrl !== undefined && inUrl !== MASK;
  }
  return false;
}

/** The merged spec would send the stored password, which the patch did not give again. */
function reusesStoredPassword(existing: DatabaseSpec, merged: DatabaseSpec, patch: PatchBody): boolean {
  const stored = effectivePassword(existing);
  return stored !== undefined && effectivePassword(merged) === stored && !givesPasswordAnew(patch);
}

/**
 * Where and as whom a spec connects, as one comparable string: the dialect and the target as
 * the dialect module reads it (host, port, user, database, TLS, URL parameters, or the file),
 * never the password. The same server written as a URL or as fields gives the same identity.
 */
export function targetIdentity(spec: DatabaseSpec): string {
  return JSON.stringify({ dialect: spec.dialect, target: dialectModule(spec.dialect).connectionTarget(spec) });
}

function sameTarget(a: DatabaseSpec, b: DatabaseSpec): boolean {
  try {
    return targetIdentity(a) === targetIdentity(b);
  } catch {
    return false; // a spec the dialect cannot read is no proof of anything
  }
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
  const timeout = patch.statementTimeoutMs === undefined ? existing.statementTimeoutMs : patch.statementTimeoutMs;
  if (timeout !== undefined && timeout !== null) merged.statementTimeoutMs = timeout;

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
  const help = dialectModule(dialect).connectionHelp;

  if (dialect === 'sqlite') {
    for (const field of present) err(field, 'is not used for sqlite: give filename (or a sqlite:/file: url)');
    if (connection.url !== undefined && connection.filename !== undefined) {
      err('url', 'give either url or filename, not both');
    } else if (connection.url === undefined && connection.filename === undefined) {
      err('filename', 'is required for sqlite (or give a sqlite:/file: url)');
    }
    if (connection.url !== undefined) {
      const schemes = help.urlSchemes;
      const scheme = urlScheme(connection.url);
      if (scheme === null || !schemes.includes(scheme)) {
        err('url', `must be a ${schemes.map((s) => `${s}:`).join(' or ')} URL for dialect sqlite`);
      }
    }
    return errors;
  }

  if (connection.filename !== undefined) err('filename', `is only used for sqlite, not ${dialect}`);
  if (connection.url !== undefined) {
    for (const field of present) err(field, 'give either url or the separate fields (host, port, user, ...), not both');
    const schemes = help.urlSchemes;
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
      if (host === '') err('url', `must name a host, e.g. ${help.exampleUrl}`);
    }
    return errors;
  }
  if (connection.filename === undefined) {
    if (connection.host === undefined) err('host', 'is required (or give url)');
    if (connection.user === undefined) err('user', 'is required (or give url)');
    if (connection.database === undefined) {
      const example = help.exampleConnection.database;
      err('database', `is required: the ${help.databaseLabel.toLowerCase()}${example ? `, e.g. ${example}` : ''} (or give url)`);
    }
  }
  return errors;
}

/**
 * C0 and C1 control characters, DEL and the Unicode line and paragraph separators: none belongs
 * in a host, a user name, a password, a path or a schema name, and in a field that a driver writes
 * into a protocol line (CRLF in `user`) they are how a request to one service smuggles another.
 */
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROL_MESSAGE = 'must not contain control characters (line breaks, tabs, NUL, ...)';

const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/;
const HOST_MESSAGE = 'must be a host name or an IP address (unix sockets and paths are not supported)';

/** A host name or an IP address (IPv6 without brackets), nothing else: no socket path, no `@`, no `%`. */
export function isHostName(host: string): boolean {
  if (host.includes('%')) return false; // an IPv6 zone (fe80::1%eth0) or a percent-encoded socket path
  if (isIP(host) !== 0) return true;
  return HOST_NAME.test(host) && !host.includes('..');
}

/** Control characters anywhere (decoded too, for a URL) and hosts that are not host names. */
export function connectionSafetyErrors(connection: ConnectionSpec): FieldError[] {
  const errors: FieldError[] = [];
  const err = (field: string, message: string) => errors.push({ field: `connection.${field}`, message });
  for (const field of ['url', 'host', 'user', 'password', 'database', 'filename'] as const) {
    const value = connection[field];
    if (typeof value === 'string' && CONTROL_CHARACTER.test(value)) err(field, CONTROL_MESSAGE);
  }
  if (typeof connection.url === 'string' && !CONTROL_CHARACTER.test(connection.url)) {
    let decoded = connection.url;
    try {
      decoded = decodeURIComponent(connection.url.replace(/\+/g, ' '));
    } catch {
      // a malformed escape decodes to nothing hidden
    }
    if (CONTROL_CHARACTER.test(decoded)) err('url', `${CONTROL_MESSAGE}, percent-encoded or not`);
  }
  if (typeof connection.host === 'string' && !CONTROL_CHARACTER.test(connection.host) && !isHostName(connection.host)) {
    err('host', HOST_MESSAGE);
  }
  if (typeof connection.url === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(connection.url) && !/^(file|sqlite3?):/i.test(connection.url)) {
    let host: string | null = null;
    try {
      host = new URL(connection.url).hostname;
    } catch {
      // reported by the form checks
    }
    const bare = host?.replace(/^\[(.*)\]$/, '$1');
    if (bare && !isHostName(bare)) err('url', `its host ${HOST_MESSAGE}`);
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

/**
 * Query parameters whose value is a secret or may lead to one (`password`, `sslpassword`, `pass`,
 * `pwd`, `secret`, `token`, `api_key`, `sslkey`, ...): masked wherever a URL is shown.
 */
export const SECRET_PARAMETER = /pass|pwd|secret|token|credential|key|auth/i;

/**
 * `postgres://u:secret@h/db?password=x` -> `postgres://u:********@h/db?password=********`: the
 * userinfo password and every secret-like query parameter; everything else is left as written.
 */
export function maskUrl(url: string): string {
  const at = locateUserinfoPassword(url);
  const out = at && at.end > at.start ? `${url.slice(0, at.start)}${MASK}${url.slice(at.end)}` : url;
  return maskQuery(out);
}

function maskQuery(url: string): string {
  const query = locateQuery(url);
  if (!query) return url;
  const parts = url
    .slice(query.start, query.end)
    .split('&')
    .map((part) => {
      const equals = part.indexOf('=');
      if (equals < 0) return part;
      const value = part.slice(equals + 1);
      return value !== '' && SECRET_PARAMETER.test(decodeParameter(part.slice(0, equals))) ? `${part.slice(0, equals + 1)}${MASK}` : part;
    });
  return `${url.slice(0, query.start)}${parts.join('&')}${url.slice(query.end)}`;
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
  if (connection.url !== undefined) {
    addVariants(urlPasswordRaw(connection.url));
    addVariants(urlPassword(connection.url));
    const query = locateQuery(connection.url);
    if (query) {
      for (const part of connection.url.slice(query.start, query.end).split('&')) {
        const equals = part.indexOf('=');
        if (equals > 0 && SECRET_PARAMETER.test(decodeParameter(part.slice(0, equals)))) {
          addVariants(part.slice(equals + 1));
          addVariants(decodeParameter(part.slice(equals + 1)));
        }
      }
    }
  }
  let out = text;
  // Longest first, so a password that contains another variant is removed whole.
  for (const secret of [...secrets].filter((s) => s !== '' && s !== MASK).sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(MASK);
  }
  return out
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)[^\s@/]+@/gi, (_match, head: string) => `${head}${MASK}@`)
    .replace(/([?&][^\s=&?#]*(?:pass|pwd|secret|token|credential|key|auth)[^\s=&?#]*=)[^\s&#'"]+/gi, (_match, head: string) => `${head}${MASK}`);
}

// ---------------------------------------------------------------------------------------
// URL helpers (string surgery rather than `new URL`, so the rest of the URL stays as written)

/**
 * The password part of a URL as written (still percent-encoded): the userinfo's, or else the
 * `password` query parameter's (PostgreSQL takes both); '' if empty, null if none.
 */
export function urlPasswordRaw(url: string): string | null {
  const at = locateUrlPassword(url);
  return at ? url.slice(at.start, at.end) : null;
}

/** The decoded password of a URL, or undefined when it has none. */
export function urlPassword(url: string): string | undefined {
  const at = locateUrlPassword(url);
  if (!at || at.end === at.start) return undefined;
  const raw = url.slice(at.start, at.end);
  if (at.inQuery) return decodeParameter(raw);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Returns `url` with its password set to `password` (encoded), or removed when undefined. */
export function withUrlPassword(url: string, password: string | undefined): string {
  const at = locateUrlPassword(url);
  if (at?.inQuery) {
    if (password !== undefined) return `${url.slice(0, at.start)}${encodeURIComponent(password)}${url.slice(at.end)}`;
    // Drop `password=...` and the separator before it (keeping a `?` when other parameters follow).
    const nameStart = at.start - 'password='.length;
    const separator = url[nameStart - 1];
    const next = url[at.end];
    if (separator === '?') return `${url.slice(0, nameStart)}${next === '&' ? url.slice(at.end + 1) : url.slice(at.end)}`.replace(/\?$/, '');
    return `${url.slice(0, nameStart - 1)}${url.slice(at.end)}`;
  }
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

/** Where the password of a URL stands: a non-empty userinfo password first, else a `password` query parameter. */
function locateUrlPassword(url: string): { start: number; end: number; inQuery: boolean } | null {
  const userinfo = locateUserinfoPassword(url);
  if (userinfo && userinfo.end > userinfo.start) return { ...userinfo, inQuery: false };
  const query = locateQuery(url);
  if (query) {
    let offset = query.start;
    for (const part of url.slice(query.start, query.end).split('&')) {
      if (part.startsWith('password=')) return { start: offset + 'password='.length, end: offset + part.length, inQuery: true };
      offset += part.length + 1;
    }
  }
  return userinfo ? { ...userinfo, inQuery: false } : null;
}

/** The query of a URL: after `?`, before `#`. */
function locateQuery(url: string): { start: number; end: number } | null {
  const question = url.indexOf('?');
  if (question < 0) return null;
  const hash = url.indexOf('#', question);
  return { start: question + 1, end: hash < 0 ? url.length : hash };
}

/** A query parameter name or value as URLSearchParams decodes it (`+` is a space). */
function decodeParameter(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function locateUserinfoPassword(url: string): { start: number; end: number } | null {
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

/** `db.example.` -> `db.example` (an address or a name without the dot is left alone). */
function withoutTrailingDot(host: string): string {
  return host.length > 1 && host.endsWith('.') && isIP(host) === 0 ? host.slice(0, -1) : host;
}

/** The URL with a trailing dot removed from its host name; everything else as written. */
function urlWithoutTrailingDot(url: string): string {
  const authority = locateAuthority(url);
  if (!authority) return url;
  const atSign = url.lastIndexOf('@', authority.end - 1);
  const hostStart = atSign >= authority.start ? atSign + 1 : authority.start;
  if (url[hostStart] === '[') return url; // an IPv6 address has no trailing dot
  const colon = url.indexOf(':', hostStart);
  const hostEnd = colon >= 0 && colon < authority.end ? colon : authority.end;
  const host = url.slice(hostStart, hostEnd);
  const trimmed = withoutTrailingDot(host);
  return trimmed === host ? url : `${url.slice(0, hostStart)}${trimmed}${url.slice(hostEnd)}`;
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
  // `db.example.` and `db.example` are one server to the driver but not to every check: the
  // trailing dot goes here, once, so the target policy, the target identity and the driver all see
  // the same name.
  if (connection.host !== undefined) connection.host = withoutTrailingDot(connection.host);
  if (connection.url !== undefined && body.dialect !== 'sqlite') connection.url = urlWithoutTrailingDot(connection.url);
  const spec: DatabaseSpec = { name: body.name, dialect: body.dialect, connection };
  if (body.schemas) spec.schemas = [...body.schemas];
  if (body.statementTimeoutMs !== undefined) spec.statementTimeoutMs = body.statementTimeoutMs;
  return spec;
}
