import type { IncomingMessage, ServerResponse } from 'node:http';
import { fail } from '../errors/catalogue';

/** A handler of one route: the request, the response, and the route's `:params` (decoded). */
export type RouteHandler<C> = (request: IncomingMessage, response: ServerResponse, params: Record<string, string>, context: C) => Promise<void>;

/**
 * A small table of `METHOD /path/:param` routes under one prefix of the management API: 404 for
 * a path no route has, 405 with `Allow` for a method the path does not take.
 */
export function routeTable<C>(prefix: string, routes: Record<string, RouteHandler<C>>) {
  const compiled = Object.entries(routes).map(([key, handler]) => {
    const [method, pattern] = key.split(' ') as [string, string];
    const names: string[] = [];
    const source = pattern === '/' ? '' : pattern.replace(/:([a-z]+)/gi, (_, name: string) => (names.push(name), '([^/]+)'));
    return { method, pattern, regex: new RegExp(`^${source}/?$`), names, handler };
  });
  return async function handle(request: IncomingMessage, response: ServerResponse, rest: string, context: C): Promise<void> {
    const method = request.method ?? 'GET';
    const matching = compiled.filter((route) => route.regex.test(rest));
    const route = matching.find((r) => r.method === method);
    if (!route) {
      if (matching.length > 0) {
        const allow = [...new Set(matching.map((r) => r.method))].join(', ');
        throw fail('METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${allow}`, {}, { allow });
      }
      throw fail('NOT_FOUND', `no such endpoint: ${method} ${prefix}${rest}`);
    }
    const values = route.regex.exec(rest)!.slice(1);
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => {
      try {
        params[name] = decodeURIComponent(values[i]!);
      } catch {
        throw fail('BAD_URL_ENCODING', `the ${name} in the path is not valid percent-encoded UTF-8`);
      }
    });
    await route.handler(request, response, params, context);
  };
}
