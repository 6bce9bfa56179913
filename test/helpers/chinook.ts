/**
 * The public Chinook sample (../shared/fixtures/chinook, MIT) loaded into throwaway
 * databases for integration runs and benchmarks. Absent on a fresh clone: callers check
 * `chinookAvailable()` and skip.
 */
import fs from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import {
  createThrowawayDatabase,
  mysqlOptions,
  oracleStatement,
  REPO_ROOT,
  runStatements,
  sqliteThrowaway,
} from './databases';
import type { ThrowawayDb } from './databases';

export type ChinookEngine = 'postgres' | 'mariadb' | 'mysql' | 'oracle' | 'sqlite';

/** Override with LAZYDB_CHINOOK_DIR; by default the shared fixtures next to the repository. */
export const CHINOOK_DIR = process.env.LAZYDB_CHINOOK_DIR?.trim() || path.resolve(REPO_ROOT, '../shared/fixtures/chinook');

const FILES: Record<ChinookEngine, string> = {
  postgres: 'Chinook_PostgreSql.sql',
  mariadb: 'Chinook_MySql.sql',
  mysql: 'Chinook_MySql.sql',
  oracle: 'Chinook_Oracle.sql',
  sqlite: 'Chinook_Sqlite.sqlite',
};

/** True when the Chinook files for `engine` (default: PostgreSQL, MySQL and SQLite) are present. */
export function chinookAvailable(engine?: ChinookEngine): boolean {
  const needed = engine ? [FILES[engine]] : [FILES.postgres, FILES.mariadb, FILES.sqlite];
  return needed.every((file) => fs.existsSync(path.join(CHINOOK_DIR, file)));
}

const missingNoted = new Set<string>();

/**
 * Says once per engine (and what for) that Chinook is absent, so a skip or a fallback on a
 * fresh clone is visible in the output rather than silent.
 */
export function noteChinookMissing(engine: ChinookEngine, consequence: string): void {
  if (chinookAvailable(engine) || missingNoted.has(`${engine} ${consequence}`)) return;
  missingNoted.add(`${engine} ${consequence}`);
  console.info(`[chinook] ${path.join(CHINOOK_DIR, FILES[engine])} is absent (a fresh clone has no ../shared; LAZYDB_CHINOOK_DIR names another folder): ${consequence}`);
}

interface TableNames {
  table: string;
  /** Primary key column (single-column keys only). */
  id: string;
}

/** How each Chinook file spells the tables and the columns tests use. */
export interface ChinookNames {
  artist: TableNames & { name: string };
  album: TableNames & { title: string; artistId: string };
  track: TableNames & { name: string; albumId: string; unitPrice: string };
  genre: TableNames & { name: string };
  mediaType: TableNames;
  employee: TableNames & { reportsTo: string };
  customer: TableNames & { supportRepId: string };
  invoice: TableNames & { customerId: string; total: string };
  invoiceLine: TableNames & { invoiceId: string; trackId: string };
  playlist: TableNames;
  /** Composite primary key (playlist, track). */
  playlistTrack: { table: string; playlistId: string; trackId: string };
}

/** PostgreSQL file: snake_case. */
const SNAKE: ChinookNames = {
  artist: { table: 'artist', id: 'artist_id', name: 'name' },
  album: { table: 'album', id: 'album_id', title: 'title', artistId: 'artist_id' },
  track: { table: 'track', id: 'track_id', name: 'name', albumId: 'album_id', unitPrice: 'unit_price' },
  genre: { table: 'genre', id: 'genre_id', name: 'name' },
  mediaType: { table: 'media_type', id: 'media_type_id' },
  employee: { table: 'employee', id: 'employee_id', reportsTo: 'reports_to' },
  customer: { table: 'customer', id: 'customer_id', supportRepId: 'support_rep_id' },
  invoice: { table: 'invoice', id: 'invoice_id', customerId: 'customer_id', total: 'total' },
  invoiceLine: { table: 'invoice_line', id: 'invoice_line_id', invoiceId: 'invoice_id', trackId: 'track_id' },
  playlist: { table: 'playlist', id: 'playlist_id' },
  playlistTrack: { table: 'playlist_track', playlistId: 'playlist_id', trackId: 'track_id' },
};

