import type { LazydbPlugin } from '../pipeline/plugin';
import { fail } from '../errors/catalogue';
import type { IncomingMessage } from 'node:http';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { Config } from '../config';


/** A Host header taken apart: the name in lower case (an IPv6 address without brackets) and the port, if any. */
export interface HostAndPort {
  name: string;
  port: string | null;
}

/** `name`, `name:port`, `[v6]` or `[v6]:port`; null for anything else (spaces, a path, several colons…). */
export function parseHostHeader(header: string | undefined): HostAndPort | null {
  if (header === undefined) return null;
  const match = /^(?:\[([0-9a-f:.]+)\]|([^\s:[\]/@]+))(?::(\d{1,5}))?$/i.exec(header.trim());
  if (!match) return null;
  const v6 = match[1];
  if (v6 !== undefined && !isIPv6(v6)) return null;
  return { name: (v6 ?? match[2]!).toLowerCase(), port: match[3] ?? null };
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** `localhost`, `*.localhost`, 127.0.0.0/8 and ::1: names that only ever mean this machine. */
export function isLoopbackName(name: string): boolean {
  const bare = name.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIPv4(bare)) return LOOPBACK.check(bare, 'ipv4');
  if (isIPv6(bare)) return LOOPBACK.check(bare, 'ipv6');
  return false;
}

/**
 * The paths served whatever the Host says: `/healthz` only tells that the process answers
 * (`{"status":"ok"}`, nothing a rebinding page could use), and liveness probes of an
 * orchestrator call it with the pod's address as Host, which no allow-list names.
 * `/readyz` lists the databases and is guarded like everything else.
 */
function isLoopbackOrAddress(name: string): boolean {
  return isLoopbackName(name) || isIPv4(name) || isIPv6(name);
}

const UNGUARDED_PATHS = new Set(['/healthz']);

type Rule = (name: string) => boolean;

/**
 * Which Host headers this server answers to, from `allowedHosts` (LAZYDB_ALLOWED_HOSTS) and
 * the address it listens on. A browser page on `http://attacker.example` whose name is made
 * to resolve to 127.0.0.1 (DNS rebinding) reaches a loopback server as same-origin, but its
 * requests still say `Host: attacker.example`: refusing unknown names closes that door.
 *
 * - set: exact names, `.example.com` for the domain and its subdomains, `*` for any;
 * - unset, listening on a loopback address: loopback names only (see isLoopbackName);
 * - unset otherwise (0.0.0.0 in a container, a LAN address): loopback names and any IP
 *   literal. Rebinding needs a DNS name, so an address typed as such is safe, while a name
 *   lazydb cannot know (a public domain behind a proxy) must be listed. The container image
 *   listens on 0.0.0.0 behind a port published on 127.0.0.1: without this, any page could
 *   rebind its own name onto that port.
 *
 * Ports are not compared. A request without a Host header (HTTP/1.0) names no host, so it is
 * served only where any host is.
 */
export function hostRule(config: Pick<Config, 'host' | 'allowedHosts'>): Rule | null {
  if (config.allowedHosts === undefined) return isLoopbackName(config.host) ? isLoopbackName : isLoopbackOrAddress;
  if (config.allowedHosts.includes('*')) return null;
  const exact = new Set<string>();
  const domains: string[] = [];
  for (const entry of config.allowedHosts) {
    const name = entry.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
    if (name.startsWith('.')) domains.push(name);
    else exact.add(name);
  }
  return (name) => exact.has(name) || domains.some((domain) => name === domain.slice(1) || name.endsWith(domain));
}

/** How many Host headers the guard remembers its verdict on. */
const MAX_JUDGED_HOSTS = 256;

/** Throws 403 HOST_NOT_ALLOWED unless the request's Host is one this server answers to. */
export function createHostGuard(config: Pick<Config, 'host' | 'allowedHosts'>): (request: IncomingMessage, path: string) => void {
  const allowed = hostRule(config);
  if (allowed === null) return () => undefined;
  // The decision depends on the header alone, and a server sees few distinct ones: judged once
  // each (parsing and BlockList.check cost several µs per request). Bounded, so that clients
  // sending random names cannot grow it (a DNS name has at most 253 characters).
  const judged = new Map<string, boolean>();
  const allows = (header: string | undefined): boolean => {
    if (header === undefined) return false;
    let verdict = judged.get(header);
    if (verdict === undefined) {
      const host = parseHostHeader(header);
      verdict = host !== null && allowed(host.name);
      if (header.length <= 255) {
        if (judged.size >= MAX_JUDGED_HOSTS) judged.clear();
        judged.set(header, verdict);
      }
    }
    return verdict;
  };
  return (request, path) => {
    if (UNGUARDED_PATHS.has(path)) return;
    const header = request.headers.host;
    if (allows(header)) return;
    // 403, not 421: a 421 invites the client to retry on another connection, which changes
    // nothing here; 403 is what every client shows as "refused" (and what dev servers answer).
    const named = header === undefined ? 'a request without a Host header' : `Host "${header.length > 100 ? `${header.slice(0, 100)}…` : header}"`;
    throw fail('HOST_NOT_ALLOWED', `${named} is not served here: add the name to LAZYDB_ALLOWED_HOSTS (comma-separated; ".example.com" for a domain, "*" for any) if this server should answer to it`,
    );
  };
}

/** The plugin: first of all, on every request (DNS rebinding: who the request was meant for). */
export function useHostGuard(config: Pick<Config, 'host' | 'allowedHosts'>): LazydbPlugin {
  const guard = createHostGuard(config);
  return {
    name: 'host-guard',
    onRequest(request) {
      guard(request, (request.url ?? '/').split('?', 1)[0]!);
    },
  };
}
