import type { StatementDriver, StatementResult } from '../dialect';
import { quoteWith } from '../../sql/fragment';

/** The part of a mysql2 (callback API) connection lazydb uses: knex's pooled connection. */
interface MysqlConnection {
  query(sql: string, callback: (error: Error | null, results: unknown) => void): void;
  /** mysql2's own literal escaping, with the connection's settings (time zone). */
  escape(value: unknown): string;
  /** The server's id of this session (CONNECTION_ID()), from the handshake. */
  threadId?: number | null;
}

interface ResultHeader {
  affectedRows?: number;
  insertId?: number | string;
}

/**
 * Why values are spliced in here rather than sent apart:
 * - mysql2's `query(sql, values)` formats client-side by scanning the text for `?`, quoted or
 *   not, so a backtick identifier holding `?` would take a value;
 * - `execute` (server-side prepare, binary protocol) decodes differently: the connection's
 *   dateStrings / bigNumberStrings / jsonStrings settings and the codecs were built for the
 *   text protocol, and each new text is one more prepared statement held on the server.
 * The fragment compiler records where it put each placeholder (the text between them, the
 * `chunks`); each value is escaped by mysql2's own `escape` and put at exactly its place,
 * and the finished text is sent with `query(text)` and no values, so nothing scans it. This
 * is what mysql2 itself would send for `query(sql, values)`, minus the scan.
 */
export function spliceValues(chunks: readonly string[], values: readonly unknown[], escape: (value: unknown) => string): string {
  if (chunks.length !== values.length + 1) throw new RangeError(`statement has ${chunks.length - 1} placeholders for ${values.length} values`);
  let text = chunks[0]!;
  for (let i = 0; i < values.length; i++) text += literal(values[i], escape) + chunks[i + 1]!;
  return text;
}

function literal(value: unknown, escape: (value: unknown) => string): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('cannot bind a non-finite number');
    return String(value);
  }
  if (typeof value === 'bigint') return String(value);
  // Arrays and plain objects would become lists or `key = value` pairs: never a single value.
  if (typeof value === 'object' && !Buffer.isBuffer(value) && !(value instanceof Date)) {
    throw new TypeError('a bound value must be a scalar, a Buffer or a Date');
  }
  return escape(value);
}

export const mysqlStatements: StatementDriver = {
  quoteIdentifier: quoteWith('`'),
  // Shown in the statement text that listeners see; the values go in at these places (above).
  placeholder: () => '?',
  execute(connection, statement): Promise<StatementResult> {
    const conn = connection as MysqlConnection;
    const text = spliceValues(statement.chunks, statement.values, (value) => conn.escape(value));
    return new Promise((resolve, reject) => {
      conn.query(text, (error, results) => {
        if (error) return reject(error);
        if (Array.isArray(results)) return resolve({ rows: results as Record<string, unknown>[], affectedRows: 0 });
        const header = (results ?? {}) as ResultHeader;
        resolve({ rows: [], affectedRows: header.affectedRows ?? 0, insertId: header.insertId });
      });
    });
  },
  // KILL QUERY from another session of the same user (no privilege needed for one's own): the
  // statement fails with 1317 and the session stays open; the kill flag is cleared when the
  // session's next command starts.
  async cancel(connection, side): Promise<void> {
    const id = (connection as MysqlConnection).threadId;
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) return;
    await side(
      (other) =>
        new Promise<void>((resolve, reject) => {
          (other as MysqlConnection).query(`kill query ${id}`, (error) => (error ? reject(error) : resolve()));
        }),
    );
  },
};
