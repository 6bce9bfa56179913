import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createThrowawayDatabase, requireOrSkip, sqliteThrowaway, withMariadbUser, type ThrowawayDb } from '../helpers/databases';
import { startTestServer, type TestServer } from '../helpers/server';

const SQLITE_FIXTURE = 'test/fixtures/sql/sqlite.sql';

describe('management API', async () => {
  const hasPostgres = await requireOrSkip('postgres');
  const hasMariadb = await requireOrSkip('mariadb');
  let server: TestServer;
  let lite: ThrowawayDb;
  const cleanup: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    lite = await createThrowawayDatabase('sqlite', { sqlFile: SQLITE_FIXTURE });
    server = await startTestServer();
    const response = await server.request('/api/databases', { method: 'POST', json: { name: 'lite', dialect: 'sqlite', connection: lite.connection } });
    expect(response.status, response.text).toBe(201);
  });

  afterAll(async () => {
    await server?.stop();
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    await lite?.drop();
  });

  const registeredNames = async () => (await server.request('/api/databases')).body.databases.map((d: { name: string }) => d.name);

  it('refuses bad input with the status and the field at fault, storing nothing', async () => {
    const before = await registeredNames();
    const cases: [unknown, number, RegExp][] = [
      ['{not json', 400, /not valid JSON/],
      [{}, 400, /name/],
      [{ name: 'Bad Name', dialect: 'sqlite', connection: { filename: lite.connection.filename } }, 400, /name/],
      [{ name: 'ok_name', dialect: 'db2', connection: { filename: 'x' } }, 400, /dialect/],
      [{ name: 'ok_name', dialect: 'postgres', connection: { host: '127.0.0.1', port: 70000 } }, 400, /connection\.port/],
      [{ name: 'ok_name', dialect: 'postgres', connection: { url: 'mysql://x@y/z' } }, 400, /connection\.url/],
      [{ name: 'ok_name', dialect: 'sqlite', connection: { filename: lite.connection.filename }, extra: 1 }, 400, /extra/],
      [{ name: 'lite', dialect: 'sqlite', connection: { filename: lite.connection.filename } }, 409, /already registered/],
      // Changed on purpose (issue 10): a file in the data folder is refused (403) before anything looks at it;
      // a missing file inside an allowed folder still gets the connection failure.
      [{ name: 'missing_file', dialect: 'sqlite', connection: { filename: join(server.dataDir, 'nope.sqlite') } }, 403, /LAZYDB_SQLITE_DIRS/],
      [{ name: 'missing_file', dialect: 'sqlite', connection: { filename: join(dirname(lite.connection.filename!), 'nope.sqlite') } }, 422, /./],
    ];
    for (const [body, status, message] of cases) {
      const response = await server.request('/api/databases', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      expect([JSON.stringify(body), response.status]).toEqual([JSON.stringify(body), status]);
      expect(response.body.error.message).toMatch(message);
      expect(response.text).not.toMatch(/at .*\.ts:\d+/);
    }
    expect(await registeredNames()).toEqual(before);
    expect((await server.request('/api/databases/nope')).status).toBe(404);
    expect((await server.request('/db/nope/graphql?query={_databases}')).status).toBe(404);
    expect((await server.request('/api/databases/lite', { method: 'PUT' })).status).toBe(405);
  });

  it('caps the request body', async () => {
    const big = 'x'.repeat(1_100_000);
    const response = await server.request('/graphql', { method: 'POST', json: { query: `{ _databases }`, padding: big } });
    expect(response.status).toBe(413);
    // A GraphQL endpoint answers in GraphQL's shape, a refusal of the body too.
    expect(response.body.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it.skipIf(!hasPostgres)('answers 422 with the driver reason for unreachable hosts and missing databases', async () => {
    const unreachable = await server.request('/api/databases', {
      method: 'POST',
      json: { name: 'nowhere', dialect: 'postgres', connection: { host: '127.0.0.1', port: 1, user: 'postgres', password: 'hunter2-secret', database: 'x' } },
    });
    expect(unreachable.status).toBe(422);
    expect(unreachable.body.error.message).toMatch(/ECONNREFUSED|refused|connect/i);
    expect(unreachable.text).not.toContain('hunter2-secret');
    const missing = await server.request('/api/databases', {
      method: 'POST',
      json: { name: 'missing_db', dialect: 'postgres', connection: { url: 'postgres://postgres@127.0.0.1:5432/lazydb_t_does_not_exist' } },
    });
    expect(missing.status).toBe(422);
    expect(missing.body.error.message).toMatch(/does not exist/);
    expect(await registeredNames()).toEqual(['lite']);
  });

  it.skipIf(!hasMariadb)('keeps a real password out of every response, log line and file', async () => {
    const maria = await createThrowawayDatabase('mariadb', { sqlFile: 'test/fixtures/sql/mysql.sql' });
    cleanup.push(() => maria.drop());
    const user = await withMariadbUser(maria);
    cleanup.push(() => user.drop());
    const connection = { host: '127.0.0.1', port: 3306, user: user.user, password: user.password, database: maria.name };

    const wrong = await server.request('/api/databases', { method: 'POST', json: { name: 'maria', dialect: 'mariadb', connection: { ...connection, password: 'wrong-password-123' } } });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.message).toMatch(/Access denied/);
    expect(wrong.text).not.toContain('wrong-password-123');

    const tested = await server.request('/api/databases/test', { method: 'POST', json: { dialect: 'mariadb', connection } });
    expect(tested.status, tested.text).toBe(200);
    expect(tested.body.tables).toBeGreaterThan(5);

    const created = await server.request('/api/databases', { method: 'POST', json: { name: 'maria', dialect: 'mariadb', connection } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.connection.password).toBe('********');
    const list = await server.request('/api/databases');
    const one = await server.request('/api/databases/maria');
    const model = await server.request('/api/databases/maria/model');
    const sdl = await server.request('/api/databases/maria/sdl');
    const query = await server.graphql('/db/maria/graphql', '{ artist(limit: 1) { name } }');
    expect(query.data.artist).toHaveLength(1);

    // Testing an edit of a registered database uses its stored password when none is typed
    const retest = await server.request('/api/databases/test', { method: 'POST', json: { name: 'maria', connection: { ...connection, password: '' } } });
    expect(retest.status, retest.text).toBe(200);
    const retestWrong = await server.request('/api/databases/test', { method: 'POST', json: { name: 'maria', connection: { ...connection, password: 'nope-nope-2' } } });
    expect(retestWrong.status).toBe(422);

    // PATCH with an empty password keeps the stored one and reconnects
    const patched = await server.request('/api/databases/maria', { method: 'PATCH', json: { connection: { ...connection, password: '' } } });
    expect(patched.status, patched.text).toBe(200);
    expect((await server.graphql('/db/maria/graphql', '{ artist(limit: 1) { name } }')).data.artist).toHaveLength(1);

    // A bad PATCH leaves the working connection serving
    const badPatch = await server.request('/api/databases/maria', { method: 'PATCH', json: { connection: { ...connection, password: 'nope-nope-1' } } });
    expect(badPatch.status).toBe(422);
    expect((await server.graphql('/db/maria/graphql', '{ artist(limit: 1) { name } }')).data.artist).toHaveLength(1);

    // The SDL file is written after the registration answered; it matches what the API serves.
    const sdlFile = join(server.dataDir, 'schema-cache', 'maria.graphql');
    await vi.waitFor(() => expect(existsSync(sdlFile) && readFileSync(sdlFile, 'utf8')).toBe(sdl.text), { timeout: 5000 });

    const everything = [list.text, one.text, model.text, sdl.text, created.text, patched.text, badPatch.text, server.logs.join('\n')];
    for (const text of everything) expect(text).not.toContain(user.password);
    const files = [join(server.dataDir, 'registry.sqlite'), ...readdirSync(join(server.dataDir, 'schema-cache')).map((f) => join(server.dataDir, 'schema-cache', f))];
    for (const file of files) expect(readFileSync(file).includes(Buffer.from(user.password)), file).toBe(false);

    const removed = await server.request('/api/databases/maria', { method: 'DELETE' });
    expect(removed.status).toBe(200);
  });

  it.skipIf(!hasPostgres)('refreshes after a schema change and swaps only when the model changed', async () => {
    const pg = await createThrowawayDatabase('postgres', { sql: 'create table thing (id integer primary key, label text)\n--;;\ninsert into thing values (1, \'one\')' });
    cleanup.push(() => pg.drop());
    expect((await server.request('/api/databases', { method: 'POST', json: { name: 'pgref', dialect: 'postgres', connection: { url: pg.url } } })).status).toBe(201);
    const same = await server.request('/api/databases/pgref/refresh', { method: 'POST' });
    expect(same.body.changed).toBe(false);

    const admin = knexFactory({ client: 'pg', connection: pg.url });
    await admin.raw('create table gadget (id integer primary key, thing_id integer references thing (id))');
    await admin.raw('insert into gadget values (7, 1)');
    await admin.destroy();
    const changed = await server.request('/api/databases/pgref/refresh', { method: 'POST' });
    expect(changed.body.changed).toBe(true);
    const data = await server.graphql('/db/pgref/graphql', '{ thing { label gadgets { id } } }');
    expect(data.data.thing).toEqual([{ label: 'one', gadgets: [{ id: 7 }] }]);
    const gateway = await server.graphql('/graphql', '{ pgref { gadget { thing { label } } } lite { artist(limit: 1) { name } } }');
    expect(gateway.errors).toBeUndefined();
    expect(gateway.data.pgref.gadget).toEqual([{ thing: { label: 'one' } }]);
  });

  it('refuses a database whose /graphql type names would redefine another database\'s, and leaves one that starts to clash out of the gateway', async () => {
    // Gateway type names are <database>_<type>: "clash" with table b_c and "clash_b" with table c both make clash_b_c.
    const first = await createThrowawayDatabase('sqlite', { sql: 'create table b_c (id integer primary key)\n--;;\ninsert into b_c values (1)' });
    const second = await createThrowawayDatabase('sqlite', { sql: 'create table d (id integer primary key)\n--;;\ninsert into d values (2)' });
    cleanup.push(() => first.drop(), () => second.drop());
    const register = (name: string, db: ThrowawayDb) =>
      server.request('/api/databases', { method: 'POST', json: { name, dialect: 'sqlite', connection: db.connection } });
    expect((await register('clash', first)).status).toBe(201);
    const secondAdmin = knexFactory({ client: 'better-sqlite3', connection: { filename: second.connection.filename! }, useNullAsDefault: true });
    cleanup.push(() => secondAdmin.destroy());
    await secondAdmin.raw('create table c (id integer primary key)');
    await secondAdmin.raw('insert into c values (3)');

    const before = await registeredNames();
    const refused = await register('clash_b', second);
    expect([refused.status, refused.body.error.code]).toEqual([409, 'GATEWAY_NAME_CLASH']);
    expect(refused.body.error.message).toMatch(/clash_b_c .*"clash"/);
    expect(await registeredNames()).toEqual(before);

    // Registered before the table that clashes existed; the refresh that finds it keeps /db/clash_b serving.
    await secondAdmin.raw('alter table c rename to c_later');
    expect((await register('clash_b', second)).status).toBe(201);
    await secondAdmin.raw('alter table c_later rename to c');
    expect((await server.request('/api/databases/clash_b/refresh', { method: 'POST' })).body.changed).toBe(true);
    expect((await server.graphql('/db/clash_b/graphql', '{ c { id } }')).data.c).toEqual([{ id: 3 }]);
    const gateway = await server.graphql('/graphql', '{ clash { b_c { id } } lite { artist(limit: 1) { name } } _databases }');
    expect(gateway.errors).toBeUndefined();
    expect(gateway.data.clash.b_c).toEqual([{ id: 1 }]);
    expect(gateway.data._databases).toContain('clash_b');
    const left = await server.graphql('/graphql', '{ clash_b { _unavailable } }');
    expect(left.errors?.[0]?.message).toMatch(/database "clash_b" is unavailable: its GraphQL type clash_b_c .*"clash"/);
    // A change to a database that clashes already (here: the same connection again) is not refused for it.
    const patched = await server.request('/api/databases/clash_b', { method: 'PATCH', json: { connection: second.connection } });
    expect(patched.status, patched.text).toBe(200);
    expect((await server.request('/api/databases/clash_b', { method: 'DELETE' })).status).toBe(200);
    expect((await server.request('/api/databases/clash', { method: 'DELETE' })).status).toBe(200);

    // The other way round: the database that joined first keeps its namespace, whatever the names' order.
    expect((await register('rev_b', second)).status).toBe(201);
    const third = await createThrowawayDatabase('sqlite', { sql: 'create table x (id integer primary key)' });
    cleanup.push(() => third.drop());
    expect((await register('rev', third)).status).toBe(201);
    const thirdAdmin = knexFactory({ client: 'better-sqlite3', connection: { filename: third.connection.filename! }, useNullAsDefault: true });
    cleanup.push(() => thirdAdmin.destroy());
    await thirdAdmin.raw('create table b_c (id integer primary key)');
    expect((await server.request('/api/databases/rev/refresh', { method: 'POST' })).body.changed).toBe(true);
    expect((await server.graphql('/graphql', '{ rev_b { c { id } } }')).data.rev_b.c).toEqual([{ id: 3 }]);
    expect((await server.graphql('/graphql', '{ rev { _unavailable } }')).errors?.[0]?.message).toMatch(/database "rev" is unavailable: its GraphQL type rev_b_c .*"rev_b"/);
    for (const name of ['rev', 'rev_b']) expect((await server.request(`/api/databases/${name}`, { method: 'DELETE' })).status).toBe(200);
  });

  it.skipIf(!hasPostgres)('adds and removes a database under load without failing a request', async () => {
    const pg = await createThrowawayDatabase('postgres', { sql: 'create table t (id integer primary key)\n--;;\ninsert into t values (1)' });
    cleanup.push(() => pg.drop());
    let failures = 0;
    let done = 0;
    let running = true;
    const worker = async () => {
      while (running) {
        const [a, b] = await Promise.all([
          server.request('/db/lite/graphql', { method: 'POST', json: { query: '{ artist(limit: 2) { name } }' } }),
          server.request('/graphql', { method: 'POST', json: { query: '{ lite { album(limit: 2) { title } } }' } }),
        ]);
        for (const r of [a, b]) {
          if (r.status !== 200 || r.body.errors) failures++;
          done++;
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await new Promise((r) => setTimeout(r, 200));
    const added = await server.request('/api/databases', { method: 'POST', json: { name: 'swap', dialect: 'postgres', connection: { url: pg.url } } });
    expect(added.status).toBe(201);
    expect((await server.graphql('/graphql', '{ swap { t { id } } }')).data.swap.t).toEqual([{ id: 1 }]);
    expect((await server.request('/db/swap/rest/t/1')).body).toEqual({ id: 1 });
    expect((await server.request('/db/swap/openapi.json')).body.paths['/t/{id}']).toBeDefined();
    const pool = server.gateway.get('swap')!.pool;
    await new Promise((r) => setTimeout(r, 200));
    expect((await server.request('/api/databases/swap', { method: 'DELETE' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    running = false;
    await Promise.all(workers);
    expect(done).toBeGreaterThan(20);
    expect(failures).toBe(0);
    expect((await server.request('/db/swap/graphql?query={t{id}}')).status).toBe(404);
    const goneRest = await server.request('/db/swap/rest/t/1');
    expect([goneRest.status, goneRest.body.error.message]).toEqual([404, 'no database named "swap" is registered']);
    expect((await server.graphql('/graphql', '{ swap { t { id } } }')).errors?.[0]?.message).toMatch(/Cannot query field "swap"/);
    expect(pool.isDestroyed).toBe(true);
    expect(existsSync(join(server.dataDir, 'schema-cache', 'swap.json'))).toBe(false);
  });
});

describe('requests in flight during a removal', async () => {
  const hasPostgres = await requireOrSkip('postgres');

  it.skipIf(!hasPostgres)('finish on the pool they started with', async () => {
    const pg = await createThrowawayDatabase('postgres', { sql: 'create view slow as select pg_sleep(0.6)::text as s, 1 as id' });
    const server = await startTestServer();
    try {
      expect((await server.request('/api/databases', { method: 'POST', json: { name: 'slowdb', dialect: 'postgres', connection: { url: pg.url } } })).status).toBe(201);
      const pool = server.gateway.get('slowdb')!.pool;
      const viaGateway = server.graphql('/graphql', '{ slowdb { slow { id } } }');
      const direct = server.graphql('/db/slowdb/graphql', '{ slow { id } }');
      await new Promise((r) => setTimeout(r, 150));
      expect((await server.request('/api/databases/slowdb', { method: 'DELETE' })).status).toBe(200);
      expect(pool.isDestroyed).toBe(false);
      const [a, b] = await Promise.all([viaGateway, direct]);
      expect(a.errors).toBeUndefined();
      expect(a.data.slowdb.slow).toEqual([{ id: 1 }]);
      expect(b.data.slow).toEqual([{ id: 1 }]);
      await expect.poll(() => pool.isDestroyed).toBe(true);
    } finally {
      await server.stop();
      await pg.drop();
    }
  });
});

describe('restart and outages', async () => {
  const hasPostgres = await requireOrSkip('postgres');

  it.skipIf(!hasPostgres)('comes back after a restart, serves a down database as an error and reconnects it', async () => {
    const lite = sqliteThrowaway();
    const pg = await createThrowawayDatabase('postgres', { sql: 'create table t (id integer primary key)\n--;;\ninsert into t values (1)' });
    const admin = knexFactory({ client: 'pg', connection: pg.url.replace(/\/[^/]+$/, '/postgres') });
    const renamed = `${pg.name}_off`;
    let server = await startTestServer();
    try {
      await admin.raw('select 1');
      expect((await server.request('/api/databases', { method: 'POST', json: { name: 'up', dialect: 'postgres', connection: { url: pg.url } } })).status).toBe(201);
      const file = lite.connection.filename!;
      const seed = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
      await seed.raw('create table k (id integer primary key, v text)');
      await seed.raw("insert into k values (1, 'kept')");
      await seed.destroy();
      expect((await server.request('/api/databases', { method: 'POST', json: { name: 'lite2', dialect: 'sqlite', connection: { filename: file } } })).status).toBe(201);
      await server.stop({ keepData: true });

      // Take the PostgreSQL database away while lazydb is down.
      await admin.raw('select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()', [pg.name]);
      await admin.raw(`alter database ?? rename to ??`, [pg.name, renamed]);

      server = await startTestServer({ dataDir: server.dataDir });
      const names = (await server.request('/api/databases')).body.databases.map((d: { name: string }) => d.name);
      expect(names).toEqual(['lite2', 'up']);
      const kept = await server.graphql('/db/lite2/graphql', '{ k { v } }');
      expect(kept.data?.k, JSON.stringify(kept)).toEqual([{ v: 'kept' }]);
      await expect.poll(async () => (await server.request('/api/databases/up')).body.status, { timeout: 15_000 }).toBe('error');
      const down = await server.graphql('/db/up/graphql', '{ t { id } }');
      expect(down.errors?.[0]?.message).toMatch(/database "up" is unavailable/);
      expect(down.errors?.[0]?.extensions?.code).toBe('DATABASE_UNAVAILABLE');
      const downRest = await server.request('/db/up/rest/t/1');
      expect([downRest.status, downRest.headers.get('retry-after')]).toEqual([503, '5']);
      expect(downRest.body.error.message).toMatch(/database "up" is unavailable/);
      const both = await server.graphql('/graphql', '{ lite2 { k { v } } up { t { id } } }');
      expect(both.data?.lite2?.k).toEqual([{ v: 'kept' }]);

      await admin.raw(`alter database ?? rename to ??`, [renamed, pg.name]);
      await expect.poll(async () => (await server.request('/api/databases/up')).body.status, { timeout: 20_000 }).toBe('ready');
      expect((await server.graphql('/db/up/graphql', '{ t { id } }')).data.t).toEqual([{ id: 1 }]);
    } finally {
      await server.stop();
      await admin.raw(`alter database ?? rename to ??`, [renamed, pg.name]).catch(() => undefined);
      await admin.destroy();
      await pg.drop();
      await lite.drop();
    }
  });
});
