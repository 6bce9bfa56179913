/**
 * The query layer alone, without HTTP: reads per second of the hot shapes through
 * KnexDataSource on a throwaway database built from the project's own fixture.
 *
 *   npx tsx bench/query-layer.ts [--engine postgres|mariadb|sqlite] [--iterations 4000] [--concurrency 8]
 *
 * by key (one row), a page of a table (20 rows) and, where the engine nests JSON, a page of
 * parents with their children in one statement. Prints operations per second, best of three
 * rounds, and this process's CPU time per operation (lazydb's own cost, the database server's
 * excluded). Nothing here asserts a time; it is for before/after comparisons on one machine.
 */
import knexFactory from 'knex';
import { dialectModule } from '../server/introspect';
import { nameModel } from '../server/schema/naming';
import { KnexDataSource } from '../server/query/engine';
import type { NestedRead, RequestContext } from '../server/schema/source';
import { createThrowawayDatabase, type Engine } from '../test/helpers/databases';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const engine = (args.get('engine') ?? 'postgres') as Engine;
const ITERATIONS = Number(args.get('iterations') ?? 4000);
const CONCURRENCY = Number(args.get('concurrency') ?? 8);

const FIXTURE: Partial<Record<Engine, string>> = { mariadb: 'mysql', mysql: 'mysql' };
const db = await createThrowawayDatabase(engine, { sqlFile: `test/fixtures/sql/${FIXTURE[engine] ?? engine}.sql` });
const dialect = dialectModule(db.dialect);
const knex = knexFactory(dialect.knexConfig({ name: 'bench', dialect: db.dialect, connection: db.connection }, { connectTimeoutMs: 5000, poolMax: CONCURRENCY }));
try {
  const model = await dialect.introspect(knex, dialect.defaultSchemas({ name: 'bench', dialect: db.dialect, connection: db.connection }));
  const named = nameModel(model);
  const source = new KnexDataSource(knex, dialect, 'bench', dialect.capabilitiesFor(model.serverVersion));
  const artist = named.tables.find((t) => t.table.name === 'artist' && (t.table.schema === null || !/inventory/.test(t.table.schema)))!;
  const albums = artist.relations.find((r) => r.kind === 'array' && r.target.table.name === 'album')!;
  const columns = artist.columns;
  const nested: NestedRead[] = [{ key: 'albums', relation: albums, args: { limit: 10 }, columns: albums.target.columns, nested: [] }];
  const context = (): RequestContext => ({}) as RequestContext;

  const shapes: [string, (i: number) => Promise<unknown>][] = [
    ['by key', (i) => source.byKey(artist, { [artist.primaryKey[0]!.field]: (i % 3) + 1 }, columns, context())],
    ['page of 20', () => source.list(artist, { limit: 20 }, columns, context())],
  ];
  if (source.readsNested) shapes.push(['page with nested children', () => source.list(artist, { limit: 20 }, columns, context(), nested)]);

  for (const [label, run] of shapes) {
    let best = 0;
    let leastCpu = Infinity;
    for (let round = 0; round < 3; round++) {
      let next = 0;
      const started = performance.now();
      const cpu = process.cpuUsage();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < ITERATIONS) await run(next++);
        }),
      );
      const used = process.cpuUsage(cpu);
      best = Math.max(best, ITERATIONS / ((performance.now() - started) / 1000));
      leastCpu = Math.min(leastCpu, (used.user + used.system) / ITERATIONS);
    }
    // CPU time of this process per operation: lazydb's own cost, whatever the (shared) server does.
    console.log(`${engine} ${label}: ${Math.round(best)} ops/s, ${leastCpu.toFixed(1)} µs CPU/op in lazydb`);
  }
} finally {
  await knex.destroy();
  await db.drop();
}
