import { fail } from '../errors/catalogue';
import type { LazydbError } from '../errors/lazydb-error';
import type { IncomingMessage, ServerResponse } from 'node:http';

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

function tooLarge(limit: number): LazydbError {
  return fail('PAYLOAD_TOO_LARGE', `request body is larger than ${limit} bytes (LAZYDB_MAX_BODY)`);
}

/**
 * `application/json` or `application/<something>+json`, parameters such as `; charset=utf-8`
 * allowed. Exactly that and nothing looser: a type a browser may send cross-site without a
 * preflight (`text/plain`, a form, none at all) must never pass for JSON, even when it
 * contains the word (`text/plain;a=json`).
 */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  // What nearly every client sends, answered without splitting and a regular expression.
  if (contentType === 'application/json') return true;
  const essence = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json$/.test(essence);
}

/** 415 unless the request says its body is JSON. */
export function requireJsonMediaType(contentType: string | undefined): void {
  if (isJsonMediaType(contentType)) return;
  const got = contentType === undefined || contentType.trim() === '' ? 'no Content-Type' : `Content-Type "${clip(contentType)}"`;
  throw fail('UNSUPPORTED_MEDIA_TYPE', `send the body as JSON with Content-Type: application/json (got ${got})`);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text, refusing bytes that are not UTF-8 (instead of storing U+FFFD in their place). */
export function decodeUtf8(body: Uint8Array): string {
  try {
    return strictUtf8.decode(body);
  } catch {
    throw invalidUtf8();
  }
}

export function invalidUtf8(): LazydbError {
  return fail('INVALID_UTF8', 'the body is not valid UTF-8: send JSON text encoded as UTF-8');
}

export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw fail('INVALID_JSON', `the body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * A request body that must be JSON: refused when empty (400 BAD_BODY), of another media type
 * (415), not UTF-8 (400 INVALID_UTF8) or not JSON (400 INVALID_JSON). `what` names the body in
 * the messages ("the database spec").
 */
export function parseJsonBody(body: Buffer | undefined, contentType: string | undefined, what = 'the request body'): unknown {
  if (body === undefined || body.length === 0) throw fail('BAD_BODY', `send ${what} as JSON with Content-Type: application/json; the body is empty`);
  requireJsonMediaType(contentType);
  const text = decodeUtf8(body);
  if (text.trim() === '') throw fail('BAD_BODY', `send ${what} as JSON with Content-Type: application/json; the body is blank`);
  return parseJsonText(text);
}

export async function readJson(request: IncomingMessage, limit: number): Promise<unknown> {
  return parseJsonBody(await readBody(request, limit), request.headers['content-type']);
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
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

export function sendError(response: ServerResponse, error: LazydbError): void {
  sendJson(response, error.status, { error: { code: error.code, message: error.message, ...error.details } }, error.headers);
}

/**
 * The same refusal in GraphQL's shape, `{ "errors": [{ "message", "extensions": { "code" } }] }`,
 * for what a GraphQL endpoint answers about the request it was sent: GraphQL clients read
 * `errors`, and yoga answers its own refusals of a request (invalid JSON, a mutation over GET)
 * that way too.
 */
export function sendGraphQLError(response: ServerResponse, error: LazydbError): void {
  sendJson(response, error.status, { errors: [{ message: error.message, extensions: { code: error.code } }] }, error.headers);
}

/** Writes a WHATWG Response (from yoga or SOFA) to a Node response; gives back the bytes written. */
export async function sendResponse(response: ServerResponse, result: Response): Promise<Buffer> {
  const payload = Buffer.from(await result.arrayBuffer());
  const headers: Record<string, string> = {};
  result.headers.forEach((value, name) => {
    headers[name] = value;
  });
  headers['content-length'] = String(payload.length);
  // A Vary set before (CORS: `Origin`) is kept beside the one of the answer.
  const vary = response.getHeader('vary');
  if (vary !== undefined && headers.vary !== undefined) headers.vary = `${String(vary)}, ${headers.vary}`;
  response.writeHead(result.status, headers);
  response.end(payload);
  return payload;
}

/** 404 DATABASE_NOT_FOUND for `name`: one wording for every HTTP endpoint that names a database. */
export function databaseNotFound(name: string): LazydbError {
  return fail('DATABASE_NOT_FOUND', `no database named "${name}" is registered`);
}
