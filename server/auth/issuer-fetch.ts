/**
 * Reading an issuer's discovery document and key set: one GET with a deadline and a size cap, so
 * a slow or hostile issuer can neither hold a request nor fill lazydb's memory. Every failure is
 * ISSUER_UNAVAILABLE (503): the token may be fine, the issuer could not be asked.
 */
import { fail } from '../errors/catalogue';
import { LazydbError } from '../errors/lazydb-error';

export interface IssuerFetchLimits {
  /** Deadline for the whole exchange, body included. */
  readonly timeoutMs: number;
  /** Largest body accepted. */
  readonly maxBytes: number;
}

async function readBounded(response: Response, maxBytes: number, what: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(what, maxBytes);
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(what, maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(what: string, maxBytes: number) {
  return fail('ISSUER_UNAVAILABLE', `${what} is larger than ${maxBytes} bytes: lazydb does not read it`);
}

/**
 * GETs `url` and parses its JSON body. `what` names the document in messages ("the discovery
 * document of https://issuer"). Redirects are not followed: an issuer's documents are at their
 * published addresses.
 */
export async function fetchIssuerJson(url: string, what: string, limits: IssuerFetchLimits): Promise<unknown> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let text: string;
  try {
    const response = await fetch(url, { method: 'GET', redirect: 'manual', signal, headers: { accept: 'application/json, application/jwk-set+json' } });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw fail('ISSUER_UNAVAILABLE', `${what} answered HTTP ${response.status}, not 200`);
    }
    text = await readBounded(response, limits.maxBytes, what);
  } catch (error) {
    if (signal.aborted) throw fail('ISSUER_UNAVAILABLE', `${what} did not arrive within ${limits.timeoutMs} ms`);
    if (error instanceof LazydbError) throw error;
    throw fail('ISSUER_UNAVAILABLE', `${what} could not be fetched (the issuer is unreachable)`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw fail('ISSUER_UNAVAILABLE', `${what} is not JSON`);
  }
}

/** Statuses whose Response may not carry a body. */
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 204, 205, 304]);

/**
 * A fetch for openid-client's requests to an issuer (discovery, token endpoint): the answer is read
 * in full here, refused above `maxBytes`, and handed on as an equivalent Response.
 */
export function boundedFetch(maxBytes: number): (url: string, init: Omit<RequestInit, 'body'> & { body?: unknown }) => Promise<Response> {
  return async (url, init) => {
    // openid-client's body types (a Uint8Array of any buffer) are what fetch takes, typed more loosely.
    const response = await fetch(url, init as RequestInit);
    const body = await readBounded(response, maxBytes, `the answer of ${new URL(url).origin}`);
    const headers = new Headers(response.headers);
    // The body is decoded text now: its encoding and length headers described the bytes on the wire.
    headers.delete('content-encoding');
    headers.delete('content-length');
    return new Response(NULL_BODY_STATUSES.has(response.status) ? null : body, { status: response.status, statusText: response.statusText, headers });
  };
}
