/**
 * Registration split by phase: replays, in a fresh process, the pure steps lazydb runs on an
 * introspected model (the JSON of GET /api/databases/:name/model), with lazydb's own
 * functions, timing each one and the heap it keeps. The server's registration response
 * only carries introspectMs; this shows where the rest goes and which step grows faster
 * than the table count.
 *
 *   node --expose-gc --import tsx bench/lib/phases.ts <model.json> <database name>
 *
 * Prints one JSON object: { phases: [{ phase, ms, heapKb }], error? }.
 * The engine's internal modules may move: a missing one is reported, not fatal.
 */
import fs from 'node:fs';

interface Phase {
  phase: string;
  ms: number;
  /** Heap still used after the step (after a forced GC), minus before it. */
  heapKb: number | null;
}

const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
};

async function main(): Promise<void> {
  const [file, name = 'db'] = process.argv.slice(2);
  const model = JSON.parse(fs.readFileSync(file!, 'utf8')) as Record<string, unknown>;
  delete model.resources;
  const phases: Phase[] = [];
  const keep: unknown[] = [];
  async function step<T>(phase: string, run: () => T | Promise<T>): Promise<T> {
    const before = heap();
    const started = performance.now();
    const value = await run();
    const ms = performance.now() - started;
    keep.push(value);
    phases.push({ phase, ms: Math.round(ms * 10) / 10, heapKb: gc ? Math.round((heap() - before) / 1024) : null });
    return value;
  }
  try {
    const graphql = await import('graphql');
    const { nameModel } = await import('../../server/schema/naming');
    const { buildSchema } = await import('../../server/schema/build');
    const { composeGateway } = await import('../../server/gateway/compose');
    const source = {} as never; // resolvers are built, never run
    const named = await step('nameModel (naming)', () => nameModel(model as never));
    const schema = await step('buildSchema (per-database schema)', () => buildSchema(named, source, { maxLimit: 1000, description: name }));
    const namespaced = await step('buildSchema (namespaced copy, on the first /graphql request)', () => buildSchema(named, source, { maxLimit: 1000, description: name, typePrefix: `${name}_` }));
    await step('validateSchema (both)', () => [graphql.validateSchema(schema), graphql.validateSchema(namespaced)]);
    await step('printSchema (SDL for the cache, after registration answers)', () => graphql.printSchema(schema));
    await step('JSON.stringify(model) (cache file, sameModel)', () => JSON.stringify(model));
    await step('composeGateway (this database alone, on the first /graphql request)', () => composeGateway([{ name, schema: namespaced }]));
    try {
      const { restApiFor } = await import('../../server/rest/api');
      const api = await step('REST router (first REST request)', () => restApiFor({ named, schema }, name, 1000));
      await step('SOFA + OpenAPI document (first /openapi.json or write)', () => api.openAPIText());
    } catch (error) {
      phases.push({ phase: `REST: ${(error as Error).message.slice(0, 120)}`, ms: 0, heapKb: null });
    }
    process.stdout.write(`${JSON.stringify({ phases })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ phases, error: String((error as Error)?.stack ?? error).slice(0, 500) })}\n`);
  }
}

void main();
