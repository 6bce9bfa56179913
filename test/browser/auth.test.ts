/**
 * Sign-in and access control in the admin, end to end in a browser: a visitor sees "Sign in";
 * a wrong password is refused on the form; the admin signs in, creates a role, a user with that
 * role, a permission (read one table: a row filter and a hidden column, previewed before it is
 * saved) and an API key shown once. That key then reads the table through REST as a script
 * would: only the allowed rows and columns come back. The new user, signed in, sees only that
 * table and no management screen. Screenshots: test-results/screenshots/auth-*.png.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createThrowawayDatabase, type ThrowawayDb } from '../helpers/databases';
import { startTestServer, type TestServer } from '../helpers/server';
import { browserAvailable, ensureAdminBuilt, launchBrowser, screenshot, watchPage } from './browser';

const SQL = `
create table artist (artist_id integer primary key, name text not null);
--;;
create table album (album_id integer primary key, title text not null, artist_id integer not null references artist (artist_id), secret_note text);
--;;
insert into artist values (1, 'AC/DC'), (2, 'Accept');
--;;
insert into album values (1, 'Highway to Hell', 1, 'first'), (2, 'Back in Black', 1, 'second'), (3, 'Balls to the Wall', 2, 'third');
`;

const ADMIN_EMAIL = 'admin@localhost';
const ADMIN_PASSWORD = 'browser-test-admin-password';
const USER_EMAIL = 'reader@example.com';
const USER_PASSWORD = 'reader-password-1';

describe.skipIf(!browserAvailable())('sign-in, users, roles, permissions and API keys in a browser', () => {
  let server: TestServer;
  let db: ThrowawayDb;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watched: ReturnType<typeof watchPage>;
  /** The admin's bearer token for checks through the API (the browser uses its cookie). */
  let adminToken: string;
  /** The API key the admin created, as the show-once dialog gave it. */
  let apiKey = '';
  const url = (path: string) => `${server.url}/admin${path}`;
  const asAdmin = (path: string) => server.request(path, { headers: { authorization: `Bearer ${adminToken}` } });

  // Each step builds on the one before: after a failure the rest would only time out.
  let failed: string | null = null;
  beforeEach((test) => {
    if (failed) test.skip(`an earlier step failed: ${failed}`);
  });
  afterEach(async (test) => {
    if (test.task.result?.state !== 'fail') return;
    failed ??= test.task.name;
    await screenshot(page, `auth-failed-${test.task.name.replace(/\W+/g, '-')}`).catch(() => undefined);
  });

  beforeAll(async () => {
    ensureAdminBuilt();
    db = await createThrowawayDatabase('sqlite', { sql: SQL });
    server = await startTestServer({ env: { LAZYDB_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    const login = await server.request('/api/auth/login', { method: 'POST', json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
    expect(login.status, login.text).toBe(200);
    adminToken = login.body.token;
    const registered = await server.request('/api/databases', {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
      json: { name: 'shop', dialect: 'sqlite', connection: db.connection },
    });
    expect(registered.status, registered.text).toBe(201);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    watched = watchPage(page, server.url);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await db?.drop();
  });

  it('offers a visitor "Sign in", refuses a wrong password on the form, and signs the admin in', async () => {
    await page.goto(url('/'));
    await page.getByTestId('sign-in').click();
    await page.waitForURL(/\/admin\/login$/);
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => page.getByTestId('login-error').textContent()).toBeTruthy();
    await screenshot(page, 'auth-login-refused');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/admin/' || u.pathname === '/admin');
    await page.getByRole('menuitem', { name: 'Users' }).waitFor();
    await page.getByTestId('database-shop').waitFor();
    expect(await page.getByTestId('sign-in').count()).toBe(0);
  });

  it('creates a role', async () => {
    await page.getByRole('menuitem', { name: 'Roles' }).click();
    await page.waitForURL(/\/admin\/roles$/);
    await page.getByTestId('role-admin').waitFor();
    await page.getByRole('button', { name: 'New role' }).click();
    await page.getByTestId('role-name').fill('reader');
    // Generous enough never to limit this suite; the table shows it.
    await page.getByTestId('role-limits-requestsPerMinute').fill('1000');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByTestId('role-reader').waitFor();
    expect(await page.getByTestId('role-reader').textContent()).toContain('1000/min');
    await screenshot(page, 'auth-roles');
    const roles = await asAdmin('/api/roles');
    expect(roles.body.roles.find((r: { name: string }) => r.name === 'reader')).toMatchObject({ limits: { requestsPerMinute: 1000 } });
  });

  it('creates a user with that role', async () => {
    await page.getByRole('menuitem', { name: 'Users' }).click();
    await page.waitForURL(/\/admin\/users$/);
    await page.getByRole('button', { name: 'New user' }).click();
    await page.getByTestId('user-email').fill(USER_EMAIL);
    await page.getByTestId('user-password').fill(USER_PASSWORD);
    await page.getByTestId('user-roles').click();
    await page.getByRole('option', { name: 'reader', exact: true }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByTestId(`user-${USER_EMAIL}`).waitFor();
    expect(await page.getByTestId(`user-${USER_EMAIL}`).textContent()).toContain('reader');
    // Identities of OIDC issuers are listed below the users (none have signed in here).
    await page.getByText('No one has signed in through an identity provider yet.').waitFor();
    await screenshot(page, 'auth-users');
  });

  it('gives the role a permission: album rows of artist 1, without secret_note, previewed and saved', async () => {
    await page.getByRole('menuitem', { name: 'shop' }).click();
    await page.getByTestId('permissions-tab').click();
    await page.getByRole('combobox', { name: 'Role' }).click();
    await page.getByRole('option', { name: 'reader', exact: true }).click();
    await page.waitForURL(/tab=permissions&role=reader|role=reader&tab=permissions/);
    await page.getByTestId('perm-album-select').check();
    await page.getByTestId('perm-album-select-all-columns').uncheck();
    await page.getByTestId('perm-album-select-column-secret_note').uncheck();
    const filter = page.getByTestId('perm-album-select-filter');
    // Half-typed JSON: the editor says so at once, and nothing can be saved.
    await filter.fill('{ "artist_id": { "_eq": 1 ');
    await expect.poll(() => page.getByTestId('perm-album-select-filter-message').textContent()).toMatch(/^Not JSON/);
    expect(await page.getByTestId('perm-save').isDisabled()).toBe(true);
    await filter.fill('{ "artist_id": { "_eq": 1 } }');
    await page.getByTestId('perm-preview').click();
    await expect.poll(() => page.getByTestId('perm-count-album').textContent()).toBe('2');
    await screenshot(page, 'auth-permissions');
    await page.getByTestId('perm-save').click();
    await page.getByText('Permissions of reader on shop saved').waitFor();
    const stored = await asAdmin('/api/databases/shop/permissions/reader');
    expect(stored.status, stored.text).toBe(200);
    expect(stored.body.album.select.filter).toEqual({ artist_id: { _eq: 1 } });
    expect([...stored.body.album.select.columns].sort()).toEqual(['album_id', 'artist_id', 'title']);
    expect(stored.body.artist).toBeUndefined();
  });

  it('creates an API key for the role, shown once with a copy button', async () => {
    await page.getByRole('menuitem', { name: 'API keys' }).click();
    await page.waitForURL(/\/admin\/keys$/);
    await page.getByRole('button', { name: 'New key' }).click();
    await page.getByTestId('key-name').fill('script');
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('combobox', { name: 'Role' }).click();
    await page.getByRole('option', { name: 'reader', exact: true }).click();
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('created-key');
    await shown.waitFor();
    apiKey = ((await shown.locator('pre').textContent()) ?? '').trim();
    expect(apiKey).toMatch(/^lzk_[^_\s]+_\S+$/);
    expect(await shown.getByRole('button', { name: /copy/i }).count()).toBe(1);
    await screenshot(page, 'auth-key-created');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByTestId('key-script').waitFor();
    // Once closed, the key is nowhere on the page any more.
    expect(await page.content()).not.toContain(apiKey);
  });

  it('reads through REST with the key: only the allowed rows and columns', async () => {
    const answer = await fetch(`${server.url}/db/shop/rest/album`, { headers: { authorization: `Bearer ${apiKey}` } });
    const text = await answer.text();
    expect(answer.status, text).toBe(200);
    const rows = JSON.parse(text) as Array<Record<string, unknown>>;
    expect(rows.map((r) => r.title).sort()).toEqual(['Back in Black', 'Highway to Hell']);
    for (const row of rows) {
      expect(row.artist_id).toBe(1);
      expect(row).not.toHaveProperty('secret_note');
    }
    // No rule on artist for the role, and none at all for a visitor.
    const artist = await fetch(`${server.url}/db/shop/rest/artist`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(artist.status).toBeGreaterThanOrEqual(400);
    const anonymous = await fetch(`${server.url}/db/shop/rest/album`);
    expect(anonymous.status).toBeGreaterThanOrEqual(400);
  });

  it('shows the new user only the table the role may read, and no management screen', async () => {
    const userContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const userPage = await userContext.newPage();
    userPage.setDefaultTimeout(15_000);
    const userWatched = watchPage(userPage, server.url);
    try {
      await userPage.goto(url('/login'));
      await userPage.getByLabel('Email').fill(USER_EMAIL);
      await userPage.getByLabel('Password').fill(USER_PASSWORD);
      await userPage.getByRole('button', { name: 'Sign in', exact: true }).click();
      await userPage.getByTestId('database-shop').waitFor();
      for (const screen of ['Users', 'Roles', 'API keys', 'Identity providers', 'Usage', 'Add database']) {
        expect(await userPage.getByRole('menuitem', { name: screen }).count(), screen).toBe(0);
      }
      await userPage.getByRole('menuitem', { name: 'shop' }).click();
      const tables = userPage.getByTestId('tables');
      await tables.getByRole('link', { name: 'album' }).waitFor();
      expect(await tables.getByRole('link', { name: 'artist' }).count()).toBe(0);
      expect(await userPage.getByTestId('permissions-tab').count()).toBe(0);
      await tables.getByRole('link', { name: 'album' }).click();
      await userPage.getByText('Highway to Hell').waitFor();
      expect(await userPage.getByText('Balls to the Wall').count()).toBe(0);
      await screenshot(userPage, 'auth-user-view');
      await userPage.goto(url('/users'));
      await userPage.getByText('Users is for admins').waitFor();
      expect(userWatched.problems).toEqual([]);
    } finally {
      await userContext.close();
    }
    expect(watched.problems).toEqual([]);
    expect(watched.externalRequests).toEqual([]);
  });
});
