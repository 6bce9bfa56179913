import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/databases';

/** `npm start` runs the bundle server/build.mjs makes, on plain Node: it must serve what the sources serve. */
describe('the bundled server (npm start)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lazydb-bundle-'));
  let stop = async () => {};
  afterAll(async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('builds, starts with the demo database and serves GraphQL, REST, the docs assets and the admin', async () => {
    execFileSync(process.execPath, ['server/build.mjs', '--force'], { cwd: REPO_ROOT, stdio: 'pipe' });
    const child = spawn(process.execPath, ['--enable-source-maps', 'dist/server/main.mjs'], {
      cwd: REPO_ROOT,
      // The docs page and OpenAPI are checked: production would hide them with introspection otherwise.
      env: { ...process.env, NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', LAZYDB_DATA_DIR: dataDir, LAZYDB_SCHEMA_CACHE_DIR: join(dataDir, 'cache'), LAZYDB_LOG_LEVEL: 'info', LAZYDB_INTROSPECTION: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stop = () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      });
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`no "listening" line within 20 s:\n${output}`)), 20_000);
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const line = output.split('\n').find((l) => l.includes('"lazydb listening"'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line).url as string);
        }
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const graphql = await fetch(`${url}/db/demo/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(await graphql.json()).toEqual({ data: { __typename: 'Query' } });
    const rest = await fetch(`${url}/db/demo/rest`);
    expect(rest.status).toBe(200);
    expect((await fetch(`${url}/db/demo/openapi.json`)).status).toBe(200);
    const asset = await fetch(`${url}/assets/swagger-ui/swagger-ui.css`);
    expect([asset.status, asset.headers.get('content-type')]).toEqual([200, 'text/css; charset=utf-8']);
    const admin = await fetch(`${url}/admin/`);
    expect([admin.status, await admin.text()]).toEqual([200, expect.stringContaining('<html')]);
  }, 60_000);
});
