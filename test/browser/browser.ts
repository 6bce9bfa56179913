/**
 * Headless Chromium for the admin's browser tests: Debian's /usr/bin/chromium driven by
 * playwright-core (never a downloaded browser). When it is absent the tests skip with a
 * message, unless LAZYDB_REQUIRE_BROWSER=1 makes that a failure.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../helpers/databases';

export const CHROMIUM = process.env.LAZYDB_CHROMIUM?.trim() || '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-results', 'screenshots');

/** True when the browser can run; otherwise false after saying why (or throws when required). */
export function browserAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  const message = `${CHROMIUM} is not installed (apt-get install chromium)`;
  if (process.env.LAZYDB_REQUIRE_BROWSER === '1') throw new Error(`LAZYDB_REQUIRE_BROWSER=1 but ${message}`);
  console.info(`[browser] skipping the admin browser tests: ${message}`);
  return false;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Builds admin/dist when it is missing or older than admin/src (what `npm start` does too). */
export function ensureAdminBuilt(): void {
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'admin', 'build.mjs')], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 180_000 });
  if (result.status !== 0) throw new Error(`admin build failed:\n${result.stdout}\n${result.stderr}`);
  if (!fs.existsSync(path.join(REPO_ROOT, 'admin', 'dist', 'index.html'))) throw new Error('admin/dist/index.html missing after the build');
}

/**
 * Removes this suite's screenshots from an earlier run (`NN-name.png`, `admin-failed-*.png`) so
 * the folder shows this run; other suites' pictures in the same folder are left alone.
 */
export function resetScreenshots(): void {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  for (const file of fs.readdirSync(SCREENSHOT_DIR)) {
    if (/^(\d\d-|admin-failed-).*\.png$/.test(file)) fs.rmSync(path.join(SCREENSHOT_DIR, file), { force: true });
  }
}

/** Saves a 1280×800 screenshot under test-results/screenshots/ for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // Let transitions and polled data settle, so the picture shows the finished screen.
  await page.waitForTimeout(250);
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
}

/**
 * Collects what the page reports as broken: uncaught errors, console errors, failed
 * requests to anything but the server under test (no CDN may be contacted).
 */
export function watchPage(page: Page, origin: string): { problems: string[]; externalRequests: string[] } {
  const problems: string[] = [];
  const externalRequests: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // A 4xx the test provokes on purpose is logged by Chromium as "Failed to load resource".
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text().slice(0, 500)}`);
  });
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) externalRequests.push(url);
  });
  return { problems, externalRequests };
}

/** The first admin of a test server started with `LAZYDB_ADMIN_PASSWORD: TEST_ADMIN.password` (adminEnv). */
export const TEST_ADMIN = { email: 'admin@localhost', password: 'browser-tests-admin-password' } as const;
export const adminEnv = { LAZYDB_ADMIN_PASSWORD: TEST_ADMIN.password } as const;

/**
 * Signs the page's browser context in as that admin: the session cookie POST /api/auth/login
 * sets, as the login form would get it (test/browser/auth.test.ts drives the form itself).
 */
export async function signInAsAdmin(page: Page, origin: string): Promise<void> {
  const answer = await page.context().request.post(`${origin}/api/auth/login`, { data: { email: TEST_ADMIN.email, password: TEST_ADMIN.password } });
  if (answer.status() !== 200) throw new Error(`admin sign-in failed: ${answer.status()} ${await answer.text()}`);
}

/**
 * Page options that make every request the page sends carry the admin bearer, for pages that
 * are not the admin app (GraphiQL, the REST docs): they have no sign-in of their own, and their
 * suites are about the pages, so they act as admin.
 */
export function asAdmin(adminSecret: string): { extraHTTPHeaders: Record<string, string> } {
  return { extraHTTPHeaders: { authorization: `Bearer ${adminSecret}` } };
}
