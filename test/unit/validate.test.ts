import { describe, expect, it } from 'vitest';
import { dialectModule } from '../../server/introspect';
import { DIALECTS, type DatabaseSpec } from '../../server/model/types';
import {
  MASK,
  maskSpec,
  maskUrl,
  redactSecrets,
  registerBodySchema,
  urlPassword,
  validatePatch,
  validateRegister,
  validationErrors,
  withUrlPassword,
} from '../../server/registry/validate';
import type { FieldError } from '../../server/registry/validate';

function errorsOf(body: unknown): FieldError[] {
  const result = validateRegister(body);
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(body)}`);
  return result.errors;
}

function fields(errors: FieldError[]): string[] {
  return errors.map((error) => error.field).sort();
}

function messageFor(errors: FieldError[], field: string): string {
  const found = errors.find((error) => error.field === field);
  if (!found) throw new Error(`no error for ${field}: ${JSON.stringify(errors)}`);
  return found.message;
}

const pg = { host: 'db.example.com', port: 5432, user: 'app', password: 'pw', database: 'shop', ssl: true };

describe('validateRegister: accepted bodies', () => {
  it.each<[string, unknown]>([
    ['postgres url', { name: 'shop', dialect: 'postgres', connection: { url: 'postgres://app:pw@db:5432/shop' } }],
    ['postgresql url', { name: 'shop', dialect: 'postgres', connection: { url: 'postgresql://db/shop' } }],
    ['postgres discrete', { name: 'shop', dialect: 'postgres', connection: pg, schemas: ['public', 'inventory'] }],
    ['mysql url', { name: 'm', dialect: 'mysql', connection: { url: 'mysql://root@127.0.0.1:3306/app' } }],
    ['mariadb with mysql://', { name: 'm', dialect: 'mariadb', connection: { url: 'mysql://root@h/app' } }],
    ['mariadb with mariadb://', { name: 'm', dialect: 'mariadb', connection: { url: 'mariadb://root@h/app' } }],
    ['oracle url', { name: 'o', dialect: 'oracle', connection: { url: 'oracle://app:pw@h:1521/FREEPDB1' } }],
    ['oracle discrete', { name: 'o', dialect: 'oracle', connection: { host: 'h', user: 'app', database: 'FREEPDB1' } }],
    ['sqlite filename', { name: 'demo', dialect: 'sqlite', connection: { filename: './data/demo.sqlite' } }],
    ['sqlite url', { name: 'demo', dialect: 'sqlite', connection: { url: 'file:./data/demo.sqlite' } }],
    ['sqlite: url', { name: 'demo', dialect: 'sqlite', connection: { url: 'sqlite:///tmp/x.db' } }],
    ['port as digits', { name: 'a_1', dialect: 'mysql', connection: { ...pg, port: '3307' } }],
    ['empty password', { name: 'a', dialect: 'mysql', connection: { host: 'h', user: 'root', password: '', database: 'd' } }],
    ['63-character name', { name: `a${'b'.repeat(62)}`, dialect: 'sqlite', connection: { filename: 'x' } }],
  ])('%s', (_label, body) => {
    const result = validateRegister(body);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it('returns a clean DatabaseSpec (port as a number, nothing undefined)', () => {
    const result = validateRegister({ name: 'shop', dialect: 'mysql', connection: { host: 'h', port: '3307', user: 'u', database: 'd' } });
    expect(result).toEqual({
      ok: true,
      value: { name: 'shop', dialect: 'mysql', connection: { host: 'h', port: 3307, user: 'u', database: 'd' } },
    });
  });
});

describe('validateRegister: errors name each bad field', () => {
  it('explains the name pattern', () => {
    for (const name of ['Shop', '1shop', 'shop-db', '', `a${'b'.repeat(63)}`, 'ünï']) {
      const errors = errorsOf({ name, dialect: 'sqlite', connection: { filename: 'x' } });
      expect(fields(errors)).toEqual(['name']);
      expect(messageFor(errors, 'name')).toMatch(/lowercase letter.*\^\[a-z\]\[a-z0-9_\]\{0,62\}\$/);
    }
  });

  it('names every bad field of one body at once', () => {
    const errors = errorsOf({
      name: 'Bad Name',
      dialect: 'postgres',
      connection: { host: 'h'.repeat(257), port: 70000, user: 'u', database: 'd', ssl: 'yes', bogus: 1 },
      schemas: ['public', ''],
      extra: true,
    });
    expect(fields(errors)).toEqual([
      'connection.bogus',
      'connection.host',
      'connection.port',
      'connection.ssl',
      'extra',
      'name',
      'schemas.1',
    ]);
    expect(messageFor(errors, 'connection.port')).toBe('must be between 1 and 65535');
    expect(messageFor(errors, 'connection.host')).toBe('must be at most 256 characters');
    expect(messageFor(errors, 'connection.ssl')).toBe('must be true or false');
    expect(messageFor(errors, 'connection.bogus')).toBe('is not a known field');
    expect(messageFor(errors, 'extra')).toBe('is not a known field');
    expect(messageFor(errors, 'schemas.1')).toBe('must be 1 to 128 characters');
  });

  it('requires name, dialect and connection', () => {
    const errors = errorsOf({});
    expect(fields(errors)).toEqual(['connection', 'dialect', 'name']);
    expect(errors.every((error) => error.message === 'is required')).toBe(true);
  });

  it('lists the dialects', () => {
    const errors = errorsOf({ name: 'x', dialect: 'mssql', connection: { url: 'mssql://h/d' } });
    expect(messageFor(errors, 'dialect')).toBe('must be one of postgres, mysql, mariadb, oracle, sqlite');
  });

  it('rejects a body that is not an object', () => {
    for (const body of [null, 'text', [1], 42]) {
      expect(errorsOf(body)).toEqual([{ field: '(body)', message: 'must be a JSON object' }]);
    }
  });

  it('rejects a connection that is not an object', () => {
    expect(messageFor(errorsOf({ name: 'x', dialect: 'mysql', connection: 'mysql://h/d' }), 'connection')).toBe('must be a JSON object');
  });

  it.each<[string, string, string, RegExp]>([
    ['postgres', 'mysql://h/d', 'connection.url', /postgres:\/\/ or postgresql:\/\/ URL for dialect postgres/],
    ['mysql', 'mariadb://h/d', 'connection.url', /mysql:\/\/ URL for dialect mysql/],
    ['oracle', 'postgres://h/d', 'connection.url', /oracle:\/\/ URL for dialect oracle/],
    ['sqlite', 'postgres://h/d', 'connection.url', /sqlite: or file: URL/],
    ['postgres', 'postgres:///nohost', 'connection.url', /must name a host/],
    ['postgres', 'not a url', 'connection.url', /postgres:\/\/ or postgresql:\/\//],
  ])('URL scheme must fit the dialect (%s, %s)', (dialect, url, field, message) => {
    const errors = errorsOf({ name: 'x', dialect, connection: { url } });
    expect(fields(errors)).toEqual([field]);
    expect(messageFor(errors, field)).toMatch(message);
  });

  it('refuses url together with discrete fields', () => {
    const errors = errorsOf({ name: 'x', dialect: 'postgres', connection: { url: 'postgres://h/d', host: 'h', password: 'p' } });
    expect(fields(errors)).toEqual(['connection.host', 'connection.password']);
    expect(messageFor(errors, 'connection.host')).toMatch(/either url or the separate fields/);
  });

  it('requires host, user and database in the discrete form', () => {
    const errors = errorsOf({ name: 'x', dialect: 'mariadb', connection: { port: 3306 } });
    expect(fields(errors)).toEqual(['connection.database', 'connection.host', 'connection.user']);
  });

  it('keeps sqlite and server forms apart', () => {
    expect(fields(errorsOf({ name: 'x', dialect: 'sqlite', connection: { host: 'h', filename: 'f' } }))).toEqual(['connection.host']);
    expect(fields(errorsOf({ name: 'x', dialect: 'sqlite', connection: {} }))).toEqual(['connection.filename']);
    expect(fields(errorsOf({ name: 'x', dialect: 'sqlite', connection: { filename: 'f', url: 'file:f' } }))).toEqual(['connection.url']);
    expect(fields(errorsOf({ name: 'x', dialect: 'postgres', connection: { ...pg, filename: 'f' } }))).toEqual(['connection.filename']);
  });

  it('caps string lengths (url 2048, password 1024, others 256)', () => {
    const base = { name: 'x', dialect: 'postgres' };
    expect(messageFor(errorsOf({ ...base, connection: { url: `postgres://h/${'d'.repeat(2040)}` } }), 'connection.url')).toBe(
      'must be at most 2048 characters',
    );
    expect(validateRegister({ ...base, connection: { url: `postgres://h/${'d'.repeat(2030)}` } }).ok).toBe(true);
    expect(messageFor(errorsOf({ ...base, connection: { ...pg, password: 'p'.repeat(1025) } }), 'connection.password')).toBe(
      'must be at most 1024 characters',
    );
    expect(validateRegister({ ...base, connection: { ...pg, password: 'p'.repeat(1024) } }).ok).toBe(true);
    expect(fields(errorsOf({ ...base, connection: { ...pg, user: 'u'.repeat(257) } }))).toEqual(['connection.user']);
    expect(fields(errorsOf({ ...base, connection: { ...pg, database: 'd'.repeat(257) } }))).toEqual(['connection.database']);
  });

  it('checks the port', () => {
    for (const port of [0, 65536, 1.5, '54x', -1, true]) {
      const errors = errorsOf({ name: 'x', dialect: 'postgres', connection: { ...pg, port } });
      expect(fields(errors)).toEqual(['connection.port']);
    }
  });

  it('checks schemas: 1 to 50 names of 1 to 128 characters', () => {
    const base = { name: 'x', dialect: 'postgres', connection: pg };
    expect(messageFor(errorsOf({ ...base, schemas: [] }), 'schemas')).toMatch(/at least one/);
    expect(messageFor(errorsOf({ ...base, schemas: Array.from({ length: 51 }, (_, i) => `s${i}`) }), 'schemas')).toMatch(/at most 50/);
    expect(fields(errorsOf({ ...base, schemas: ['ok', 's'.repeat(129)] }))).toEqual(['schemas.1']);
    expect(messageFor(errorsOf({ ...base, schemas: 'public' }), 'schemas')).toBe('must be an array of schema names');
    expect(validateRegister({ ...base, schemas: Array.from({ length: 50 }, (_, i) => `s${i}`) }).ok).toBe(true);
  });
});

