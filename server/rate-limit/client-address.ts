import type { IncomingMessage } from 'node:http';
import { isIP, isIPv4, isIPv6 } from 'node:net';

/**
 * The address a request comes from, as far as lazydb can believe it: the connection's peer, or,
 * behind `trustProxy` reverse proxies (LAZYDB_TRUST_PROXY), the address the outermost of them
 * saw. Each proxy appends the address it was called from to `X-Forwarded-For`; entries left of
 * the ones the trusted proxies wrote are the client's own to invent, so the Nth from the right
 * is taken, never the first. An entry that is no address (`unknown`, garbage) counts as the peer.
 */
export function clientAddressOf(request: IncomingMessage, trustProxy: number): string {
  const peer = request.socket.remoteAddress ?? '';
  if (trustProxy === 0) return peer;
  const header = request.headers['x-forwarded-for'];
  if (header === undefined || header === '') return peer;
  // Node joins repeated headers with ", ": the list reads the same either way.
  const hops = (Array.isArray(header) ? header.join(',') : header).split(',');
  const entry = hops[Math.max(0, hops.length - trustProxy)]!;
  return bareAddress(entry.trim()) ?? peer;
}

/** An address as X-Forwarded-For may write it (`[v6]`, `[v6]:port`, `v4:port`), without brackets or port; null for anything else. */
function bareAddress(entry: string): string | null {
  if (isIP(entry)) return entry;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry);
  if (bracketed && isIPv6(bracketed[1]!)) return bracketed[1]!;
  const withPort = /^([\d.]+):\d{1,5}$/.exec(entry);
  if (withPort && isIPv4(withPort[1]!)) return withPort[1]!;
  return null;
}

/**
 * The key a client address is counted under: an IPv4 address as it is (`::ffff:1.2.3.4`, the
 * same address on a dual-stack socket, included), an IPv6 address by its /64
 * (`2001:db8:1:2::/64`), since one subscriber usually holds a whole /64 and could otherwise take
 * a fresh budget from each of its 2^64 addresses. Anything else (no address at all) is `unknown`.
 */
export function addressKey(address: string): string {
  if (isIPv4(address)) return address;
  const bare = address.split('%', 1)[0]!;
  if (!isIPv6(bare)) return 'unknown';
  const groups = ipv6Groups(bare);
  // IPv4-mapped (::ffff:a.b.c.d) is an IPv4 client seen through an IPv6 socket.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`;
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail read as two groups). */
function ipv6Groups(address: string): number[] {
  const parse = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const [a, b, c, d] = piece.split('.').map(Number) as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else out.push(parseInt(piece, 16));
    }
    return out;
  };
  const gap = address.indexOf('::');
  if (gap < 0) return parse(address);
  const head = parse(address.slice(0, gap));
  const tail = parse(address.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}
