/**
 * Connection targets are policy, not free input (issue 10): allow/deny lists, URL parameters,
 * control characters, unix sockets and SQLite folders are checked before any connection, and
 * failed connections say what failed without what the other end said. Loopback listeners that
 * count accepted connections prove that nothing was sent.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayDatabase, requireOrSkip, sqliteThrowaway, type ThrowawayDb } from '../helpers/databases';
import { bannerServer, countingListener, type FakeServer } from '../helpers/fake-servers';
import { startTestServer, type TestServer } from '../helpers/server';

const pgSpec = (connection: Record<string, unknown>) => ({ name: 'probe', dialect: 'postgres', connection: { user: 'postgres', database: 'postgres', ...connection } });

describe('target policy', async () => {
  const hasPostgres = await requireOrSkip('postgres');
  let listener: FakeServer;
  const servers: TestServer[] = [];
  beforeAll(async () => {
    listener = await countingListener();
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
    await listener?.close();
  });
  const start = async (env: Record<string, string>) => {
    const server = await startTestServer({ env });
    servers.push(server);
    return server;
  };

  /** Sends the spec to test and register; both must be refused with `status`/`code`, and no connection may arrive. */
  async function refused(server: TestServer, spec: unknown, status: number, code: string, message: RegExp) {
    const before = listener.connections;
    for (const path of ['/api/databases/test', '/api/databases']) {
      const response = await server.request(path, { method: 'POST', json: spec });
      expect([path, JSON.stringify(spec), response.status, response.body.error?.code]).toEqual([path, JSON.stringify(spec), status, code]);
      expect(response.body.error.message).toMatch(message);
    }
    expect(listener.connections).toBe(before);
  }

  // Every host below is a loopback address or `localhost` (/etc/hosts): even a policy that let
  // them through would send nothing off this machine.
  it('refuses a denied address range, a denied name and a name that resolves into a denied range', async () => {
    const byName = await start({ LAZYDB_DENY_TARGETS: 'localhost' });
    await refused(byName, pgSpec({ host: 'localhost', port: listener.port }), 403, 'TARGET_NOT_ALLOWED', /LAZYDB_DENY_TARGETS/);
    await refused(byName, pgSpec({ host: 'LocalHost.', port: listener.port }), 403, 'TARGET_NOT_ALLOWED', /LAZYDB_DENY_TARGETS/);
    const server = await start({ LAZYDB_DENY_TARGETS: '127.0.0.0/8,::1' });
    await refused(server, pgSpec({ host: '127.0.0.1', port: listener.port }), 403, 'TARGET_NOT_ALLOWED', /LAZYDB_DENY_TARGETS/);
    await refused(server, pgSpec({ host: '127.3.4.5', port: listener.port }), 403, 'TARGET_NOT_ALLOWED', /LAZYDB_DENY_TARGETS/);
    // localhost is a name this list does not mention: its addresses (127.0.0.1, ::1) decide.
    await refused(server, pgSpec({ host: 'localhost', port: listener.port }), 403, 'TARGET_NOT_ALLOWED', /LAZYDB_DENY_TARGETS/);
    await refused(server, pgSpec({ user: undefined, database: undefined, url: `postgres://postgres@localhost:${listener.port}/postgres` }), 403, 'TARGET_NOT_ALLOWED', /LAZYDB_DENY_TARGETS/);
    await refused(server, pgSpec({ host: '::1', port: listener.port }), 403, 'TARGET_NOT_ALLOWED', /LAZYDB_DENY_TARGETS/);
    await refused(server, pgSpec({ user: undefined, database: undefined, url: `postgres://postgres@[::ffff:127.0.0.1]:${listener.port}/postgres` }), 403, 'TARGET_NOT_ALLOWED', /LAZYDB_DENY_TARGETS/);
    await refused(server, { ...pgSpec({ host: '127.0.0.1', port: listener.port }), dialect: 'mariadb' }, 403, 'TARGET_NOT_ALLOWED', /LAZYDB_DENY_TARGETS/);
  });

  // 0.0.0.0 reaches this machine's own listeners; the link-local and metadata defaults are
  // covered by the unit tests, which connect nowhere.
  it('refuses by default the unspecified address', async () => {
    const server = await start({});
    await refused(server, pgSpec({ host: '0.0.0.0', port: listener.port }), 403, 'TARGET_NOT_ALLOWED', /LAZYDB_DENY_TARGETS/);
  });

  it.skipIf(!hasPostgres)('allows only what an allow list with a port names', async () => {
    const server = await start({ LAZYDB_ALLOW_TARGETS: '127.0.0.1:5432,[::1]:5432' });
    await refused(server, pgSpec({ host: '127.0.0.1', port: listener.port }), 403, 'TARGET_NOT_ALLOWED', /LAZYDB_ALLOW_TARGETS/);
    await refused(server, pgSpec({ host: 'localhost', port: listener.port }), 403, 'TARGET_NOT_ALLOWED', /LAZYDB_ALLOW_TARGETS/);
    await refused(server, pgSpec({ host: '::1', port: listener.port }), 403, 'TARGET_NOT_ALLOWED', /LAZYDB_ALLOW_TARGETS/);
    const allowed = await server.request('/api/databases/test', { method: 'POST', json: pgSpec({ host: '127.0.0.1', port: 5432 }) });
    expect(allowed.status, allowed.text).toBe(200);
  });

  it('refuses control characters, socket hosts and URL parameters that redirect or read files, before connecting', async () => {
    const server = await start({});
    const port = listener.port;
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ host: '127.0.0.1', port, user: 'postgres\r\nQUIT' }, 'connection.user', /control characters/],
      [{ host: '127.0.0.1', port, database: 'x\u2028y' }, 'connection.database', /control characters/],
      [{ host: '127.0.0.1', port, password: 'a\u0000b' }, 'connection.password', /control characters/],
      [{ user: undefined, database: undefined, url: `postgres://post%0D%0Agres@127.0.0.1:${port}/postgres` }, 'connection.url', /control characters/],
      [{ host: '/var/run/postgresql', port }, 'connection.host', /unix sockets/],
      [{ host: '@abstract', port }, 'connection.host', /unix sockets/],
      [{ user: undefined, database: undefined, url: `postgres://postgres@127.0.0.1:${port}/postgres?host=/var/run/postgresql` }, 'connection.url', /"host" is not allowed/],
      [{ user: undefined, database: undefined, url: `postgres://postgres@%2Fvar%2Frun%2Fpostgresql:${port}/postgres` }, 'connection.url', /unix sockets/],
      [{ user: undefined, database: undefined, url: `postgres://postgres@127.0.0.1:${port}/postgres?sslcert=/etc/passwd` }, 'connection.url', /"sslcert" is not allowed/],
      [{ user: undefined, database: undefined, url: `postgres://postgres@127.0.0.1:${port}/postgres?passfile=/etc/passwd` }, 'connection.url', /"passfile" is not allowed/],
      [{ user: undefined, database: undefined, url: `postgres://postgres@127.0.0.1:${port}/postgres?options=-c%20x%3Dy` }, 'connection.url', /"options" is not allowed/],
      [{ user: undefined, database: undefined, url: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=bogus` }, 'connection.url', /"sslmode" must match/],
    ];
    for (const [connection, field, message] of cases) {
      const spec = pgSpec(connection);
      await refused(server, spec, 400, 'VALIDATION_FAILED', message);
      const response = await server.request('/api/databases/test', { method: 'POST', json: spec });
      expect(response.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
    const mysqlParam = { name: 'probe', dialect: 'mariadb', connection: { url: `mysql://root@127.0.0.1:${port}/x?socketPath=/run/mysqld/mysqld.sock` } };
    await refused(server, mysqlParam, 400, 'VALIDATION_FAILED', /"socketPath" is not allowed/);
    const oracleService = { name: 'probe', dialect: 'oracle', connection: { host: '127.0.0.1', port, user: 'x', database: 'FREE?wallet_location=/tmp' } };
    await refused(server, oracleService, 400, 'VALIDATION_FAILED', /service name/);
  });

  it('caps connection tests running at once', async () => {
    // The listener accepts and never answers: each test waits for its connect timeout (3 s here).
    const server = await start({});
    const spec = pgSpec({ host: '127.0.0.1', port: listener.port });
    const answers = await Promise.all(Array.from({ length: 5 }, () => server.request('/api/databases/test', { method: 'POST', json: spec })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([422, 422, 422, 422, 429]);
    expect(answers.find((a) => a.status === 429)!.body.error.code).toBe('TOO_MANY_CONNECTION_ATTEMPTS');
    for (const answer of answers.filter((a) => a.status === 422)) expect(answer.body.error.message).toMatch(/timed out/);
  });
});

