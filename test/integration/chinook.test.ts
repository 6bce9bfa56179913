import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHINOOK_COUNTS, CHINOOK_NAMES, chinookAvailable, loadChinook, noteChinookMissing, type ChinookEngine } from '../helpers/chinook';
import { requireOrSkip, type ThrowawayDb } from '../helpers/databases';
import { RestContract } from '../helpers/openapi-contract';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Real data: the public Chinook sample on every local engine, registered through the API
 * and queried together; counts and a nested query are checked against plain SQL.
 */
const ENGINES: ChinookEngine[] = ['postgres', 'mariadb', 'sqlite'];

describe('Chinook through GraphQL', async () => {
  const available: ChinookEngine[] = [];
  for (const engine of ENGINES) {
    noteChinookMissing(engine, 'the Chinook suite skips it (the project\'s own fixtures cover the same cases in the engine suites)');
    if (chinookAvailable(engine) && (await requireOrSkip(engine))) available.push(engine);
  }
  const databases = new Map<ChinookEngine, ThrowawayDb>();
  let server: TestServer;

  beforeAll(async () => {
    if (available.length === 0) return;
    server = await startTestServer({ env: { LAZYDB_MAX_LIMIT: '5000' } });
    for (const engine of available) {
      const db = await loadChinook(engine);
      databases.set(engine, db);
      const started = performance.now();
      const response = await server.request('/api/databases', { method: 'POST', json: { name: `chinook_${engine}`, dialect: db.dialect, connection: db.connection } });
      expect(response.status, response.text).toBe(201);
      console.log(`chinook on ${engine}: registration ${Math.round(performance.now() - started)} ms, introspection ${response.body.introspectMs} ms`);
    }
  });

  afterAll(async () => {
    await server?.stop();
    for (const db of databases.values()) await db.drop();
  });

  it.skipIf(available.length === 0).each(available)('counts rows on %s like the sample says', async (engine) => {
    const n = CHINOOK_NAMES[engine];
    const result = await server.graphql(
      `/db/chinook_${engine}/graphql`,
      `{ a: ${n.artist.table}_aggregate { aggregate { count } } b: ${n.album.table}_aggregate { aggregate { count } } c: ${n.track.table}_aggregate { aggregate { count } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect([result.data.a.aggregate.count, result.data.b.aggregate.count, result.data.c.aggregate.count]).toEqual([
      CHINOOK_COUNTS.artist,
      CHINOOK_COUNTS.album,
      CHINOOK_COUNTS.track,
    ]);
  });

  it.skipIf(available.length === 0).each(available)('answers artist -> albums -> tracks on %s as plain SQL does', async (engine) => {
    const n = CHINOOK_NAMES[engine];
    const graph = await server.graphql(
      `/db/chinook_${engine}/graphql`,
      `{ ${n.artist.table}_by_pk(${n.artist.id}: 1) { ${n.artist.name} albums: ${pluralRelation(n.album.table)}(order_by: [{${n.album.id}: asc}]) { ${n.album.title} tracks: ${pluralRelation(n.track.table)}(order_by: [{${n.track.id}: asc}]) { ${n.track.name} } } } }`,
    );
    expect(graph.errors).toBeUndefined();
    const artist = graph.data[`${n.artist.table}_by_pk`];
    expect(artist[n.artist.name]).toBe('AC/DC');

    const sql = connect(databases.get(engine)!);
    try {
      const rows = await sql
        .select({ title: `al.${n.album.title}`, track: `t.${n.track.name}` })
        .from({ al: n.album.table })
        .join({ t: n.track.table }, `t.${n.track.albumId}`, `al.${n.album.id}`)
        .where(`al.${n.album.artistId}`, 1)
        .orderBy([`al.${n.album.id}`, `t.${n.track.id}`]);
      const flattened = artist.albums.flatMap((album: Record<string, unknown>) =>
        (album.tracks as Record<string, unknown>[]).map((track) => ({ title: album[n.album.title], track: track[n.track.name] })),
      );
      expect(flattened).toEqual(rows);
      expect(flattened.length).toBeGreaterThan(10);
    } finally {
      await sql.destroy();
    }
  });

  it.skipIf(available.length === 0).each(available)('serves Chinook over REST on %s like plain SQL', async (engine) => {
    const n = CHINOOK_NAMES[engine];
    const base = `/db/chinook_${engine}/rest`;
    const acdc = await server.request(`${base}/${n.artist.table}/1`);
    expect(acdc.status).toBe(200);
    expect(acdc.body[n.artist.name]).toBe('AC/DC');

    const where = encodeURIComponent(JSON.stringify({ [n.track.name]: { _ilike: 'a%' } }));
    const page = await server.request(`${base}/${n.track.table}?where=${where}&order_by=${n.track.name}.desc,${n.track.id}.asc&limit=5&offset=3`);
    expect(page.status, page.text).toBe(200);
    const sql = connect(databases.get(engine)!);
    try {
      const expected = await sql.select(`${n.track.id} as id`).from(n.track.table).whereRaw('lower(??) like ?', [n.track.name, 'a%']).orderBy([{ column: n.track.name, order: 'desc' }, n.track.id]).limit(5).offset(3);
      const total = (await sql.count({ count: '*' }).from(n.track.table).whereRaw('lower(??) like ?', [n.track.name, 'a%'])) as { count: number | string }[];
      expect(page.body.map((t: Record<string, number>) => t[n.track.id])).toEqual(expected.map((r: { id: number }) => Number(r.id)));
      expect(page.headers.get('x-total-count')).toBe(String(Number(total[0]!.count)));
    } finally {
      await sql.destroy();
    }
  });

  it.skipIf(available.length === 0).each(available)('answers every Chinook table over REST on %s as its OpenAPI document says', async (engine) => {
    const name = `chinook_${engine}`;
    const contract = await RestContract.load((await server.request(`/db/${name}/openapi.json`)).body);
    const resources = (await server.request(`/api/databases/${name}/model`)).body.resources as { name: string; primaryKey: string[]; relations: { name: string }[] }[];
    const rest = async (path: string) => {
      const response = await server.request(`/db/${name}/rest${path}`);
      expect(contract.check({ method: 'GET', path }, response)).toEqual([]);
      return response;
    };
    for (const resource of resources) {
      const include = resource.relations.map((r) => r.name).join(',');
      const page = await rest(`/${resource.name}?limit=5${include ? `&include=${include}` : ''}`);
      expect([resource.name, page.status]).toEqual([resource.name, 200]);
      const first = page.body[0] as Record<string, unknown> | undefined;
      if (first && resource.primaryKey.length > 0) await rest(`/${resource.name}/${resource.primaryKey.map((k) => encodeURIComponent(String(first[k]))).join('/')}`);
    }
    console.log(`[openapi] chinook on ${engine}: ${contract.checked} REST exchanges checked against /db/${name}/openapi.json by openapi-backend`);
  });

  it.skipIf(available.length < 2)('queries every engine together in one gateway request', async () => {
    const parts = available.map((engine) => {
      const n = CHINOOK_NAMES[engine];
      return `chinook_${engine} { ${n.genre.table}(order_by: [{${n.genre.id}: asc}], limit: 3) { ${n.genre.name} } }`;
    });
    const result = await server.graphql('/graphql', `{ ${parts.join(' ')} }`);
    expect(result.errors).toBeUndefined();
    const genres = available.map((engine) => result.data[`chinook_${engine}`][CHINOOK_NAMES[engine].genre.table].map((g: Record<string, string>) => Object.values(g)[0]));
    for (const list of genres) expect(list).toEqual(['Rock', 'Jazz', 'Metal']);
  });
});

/** The array relation name lazydb gives a referencing table (see server/schema/naming.ts). */
function pluralRelation(table: string): string {
  return /[A-Z]$/.test(table) && table.toUpperCase() === table ? `${table}S` : `${table}s`;
}

function connect(db: ThrowawayDb): Knex {
  if (db.dialect === 'sqlite') return knexFactory({ client: 'better-sqlite3', connection: { filename: db.connection.filename! }, useNullAsDefault: true });
  if (db.dialect === 'postgres') return knexFactory({ client: 'pg', connection: db.url });
  return knexFactory({ client: 'mysql2', connection: { ...db.connection, database: db.connection.database } });
}
