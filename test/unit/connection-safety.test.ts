import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SchemaCache } from '../../server/gateway/schema-cache';
import { connectFailureText, networkFailure } from '../../server/introspect/common/connect-failure';
import { dialectModule } from '../../server/introspect';
import type { DatabaseSpec } from '../../server/model/types';
import { MASK, maskSpec, maskUrl, redactSecrets, targetIdentity, urlPassword, validatePatch, validateRegister, withUrlPassword } from '../../server/registry/validate';

const errorFields = (body: unknown) => {
  const result = validateRegister(body);
  return result.ok ? [] : result.errors.map((e) => e.field);
};
const pg = (connection: Record<string, unknown>) => ({ name: 'x', dialect: 'postgres', connection });

describe('control characters and hosts', () => {
  it.each([
    [{ host: 'h', user: 'u\r\nQUIT', database: 'd' }, 'connection.user'],
    [{ host: 'h', user: 'u', database: 'd\u2029' }, 'connection.database'],
    [{ host: 'h', user: 'u', database: 'd', password: 'p\u007f' }, 'connection.password'],
    [{ host: 'h\t', user: 'u', database: 'd' }, 'connection.host'],
    [{ url: 'postgres://u%0A@h/d' }, 'connection.url'],
    [{ url: 'postgres://u@h/d?application_name=a%0Db' }, 'connection.url'],
    [{ host: '/var/run/postgresql', user: 'u', database: 'd' }, 'connection.host'],
    [{ host: '@abstract', user: 'u', database: 'd' }, 'connection.host'],
    [{ host: 'a b', user: 'u', database: 'd' }, 'connection.host'],
    [{ url: 'postgres://u@%2Ftmp/d' }, 'connection.url'],
    [{ url: 'postgres://u@/d?host=/tmp' }, 'connection.url'],
    [{ host: 'fe80::1%eth0', user: 'u', database: 'd' }, 'connection.host'],
  ])('refuses %j', (connection, field) => {
    expect(errorFields(pg(connection))).toContain(field);
  });

  it('refuses control characters in a SQLite filename and in schemas', () => {
    expect(errorFields({ name: 'x', dialect: 'sqlite', connection: { filename: '/srv/a\nb.sqlite' } })).toEqual(['connection.filename']);
    expect(errorFields({ ...pg({ host: 'h', user: 'u', database: 'd' }), schemas: ['ok', 'bad\u0000'] })).toEqual(['schemas.1']);
  });

  it.each(['db.example.com', '127.0.0.1', '::1', 'fd00::1', 'db_1.internal'])('accepts the host %s', (host) => {
    expect(errorFields(pg({ host, user: 'u', database: 'd' }))).toEqual([]);
  });
});

describe('host names with a trailing dot', () => {
  it('lose it at validation, as a field and inside a URL, so policy, identity and driver see one name', () => {
    const discrete = validateRegister(pg({ host: 'DB.example.com.', user: 'u', database: 'd' }));
    expect(discrete.ok && discrete.value.connection.host).toBe('DB.example.com');
    const url = validateRegister(pg({ url: 'postgres://u:p@db.example.com.:5432/d' }));
    expect(url.ok && url.value.connection.url).toBe('postgres://u:p@db.example.com:5432/d');
    const noPort = validateRegister({ name: 'x', dialect: 'mysql', connection: { url: 'mysql://u@db.example.com./d' } });
    expect(noPort.ok && noPort.value.connection.url).toBe('mysql://u@db.example.com/d');
    const ipv6 = validateRegister(pg({ url: 'postgres://u@[::1]:5432/d' }));
    expect(ipv6.ok && ipv6.value.connection.url).toBe('postgres://u@[::1]:5432/d');
  });
});

