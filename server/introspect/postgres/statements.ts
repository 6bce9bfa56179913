import type { StatementDriver, StatementResult } from '../dialect';
import { quoteWith } from '../../sql/fragment';

/** The part of a pg `Client` (knex's pooled connection) that runs a statement. */
interface PgConnection {
  query(config: { text: string; values: unknown[] }): Promise<{ rows?: Record<string, unknown>[]; rowCount?: number | null }>;
  /** The server process of this session, from the handshake (BackendKeyData). */
  processID?: number | null;
}

/**
 * Statements on pg's own connection: `$n` placeholders written by lazydb, values sent apart
 * in the extended protocol. The connection carries the per-connection type parsers set in
 * connection.ts, so values decode exactly as they did through knex.
 */
export const postgresStatements: StatementDriver = {
  quoteIdentifier: quoteWith('"'),
  // statement_timeout is set on every session (connection.ts).
  serverBoundsStatements: true,
  placeholder: (position) => `$${position}`,
  // The protocol counts parameters in 16 bits; a statement with more fails on the server anyway.
  maxBindings: 65_535,
  async execute(connection, statement): Promise<StatementResult> {
    const result = await (connection as PgConnection).query({ text: statement.text, values: statement.values as unknown[] });
    return { rows: result.rows ?? [], affectedRows: result.rowCount ?? 0 };
  },
  // From another session of the same user: the statement fails with 57014 and the session stays
  // usable. A cancel that arrives after the statement ended finds the session idle and does nothing.
  async cancel(connection, side): Promise<void> {
    const pid = (connection as PgConnection).processID;
    if (typeof pid !== 'number' || !Number.isSafeInteger(pid)) return;
    await side((other) => (other as PgConnection).query({ text: 'select pg_cancel_backend($1)', values: [pid] }));
  },
};
