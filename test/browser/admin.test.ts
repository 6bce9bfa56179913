/**
 * The web admin end to end, as a person uses it: headless Chromium against the real server
 * and real PostgreSQL. Register a database through the form (field error, connection error,
 * test, save), see its tables, list / sort / filter / page, create / edit / delete rows,
 * follow foreign keys both ways, composite keys, read-only views and key-less tables, a
 * second database appearing without a reload, and the overview's actions. Screenshots of
 * each screen go to test-results/screenshots/.
 */
import type { Browser, Page } from 'playwright-core';
import pg from 'pg';
import type { DialectInfo } from '../../server/admin-api/types';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chinookAvailable, loadChinook, noteChinookMissing } from '../helpers/chinook';
import { createThrowawayDatabase, requireOrSkip, throwawayName, type ThrowawayDb } from '../helpers/databases';
import { startTestServer, type TestServer } from '../helpers/server';
import { adminEnv, browserAvailable, ensureAdminBuilt, launchBrowser, resetScreenshots, screenshot, signInAsAdmin, watchPage } from './browser';

const runnable = browserAvailable() && (await requireOrSkip('postgres'));

describe.skipIf(!runnable)('web admin in a browser', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let music: ThrowawayDb; // Chinook when available, else the fixture padded with artists
  let fixture: ThrowawayDb;
  let watched: ReturnType<typeof watchPage>;
  const musicName = 'music';
  const fixtureName = 'fixture';
  const usesChinook = chinookAvailable('postgres');
  noteChinookMissing('postgres', 'the admin test uses the project fixture with 40 more artists, and derives what it expects from them');
  /** A name fragment several artists share, for the column filter: Chinook's own, or the padding's. */
  const sharedNamePart = usesChinook ? 'Black' : 'Artist 01';

  const url = (path: string) => `${server.url}/admin${path}`;
  /** Form inputs carry their source as name (`connection.host`, `title`, …). */
  const input = (source: string) => page.locator(`input[name="${source}"], textarea[name="${source}"]`).first();
  const rest = async (path: string) => server.request(`/db/${musicName}/rest${path}`);

  // Each step builds on the one before: after a failure the rest would only time out.
  let failed: string | null = null;
  beforeEach((context) => {
    if (failed) context.skip(`an earlier step failed: ${failed}`);
  });
  afterEach(async (context) => {
    if (context.task.result?.state !== 'fail') return;
    failed ??= context.task.name;
    await screenshot(page, `admin-failed-${context.task.name.replace(/\W+/g, '-')}`).catch(() => undefined);
  });

  /** Chinook's keys have no default: a new row needs its id typed in, as a person would. */
  async function fillKeyIfRequired(table: string, key: string) {
    const model = (await server.request(`/api/databases/${musicName}/model`)).body as { resources: { name: string; fields: { name: string; required: boolean }[] }[] };
    const field = model.resources.find((r) => r.name === table)!.fields.find((f) => f.name === key)!;
    if (!field.required) return;
    const last = (await rest(`/${table}?limit=1&order_by=${key}.desc`)).body[0]?.[key] ?? 0;
    await input(key).fill(String(Number(last) + 1));
  }

  beforeAll(async () => {
    ensureAdminBuilt();
    resetScreenshots();
    [music, fixture] = await Promise.all([
      usesChinook ? loadChinook('postgres') : createThrowawayDatabase('postgres', { sqlFile: 'test/fixtures/sql/postgres.sql' }),
      createThrowawayDatabase('postgres', { sqlFile: 'test/fixtures/sql/postgres.sql' }),
    ]);
    if (!usesChinook) {
      // Enough artists for a second page.
      const client = new pg.Client({ connectionString: music.url });
      await client.connect();
      await client.query(`insert into artist (name) select 'Artist ' || lpad(n::text, 3, '0') from generate_series(1, 40) n`);
      await client.end();
    }
    server = await startTestServer({ env: adminEnv });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(15_000);
    watched = watchPage(page, server.url);
    // The management screens are for admins: the browser signs in as the server's first admin.
    await signInAsAdmin(page, server.url);
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    await Promise.all([music?.drop(), fixture?.drop()]);
    expect(watched?.externalRequests ?? []).toEqual([]);
  });

  it('opens on the overview, which says there is nothing yet', async () => {
    await page.goto(url('/'));
    await page.getByText('No database yet').waitFor();
    await screenshot(page, '01-overview-empty');
  });

  it('adds a database through the form: field error, connection error, test, save', async () => {
    await page.getByRole('link', { name: 'Add database' }).first().click();
    await page.waitForURL(/\/admin\/databases\/new$/);
    // Defaults, examples and help come from the server's dialect modules (GET /api/dialects), and follow the dialect.
    const dialects = (await server.request('/api/dialects')).body.dialects as DialectInfo[];
    const [postgres, mariadb] = (['postgres', 'mariadb'] as const).map((id) => dialects.find((d) => d.dialect === id)!);
    expect(await input('connection.port').inputValue()).toBe(String(postgres!.defaultPort));
    await page.getByText(postgres!.schemasHelp).waitFor();
    await page.getByRole('combobox', { name: 'Database' }).click();
    await page.getByRole('option', { name: mariadb!.label }).click();
    await expect.poll(() => input('connection.port').inputValue()).toBe(String(mariadb!.defaultPort));
    await page.getByText(mariadb!.schemasHelp).waitFor();
    await page.getByRole('combobox', { name: 'Database' }).click();
    await page.getByRole('option', { name: postgres!.label }).click();
    await expect.poll(() => input('connection.port').inputValue()).toBe(String(postgres!.defaultPort));
    const connection = music.connection;
    await input('name').fill(musicName);
    await input('connection.host').fill(connection.host!);
    await input('connection.port').fill('70000');
    await input('connection.user').fill(connection.user!);
    await input('connection.database').fill(connection.database!);
    await page.getByRole('button', { name: /save and connect/i }).click();
    // 400: the server's message sits under the port input.
    await page.getByText('must be between 1 and 65535').waitFor();
    await screenshot(page, '02-form-validation-error');

    // 422: a user that does not exist (this PostgreSQL trusts local passwords, so a wrong user stands for bad credentials).
    await input('connection.port').fill(String(connection.port));
    const nobody = throwawayName();
    await input('connection.user').fill(nobody);
    await input('connection.password').fill('wrong-password');
    await page.getByRole('button', { name: /save and connect/i }).click();
    const formError = page.getByTestId('form-error');
    await formError.waitFor();
    expect(await formError.textContent()).toMatch(/could not connect/i);
    expect(await formError.textContent()).toContain(nobody);
    await screenshot(page, '03-form-connection-error');
    expect((await server.request('/api/databases')).body.databases).toEqual([]);

    await input('connection.user').fill(connection.user!);
    await input('connection.password').fill('');
    await page.getByRole('button', { name: /test connection/i }).click();
    await expect.poll(async () => page.getByTestId('test-result').textContent()).toMatch(/Connected: PostgreSQL/);
    await screenshot(page, '04-form-test-ok');

    await page.getByRole('button', { name: /save and connect/i }).click();
    await page.waitForURL(new RegExp(`/admin/db/${musicName}$`));
    await page.getByTestId('tables').getByRole('link', { name: 'album', exact: true }).waitFor();
    await screenshot(page, '05-database-tables');
  });

  it('lists a table: sort, filter, quick search, page', async () => {
    await page.getByTestId('tables').getByRole('link', { name: 'artist', exact: true }).click();
    await page.waitForURL(new RegExp(`/admin/db/${musicName}/artist`));
    const total = Number((await rest('/artist?limit=1')).headers.get('x-total-count'));
    expect(total).toBeGreaterThan(25);
    await page.getByText(`1-25 of ${total}`).waitFor();
    await screenshot(page, '06-list-artist');

    // Sort by name, descending (second click); the first row is what the API says comes first.
    const header = page.getByRole('columnheader', { name: 'name' }).getByRole('button');
    const firstRow = () => page.locator('tbody tr').first().textContent();
    const firstByName = async (direction: string) => (await rest(`/artist?limit=1&order_by=name.${direction}`)).body[0].name as string;
    await header.click();
    await expect.poll(firstRow).toContain(await firstByName('asc'));
    await header.click();
    await expect.poll(firstRow).toContain(await firstByName('desc'));
    await expect.poll(() => page.url()).toMatch(/order=DESC/);

    // Next page.
    await page.getByRole('button', { name: /go to next page|next page/i }).click();
    await page.getByText(`26-${Math.min(50, total)} of ${total}`).waitFor();
    await screenshot(page, '07-list-page-2-sorted');

    // Quick search narrows the rows and keeps a deep link.
    await page.getByPlaceholder('Search').fill('AC/DC');
    await expect.poll(async () => page.locator('tbody tr').count()).toBe(1);
    expect(decodeURIComponent(page.url())).toContain('"q":"AC/DC"');
    await screenshot(page, '08-list-quick-search');

    // A per-column filter from the filter menu.
    await page.getByPlaceholder('Search').fill('');
    // The search box applies after a debounce; opening a filter before that would be undone by it.
    await expect.poll(() => decodeURIComponent(page.url())).not.toContain('"q"');
    await page.getByRole('button', { name: /add filter/i }).click();
    await page.getByRole('menu').getByText('name contains', { exact: true }).click();
    await input('name@_contains').fill(sharedNamePart);
    const where = encodeURIComponent(JSON.stringify({ name: { _ilike: `%${sharedNamePart}%` } }));
    const sharing = Number((await rest(`/artist?limit=1&where=${where}`)).headers.get('x-total-count'));
    expect(sharing).toBeGreaterThan(0);
    await expect.poll(async () => page.locator('tbody tr').count()).toBe(Math.min(sharing, 25));
    await screenshot(page, '09-list-column-filter');
  });

  it('creates, edits and deletes rows; follows a foreign key both ways', async () => {
    await page.goto(url(`/db/${musicName}/artist/create`));
    await input('name').fill('Lazy Test Artist');
    await fillKeyIfRequired('artist', 'artist_id');
    await screenshot(page, '10-create-artist');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/artist\/\d+\/show$/);
    const artistId = Number(/\/artist\/(\d+)\/show$/.exec(page.url())![1]);
    expect((await rest(`/artist/${artistId}`)).body.name).toBe('Lazy Test Artist');

    await page.getByRole('link', { name: 'Edit' }).click();
    await page.waitForURL(new RegExp(`/artist/${artistId}$`));
    await input('name').fill('Lazy Test Artist (edited)');
    await screenshot(page, '11-edit-artist');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(new RegExp(`/artist/${artistId}/show$`));
    await page.getByRole('heading', { name: 'Lazy Test Artist (edited)' }).waitFor();
    expect((await rest(`/artist/${artistId}`)).body.name).toBe('Lazy Test Artist (edited)');

    // Reverse relation: add an album from the artist's page (the foreign key is filled in).
    const albums = page.getByTestId('relation-albums');
    await albums.getByText('None.').waitFor();
    await albums.getByRole('link', { name: /add album/i }).click();
    await page.waitForURL(/\/album\/create/);
    await input('title').fill('Lazy Test Album');
    await fillKeyIfRequired('album', 'album_id');
    await expect.poll(async () => input('artist_id').inputValue()).toContain('Lazy Test Artist (edited)');
    await screenshot(page, '12-create-album-prefilled');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/album\/\d+\/show$/);
    const albumId = Number(/\/album\/(\d+)\/show$/.exec(page.url())![1]);
    expect((await rest(`/album/${albumId}`)).body).toMatchObject({ title: 'Lazy Test Album', artist_id: artistId });
    await screenshot(page, '13-show-album');

    // Foreign key link to the artist, then the reverse relation lists the album.
    await page.getByRole('link', { name: 'Lazy Test Artist (edited)' }).click();
    await page.waitForURL(new RegExp(`/artist/${artistId}/show$`));
    await albums.getByText('Lazy Test Album').waitFor();
    await screenshot(page, '14-show-artist-reverse-relation');

    // Reverse relation row -> the album; delete it with confirmation.
    await albums.getByText('Lazy Test Album').click();
    await page.waitForURL(new RegExp(`/album/${albumId}/show$`));
    await page.getByRole('heading', { name: 'Lazy Test Album' }).waitFor();
    await page.getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog').getByRole('button', { name: 'Confirm' });
    await confirm.waitFor();
    await screenshot(page, '15-delete-confirmation');
    await confirm.click();
    await page.waitForURL(new RegExp(`/db/${musicName}/album(\\?|$)`));
    expect((await rest(`/album/${albumId}`)).status).toBe(404);

    await page.goto(url(`/db/${musicName}/artist/${artistId}/show`));
    await page.getByRole('heading', { name: 'Lazy Test Artist (edited)' }).waitFor();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(new RegExp(`/db/${musicName}/artist(\\?|$)`));
    expect((await rest(`/artist/${artistId}`)).status).toBe(404);
  });

  it('edits a connection: the password is never shown and stays unless typed', async () => {
    await page.goto(url(`/db/${musicName}`));
    await page.getByRole('link', { name: 'Connection' }).click();
    await page.waitForURL(new RegExp(`/databases/${musicName}/edit$`));
    expect(await input('connection.password').inputValue()).toBe('');
    expect(await input('name').isDisabled()).toBe(true);
    await page.getByRole('button', { name: /test connection/i }).click();
    await expect.poll(async () => page.getByTestId('test-result').textContent()).toMatch(/Connected with the stored settings/);
    await input('schemas').fill('public');
    await screenshot(page, '16-edit-connection');
    await page.getByRole('button', { name: /save and reconnect/i }).click();
    await page.waitForURL(new RegExp(`/admin/db/${musicName}$`));
    expect((await server.request(`/api/databases/${musicName}`)).body.schemas).toEqual(['public']);
  });

  it('shows a second database without a reload', async () => {
    await page.goto(url('/'));
    await page.getByTestId(`database-${musicName}`).waitFor();
    const registered = await server.request('/api/databases', {
      method: 'POST',
      json: { name: fixtureName, dialect: 'postgres', connection: fixture.connection, schemas: ['public', 'inventory'] },
    });
    expect(registered.status, registered.text).toBe(201);
    // No navigation: the overview polls and the menu follows.
    await page.getByTestId(`database-${fixtureName}`).waitFor({ timeout: 10_000 });
    await page.getByRole('menuitem', { name: fixtureName }).waitFor();
    await screenshot(page, '17-overview-two-databases');
    await page.getByRole('menuitem', { name: fixtureName }).click();
    await page.getByTestId('tables').getByRole('link', { name: 'album_tag', exact: true }).waitFor();
    await screenshot(page, '18-fixture-tables');
  });

  it('opens and edits a composite-key row', async () => {
    await page.getByTestId('tables').getByRole('link', { name: 'album_tag', exact: true }).click();
    await page.locator('tbody tr').filter({ has: page.getByRole('cell', { name: 'rock', exact: true }) }).click();
    await page.waitForURL(/\/album_tag\/1~rock\/show$/);
    await screenshot(page, '19-composite-key-show');
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.waitForURL(/\/album_tag\/1~rock$/);
    await input('weight').fill('42');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/album_tag\/1~rock\/show$/);
    const row = await server.request(`/db/${fixtureName}/rest/album_tag/1/rock`);
    expect(row.body).toEqual({ album_id: 1, tag: 'rock', weight: 42 });
  });

  it('says why views and key-less tables are read-only', async () => {
    await page.goto(url(`/db/${fixtureName}/album_with_artist`));
    await page.getByTestId('read-only-reason').getByText(/view/).waitFor();
    await page.getByText('For Those About To Rock').waitFor();
    expect(await page.getByRole('link', { name: 'Create' }).count()).toBe(0);
    await screenshot(page, '20-view-read-only');

    await page.goto(url(`/db/${fixtureName}/event_log`));
    await page.getByTestId('read-only-reason').getByText(/no primary key/).waitFor();
    await page.getByText('disk at 91% — check').waitFor();
    expect(await page.getByRole('link', { name: 'Create' }).count()).toBe(0);
    await screenshot(page, '21-keyless-table');
  });

  it('shows and edits every column type with a fitting input', async () => {
    await page.goto(url(`/db/${fixtureName}/all_types/1/show`));
    await page.getByText('9007199254740993').waitFor();
    await page.getByText('12345678901234.123456').waitFor();
    await screenshot(page, '22-all-types-show');
    await page.goto(url(`/db/${fixtureName}/all_types/1`));
    await input('c_text').waitFor();
    expect(await input('c_date').getAttribute('type')).toBe('date');
    expect(await input('c_timestamp').getAttribute('type')).toBe('datetime-local');
    expect(await input('c_int').getAttribute('type')).toBe('number');
    await input('c_varchar').fill('edited in the browser');
    await screenshot(page, '23-all-types-edit');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/all_types\/1\/show$/);
    const row = (await server.request(`/db/${fixtureName}/rest/all_types/1`)).body;
    // Only the edited column changed; exact values elsewhere survive the round trip.
    expect(row).toMatchObject({ c_varchar: 'edited in the browser', c_bigint: '9007199254740993', c_decimal: '12345678901234.123456', c_timestamp: '2024-02-29T13:45:12.123456' });

    await page.goto(url(`/db/${fixtureName}/artist`));
    await page.getByTestId('endpoints').click();
    await page.getByText(`curl -s '${server.url}/db/${fixtureName}/rest/artist?limit=25`).waitFor();
    await screenshot(page, '24-endpoints-panel');
  });

  it('refreshes, tests and removes a database from the overview', async () => {
    await page.goto(url('/'));
    await page.getByRole('button', { name: `refresh ${fixtureName}` }).click();
    await page.getByText(/schema unchanged|schema changed/).waitFor();
    await page.getByRole('button', { name: `test ${fixtureName}` }).click();
    await page.getByText(`${fixtureName}: connected`).waitFor();
    await page.getByRole('button', { name: `remove ${fixtureName}` }).click();
    await page.getByRole('dialog').waitFor();
    await screenshot(page, '25-remove-confirmation');
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await page.getByTestId(`database-${fixtureName}`).waitFor({ state: 'detached' });
    expect((await server.request(`/api/databases/${fixtureName}`)).status).toBe(404);
    await screenshot(page, '26-overview-after-remove');
  });

  it('shows a database that went away as an error, with the reason', async () => {
    await music.drop();
    await page.getByRole('button', { name: `test ${musicName}` }).click();
    const row = page.getByTestId(`database-${musicName}`);
    await row.getByTestId('status').getByText('error').waitFor();
    expect(await row.getByTestId('last-error').textContent()).toContain(music.name);
    await screenshot(page, '27-overview-error-status');
    expect(watched.problems).toEqual([]);
  });
});
