/**
 * GET /api/dialects: every dialect with how to connect to it, as its dialect module describes
 * itself, for the admin's connection form. The same answer for everyone, with nothing in it that
 * comes from the registry, the config or the machine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectList } from '../../server/admin-api/types';
import { dialectModule } from '../../server/introspect';
import { DIALECTS } from '../../server/model/types';
import { createThrowawayDatabase, type ThrowawayDb } from '../helpers/databases';
import { startTestServer, type TestServer } from '../helpers/server';

describe('GET /api/dialects', () => {
  let server: TestServer;
  let lite: ThrowawayDb;

  beforeAll(async () => {
    lite = await createThrowawayDatabase('sqlite', { sqlFile: 'test/fixtures/sql/sqlite.sql' });
    server = await startTestServer();
    // A registered database, so that the answer can be shown to say nothing about it.
    const registered = await server.request('/api/databases', { method: 'POST', json: { name: 'lite', dialect: 'sqlite', connection: lite.connection } });
    expect(registered.status, registered.text).toBe(201);
  });

  afterAll(async () => {
    await server?.stop();
    await lite?.drop();
  });

  it('lists every dialect, in order, with what its module says about connecting', async () => {
    const response = await server.request('/api/dialects');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = response.body as DialectList;
    expect(Object.keys(body)).toEqual(['dialects']);
    expect(body.dialects.map((d) => d.dialect)).toEqual([...DIALECTS]);
    for (const info of body.dialects) {
      const { dialect, ...help } = info;
      expect(help).toEqual(dialectModule(dialect).connectionHelp);
      expect(Object.keys(help).sort()).toEqual(['databaseLabel', 'defaultPort', 'exampleConnection', 'exampleUrl', 'label', 'schemasHelp', 'urlSchemes']);
      expect(info.label).toMatch(/\S/);
      expect(info.schemasHelp).toMatch(/\S/);
      expect(info.urlSchemes.length).toBeGreaterThan(0);
      expect(info.urlSchemes).toContain(/^([a-z0-9+.-]+):/.exec(info.exampleUrl)?.[1]);
      if (dialect === 'sqlite') expect(info.defaultPort).toBeNull();
      else {
        expect(info.defaultPort).toBeGreaterThan(0);
        expect(info.exampleConnection.port).toBe(info.defaultPort);
        expect(new URL(info.exampleUrl).port).toBe(String(info.defaultPort));
      }
    }
    expect(body.dialects.find((d) => d.dialect === 'postgres')).toMatchObject({ label: 'PostgreSQL', defaultPort: 5432, urlSchemes: ['postgres', 'postgresql'] });
    expect(body.dialects.find((d) => d.dialect === 'oracle')).toMatchObject({ defaultPort: 1521, databaseLabel: 'Service name' });
  });

  it('holds no secret: no password field, examples only, nothing about this server or its databases', async () => {
    const response = await server.request('/api/dialects');
    for (const info of (response.body as DialectList).dialects) {
      expect(info.exampleConnection).not.toHaveProperty('password');
      if (info.dialect !== 'sqlite') expect(decodeURIComponent(new URL(info.exampleUrl).password)).toBe('password');
    }
    expect(response.text).not.toContain(server.dataDir);
    expect(response.text).not.toContain(lite.connection.filename!);
  });

  it('answers GET only', async () => {
    const response = await server.request('/api/dialects', { method: 'POST', json: {} });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    expect(response.body.error.code).toBe('METHOD_NOT_ALLOWED');
    expect((await server.request('/api/dialects/postgres')).status).toBe(404);
  });
});