describe('failed connections say what failed, and nothing the other end said', () => {
  let server: TestServer;
  let ssh: FakeServer;
  let http: FakeServer;
  let closed: number;
  beforeAll(async () => {
    ssh = await bannerServer('SSH-2.0-OpenSSH_9.6p1 Debian-4\r\n');
    http = await bannerServer('HTTP/1.1 400 Bad Request\r\nServer: nginx/1.25.3 (secret-build)\r\n\r\n');
    const spare = await countingListener();
    closed = spare.port;
    await spare.close();
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
    await ssh?.close();
    await http?.close();
  });

  it.each([
    ['postgres', 'PostgreSQL'],
    ['mariadb', 'MariaDB'],
  ])('%s: refused, and not a database server', async (dialect, label) => {
    const tests = async (port: number) =>
      server.request('/api/databases/test', { method: 'POST', json: { dialect, connection: { host: '127.0.0.1', port, user: 'u', database: 'd' } } });
    const refusedAnswer = await tests(closed);
    expect([refusedAnswer.status, refusedAnswer.body.error.message]).toEqual([422, expect.stringMatching(/connection refused/)]);
    for (const fake of [ssh, http]) {
      const answer = await tests(fake.port);
      expect(answer.status).toBe(422);
      expect(answer.body.error.message).toContain(`not a ${label} server (protocol error)`);
      expect(answer.text).not.toMatch(/SSH|OpenSSH|nginx|secret-build|HTTP\/1/);
    }
  });
});