/** MySQL and SQLite files: CamelCase, case preserved. */
const CAMEL: ChinookNames = {
  artist: { table: 'Artist', id: 'ArtistId', name: 'Name' },
  album: { table: 'Album', id: 'AlbumId', title: 'Title', artistId: 'ArtistId' },
  track: { table: 'Track', id: 'TrackId', name: 'Name', albumId: 'AlbumId', unitPrice: 'UnitPrice' },
  genre: { table: 'Genre', id: 'GenreId', name: 'Name' },
  mediaType: { table: 'MediaType', id: 'MediaTypeId' },
  employee: { table: 'Employee', id: 'EmployeeId', reportsTo: 'ReportsTo' },
  customer: { table: 'Customer', id: 'CustomerId', supportRepId: 'SupportRepId' },
  invoice: { table: 'Invoice', id: 'InvoiceId', customerId: 'CustomerId', total: 'Total' },
  invoiceLine: { table: 'InvoiceLine', id: 'InvoiceLineId', invoiceId: 'InvoiceId', trackId: 'TrackId' },
  playlist: { table: 'Playlist', id: 'PlaylistId' },
  playlistTrack: { table: 'PlaylistTrack', playlistId: 'PlaylistId', trackId: 'TrackId' },
};

/** Oracle file: unquoted identifiers, so the catalog holds them in upper case. */
const UPPER: ChinookNames = Object.fromEntries(
  Object.entries(CAMEL).map(([key, names]) => [
    key,
    Object.fromEntries(Object.entries(names as Record<string, string>).map(([k, v]) => [k, v.toUpperCase()])),
  ]),
) as unknown as ChinookNames;

export const CHINOOK_NAMES: Record<ChinookEngine, ChinookNames> = {
  postgres: SNAKE,
  mariadb: CAMEL,
  mysql: CAMEL,
  sqlite: CAMEL,
  oracle: UPPER,
};

/** Row counts, identical in every form of Chinook 1.4.5. */
export const CHINOOK_COUNTS = {
  album: 347,
  artist: 275,
  customer: 59,
  employee: 8,
  genre: 25,
  invoice: 412,
  invoiceLine: 2240,
  mediaType: 5,
  playlist: 18,
  playlistTrack: 8715,
  track: 3503,
} as const;

/**
 * Loads Chinook into a new throwaway database and returns it (the caller drops it).
 * Prints how long the load took.
 */
export async function loadChinook(engine: ChinookEngine): Promise<ThrowawayDb> {
  const file = path.join(CHINOOK_DIR, FILES[engine]);
  if (!fs.existsSync(file)) throw new Error(`Chinook fixture missing: ${file}`);
  const started = performance.now();
  let db: ThrowawayDb;
  if (engine === 'sqlite') {
    db = sqliteThrowaway(file);
  } else {
    db = await createThrowawayDatabase(engine);
    try {
      await loadScript(db, fs.readFileSync(file, 'utf8'));
    } catch (error) {
      await db.drop().catch(() => undefined);
      throw error;
    }
  }
  const ms = Math.round(performance.now() - started);
  console.info(`[chinook] loaded into ${engine} (${db.name}) in ${ms} ms`);
  return db;
}

/**
 * The scripts create and switch to their own database (`DROP/CREATE DATABASE`, `\c chinook`,
 * `USE Chinook`; Oracle: GRANT, CONNECT, exit). Those lines are removed so the rest lands in
 * the throwaway database instead.
 */
export function stripDatabaseSwitching(engine: ChinookEngine, script: string): string {
  // Upper-case keywords only, one line each: the banner comments say "Drop database ..." too.
  let out = script.replace(/^[ \t]*(DROP DATABASE|CREATE DATABASE|USE)\b[^;\n]*;[ \t]*\r?$/gm, '');
  if (engine === 'postgres') out = out.replace(/^\\c\b.*$/gm, '');
  if (engine === 'oracle') {
    out = out.replace(/^[ \t]*(GRANT|CONNECT)\b[^;\n]*;[ \t]*\r?$/gm, '');
    out = out.replace(/^[ \t]*(commit|exit);[ \t]*\r?$/gim, '');
  }
  return out;
}

async function loadScript(db: ThrowawayDb, script: string): Promise<void> {
  const body = stripDatabaseSwitching(db.engine, script);
  switch (db.engine) {
    case 'postgres': {
      // No parameters => simple query protocol, which takes the whole script at once.
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        await client.query(body);
      } finally {
        await client.end();
      }
      return;
    }
    case 'mariadb':
    case 'mysql': {
      // A dedicated connection: multipleStatements is never enabled on anything shared.
      const conn = await mysql.createConnection(mysqlOptions(db.url, { multipleStatements: true }));
      try {
        await conn.query(body);
      } finally {
        await conn.end();
      }
      return;
    }
    case 'oracle': {
      const withoutComments = body.replace(/\/\*[\s\S]*?\*\//g, '');
      const statements = withoutComments
        .split(/;[ \t]*\r?$/m)
        .map((statement) => statement.trim())
        .filter(Boolean)
        .map(oracleStatement);
      await runStatements(db, statements);
      return;
    }
    case 'sqlite':
      throw new Error('unreachable: sqlite is copied, not loaded');
  }
}
