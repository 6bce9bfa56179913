import { afterAll, beforeAll, expect } from 'vitest';
import { createThrowawayDatabase, type Engine, type ThrowawayDb } from './databases';
import { startTestServer, type TestServer } from './server';

export interface RegisteredDatabase {
  /** The lazydb server (set once the suite's beforeAll ran). */
  readonly server: TestServer;
  readonly db: ThrowawayDb;
  /** Runs a GraphQL document on the database's endpoint and returns `data`, failing the test on errors. */
  ok(query: string, variables?: Record<string, unknown>): Promise<any>;
  /** Runs `work` and returns what it gave with the SQL statements the database's pool sent meanwhile. */
  counted<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }>;
}

/**
 * For a describe block: a throwaway database loaded with `sql` and/or `sqlFile`, a lazydb server of its own
 * with it registered as `name` (before all tests), and both gone after them. Nothing is set up
 * when `available` is false (the suite's tests are skipped).
 */
export function useRegisteredDatabase(
  engine: Engine,
  options: { available: boolean; name: string; sql?: string; sqlFile?: string; env?: Record<string, string> },
): RegisteredDatabase {
  let server: TestServer | undefined;
  let db: ThrowawayDb | undefined;
  const { name } = options;

  beforeAll(async () => {
    if (!options.available) return;
    db = await createThrowawayDatabase(engine, { sql: options.sql, sqlFile: options.sqlFile });
    server = await startTestServer({ env: options.env });
    const registered = await server.request('/api/databases', { method: 'POST', json: { name, dialect: db.dialect, connection: db.connection } });
    expect(registered.status, registered.text).toBe(201);
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  return {
    get server() {
      return server!;
    },
    get db() {
      return db!;
    },
    async ok(query, variables) {
      const result = await server!.graphql(`/db/${name}/graphql`, query, variables);
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      return result.data;
    },
    async counted(work) {
      const knex = server!.gateway.get(name)!.pool.knex;
      const statements: string[] = [];
      const listener = (query: { sql: string }) => statements.push(query.sql);
      knex.on('query', listener);
      try {
        return { result: await work(), statements };
      } finally {
        knex.off('query', listener);
      }
    },
  };
}

/**
 * The nested-read suites' common check, on a database with `holder` (1 'one', 2 'two',
 * 3 'empty') and `sample` rows 1–2 of holder 1, 3 of holder 2, 4 of none: every field in
 * `fields` comes back through relations, in one statement, exactly as a top-level read gives
 * it. Returns the top-level rows for the suite's own checks.
 */
export async function expectNestedAsTopLevel({ ok, counted }: RegisteredDatabase, fields: string): Promise<Record<string, unknown>[]> {
  const direct = (await ok(`{ sample(order_by: [{id: asc}]) { ${fields} } }`)).sample;
  const { result, statements } = await counted(() => ok(`{ holder(order_by: [{id: asc}]) { id samples(order_by: [{id: asc}]) { ${fields} holder { id label } } } }`));
  expect(statements).toHaveLength(1);
  const nested = result.holder.flatMap((h: { samples: Record<string, unknown>[] }) => h.samples);
  expect(nested.map(({ holder: _h, ...row }: Record<string, unknown>) => row)).toEqual(direct.filter((s: { holder_id: number | null }) => s.holder_id !== null));
  expect(result.holder[0].samples[0].holder).toEqual({ id: 1, label: 'one' });
  expect(result.holder[2]).toEqual({ id: 3, samples: [] });

  const byKey = await ok(`{ holder_by_pk(id: 1) { samples(limit: 1) { ${fields} } } }`);
  expect(byKey.holder_by_pk.samples).toEqual([direct[0]]);
  const upward = await counted(() => ok(`{ sample(order_by: [{id: asc}]) { id holder { label } } }`));
  expect(upward.statements).toHaveLength(1);
  expect(upward.result.sample.map((s: { holder: { label: string } | null }) => s.holder?.label ?? null)).toEqual(['one', 'one', 'two', null]);
  return direct;
}
