import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createThrowawayDatabase, type ThrowawayDb } from '../helpers/databases';
import { startTestServer, type TestServer } from '../helpers/server';
import { asAdmin, browserAvailable, launchBrowser, screenshot, watchPage } from './browser';

/** GraphiQL and the REST docs page, as a person opens them: offline, and they work. */
describe('GraphiQL and REST docs in a browser', () => {
  const available = browserAvailable();
  let browser: Browser;
  let server: TestServer;
  let db: ThrowawayDb;

  beforeAll(async () => {
    if (!available) return;
    db = await createThrowawayDatabase('sqlite', { sqlFile: 'test/fixtures/sql/sqlite.sql' });
    server = await startTestServer();
    expect((await server.request('/api/databases', { method: 'POST', json: { name: 'fx', dialect: 'sqlite', connection: db.connection } })).status).toBe(201);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await db?.drop();
  });

  it.skipIf(!available)('GraphiQL runs a query at /db/:name/graphql and at /graphql, with nothing loaded from outside', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, ...asAdmin(server.adminSecret) });
    const watched = watchPage(page, server.url);
    for (const [path, query, expected] of [
      ['/db/fx/graphql', '{ artist_by_pk(artist_id: 1) { name albums(limit: 1) { title } } }', 'For Those About To Rock'],
      ['/graphql', '{ fx { artist_by_pk(artist_id: 3) { name } } }', 'Björk'],
    ] as const) {
      await page.goto(`${server.url}${path}?query=${encodeURIComponent(query)}`);
      await page.locator('.graphiql-execute-button').click({ timeout: 30_000 });
      // The editor renders spaces as no-break spaces.
      const response = async () => (await page.locator('.graphiql-response').innerText()).replace(/\s+/g, ' ');
      await expect.poll(response, { timeout: 15_000 }).toContain(expected);
      await screenshot(page, `graphiql-${path === '/graphql' ? 'gateway' : 'database'}`);
    }
    expect(watched.externalRequests).toEqual([]);
    await page.close();
  });

  it.skipIf(!available)('the REST docs page renders and "try it out" calls the API', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, ...asAdmin(server.adminSecret) });
    const watched = watchPage(page, server.url);
    await page.goto(`${server.url}/db/fx/docs`);
    const operation = page.locator('#operations-artist-artist_by_pk_query');
    await operation.waitFor({ timeout: 30_000 });
    await screenshot(page, 'rest-docs');
    await operation.locator('.opblock-summary-control').click();
    await operation.locator('input[placeholder="artist_id"]').fill('3');
    await operation.locator('button.execute').click();
    const status = operation.locator('.live-responses-table .response .response-col_status').first();
    await expect.poll(() => status.innerText(), { timeout: 15_000 }).toContain('200');
    expect(await operation.locator('.live-responses-table .microlight').first().innerText()).toContain('Björk');
    await operation.locator('.live-responses-table').scrollIntoViewIfNeeded();
    await screenshot(page, 'rest-docs-try-it-out');
    expect(watched.externalRequests).toEqual([]);
    await page.close();
  });
});
