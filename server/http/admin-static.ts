import { fail } from '../errors/catalogue';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';


const ADMIN_DIST = resolve(import.meta.dirname, '../../admin/dist');
const ADMIN_PLACEHOLDER = resolve(import.meta.dirname, '../../admin/placeholder.html');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * The web admin: the vite build in admin/dist when it exists, else a small page that links
 * to every database's GraphiQL. Unknown paths fall back to index.html (client-side routes).
 */
export async function serveAdmin(_request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
  if (path === '/admin') {
    response.writeHead(301, { location: '/admin/' });
    return void response.end();
  }
  const root = existsSync(join(ADMIN_DIST, 'index.html')) ? ADMIN_DIST : null;
  if (!root) return send(response, ADMIN_PLACEHOLDER, 'no-cache');
  const relative = normalize(decodeURIComponent(path.slice('/admin/'.length))).replace(/^(\.\.[/\\])+/, '');
  const file = join(root, relative);
  if (!file.startsWith(root)) throw fail('BAD_PATH', 'invalid path');
  if (relative && existsSync(file) && extname(file)) return send(response, file, relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
  return send(response, join(root, 'index.html'), 'no-cache');
}

async function send(response: ServerResponse, file: string, cache: string): Promise<void> {
  const body = await readFile(file);
  response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': cache, 'content-length': body.length });
  response.end(body);
}