describe('SQLite URLs that name no local file', () => {
  it.each(['file://evil/x.db', 'file://server/share/x.db', 'sqlite://', 'file:/tmp/%E0%A4%A.db'])('refuses %s on connection.url, before anything opens it', (url) => {
    const result = validateRegister({ name: 'x', dialect: 'sqlite', connection: { url } });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.map((e) => e.field)).toEqual(['connection.url']);
      expect(result.errors[0]?.message).toMatch(/local file|names no file/);
    }
  });

  it('still takes file:///abs and file://localhost/abs', () => {
    expect(validateRegister({ name: 'x', dialect: 'sqlite', connection: { url: 'file:///srv/x.db' } }).ok).toBe(true);
    expect(validateRegister({ name: 'x', dialect: 'sqlite', connection: { url: 'file://localhost/srv/x.db' } }).ok).toBe(true);
  });
});

describe('URL parameters per dialect', () => {
  it.each([
    ['postgres', 'postgres://u@h/d?sslmode=require&application_name=x&connect_timeout=5&ssl=true', []],
    ['postgres', 'postgres://h/d?user=u&password=p', []],
    ['postgres', 'postgres://u@h/d?sslrootcert=/etc/ssl/x', ['connection.url']],
    ['postgres', 'postgres://u@h/d?service=prod', ['connection.url']],
    ['postgres', 'postgres://u@h/d?hostaddr=10.0.0.1', ['connection.url']],
    ['postgres', 'postgres://u@h/d?port=5433', ['connection.url']],
    ['postgres', 'postgres://u@h/d?sslcrl=/x', ['connection.url']],
    ['postgres', 'postgres://u:a@h/d?password=b', ['connection.url']],
    ['mariadb', 'mysql://u@h/d?ssl=true', []],
    ['mariadb', 'mysql://u@h/d?charset=utf8', ['connection.url']],
    ['oracle', 'oracle://u:p@h:1521/FREEPDB1?ssl=true', []],
    ['oracle', 'oracle://u:p@h:1521/FREEPDB1?wallet_location=/x', ['connection.url']],
    ['sqlite', 'file:/srv/dbs/a.sqlite?mode=ro', ['connection.url']],
  ])('%s %s', (dialect, url, fields) => {
    expect(errorFields({ name: 'x', dialect, connection: { url } })).toEqual(fields);
  });

  it('names the parameter and the allowed ones', () => {
    const result = validateRegister(pg({ url: 'postgres://u@h/d?sslcert=/etc/passwd' }));
    expect(result.ok ? '' : result.errors[0]!.message).toBe(
      'query parameter "sslcert" is not allowed for postgres (allowed: sslmode, ssl, application_name, connect_timeout, user, password)',
    );
  });

  it('refuses Oracle service names that would add to the connect string', () => {
    expect(errorFields({ name: 'x', dialect: 'oracle', connection: { host: 'h', user: 'u', database: 'SVC)(HOST=evil' } })).toEqual(['connection.database']);
  });
});

describe('masking secrets wherever they stand', () => {
  it.each([
    ['postgres://u@h/db?password=x', `postgres://u@h/db?password=${MASK}`],
    ['postgres://u:pw@h/db?sslmode=require&password=x', `postgres://u:${MASK}@h/db?sslmode=require&password=${MASK}`],
    ['postgres://u@h/db?sslpassword=k&pass=a&pwd=b&api_key=c&access_token=d&client_secret=e', `postgres://u@h/db?sslpassword=${MASK}&pass=${MASK}&pwd=${MASK}&api_key=${MASK}&access_token=${MASK}&client_secret=${MASK}`],
    ['postgres://u@h/db?Password=x#frag', `postgres://u@h/db?Password=${MASK}#frag`],
    ['postgres://u@h/db?application_name=app&password=', 'postgres://u@h/db?application_name=app&password='],
  ])('maskUrl(%s)', (url, expected) => {
    expect(maskUrl(url)).toBe(expected);
  });

  it('maskSpec and redactSecrets cover a query-string password', () => {
    const spec: DatabaseSpec = { name: 'x', dialect: 'postgres', connection: { url: 'postgres://u@h/db?password=s%40cret+1' } };
    expect(JSON.stringify(maskSpec(spec))).not.toMatch(/s%40cret|s@cret/);
    expect(redactSecrets('driver said: bad s@cret 1 and s%40cret+1 and password=leak', spec)).toBe(`driver said: bad ${MASK} and ${MASK} and password=leak`);
    expect(redactSecrets('see postgres://u@h/db?password=other&x=1', spec)).toBe(`see postgres://u@h/db?password=${MASK}&x=1`);
  });

  it('reads, replaces and removes a query-string password', () => {
    expect(urlPassword('postgres://u@h/db?password=a%26b+c')).toBe('a&b c');
    expect(withUrlPassword(`postgres://u@h/db?password=${MASK}&ssl=true`, 'n&w')).toBe('postgres://u@h/db?password=n%26w&ssl=true');
    expect(withUrlPassword('postgres://u@h/db?password=x&ssl=true', undefined)).toBe('postgres://u@h/db?ssl=true');
    expect(withUrlPassword('postgres://u@h/db?ssl=true&password=x', undefined)).toBe('postgres://u@h/db?ssl=true');
    expect(withUrlPassword('postgres://u@h/db?password=x', undefined)).toBe('postgres://u@h/db');
  });
});

