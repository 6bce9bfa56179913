/**
 * The admin's Usage page in a browser: after known traffic to a SQLite database, the page shows
 * its totals, draws the request and latency charts with data (SVG paths), lists the tables, and
 * refreshes by itself when more requests come. Screenshot: test-results/screenshots/usage-*.png.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThrowawayDatabase, type ThrowawayDb } from '../helpers/databases';
import { startTestServer, type TestServer } from '../helpers/server';
import { adminEnv, browserAvailable, ensureAdminBuilt, launchBrowser, screenshot, signInAsAdmin, watchPage } from './browser';

const SQL = `
create table artist (artist_id integer primary key, name text not null unique);
--;;
create table album (album_id integer primary key, title text not null, artist_id integer not null references artist (artist_id));
--;;
insert into artist values (1, 'AC/DC'), (2, 'Accept');
--;;
insert into album values (1, 'Highway to Hell', 1);
`;

describe.skipIf(!browserAvailable())('the Usage page in a browser', () => {
  let server: TestServer;
  let db: ThrowawayDb;
  let browser: Browser;
  let page: Page;
  let watched: ReturnType<typeof watchPage>;

  beforeAll(async () => {
    ensureAdminBuilt();
    db = await createThrowawayDatabase('sqlite', { sql: SQL });
    server = await startTestServer({ env: { ...adminEnv, LAZYDB_USAGE_FLUSH_MS: '1000' } });
    const registered = await server.request('/api/databases', { method: 'POST', json: { name: 'shop', dialect: 'sqlite', connection: db.connection } });
    expect(registered.status, registered.text).toBe(201);
    for (let i = 0; i < 12; i++) await server.request('/db/shop/graphql', { method: 'POST', json: { query: '{ artist { name } }' } });
    for (let i = 0; i < 7; i++) await server.request('/db/shop/rest/album');
    for (let i = 0; i < 2; i++) await server.request('/db/shop/rest/missing');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(15_000);
    watched = watchPage(page, server.url);
    await signInAsAdmin(page, server.url);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await db?.drop();
  });

  it('shows the totals, the charts with data and the tables, and refreshes by itself', async () => {
    await page.goto(`${server.url}/admin/`);
    await page.getByRole('menuitem', { name: 'Usage' }).click();
    await page.waitForURL(/\/admin\/usage$/);
    await expect.poll(() => page.getByTestId('usage-total-requests').textContent()).toBe('21');
    expect(await page.getByTestId('usage-total-errors').textContent()).toBe('2');
    expect(await page.getByTestId('usage-total-p50').textContent()).toMatch(/ms$/);
    // The request chart draws its series as a line through the minutes; the latency chart marks the minutes with requests.
    const line = page.getByTestId('usage-requests-chart').locator('path.MuiLineChart-line').first();
    expect(await line.getAttribute('d')).toMatch(/^M[^M]*[LC]/);
    expect(await page.getByTestId('usage-latency-chart').locator('.MuiLineChart-mark').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('usage-databases-chart').locator('svg rect, svg path').count()).toBeGreaterThan(0);
    const tables = page.getByTestId('usage-tables');
    await tables.getByRole('cell', { name: 'artist' }).waitFor();
    await tables.getByRole('cell', { name: 'album' }).waitFor();
    await page.getByTestId('usage-operations').getByRole('cell', { name: '{ artist { name } }' }).waitFor();
    await page.getByTestId('usage-operations').scrollIntoViewIfNeeded();
    await screenshot(page, 'usage-page-operations');
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'usage-page');

    // More traffic: the page polls and shows it without a reload.
    for (let i = 0; i < 5; i++) await server.request('/db/shop/rest/artist');
    await expect.poll(() => page.getByTestId('usage-total-requests').textContent(), { timeout: 25_000, interval: 500 }).toBe('26');
    await screenshot(page, 'usage-page-refreshed');
    expect(watched.problems).toEqual([]);
    expect(watched.externalRequests).toEqual([]);
  }, 60_000);
});
