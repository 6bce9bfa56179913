#!/usr/bin/env node
/**
 * Bundles the server (server/*.ts -> dist/server/main.mjs, packages left as imports) with
 * esbuild when the bundle is missing or older than its sources; `--force` builds regardless.
 * `npm start` runs it first and then runs the bundle on plain Node: running through tsx's
 * loader costs ~110 MB of RSS (its loader thread and transpiler) and a name-keeping wrapper
 * around every function the schema builder creates. The bundle sits two folders deep, as the
 * sources do, so paths resolved from `import.meta.dirname` (the admin build) stay right.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
export const SERVER_BUNDLE = join(root, 'dist', 'server', 'main.mjs');
const sources = [here, join(root, 'package.json'), join(root, 'tsconfig.json')];

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((latest, entry) => Math.max(latest, newest(join(path, entry))), stat.mtimeMs);
}

export function serverBuildIsCurrent() {
  return existsSync(SERVER_BUNDLE) && statSync(SERVER_BUNDLE).mtimeMs >= Math.max(...sources.map(newest));
}

export async function buildServer({ force = false, quiet = false } = {}) {
  if (!force && serverBuildIsCurrent()) return false;
  // esbuild comes with tsx, a runtime dependency: present in production installs too.
  const esbuild = await import('esbuild');
  const started = Date.now();
  await esbuild.build({
    entryPoints: [join(here, 'main.ts')],
    outfile: SERVER_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: quiet ? 'error' : 'warning',
  });
  if (!quiet) console.info(`[server] bundled server/ -> dist/server/main.mjs in ${Date.now() - started} ms`);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildServer({ force: process.argv.includes('--force') }).catch((error) => {
    console.error('[server] build failed:', error?.message ?? error);
    process.exit(1);
  });
}