describe('validationErrors', () => {
  it('flattens zod issues with dotted paths', () => {
    const parsed = registerBodySchema.safeParse({ name: 'x', dialect: 'sqlite', connection: { port: 'no' }, zzz: 1 });
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    expect(validationErrors(parsed.error)).toEqual(
      expect.arrayContaining([
        { field: 'connection.port', message: 'must be a whole number between 1 and 65535' },
        { field: 'zzz', message: 'is not a known field' },
      ]),
    );
  });
});

describe('validatePatch', () => {
  const discreteSpec: DatabaseSpec = {
    name: 'shop',
    dialect: 'postgres',
    connection: { host: 'h', port: 5432, user: 'app', password: 'old-secret', database: 'shop' },
    schemas: ['public'],
  };
  const urlSpec: DatabaseSpec = {
    name: 'shop',
    dialect: 'postgres',
    connection: { url: 'postgres://app:old%40secret@h:5432/shop' },
  };

  function patched(existing: DatabaseSpec, body: unknown): DatabaseSpec {
    const result = validatePatch(existing, body);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.value;
  }

  // Changed on purpose (issue 10): the stored password is kept only while the target stays the
  // same; the same patch with a port change is refused (see 'asks for the password again' below).
  it('keeps the old password when it is omitted, empty or the mask', () => {
    for (const password of [undefined, '', MASK]) {
      const result = patched(discreteSpec, { connection: { port: 5432, ...(password === undefined ? {} : { password }) } });
      expect(result.connection).toEqual({ host: 'h', port: 5432, user: 'app', password: 'old-secret', database: 'shop' });
    }
  });

  it('replaces the password when a new one is given, removes it with null', () => {
    expect(patched(discreteSpec, { connection: { password: 'new' } }).connection.password).toBe('new');
    expect(patched(discreteSpec, { connection: { password: null } }).connection).not.toHaveProperty('password');
  });

  it('keeps the password inside a URL sent back masked or without one', () => {
    const masked = maskSpec(urlSpec).connection.url ?? '';
    expect(masked).toBe('postgres://app:********@h:5432/shop');
    expect(patched(urlSpec, { connection: { url: masked } }).connection.url).toBe('postgres://app:old%40secret@h:5432/shop');
    // Changed on purpose (issue 10): another host without the password again is refused.
    expect(patched(urlSpec, { connection: { url: 'postgres://app@h/shop' } }).connection.url).toBe('postgres://app:old%40secret@h/shop');
    expect(validatePatch(urlSpec, { connection: { url: 'postgres://app@h2/shop' } }).ok).toBe(false);
    expect(patched(urlSpec, { connection: { url: 'postgres://app:new@h/shop' } }).connection.url).toBe('postgres://app:new@h/shop');
    expect(patched(urlSpec, { connection: { url: 'postgres://app@h/shop', password: null } }).connection.url).toBe('postgres://app@h/shop');
  });

  it('moves from a URL to discrete fields keeping the URL password', () => {
    const result = patched(urlSpec, { connection: { host: 'h', user: 'app', database: 'shop' } });
    expect(result.connection).toEqual({ host: 'h', user: 'app', database: 'shop', password: 'old@secret' });
  });

  it('changes schemas, resets them with null, and leaves the rest alone', () => {
    expect(patched(discreteSpec, { schemas: ['a', 'b'] }).schemas).toEqual(['a', 'b']);
    expect(patched(discreteSpec, { schemas: null })).not.toHaveProperty('schemas');
    expect(patched(discreteSpec, {})).toEqual(discreteSpec);
  });

  it('refuses to rename but accepts the unchanged name', () => {
    const result = validatePatch(discreteSpec, { name: 'other' });
    expect(result.ok ? [] : result.errors).toEqual([
      { field: 'name', message: 'cannot be changed; register a new database and remove this one' },
    ]);
    expect(validatePatch(discreteSpec, { name: 'shop', schemas: ['x'] }).ok).toBe(true);
  });

  it('validates the merged result (dialect change without a fitting URL)', () => {
    const result = validatePatch(urlSpec, { dialect: 'mysql' });
    expect(result.ok ? [] : fields(result.errors)).toEqual(['connection.url']);
  });

  it('names bad and unknown fields of the patch itself', () => {
    const result = validatePatch(discreteSpec, { connection: { port: 0, nope: 1 }, dialect: 'x', other: 2 });
    expect(result.ok ? [] : fields(result.errors)).toEqual(['connection.nope', 'connection.port', 'dialect', 'other']);
  });
});

