import { fail } from '../errors/catalogue';
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';


const require = createRequire(import.meta.url);
const SWAGGER_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const ASSETS = new Map([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['favicon-32x32.png', 'image/png'],
]);

/** Swagger UI for one database's OpenAPI document, served from the npm package (no CDN). */
export function serveDocs(response: ServerResponse, database: string): void {
  const spec = JSON.stringify(`/db/${database}/openapi.json`);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>lazydb REST — ${escapeHtml(database)}</title>
<link rel="icon" href="/assets/swagger-ui/favicon-32x32.png">
<link rel="stylesheet" href="/assets/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="docs"></div>
<script src="/assets/swagger-ui/swagger-ui-bundle.js"></script>
<script>
  window.ui = SwaggerUIBundle({ url: ${spec}, dom_id: '#docs', deepLinking: true, tryItOutEnabled: true, displayRequestDuration: true });
</script>
</body>
</html>`;
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
  response.end(html);
}

export async function serveSwaggerAsset(response: ServerResponse, name: string): Promise<void> {
  const type = ASSETS.get(name);
  if (!type) throw fail('NOT_FOUND', `no such asset: ${name}`);
  const body = await readFile(join(SWAGGER_DIR, name));
  response.writeHead(200, { 'content-type': type, 'cache-control': 'public, max-age=86400', 'content-length': body.length });
  response.end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