describe('SQLite files', () => {
  let server: TestServer;
  let allowed: string;
  let outside: string;
  let good: ThrowawayDb;
  const cleanups: string[] = [];

  beforeAll(async () => {
    allowed = fs.mkdtempSync(path.join(os.tmpdir(), 'lazydb-allowed-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'lazydb-outside-'));
    cleanups.push(allowed, outside);
    server = await startTestServer({ env: { LAZYDB_SQLITE_DIRS: allowed } });
    good = sqliteThrowaway();
    fs.copyFileSync(good.connection.filename!, path.join(allowed, 'good.sqlite'));
    const registered = await server.request('/api/databases', { method: 'POST', json: { name: 'good', dialect: 'sqlite', connection: { filename: path.join(allowed, 'good.sqlite') } } });
    expect(registered.status, registered.text).toBe(201);
    new Database(path.join(outside, 'real.sqlite')).close();
    fs.writeFileSync(path.join(outside, 'plain.txt'), 'not a database');
    fs.symlinkSync(path.join(outside, 'real.sqlite'), path.join(allowed, 'link.sqlite'));
    fs.symlinkSync(outside, path.join(allowed, 'linked-folder'));
    fs.symlinkSync(path.join(outside, 'gone.sqlite'), path.join(allowed, 'dangling.sqlite'));
    fs.copyFileSync(path.join(server.dataDir, 'registry.sqlite'), path.join(allowed, 'registry-copy.sqlite'));
  });

  afterAll(async () => {
    await server?.stop();
    await good?.drop();
    for (const dir of cleanups) fs.rmSync(dir, { recursive: true, force: true });
  });

  const register = (filename: string, via: 'filename' | 'url' = 'filename') =>
    server.request('/api/databases', {
      method: 'POST',
      json: { name: 'probe', dialect: 'sqlite', connection: via === 'filename' ? { filename } : { url: `file://${filename}` } },
    });

  it('refuses lazydb\'s own files, paths outside the folders, symlinks and .. out of them, alike whether the file exists', async () => {
    const dataDir = server.dataDir;
    const refusedPaths = [
      path.join(dataDir, 'registry.sqlite'),
      path.join(dataDir, 'secret.key'),
      path.join(dataDir, 'schema-cache', 'good.json'),
      path.join(outside, 'real.sqlite'),
      path.join(outside, 'plain.txt'),
      path.join(outside, 'missing.sqlite'),
      path.join(allowed, 'link.sqlite'),
      path.join(allowed, 'linked-folder', 'real.sqlite'),
      path.join(allowed, 'linked-folder', 'missing.sqlite'),
      path.join(allowed, 'dangling.sqlite'),
      `${allowed}/../${path.basename(outside)}/real.sqlite`,
      `${allowed}/../${path.basename(outside)}/missing.sqlite`,
      '/etc/passwd',
      '/nonexistent/file.sqlite',
    ];
    expect(fs.existsSync(path.join(dataDir, 'secret.key'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'schema-cache', 'good.json'))).toBe(true);
    const answers = new Set<string>();
    for (const file of refusedPaths) {
      for (const via of ['filename', 'url'] as const) {
        const response = await register(file, via);
        expect([file, via, response.status, response.body.error?.code]).toEqual([file, via, 403, 'TARGET_NOT_ALLOWED']);
        answers.add(JSON.stringify(response.body));
      }
    }
    // One answer for all: nothing tells an existing file from a missing one.
    expect(answers.size).toBe(1);
    const names = (await server.request('/api/databases')).body.databases.map((d: { name: string }) => d.name);
    expect(names).toEqual(['good']);
  });

  it('names the setting to change but no folder of the server, which goes to the log instead', async () => {
    const response = await register(path.join(outside, 'real.sqlite'));
    expect([response.status, response.body.error.code, response.body.error.setting]).toEqual([403, 'TARGET_NOT_ALLOWED', 'LAZYDB_SQLITE_DIRS']);
    expect(response.body.error.message).toMatch(/the file must be inside one of the folders of LAZYDB_SQLITE_DIRS/);
    expect(response.text).not.toContain(allowed);
    expect(response.text).not.toContain(server.dataDir);
    const logged = server.logs.filter((line) => line.includes('"level":"info"') && line.includes('TARGET_NOT_ALLOWED (LAZYDB_SQLITE_DIRS)'));
    expect(logged.some((line) => line.includes(JSON.stringify(allowed)))).toBe(true);
  });

  it('answers a file: URL with a host (a file on another machine) with 400 on connection.url', async () => {
    for (const url of ['file://evil/x.db', 'file://server/share/x.db']) {
      const response = await server.request('/api/databases/test', { method: 'POST', json: { dialect: 'sqlite', connection: { url } } });
      expect([url, response.status, response.body.error?.code]).toEqual([url, 400, 'VALIDATION_FAILED']);
      expect(response.body.error.fields.map((f: { field: string }) => f.field)).toEqual(['connection.url']);
    }
  });

  it('refuses a copy of a registry inside an allowed folder', async () => {
    const response = await register(path.join(allowed, 'registry-copy.sqlite'));
    expect([response.status, response.body.error.code]).toEqual([403, 'TARGET_NOT_ALLOWED']);
    expect(response.body.error.message).toMatch(/holds a lazydb registry/);
  });

  it('answers a missing file and a file that is no database inside the folders alike', async () => {
    fs.writeFileSync(path.join(allowed, 'text.sqlite'), 'x'.repeat(4096));
    const missing = await register(path.join(allowed, 'missing.sqlite'));
    const text = await register(path.join(allowed, 'text.sqlite'));
    expect([missing.status, text.status]).toEqual([422, 422]);
    expect(missing.body.error.message).toBe(text.body.error.message);
    expect(missing.body.error.message).toMatch(/cannot open the file as a SQLite database/);
  });

  it('still opens :memory:', async () => {
    const response = await server.request('/api/databases/test', { method: 'POST', json: { dialect: 'sqlite', connection: { filename: ':memory:' } } });
    expect(response.status, response.text).toBe(200);
  });
});

describe('registry entries are validated on load', () => {
  it('skips tampered rows and rows whose target is refused now; the rest serves and nothing is written outside the cache', async () => {
    const fixture = await createThrowawayDatabase('sqlite', { sql: 'create table t (id integer primary key)\n--;;\ninsert into t values (1)' });
    let server = await startTestServer();
    const dataDir = server.dataDir;
    const outsideFolder = path.dirname(dataDir);
    const escape = `lazydb_escape_${Math.random().toString(36).slice(2, 10)}`;
    try {
      const registered = await server.request('/api/databases', { method: 'POST', json: { name: 'good', dialect: 'sqlite', connection: fixture.connection } });
      expect(registered.status, registered.text).toBe(201);
      await server.stop({ keepData: true });

      const registry = new Database(path.join(dataDir, 'registry.sqlite'));
      const now = new Date().toISOString();
      const insert = registry.prepare('insert into lazydb_databases (name, dialect, connection, secrets, schemas, created_at, updated_at) values (?, ?, ?, null, ?, ?, ?)');
      const copyOfGood = JSON.stringify({ filename: fixture.connection.filename });
      insert.run('../x', 'sqlite', copyOfGood, null, now, now);
      insert.run(`../../${escape}`, 'sqlite', copyOfGood, null, now, now);
      insert.run('bad_dialect', 'db2', copyOfGood, null, now, now);
      insert.run('bad_json', 'sqlite', '{not json', null, now, now);
      insert.run('bad_schemas', 'sqlite', copyOfGood, '"main"', now, now);
      insert.run('registry_itself', 'sqlite', JSON.stringify({ filename: path.join(dataDir, 'registry.sqlite') }), null, now, now);
      insert.run('socket_host', 'postgres', JSON.stringify({ host: '/var/run/postgresql', user: 'postgres', database: 'postgres' }), null, now, now);
      insert.run('file_reader', 'postgres', JSON.stringify({ url: 'postgres://postgres@127.0.0.1:5432/postgres?sslcert=/etc/passwd' }), null, now, now);
      insert.run('crlf_user', 'postgres', JSON.stringify({ host: '127.0.0.1', user: 'a\r\nb', database: 'postgres' }), null, now, now);
      registry.close();
      fs.writeFileSync(path.join(dataDir, 'schema-cache', 'x.json'), '{}'); // a stale file under the tampered name's base

      server = await startTestServer({ dataDir, env: { LAZYDB_DENY_TARGETS: '169.254.0.0/16' } });
      const names = (await server.request('/api/databases')).body.databases.map((d: { name: string }) => d.name);
      expect(names).toEqual(['good']);
      const result = await server.graphql('/graphql', '{ good { t { id } } }');
      expect(result.errors).toBeUndefined();
      expect(result.data.good.t).toEqual([{ id: 1 }]);
      expect((await server.graphql('/db/good/graphql', '{ t { id } }')).data.t).toEqual([{ id: 1 }]);
      const skipped = server.logs.filter((line) => line.includes('registered database skipped'));
      expect(skipped).toHaveLength(9);
      // Listed for the operator, and removable (they never served, so there is nothing else to undo).
      const listed = (await server.request('/api/databases')).body.skipped as { name: string; reason: string }[];
      expect(listed.map((entry) => entry.name)).toContain('bad_dialect');
      expect(listed).toHaveLength(9);
      expect(JSON.stringify(listed)).not.toContain('/etc/passwd');
      expect((await server.request('/api/databases/bad_dialect', { method: 'DELETE' })).status).toBe(200);
      expect((await server.request('/api/databases')).body.skipped.map((entry: { name: string }) => entry.name)).not.toContain('bad_dialect');
      expect((await server.request('/api/databases/bad_dialect', { method: 'DELETE' })).status).toBe(404);
      expect(skipped.join('\n')).not.toContain('/etc/passwd');
      expect(fs.existsSync(path.join(dataDir, 'x.json'))).toBe(false);
      expect(fs.readdirSync(outsideFolder).filter((f) => f.startsWith(escape))).toEqual([]);
      expect(fs.readdirSync(path.join(dataDir, 'schema-cache')).filter((f) => !f.startsWith('good.'))).toEqual(['x.json']);
    } finally {
      await server.stop();
      await fixture.drop();
    }
  });

  it('clips the names of skipped rows to 100 characters in the listing and the log', async () => {
    let server = await startTestServer();
    const dataDir = server.dataDir;
    const long = `x${'y'.repeat(4999)}`;
    try {
      await server.stop({ keepData: true });
      const registry = new Database(path.join(dataDir, 'registry.sqlite'));
      const now = new Date().toISOString();
      registry
        .prepare('insert into lazydb_databases (name, dialect, connection, secrets, schemas, created_at, updated_at) values (?, ?, ?, null, null, ?, ?)')
        .run(long, 'sqlite', JSON.stringify({ filename: ':memory:' }), now, now);
      registry.close();
      server = await startTestServer({ dataDir });
      const listing = await server.request('/api/databases');
      expect(listing.body.skipped.map((entry: { name: string }) => entry.name)).toEqual([`${long.slice(0, 100)}…`]);
      expect(listing.text).not.toContain(long.slice(0, 101));
      expect(server.logs.join('\n')).not.toContain(long.slice(0, 101));
      expect(server.logs.some((line) => line.includes('registered database skipped') && line.includes(`${long.slice(0, 100)}…`))).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('skips a stored database whose target the policy refuses since', async () => {
    const fixture = await createThrowawayDatabase('sqlite', { sql: 'create table t (id integer primary key)' });
    let server = await startTestServer();
    try {
      expect((await server.request('/api/databases', { method: 'POST', json: { name: 'was_allowed', dialect: 'sqlite', connection: fixture.connection } })).status).toBe(201);
      await server.stop({ keepData: true });
      // The same data folder, but the temporary folder is no longer an allowed SQLite folder.
      server = await startTestServer({ dataDir: server.dataDir, env: { LAZYDB_SQLITE_DIRS: path.join(server.dataDir, 'databases') } });
      expect((await server.request('/api/databases')).body.databases).toEqual([]);
      expect(server.logs.some((line) => line.includes('its connection target is not allowed') && line.includes('was_allowed'))).toBe(true);
    } finally {
      await server.stop();
      await fixture.drop();
    }
  });
});
