/**
 * The floor: a bare node:http server that does each workload's work by hand with the raw
 * driver (`pg`, or `mysql2` for MariaDB) and returns the same JSON as lazydb's GraphQL
 * endpoint (`{"data":{<root field>: ...}}`, canonical values: decimals as strings). No
 * framework, no GraphQL, no validation beyond what the SQL needs: the cheapest correct way
 * to serve these requests from Node, hence the ceiling lazydb is measured against.
 *
 * Nested reads use one statement per level (`= any($1)` / `in (?)`), as a careful
 * hand-written loader would; see README.
 *
 *   ENGINE=postgres|mariadb CHINOOK_URL=... SYNTH_URL=... PORT=... POOL_MAX=10 \
 *     node --import tsx bench/servers/floor.ts
 *
 *   GET /w1?id=  GET /w2?offset=  GET /w3?id=  GET /w4  POST /w5 {"name":...}  GET /w6?id=
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { mysqlOptions } from '../../test/helpers/databases';

type Row = Record<string, unknown>;

interface Sql {
  /** `sql` uses `?` placeholders; list values are passed as arrays. */
  query(sql: string, params: unknown[]): Promise<Row[]>;
  insert(table: string, column: string, value: unknown): Promise<number>;
  close(): Promise<void>;
}

const engine = process.env.ENGINE === 'mariadb' ? 'mariadb' : 'postgres';
const poolMax = Number(process.env.POOL_MAX ?? '10');

function pgSql(url: string): Sql {
  const pool = new pg.Pool({ connectionString: url, max: poolMax });
  const numbered = new Map<string, string>();
  const toPg = (sql: string) => {
    let text = numbered.get(sql);
    if (text === undefined) {
      let n = 0;
      text = sql.replace(/\?/g, () => `$${++n}`).replace(/in \((\$\d+)\)/g, '= any($1)');
      numbered.set(sql, text);
    }
    return text;
  };
  return {
    query: async (sql, params) => (await pool.query(toPg(sql), params)).rows as Row[],
    insert: async (table, column, value) => {
      const { rows } = await pool.query(`insert into ${table} (${column}) values ($1) returning artist_id`, [value]);
      return Number(rows[0]!.artist_id);
    },
    close: () => pool.end(),
  };
}

function mysqlSql(url: string): Sql {
  const pool = mysql.createPool({ ...mysqlOptions(url), connectionLimit: poolMax });
  return {
    // `query` (text protocol, values escaped by the client) is what knex does with mysql2.
    query: async (sql, params) => (await pool.query(sql, params))[0] as Row[],
    insert: async (table, column, value) => {
      const [result] = await pool.query(`insert into ${table} (${column}) values (?)`, [value]);
      return (result as mysql.ResultSetHeader).insertId;
    },
    close: () => pool.end(),
  };
}

const open = (url: string | undefined): Sql | null => (url ? (engine === 'postgres' ? pgSql(url) : mysqlSql(url)) : null);
const chinook = open(process.env.CHINOOK_URL);
const synth = open(process.env.SYNTH_URL);

/** Table and column names as each Chinook script spells them, and lazydb's root field names. */
const N =
  engine === 'postgres'
    ? {
        track: 'track', trackId: 'track_id', name: 'name', composer: 'composer', ms: 'milliseconds', price: 'unit_price', albumId: 'album_id', genreId: 'genre_id',
        album: 'album', title: 'title', artistId: 'artist_id', artist: 'artist', genre: 'genre',
        albums: 'albums', tracks: 'tracks', genreField: 'genre',
        rootW1: 'track_by_pk', rootW2: 'track', rootW3: 'artist_by_pk', rootW4: 'album', rootW5: 'insert_artist_one',
      }
    : {
        track: 'Track', trackId: 'TrackId', name: 'Name', composer: 'Composer', ms: 'Milliseconds', price: 'UnitPrice', albumId: 'AlbumId', genreId: 'GenreId',
        album: 'Album', title: 'Title', artistId: 'ArtistId', artist: 'Artist', genre: 'Genre',
        albums: 'Albums', tracks: 'Tracks', genreField: 'Genre',
        rootW1: 'Track_by_pk', rootW2: 'Track', rootW3: 'Artist_by_pk', rootW4: 'Album', rootW5: 'insert_Artist_one',
      };
const q = (id: string) => (engine === 'postgres' ? `"${id}"` : `\`${id}\``);