describe('masking', () => {
  it('maskSpec hides the password and the URL password without touching the input', () => {
    const spec: DatabaseSpec = { name: 'x', dialect: 'postgres', connection: { ...pg, url: 'postgres://u:p%2Fw@h/d' }, schemas: ['a'] };
    const masked = maskSpec(spec);
    expect(masked.connection.password).toBe(MASK);
    expect(masked.connection.url).toBe(`postgres://u:${MASK}@h/d`);
    expect(masked.schemas).toEqual(['a']);
    expect(spec.connection.password).toBe('pw');
    expect(JSON.stringify(masked)).not.toMatch(/"pw"|p%2Fw/);
  });

  it('maskSpec leaves specs without a password alone', () => {
    const spec: DatabaseSpec = { name: 'x', dialect: 'sqlite', connection: { filename: 'f' } };
    expect(maskSpec(spec)).toEqual(spec);
    expect(maskSpec({ ...spec, connection: { host: 'h', password: '' } }).connection.password).toBe('');
  });

  it.each([
    ['postgres://user:secret@host:5432/db', `postgres://user:${MASK}@host:5432/db`],
    ['mysql://root:p%40ss@127.0.0.1/db?ssl=true', `mysql://root:${MASK}@127.0.0.1/db?ssl=true`],
    ['oracle://a:b@h:1521/FREEPDB1', `oracle://a:${MASK}@h:1521/FREEPDB1`],
    ['postgres://user@host/db', 'postgres://user@host/db'],
    ['postgres://host/db?user=a', 'postgres://host/db?user=a'],
    ['postgres://u:@h/d', 'postgres://u:@h/d'],
    ['file:./data/demo.sqlite', 'file:./data/demo.sqlite'],
    ['postgres://h/path@with:colon', 'postgres://h/path@with:colon'],
  ])('maskUrl(%s)', (url, expected) => {
    expect(maskUrl(url)).toBe(expected);
  });

  it('urlPassword / withUrlPassword handle encoding', () => {
    expect(urlPassword('mysql://u:a%40b%3Ac@h/d')).toBe('a@b:c');
    expect(urlPassword('mysql://u@h/d')).toBeUndefined();
    expect(withUrlPassword('mysql://u@h/d', 'a@b')).toBe('mysql://u:a%40b@h/d');
    expect(withUrlPassword('mysql://h/d', 'x')).toBe('mysql://:x@h/d');
    expect(withUrlPassword('mysql://u:old@h/d', undefined)).toBe('mysql://u@h/d');
  });

  it('redactSecrets removes the password raw and URL-encoded, and masks URLs', () => {
    const spec: DatabaseSpec = { name: 'x', dialect: 'mysql', connection: { host: 'h', user: 'u', password: 'p@ss w/rd', database: 'd' } };
    const text =
      "Access denied for user 'u' using password 'p@ss w/rd' (tried mysql://u:p%40ss%20w%2Frd@h/d and mysql://other:zzz@x/y)";
    const redacted = redactSecrets(text, spec);
    expect(redacted).not.toContain('p@ss w/rd');
    expect(redacted).not.toContain('p%40ss%20w%2Frd');
    expect(redacted).not.toContain('zzz');
    expect(redacted).toContain(`password '${MASK}'`);
    expect(redacted).toContain(`mysql://u:${MASK}@h/d`);
  });

  it('redactSecrets finds the password of a URL spec', () => {
    const spec: DatabaseSpec = { name: 'x', dialect: 'postgres', connection: { url: 'postgres://u:t%C3%B6ken@h/d' } };
    expect(redactSecrets('auth failed for token töken / t%C3%B6ken', spec)).toBe(`auth failed for token ${MASK} / ${MASK}`);
  });

  it('redactSecrets leaves text alone when there is no secret', () => {
    const spec: DatabaseSpec = { name: 'x', dialect: 'sqlite', connection: { filename: 'f' } };
    expect(redactSecrets('no such table: foo', spec)).toBe('no such table: foo');
  });
});

