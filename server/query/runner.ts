import type { Knex } from 'knex';
import type { StatementDriver, StatementResult } from '../introspect/dialect';
import { markUnprefixed } from '../introspect/common/sent-errors';
import type { BoundStatement } from '../sql/fragment';

/** What connection-level code needs of a knex instance or transaction (its client hands out connections). */
interface PooledClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown> | unknown;
  emit(event: string, payload: unknown): boolean;
}

/**
 * What listeners of knex's `query` event receive for a statement run here: the text exactly as
 * compiled (placeholders, never values) and the values apart. Tests count statements on the wire
 * with `knex.on('query', …)` and check that no request value ever reaches the text.
 */
export interface SentStatement {
  sql: string;
  bindings: readonly unknown[];
  method: 'raw';
  /** Marks statements run by lazydb's runner (BEGIN/COMMIT and introspection come from knex itself). */
  lazydb: true;
}

/**
 * Runs a compiled statement on the driver's own connection, bypassing knex's SQL text
 * processing (which rewrites every `?` it finds, inside quoted identifiers too) but keeping
 * knex's pool and transactions: a knex Transaction's client hands out the transaction's own
 * connection (knex/lib/execution/transaction.js: `trxClient.acquireConnection`) and releasing
 * it is a no-op, so the same call works in and out of a transaction.
 */
export async function runStatement(executor: Knex | Knex.Transaction, driver: StatementDriver, statement: BoundStatement): Promise<StatementResult> {
  const client = executor.client as PooledClient;
  const connection = await client.acquireConnection();
  try {
    // Announced as knex's own `query` event, so one listener sees every statement of a request
    // (a transaction's client forwards its events to the knex instance).
    client.emit('query', { sql: statement.text, bindings: statement.values, method: 'raw', lazydb: true } satisfies SentStatement);
    return await driver.execute(connection, statement, { inTransaction: Boolean((executor as Partial<Knex.Transaction>).isTransaction) });
  } catch (error) {
    markUnprefixed(error);
    throw error;
  } finally {
    await client.releaseConnection(connection);
  }
}
