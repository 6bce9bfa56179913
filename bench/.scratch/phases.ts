import { printSchema, validateSchema } from 'graphql';
import { createSynthetic, dropDb } from '../lib/databases';
import { dialectModule } from '../../server/introspect/index';
import { nameModel } from '../../server/schema/naming';
import { buildSchema } from '../../server/schema/build';
import { KnexDataSource } from '../../server/query/engine';
import { composeGateway } from '../../server/gateway/compose';
import knexFactory from 'knex';
const engine = (process.argv[2] ?? 'postgres') as 'postgres' | 'mariadb';
for (const n of process.argv.slice(3).map(Number)) {
  const { db } = await createSynthetic(engine, n);
  try {
    const dialect = dialectModule(engine === 'postgres' ? 'postgres' : 'mariadb');
    const spec = { name: 'x', dialect: dialect.dialect, connection: { url: db.url } } as any;
    const knex = knexFactory(dialect.knexConfig(spec, { connectTimeoutMs: 5000 }));
    const t = (label: string, f: () => any) => { const s = performance.now(); const r = f(); console.log(n, label, Math.round(performance.now() - s), 'ms'); return r; };
    let s = performance.now();
    const model = await dialect.introspect(knex, dialect.defaultSchemas(spec));
    console.log(n, 'introspect', Math.round(performance.now() - s), 'ms');
    const named = t('name', () => nameModel(model));
    const source = new KnexDataSource(knex, dialect, 'x');
    const schema = t('build', () => buildSchema(named, source, { maxLimit: 100 }));
    const ns = t('build ns', () => buildSchema(named, source, { maxLimit: 100, typePrefix: 'x_' }));
    t('validate', () => validateSchema(schema));
    t('validate ns', () => validateSchema(ns));
    t('print', () => printSchema(schema));
    t('compose', () => composeGateway([{ name: 'x', schema: ns }]));
    await knex.destroy();
  } finally {
    await dropDb(db);
  }
}
