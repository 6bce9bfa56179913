import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';

/**
 * A recorded HTTP contract, replayed on 127.0.0.1: each exchange is a request (method, path, query,
 * body) and the answer it got (status, JSON body). A client under test is pointed at the replay
 * through a fetch that sends `https://<host>/...` to the local server instead. A request the
 * contract does not have is answered 501 and remembered, so that a test can fail on it; so is a
 * request to another host, or one without the bearer token the contract's token exchange handed out.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Query parameters as text, as sent. */
  query?: Record<string, string>;
  /** A JSON body as parsed, or a form body (application/x-www-form-urlencoded) as an object of its fields. */
  body?: unknown;
}

export interface RecordedExchange {
  request: RecordedRequest;
  response: { status: number; body?: unknown; headers?: Record<string, string> };
}

export interface RecordedContract {
  /** What the exchanges show, in a sentence. */
  description: string;
  /** The host the client must call. */
  host: string;
  exchanges: RecordedExchange[];
}

export interface Replay {
  /** Hand this to the client as its fetch. */
  fetch: typeof fetch;
  /** Requests that matched no exchange (each as `METHOD path?query body`), requests to other hosts, missing tokens. */
  unexpected: string[];
  /** Exchanges the client never asked for. */
  unused(): RecordedExchange[];
  close(): Promise<void>;
}

export function readContract(file: string): RecordedContract {
  return JSON.parse(readFileSync(file, 'utf8')) as RecordedContract;
}

export async function replay(contract: RecordedContract): Promise<Replay> {
  const used = new Array<boolean>(contract.exchanges.length).fill(false);
  const unexpected: string[] = [];
  const tokens = new Set(
    contract.exchanges
      .map((exchange) => (exchange.response.body as { access_token?: unknown } | undefined)?.access_token)
      .filter((token): token is string => typeof token === 'string'),
  );

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://replay');
      const text = Buffer.concat(chunks).toString('utf8');
      const request: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname };
      const query = Object.fromEntries(url.searchParams);
      if (Object.keys(query).length > 0) request.query = query;
      const body = parseBody(text, req.headers['content-type']);
      if (body !== undefined) request.body = body;

      if (tokens.size > 0 && url.pathname.startsWith('/api/') && !tokens.has((req.headers.authorization ?? '').replace(/^Bearer /, ''))) {
        unexpected.push(`${describe(request)} without the contract's bearer token`);
      }
      const index = contract.exchanges.findIndex((exchange, at) => !used[at] && sameRequest(exchange.request, request));
      if (index < 0) {
        unexpected.push(describe(request));
        res.writeHead(501, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ statusCode: 501, error: 'Not Implemented', message: 'this request is not in the recorded contract' }));
        return;
      }
      used[index] = true;
      const { status, body: answer, headers = {} } = contract.exchanges[index]!.response;
      if (answer === undefined) {
        res.writeHead(status, headers);
        res.end();
      } else {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(answer));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const replayFetch: typeof fetch = async (input, init) => {
    const target = new URL(input instanceof Request ? input.url : String(input));
    if (target.host !== contract.host || target.protocol !== 'https:') {
      unexpected.push(`a call to ${target.protocol}//${target.host} (the contract is for https://${contract.host})`);
      throw new TypeError(`fetch failed: ${target.host} is not the recorded host`);
    }
    return fetch(`${origin}${target.pathname}${target.search}`, init);
  };

  return {
    fetch: replayFetch,
    unexpected,
    unused: () => contract.exchanges.filter((_, at) => !used[at]),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return undefined;
  if ((contentType ?? '').includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function sameRequest(recorded: RecordedRequest, actual: RecordedRequest): boolean {
  return (
    recorded.method === actual.method &&
    recorded.path === actual.path &&
    isDeepStrictEqual(recorded.query ?? {}, actual.query ?? {}) &&
    isDeepStrictEqual(recorded.body, actual.body)
  );
}

function describe(request: RecordedRequest): string {
  const query = request.query ? `?${new URLSearchParams(request.query).toString()}` : '';
  return `${request.method} ${request.path}${query}${request.body === undefined ? '' : ` ${JSON.stringify(request.body)}`}`;
}