describe('target identity', () => {
  const base: DatabaseSpec = { name: 'x', dialect: 'postgres', connection: { host: 'db', port: 5432, user: 'app', password: 'pw', database: 'shop' } };
  const id = (connection: DatabaseSpec['connection'], dialect: DatabaseSpec['dialect'] = 'postgres') => targetIdentity({ name: 'x', dialect, connection });

  it('is the same for the same server however it is written, never holding the password', () => {
    expect(id({ host: 'db', user: 'app', database: 'shop' })).toBe(targetIdentity(base));
    expect(id({ url: 'postgres://app:other@DB:5432/shop' })).toBe(targetIdentity(base));
    expect(id({ url: 'postgresql://db/shop?user=app' })).toBe(targetIdentity(base));
    expect(targetIdentity(base)).not.toContain('pw');
  });

  it('differs when anything that decides where or as whom differs', () => {
    const others = [
      id({ host: 'db2', user: 'app', database: 'shop' }),
      id({ host: 'db', port: 5433, user: 'app', database: 'shop' }),
      id({ host: 'db', user: 'root', database: 'shop' }),
      id({ host: 'db', user: 'app', database: 'other' }),
      id({ host: 'db', user: 'app', database: 'shop', ssl: true }),
      id({ url: 'postgres://app@db/shop?sslmode=no-verify' }),
      id({ url: 'postgres://app@db/shop?application_name=x' }),
      id({ host: 'db', user: 'app', database: 'shop' }, 'mariadb'),
    ];
    for (const other of others) expect(other).not.toBe(targetIdentity(base));
  });

  it('is the resolved file for SQLite', () => {
    expect(id({ filename: 'data/../x.sqlite' }, 'sqlite')).toBe(id({ url: `file:${path.resolve('x.sqlite')}` }, 'sqlite'));
  });

  it('decides whether a patch may reuse the stored password', () => {
    expect(validatePatch(base, { schemas: ['a'] }).ok).toBe(true);
    expect(validatePatch(base, { connection: { host: 'evil' } }).ok).toBe(false);
    expect(validatePatch(base, { connection: { host: 'evil', password: 'typed' } }).ok).toBe(true);
    expect(validatePatch(base, { connection: { host: 'evil', password: null } }).ok).toBe(true); // nothing stored is sent
    const noPassword: DatabaseSpec = { ...base, connection: { host: 'db', user: 'app', database: 'shop' } };
    expect(validatePatch(noPassword, { connection: { host: 'elsewhere' } }).ok).toBe(true);
  });
});

