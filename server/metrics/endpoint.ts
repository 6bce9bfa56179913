import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fail } from '../errors/catalogue';
import type { LazydbMetrics } from './metrics';

/**
 * Who may read `/metrics`: with LAZYDB_METRICS_TOKEN set, whoever sends it as a bearer token;
 * without, clients on loopback only (a scraper on the same host, or a sidecar). Users and an
 * admin role come with issue 13; until then the token is the only credential.
 */
export class MetricsAccess {
  private readonly digest: Buffer | null;

  constructor(token: string | undefined) {
    this.digest = token === undefined ? null : sha256(token);
  }

  /** Throws the LazydbError to answer when the request may not read the metrics. */
  check(request: IncomingMessage): void {
    if (this.digest === null) {
      // A reverse proxy on this host connects from loopback for every client it forwards: a request
      // carrying a forwarding header is not this host's own, whatever its socket says.
      if (isLoopback(request.socket.remoteAddress) && !isForwarded(request)) return;
      throw fail(
        'METRICS_LOOPBACK_ONLY',
        '/metrics answers clients on this host only (not requests a proxy forwarded) while LAZYDB_METRICS_TOKEN is unset: set LAZYDB_METRICS_TOKEN and send it as Authorization: Bearer <token>',
      );
    }
    const presented = bearerToken(request.headers.authorization);
    // Digests of equal length, compared in constant time: neither the token's length nor a prefix leaks through timing.
    if (presented !== null && timingSafeEqual(sha256(presented), this.digest)) return;
    throw fail(
      'METRICS_TOKEN_INVALID',
      presented === null ? '/metrics needs Authorization: Bearer <LAZYDB_METRICS_TOKEN>' : 'the bearer token is not the one LAZYDB_METRICS_TOKEN sets',
    );
  }
}

/** `GET /metrics` (and HEAD): the Prometheus text exposition, after the access check. */
export async function serveMetrics(request: IncomingMessage, response: ServerResponse, metrics: LazydbMetrics, access: MetricsAccess, admin = false): Promise<void> {
  // An admin (signed in, or the admin secret) may always read them; everyone else needs the token or loopback.
  if (!admin) access.check(request);
  const method = request.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') throw fail('METHOD_NOT_ALLOWED', `${method} is not allowed on /metrics; use GET`, {}, { allow: 'GET, HEAD' });
  const text = await metrics.text();
  response.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  response.end(method === 'HEAD' ? undefined : text);
}

/** Whether a proxy says it forwarded the request (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`). */
function isForwarded(request: IncomingMessage): boolean {
  const { headers } = request;
  return headers.forwarded !== undefined || headers['x-forwarded-for'] !== undefined || headers['x-real-ip'] !== undefined;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The token of `Authorization: Bearer <token>` (the scheme in any case), else null. */
function bearerToken(header: string | undefined): string | null {
  const match = header === undefined ? null : /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match ? match[1]! : null;
}

/** 127.0.0.0/8 and ::1, IPv4 ones also as IPv4-mapped IPv6 (`::ffff:127.0.0.1`, how a dual-stack socket reports them). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}
