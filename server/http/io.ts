import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error that knows its HTTP answer: `{ "error": { "code", "message", "fields"? } }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Reads the whole body, refusing (413) past `limit` bytes whatever the Content-Length says. */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      request.resume();
      throw tooLarge(limit);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body is larger than ${limit} bytes (LAZYDB_MAX_BODY)`);
}

export async function readJson(request: IncomingMessage, limit: number): Promise<unknown> {
  const body = await readBody(request, limit);
  if (body.length === 0) return {};
  const type = request.headers['content-type'] ?? '';
  if (!/json/i.test(type)) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON (Content-Type: application/json)');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new HttpError(400, 'INVALID_JSON', `the body is not valid JSON: ${(error as Error).message}`);
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonText(response, status, JSON.stringify(body), headers);
}

/** Writes JSON that is already text (a cached document, a prepared answer). */
export function sendJsonText(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    ...headers,
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

export function sendError(response: ServerResponse, error: HttpError): void {
  sendJson(response, error.status, { error: { code: error.code, message: error.message, ...error.details } }, error.headers);
}

/** Writes a WHATWG Response (from yoga or SOFA) to a Node response. */
export async function sendResponse(response: ServerResponse, result: Response): Promise<void> {
  const payload = Buffer.from(await result.arrayBuffer());
  const headers: Record<string, string> = {};
  result.headers.forEach((value, name) => {
    headers[name] = value;
  });
  headers['content-length'] = String(payload.length);
  response.writeHead(result.status, headers);
  response.end(payload);
}