describe('connection failure texts', () => {
  it('classifies socket and DNS errors whatever the driver', () => {
    const coded = (code: string) => Object.assign(new Error('x'), { code });
    expect(networkFailure(coded('ECONNREFUSED'))).toBe('refused');
    expect(networkFailure(coded('ENOTFOUND'))).toBe('host_not_found');
    expect(networkFailure(coded('ETIMEDOUT'))).toBe('timeout');
    expect(networkFailure(coded('DEPTH_ZERO_SELF_SIGNED_CERT'))).toBe('tls');
    expect(networkFailure(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]))).toBe('refused');
    expect(networkFailure(new Error('x', { cause: coded('EHOSTUNREACH') }))).toBe('unreachable');
    expect(networkFailure(coded('28P01'))).toBeUndefined();
  });

  it('classifies each dialect\'s own answers, and anything else as a protocol error', () => {
    const pgError = (code: string) => Object.assign(new Error('FATAL: x'), { code, severity: 'FATAL' });
    expect(dialectModule('postgres').connectFailure(pgError('28P01'))).toBe('auth_failed');
    expect(dialectModule('postgres').connectFailure(pgError('3D000'))).toBe('unknown_database');
    expect(dialectModule('postgres').connectFailure(pgError('53300'))).toBe('unavailable');
    expect(dialectModule('postgres').connectFailure(new Error('Connection terminated unexpectedly'))).toBe('protocol');
    expect(dialectModule('postgres').connectFailure(new Error('The server does not support SSL connections'))).toBe('tls');
    expect(dialectModule('mariadb').connectFailure(Object.assign(new Error('Access denied'), { errno: 1045 }))).toBe('auth_failed');
    expect(dialectModule('mariadb').connectFailure(Object.assign(new Error('Host x is not allowed'), { errno: 1130 }))).toBe('auth_failed');
    expect(dialectModule('mariadb').connectFailure(new Error('Packets out of order. Got: 45 Expected: 0'))).toBe('protocol');
    expect(dialectModule('oracle').connectFailure(new Error('NJS-503: connection to host 127.0.0.1 port 1 could not be established. (CONNECTION_ID=x)\nError: connect ECONNREFUSED 127.0.0.1:1'))).toBe('refused');
    for (const error of [Object.assign(new Error('unable to open database file'), { code: 'SQLITE_CANTOPEN' }), Object.assign(new Error('file is not a database'), { code: 'SQLITE_NOTADB' })]) {
      expect(dialectModule('sqlite').connectFailure(error)).toBe('not_a_database');
    }
  });

  it('words each kind without anything the other end said', () => {
    expect(connectFailureText('protocol', 'PostgreSQL')).toBe('not a PostgreSQL server (protocol error), or it closed the connection');
    expect(connectFailureText('host_not_found', 'MySQL')).toMatch(/^host not found/);
    // What the caller asked for may be repeated; nothing the server said is.
    expect(connectFailureText('auth_failed', 'PostgreSQL', { user: 'bob' })).toBe('Access denied: authentication failed for user "bob"; check the user name and the password');
    expect(connectFailureText('unknown_database', 'PostgreSQL', { database: 'shop' })).toMatch(/^unknown database "shop": /);
  });
});

describe('schema cache file names', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lazydb-cache-'));
  const cacheDir = path.join(root, 'cache');
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('refuses names that are not database names, writing and deleting nothing outside the folder', async () => {
    const cache = new SchemaCache(cacheDir);
    fs.writeFileSync(path.join(root, 'x.json'), 'keep');
    const model = { formatVersion: 1, tables: [] } as never;
    for (const name of ['../x', '../../x', 'a/b', 'A', '']) {
      await expect(cache.write(name, model, async () => '')).rejects.toThrow(/refusing a schema-cache file/);
      await expect(cache.remove(name)).rejects.toThrow(/refusing a schema-cache file/);
      expect(await cache.read(name)).toBeNull();
    }
    expect(fs.readFileSync(path.join(root, 'x.json'), 'utf8')).toBe('keep');
    await cache.write('good', model, async () => 'type Query { a: Int }');
    await cache.settled();
    expect(fs.readdirSync(cacheDir).sort()).toEqual(['good.graphql', 'good.json']);
  });
});
