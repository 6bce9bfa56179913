/**
 * A stored password is only ever sent to the target it was stored for (issue 10). Fake
 * PostgreSQL and MySQL servers on loopback stand where an attacker's would and record what
 * arrives; the databases registered with the stored passwords are real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayDatabase, requireOrSkip, withMariadbUser, type ThrowawayDb, type ThrowawayUser } from '../helpers/databases';
import { fakeMysql, fakePostgres, type FakeMysql, type FakePostgres } from '../helpers/fake-servers';
import { startTestServer, type TestServer } from '../helpers/server';

const STORED = 'stored-secret-7f3a91';
const URL_STORED = 'url-secret-c0ffee42';
const QUERY_STORED = 'query-secret-b4d5e6';
const MASK = '********';

describe('stored PostgreSQL passwords', async () => {
  const hasPostgres = await requireOrSkip('postgres');
  let server: TestServer;
  let db: ThrowawayDb;
  let fake: FakePostgres;

  beforeAll(async () => {
    if (!hasPostgres) return;
    db = await createThrowawayDatabase('postgres', { sql: 'create table t (id integer primary key)\n--;;\ninsert into t values (1)' });
    fake = await fakePostgres();
    server = await startTestServer();
    // Trust authentication accepts any password: the stored one is real to lazydb all the same.
    const discrete = { host: '127.0.0.1', port: 5432, user: 'postgres', password: STORED, database: db.name };
    for (const [name, connection] of [
      ['pgd', discrete],
      ['pgu', { url: `postgres://postgres:${URL_STORED}@127.0.0.1:5432/${db.name}` }],
      ['pgq', { url: `postgres://postgres@127.0.0.1:5432/${db.name}?password=${QUERY_STORED}` }],
    ] as const) {
      const registered = await server.request('/api/databases', { method: 'POST', json: { name, dialect: 'postgres', connection } });
      expect(registered.status, registered.text).toBe(201);
    }
  });

  afterAll(async () => {
    await server?.stop();
    await fake?.close();
    await db?.drop();
  });

  const elsewhere = () => ({ host: '127.0.0.1', port: fake.port, user: 'postgres', database: db.name });
  const serves = async (name: string) => (await server.graphql(`/db/${name}/graphql`, '{ t { id } }')).data?.t;

  it.skipIf(!hasPostgres)('refuses a test or a change to another server without the password, and nothing reaches it', async () => {
    const attempts: Array<[string, string, unknown]> = [];
    for (const password of [undefined, '', MASK]) {
      const connection = { ...elsewhere(), ...(password === undefined ? {} : { password }) };
      attempts.push(['POST', '/api/databases/test', { name: 'pgd', dialect: 'postgres', connection }]);
      attempts.push(['PATCH', '/api/databases/pgd', { connection }]);
    }
    // Each part that decides where or as whom the password goes, changed alone.
    for (const change of [{ port: fake.port }, { user: 'someone_else' }, { database: 'postgres' }, { ssl: true }, { host: 'localhost' }]) {
      attempts.push(['PATCH', '/api/databases/pgd', { connection: { host: '127.0.0.1', port: 5432, user: 'postgres', database: db.name, ...change } }]);
    }
    attempts.push(['PATCH', '/api/databases/pgd', { dialect: 'mysql' }]);
    for (const [method, path, json] of attempts) {
      const response = await server.request(path, { method, json });
      expect([method, JSON.stringify(json), response.status, response.body.error?.code]).toEqual([method, JSON.stringify(json), 400, 'VALIDATION_FAILED']);
      expect(response.body.error.fields).toContainEqual({ field: 'connection.password', message: expect.stringMatching(/only sent to the server it was stored for/) });
      expect(response.body.error.message).toMatch(/give the password\s+again/);
      expect(response.text).not.toContain(STORED);
    }
    expect(fake.connections).toBe(0);
    expect(await serves('pgd')).toEqual([{ id: 1 }]);
  });

  it.skipIf(!hasPostgres)('sends a newly given password, and only that one, to the other server', async () => {
    const tested = await server.request('/api/databases/test', { method: 'POST', json: { name: 'pgd', dialect: 'postgres', connection: { ...elsewhere(), password: 'typed-anew-1' } } });
    expect([tested.status, tested.body.error?.code]).toEqual([422, 'CONNECTION_FAILED']);
    expect(tested.body.error.message).toMatch(/authentication failed/);
    const patched = await server.request('/api/databases/pgd', { method: 'PATCH', json: { connection: { ...elsewhere(), password: 'typed-anew-2' } } });
    expect(patched.status).toBe(422);
    expect(fake.passwords).toEqual(['typed-anew-1', 'typed-anew-2']);
    expect(await serves('pgd')).toEqual([{ id: 1 }]);
  });

  it.skipIf(!hasPostgres)('keeps the stored password for a change of schemas only, or the same target written again', async () => {
    const schemas = await server.request('/api/databases/pgd', { method: 'PATCH', json: { schemas: ['public'] } });
    expect(schemas.status, schemas.text).toBe(200);
    const same = await server.request('/api/databases/pgd', { method: 'PATCH', json: { connection: { host: '127.0.0.1', port: 5432, user: 'postgres', database: db.name, password: '' } } });
    expect(same.status, same.text).toBe(200);
    const retest = await server.request('/api/databases/test', { method: 'POST', json: { name: 'pgd', dialect: 'postgres', connection: { host: '127.0.0.1', user: 'postgres', database: db.name } } });
    expect(retest.status, retest.text).toBe(200);
    expect(server.gateway.get('pgd')!.spec.connection.password).toBe(STORED);
  });

  it.skipIf(!hasPostgres)('follows the same rule for URL connections, whether the password sits in the userinfo or the query', async () => {
    const fakeUrl = (auth: string, query = '') => `postgres://${auth}@127.0.0.1:${fake.port}/${db.name}${query}`;
    const before = fake.connections;
    for (const [name, url] of [
      ['pgu', fakeUrl('postgres')],
      ['pgu', fakeUrl(`postgres:${MASK}`)],
      ['pgu', fakeUrl('postgres:')],
      ['pgq', fakeUrl('postgres', `?password=${MASK}`)],
      ['pgq', fakeUrl('postgres')],
      ['pgu', `postgres://postgres@127.0.0.1:5432/${db.name}?application_name=other`],
    ] as const) {
      for (const [method, path, json] of [
        ['POST', '/api/databases/test', { name, dialect: 'postgres', connection: { url } }],
        ['PATCH', `/api/databases/${name}`, { connection: { url } }],
      ] as const) {
        const response = await server.request(path, { method, json });
        expect([method, url, response.status]).toEqual([method, url, 400]);
        expect(response.body.error.fields).toContainEqual(expect.objectContaining({ field: 'connection.password' }));
      }
    }
    expect(fake.connections).toBe(before);
    // Given anew inside the URL: that password goes, nothing else.
    const anew = await server.request('/api/databases/test', { method: 'POST', json: { name: 'pgu', dialect: 'postgres', connection: { url: fakeUrl('postgres:url-anew-3') } } });
    expect(anew.status).toBe(422);
    const inQuery = await server.request('/api/databases/test', { method: 'POST', json: { name: 'pgq', dialect: 'postgres', connection: { url: fakeUrl('postgres', '?password=query-anew-4') } } });
    expect(inQuery.status).toBe(422);
    expect(fake.passwords.slice(-2)).toEqual(['url-anew-3', 'query-anew-4']);
    // The masked URL sent back as read keeps the stored password on the same server.
    const read = await server.request('/api/databases/pgq');
    expect(read.body.connection.url).toBe(`postgres://postgres@127.0.0.1:5432/${db.name}?password=${MASK}`);
    const resent = await server.request('/api/databases/pgq', { method: 'PATCH', json: { connection: { url: read.body.connection.url } } });
    expect(resent.status, resent.text).toBe(200);
    expect(server.gateway.get('pgq')!.spec.connection.url).toContain(`password=${QUERY_STORED}`);
    expect(await serves('pgq')).toEqual([{ id: 1 }]);
  });

  it.skipIf(!hasPostgres)('masks a query-string password in every answer, failed ones too', async () => {
    const secret = 'query-secret-failing-9';
    const failing = await server.request('/api/databases', {
      method: 'POST',
      json: { name: 'pgq_fail', dialect: 'postgres', connection: { url: `postgres://postgres:${secret}x@127.0.0.1:${fake.port}/${db.name}?password=${secret}` } },
    });
    expect(failing.status).toBe(400); // a password in the userinfo and in the query
    const refused = await server.request('/api/databases', {
      method: 'POST',
      json: { name: 'pgq_fail', dialect: 'postgres', connection: { url: `postgres://postgres@127.0.0.1:${fake.port}/${db.name}?password=${secret}` } },
    });
    expect([refused.status, refused.body.error.code]).toEqual([422, 'CONNECTION_FAILED']);
    expect(fake.passwords.at(-1)).toBe(secret);
    const registered = await server.request('/api/databases', {
      method: 'POST',
      json: { name: 'pgq_ok', dialect: 'postgres', connection: { url: `postgres://postgres@127.0.0.1:5432/${db.name}?application_name=t&password=${secret}` } },
    });
    expect(registered.status, registered.text).toBe(201);
    expect(registered.body.connection.url).toBe(`postgres://postgres@127.0.0.1:5432/${db.name}?application_name=t&password=${MASK}`);
    const answers = [failing, refused, registered, await server.request('/api/databases'), await server.request('/api/databases/pgq_ok')];
    for (const answer of answers) expect(answer.text).not.toContain(secret);
    expect(server.logs.join('\n')).not.toContain(secret);
    expect((await server.request('/api/databases/pgq_ok', { method: 'DELETE' })).status).toBe(200);
  });

  it.skipIf(!hasPostgres)('logs every test and change with the spec masked and its outcome, never a secret', async () => {
    const lines = server.logs.map((line) => JSON.parse(line) as { message: string; outcome?: string; spec?: unknown });
    const attempts = lines.filter((line) => /^connection (test|change)$/.test(line.message));
    expect(attempts.some((line) => line.message === 'connection test' && line.outcome === 'invalid')).toBe(true);
    expect(attempts.some((line) => line.message === 'connection change' && line.outcome === 'ok')).toBe(true);
    expect(attempts.some((line) => line.message === 'connection test' && /^failed: .*authentication failed/.test(line.outcome ?? ''))).toBe(true);
    const all = server.logs.join('\n');
    for (const secret of [STORED, URL_STORED, QUERY_STORED, 'typed-anew-1', 'url-anew-3', 'query-anew-4']) expect(all).not.toContain(secret);
    for (const text of [(await server.request('/api/databases')).text, (await server.request('/api/databases/pgq')).text]) {
      for (const secret of [STORED, URL_STORED, QUERY_STORED]) expect(text).not.toContain(secret);
    }
  });
});

describe('stored MariaDB passwords', async () => {
  const hasMariadb = await requireOrSkip('mariadb');
  let server: TestServer;
  let db: ThrowawayDb;
  let user: ThrowawayUser;
  const fakes: FakeMysql[] = [];

  beforeAll(async () => {
    if (!hasMariadb) return;
    db = await createThrowawayDatabase('mariadb', { sql: 'create table t (id integer primary key)\n--;;\ninsert into t values (1)' });
    user = await withMariadbUser(db);
    fakes.push(await fakeMysql('caching_sha2_password'), await fakeMysql('sha256_password'));
    server = await startTestServer();
    const registered = await server.request('/api/databases', { method: 'POST', json: { name: 'maria', dialect: 'mariadb', connection: user.connection } });
    expect(registered.status, registered.text).toBe(201);
    const byUrl = await server.request('/api/databases', { method: 'POST', json: { name: 'maria_url', dialect: 'mariadb', connection: { url: user.url } } });
    expect(byUrl.status, byUrl.text).toBe(201);
  });

  afterAll(async () => {
    await server?.stop();
    for (const fake of fakes) await fake.close();
    await user?.drop();
    await db?.drop();
  });

  it.skipIf(!hasMariadb)('never connects to a server offering sha256_password or caching_sha2_password with the stored password', async () => {
    for (const fake of fakes) {
      const moved = { host: '127.0.0.1', port: fake.port, user: user.user, database: db.name };
      for (const [method, path, json] of [
        ['POST', '/api/databases/test', { name: 'maria', dialect: 'mariadb', connection: moved }],
        ['PATCH', '/api/databases/maria', { connection: { ...moved, password: MASK } }],
        ['POST', '/api/databases/test', { name: 'maria_url', dialect: 'mariadb', connection: { url: `mysql://${encodeURIComponent(user.user)}@127.0.0.1:${fake.port}/${db.name}` } }],
        ['PATCH', '/api/databases/maria_url', { connection: { url: `mysql://${encodeURIComponent(user.user)}:${MASK}@127.0.0.1:${fake.port}/${db.name}` } }],
      ] as const) {
        const response = await server.request(path, { method, json });
        expect([method, path, response.status]).toEqual([method, path, 400]);
        expect(response.text).not.toContain(user.password);
      }
      expect(fake.connections).toBe(0);
    }
    expect((await server.graphql('/db/maria/graphql', '{ t { id } }')).data.t).toEqual([{ id: 1 }]);
  });

  it.skipIf(!hasMariadb)('lets a newly given password go to the other server', async () => {
    const fake = fakes[0]!;
    const response = await server.request('/api/databases/test', {
      method: 'POST',
      json: { name: 'maria', dialect: 'mariadb', connection: { host: '127.0.0.1', port: fake.port, user: 'probe_user', database: db.name, password: 'typed-anew-5' } },
    });
    expect(response.status).toBe(422);
    expect(fake.connections).toBe(1);
    expect(fake.users).toEqual(['probe_user']);
    for (const bytes of fake.responses) expect(bytes.includes(Buffer.from(user.password))).toBe(false);
    expect(server.logs.join('\n')).not.toContain(user.password);
  });
});