describe('connection help of the dialect modules (GET /api/dialects) and validation agree', () => {
  it.each([...DIALECTS])('%s: the example URL and the example fields are accepted as they are', (dialect) => {
    const help = dialectModule(dialect).connectionHelp;
    expect(validateRegister({ name: 'x', dialect, connection: { url: help.exampleUrl } }).ok).toBe(true);
    expect(validateRegister({ name: 'x', dialect, connection: { ...help.exampleConnection } }).ok).toBe(true);
    for (const scheme of help.urlSchemes) {
      const url = help.exampleUrl.replace(/^[a-z0-9+.-]+:/, `${scheme}:`);
      expect([scheme, validateRegister({ name: 'x', dialect, connection: { url } }).ok]).toEqual([scheme, true]);
    }
  });

  it('quotes the module: accepted schemes, the example URL, what the database field names', () => {
    const postgres = dialectModule('postgres').connectionHelp;
    expect(messageFor(errorsOf({ name: 'x', dialect: 'postgres', connection: { url: 'postgres:///nohost' } }), 'connection.url')).toBe(
      `must name a host, e.g. ${postgres.exampleUrl}`,
    );
    expect(messageFor(errorsOf({ name: 'x', dialect: 'mariadb', connection: { url: 'postgres://h/d' } }), 'connection.url')).toBe(
      'must be a mariadb:// or mysql:// URL for dialect mariadb',
    );
    expect(messageFor(errorsOf({ name: 'x', dialect: 'oracle', connection: { host: 'h', user: 'u' } }), 'connection.database')).toBe(
      'is required: the service name, e.g. FREEPDB1 (or give url)',
    );
  });
});
