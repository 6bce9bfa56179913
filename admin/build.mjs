#!/usr/bin/env node
/**
 * Builds the web admin (admin/src -> admin/dist) with vite when the build is missing or
 * older than its sources; `--force` builds regardless. `npm start` runs it first, so a
 * fresh clone serves the admin without a separate build step. Where vite is not installed
 * (a production install without devDependencies) an existing build is served as it is.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist', 'index.html');
const sources = [join(here, 'src'), join(here, 'index.html'), join(here, 'vite.config.ts')];

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((latest, entry) => Math.max(latest, newest(join(path, entry))), stat.mtimeMs);
}

export function adminBuildIsCurrent() {
  return existsSync(dist) && statSync(dist).mtimeMs >= Math.max(...sources.map(newest));
}

export async function buildAdmin({ force = false, quiet = false } = {}) {
  if (!force && adminBuildIsCurrent()) return false;
  // A test runner's NODE_ENV=test would otherwise give React's development build.
  process.env.NODE_ENV = 'production';
  let vite;
  try {
    vite = await import('vite');
  } catch {
    const what = existsSync(dist) ? 'serving the existing admin/dist' : 'the server will serve a placeholder page at /admin';
    console.warn(`[admin] vite is not installed (npm ci installs it); ${what}`);
    return false;
  }
  const started = Date.now();
  if (!quiet) console.info('[admin] building the web admin (admin/src -> admin/dist)…');
  await vite.build({ configFile: join(here, 'vite.config.ts'), mode: 'production', logLevel: quiet ? 'error' : 'warn' });
  if (!quiet) console.info(`[admin] built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildAdmin({ force: process.argv.includes('--force') }).catch((error) => {
    console.error('[admin] build failed:', error?.message ?? error);
    process.exit(1);
  });
}
