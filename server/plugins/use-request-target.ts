import type { LazydbPlugin } from '../pipeline/plugin';
import { LazydbError } from '../errors/lazydb-error';
import { fail } from '../errors/catalogue';


/**
 * Refuses (400 BAD_URL_ENCODING) a request target whose path or query string is not
 * well-formed percent-encoded UTF-8: a lone `%`, `%ZZ`, or bytes such as `%E0%A4` that are no
 * character. Checked once, before routing, so that no handler's decodeURIComponent throws
 * (an answer of 500), and no query value silently becomes U+FFFD (URLSearchParams' way).
 */
export function checkRequestTarget(target: string): void {
  const queryStart = target.indexOf('?');
  const path = queryStart < 0 ? target : target.slice(0, queryStart);
  const query = queryStart < 0 ? '' : target.slice(queryStart + 1);
  if (!decodes(path)) throw badEncoding('path');
  // `+` is a space in a query string; `&` and `=` pass through decodeURIComponent unchanged.
  if (!decodes(query.replace(/\+/g, ' '))) throw badEncoding('query string');
}

function decodes(text: string): boolean {
  if (!text.includes('%')) return true;
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

function badEncoding(part: string): LazydbError {
  return fail('BAD_URL_ENCODING', `the URL's ${part} is not valid percent-encoding of UTF-8 text: encode each special character as %XX of its UTF-8 bytes (a literal % is %25)`,
  );
}

/** The plugin: a URL that cannot be read is refused before any routing reads it. */
export function useRequestTarget(): LazydbPlugin {
  return {
    name: 'request-target',
    onRequest(request) {
      checkRequestTarget(request.url ?? '/');
    },
  };
}