const W1_SQL = `select ${[N.trackId, N.name, N.composer, N.ms, N.price].map(q).join(', ')} from ${q(N.track)} where ${q(N.trackId)} = ?`;
const W2_SQL = `select ${[N.trackId, N.name, N.composer, N.ms, N.price].map(q).join(', ')} from ${q(N.track)} order by ${q(N.trackId)} limit 20 offset ?`;
const W3_ARTIST = `select ${q(N.artistId)}, ${q(N.name)} from ${q(N.artist)} where ${q(N.artistId)} = ?`;
const W3_ALBUMS = `select ${q(N.albumId)}, ${q(N.title)}, ${q(N.artistId)} from ${q(N.album)} where ${q(N.artistId)} in (?) order by ${q(N.artistId)}, ${q(N.albumId)}`;
const W3_TRACKS = `select ${q(N.trackId)}, ${q(N.name)}, ${q(N.albumId)}, ${q(N.genreId)} from ${q(N.track)} where ${q(N.albumId)} in (?) order by ${q(N.albumId)}, ${q(N.trackId)}`;
const W3_GENRES = `select ${q(N.genreId)}, ${q(N.name)} from ${q(N.genre)} where ${q(N.genreId)} in (?)`;
const W4_ALBUMS = `select ${q(N.albumId)}, ${q(N.title)} from ${q(N.album)} order by ${q(N.albumId)}`;
const W4_TRACKS = `select ${q(N.trackId)}, ${q(N.name)}, ${q(N.ms)}, ${q(N.albumId)} from ${q(N.track)} where ${q(N.albumId)} in (?) order by ${q(N.albumId)}, ${q(N.trackId)}`;
const W6_SQL = `select ${['id', 'name', 'composer', 'milliseconds', 'unit_price'].map(q).join(', ')} from ${q(process.env.SYNTH_TABLE ?? 't0500')} where ${q('id')} = ?`;

function groupBy(rows: Row[], key: string): Map<unknown, Row[]> {
  const groups = new Map<unknown, Row[]>();
  for (const row of rows) {
    const k = row[key];
    let list = groups.get(k);
    if (!list) groups.set(k, (list = []));
    list.push(row);
  }
  return groups;
}

function pick(row: Row, keys: string[]): Row {
  const out: Row = {};
  for (const k of keys) out[k] = row[k];
  return out;
}

async function w3(db: Sql, id: number): Promise<Row | null> {
  const [artist] = await db.query(W3_ARTIST, [id]);
  if (!artist) return null;
  const albums = await db.query(W3_ALBUMS, [[id]]);
  const tracks = albums.length ? await db.query(W3_TRACKS, [albums.map((a) => a[N.albumId])]) : [];
  const genreIds = [...new Set(tracks.map((t) => t[N.genreId]).filter((g) => g !== null))];
  const genres = genreIds.length ? await db.query(W3_GENRES, [genreIds]) : [];
  const genreById = new Map(genres.map((g) => [g[N.genreId], g]));
  const tracksByAlbum = groupBy(tracks, N.albumId);
  return {
    [N.artistId]: artist[N.artistId],
    [N.name]: artist[N.name],
    [N.albums]: albums.map((album) => ({
      [N.albumId]: album[N.albumId],
      [N.title]: album[N.title],
      [N.tracks]: (tracksByAlbum.get(album[N.albumId]) ?? []).map((t) => {
        const genre = genreById.get(t[N.genreId]);
        return { [N.trackId]: t[N.trackId], [N.name]: t[N.name], [N.genreField]: genre ? pick(genre, [N.genreId, N.name]) : null };
      }),
    })),
  };
}

async function w4(db: Sql): Promise<Row[]> {
  const albums = await db.query(W4_ALBUMS, []);
  const tracks = albums.length ? await db.query(W4_TRACKS, [albums.map((a) => a[N.albumId])]) : [];
  const byAlbum = groupBy(tracks, N.albumId);
  return albums.map((album) => ({
    [N.albumId]: album[N.albumId],
    [N.title]: album[N.title],
    [N.tracks]: (byAlbum.get(album[N.albumId]) ?? []).map((t) => pick(t, [N.trackId, N.name, N.ms])),
  }));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://floor');
  const int = (name: string) => Number.parseInt(url.searchParams.get(name) ?? '', 10);
  const need = (db: Sql | null) => {
    if (!db) throw new Error('database not configured');
    return db;
  };
  switch (url.pathname) {
    case '/healthz':
      return send(response, 200, { status: 'ok' });
    case '/w1': {
      const [row] = await need(chinook).query(W1_SQL, [int('id')]);
      return send(response, 200, { data: { [N.rootW1]: row ?? null } });
    }
    case '/w2':
      return send(response, 200, { data: { [N.rootW2]: await need(chinook).query(W2_SQL, [int('offset')]) } });
    case '/w3':
      return send(response, 200, { data: { [N.rootW3]: await w3(need(chinook), int('id')) } });
    case '/w4':
      return send(response, 200, { data: { [N.rootW4]: await w4(need(chinook)) } });
    case '/w5': {
      const { name } = JSON.parse(await readBody(request)) as { name: string };
      const id = await need(chinook).insert(q(N.artist), q(N.name), name);
      return send(response, 200, { data: { [N.rootW5]: { [N.artistId]: id, [N.name]: name } } });
    }
    case '/w6': {
      const [row] = await need(synth).query(W6_SQL, [int('id')]);
      return send(response, 200, { data: { [`${process.env.SYNTH_TABLE ?? 't0500'}_by_pk`]: row ?? null } });
    }
    default:
      return send(response, 404, { error: { code: 'NOT_FOUND', message: url.pathname } });
  }
}

const server = createServer((request, response) => {
  route(request, response).catch((error: unknown) => send(response, 500, { error: { code: 'INTERNAL', message: String((error as Error).message) } }));
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? '5679'), '127.0.0.1');

const stop = () => {
  server.close();
  void Promise.all([chinook?.close(), synth?.close()]).finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
