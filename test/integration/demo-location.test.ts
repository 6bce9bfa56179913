/**
 * The demo database lives in the default SQLite folder, `<dataDir>/databases/` (issue 10), and an
 * install that still has it at `<dataDir>/demo.sqlite` keeps it after an upgrade.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDemoDatabase } from '../../server/demo/seed';
import { RegistryStore } from '../../server/registry/store';
import { startTestServer } from '../helpers/server';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
const dataDirFor = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazydb-demo-'));
  dirs.push(dir);
  return dir;
};
// The defaults, as a fresh install has them (the test helper adds the temporary folder).
const defaults = (dataDir: string) => ({ LAZYDB_DEMO: '1', LAZYDB_SQLITE_DIRS: path.join(dataDir, 'databases') });

describe('demo database location', () => {
  it('registers the demo from <dataDir>/databases on a fresh install', async () => {
    const dataDir = dataDirFor();
    const server = await startTestServer({ dataDir, env: defaults(dataDir) });
    try {
      const demo = await server.request('/api/databases/demo');
      expect(demo.status, demo.text).toBe(200);
      expect(demo.body.connection.filename).toBe(path.join(dataDir, 'databases', 'demo.sqlite'));
      expect((await server.graphql('/db/demo/graphql', '{ author(limit: 1) { name } }')).data.author).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });

  it('moves an old <dataDir>/demo.sqlite into the folder once and keeps serving it', async () => {
    const dataDir = dataDirFor();
    // What an older version left behind: the file beside the registry, a row naming it, the marker.
    const built = await ensureDemoDatabase(path.join(dataDir, 'old'));
    const legacy = path.join(dataDir, 'demo.sqlite');
    fs.renameSync(built, legacy);
    const store = await RegistryStore.open({ dataDir }, { warn: () => undefined });
    await store.insert({ name: 'demo', dialect: 'sqlite', connection: { filename: legacy } });
    await store.close();
    fs.writeFileSync(path.join(dataDir, '.demo-registered'), 'registered once\n');

    let server = await startTestServer({ dataDir, env: defaults(dataDir) });
    try {
      const moved = path.join(dataDir, 'databases', 'demo.sqlite');
      const demo = await server.request('/api/databases/demo');
      expect([demo.status, demo.body.connection.filename]).toEqual([200, moved]);
      expect(fs.existsSync(legacy)).toBe(false);
      expect(fs.existsSync(moved)).toBe(true);
      await expect.poll(async () => (await server.request('/api/databases/demo')).body.status).toBe('ready');
      expect((await server.graphql('/db/demo/graphql', '{ author(limit: 1) { name } }')).data.author).toHaveLength(1);
      expect(server.logs.some((line) => line.includes('demo database moved into the SQLite folder'))).toBe(true);

      // Once: the next start finds it in place and moves nothing.
      await server.stop({ keepData: true });
      server = await startTestServer({ dataDir, env: defaults(dataDir) });
      expect((await server.request('/api/databases/demo')).body.connection.filename).toBe(moved);
      expect(server.logs.some((line) => line.includes('demo database moved'))).toBe(false);
    } finally {
      await server.stop();
    }
  });
});
