import type { IncomingMessage, ServerResponse } from 'node:http';
import { dialectModule } from '../introspect';
import { DIALECTS } from '../model/types';
import { fail } from '../errors/catalogue';
import { sendJson } from '../http/io';
import type { DialectInfo, DialectList } from './types';

/** Every dialect and how to connect to it, as each dialect module describes itself. */
export function describeDialects(): DialectInfo[] {
  return DIALECTS.map((dialect) => ({ dialect, ...dialectModule(dialect).connectionHelp }));
}

/** GET /api/dialects: the same for every caller and every request, so it is built once. */
export function dialectsApi() {
  const list: DialectList = { dialects: describeDialects() };
  return function handle(request: IncomingMessage, response: ServerResponse): void {
    const method = request.method ?? 'GET';
    if (method !== 'GET') throw fail('METHOD_NOT_ALLOWED', `${method} is not allowed here; use GET`, {}, { allow: 'GET' });
    sendJson(response, 200, list);
  };
}
