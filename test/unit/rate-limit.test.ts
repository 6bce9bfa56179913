import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { addressKey, clientAddressOf } from '../../server/rate-limit/client-address';
import { limitHeader, policyHeader, secondsOf } from '../../server/rate-limit/headers';
import { anonymousPolicy, isLimitedPath, policyResolver } from '../../server/rate-limit/policy';
import { testContext, testPipeline } from '../helpers/pipeline';

/** A request as a socket from `peer` would carry it, with the headers given. */
function requestFrom(peer: string, headers: Record<string, string> = {}): IncomingMessage {
  const socket = new Socket();
  Object.defineProperty(socket, 'remoteAddress', { value: peer });
  const request = new IncomingMessage(socket);
  request.headers = headers;
  return request;
}

describe('the client address a request is counted under', () => {
  it('keys IPv4 as it is, IPv4-mapped IPv6 as the IPv4 address, and IPv6 by its /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('64:ff9b::192.0.2.33')).toBe('64:ff9b:0:0::/64');
    expect(addressKey('')).toBe('unknown');
    expect(addressKey('not an address')).toBe('unknown');
  });

  it('is the same key for every address of one /64, and another for the next /64', () => {
    expect(addressKey('2001:db8:aa:bb::1')).toBe(addressKey('2001:db8:aa:bb:ffff:ffff:ffff:ffff'));
    expect(addressKey('2001:db8:aa:bb::1')).not.toBe(addressKey('2001:db8:aa:bc::1'));
  });

  it('ignores X-Forwarded-For unless LAZYDB_TRUST_PROXY says how many proxies wrote it', () => {
    const forged = requestFrom('10.0.0.5', { 'x-forwarded-for': '198.51.100.1' });
    expect(clientAddressOf(forged, 0)).toBe('10.0.0.5');
    expect(clientAddressOf(forged, 1)).toBe('198.51.100.1');
  });

  it('takes the address the outermost trusted proxy saw, never one the client put before it', () => {
    // The client sent "6.6.6.6"; the one proxy appended the client's real address.
    expect(clientAddressOf(requestFrom('10.0.0.5', { 'x-forwarded-for': '6.6.6.6, 198.51.100.1' }), 1)).toBe('198.51.100.1');
    // Two proxies: the outer one appended the client, the inner one the outer.
    expect(clientAddressOf(requestFrom('10.0.0.6', { 'x-forwarded-for': '6.6.6.6, 198.51.100.1, 10.0.0.5' }), 2)).toBe('198.51.100.1');
    // Fewer entries than proxies: the leftmost.
    expect(clientAddressOf(requestFrom('10.0.0.6', { 'x-forwarded-for': '198.51.100.1' }), 3)).toBe('198.51.100.1');
  });

  it('reads bracketed and ported entries, and counts an entry that is no address as the peer', () => {
    expect(clientAddressOf(requestFrom('10.0.0.5', { 'x-forwarded-for': '[2001:db8::1]:4711' }), 1)).toBe('2001:db8::1');
    expect(clientAddressOf(requestFrom('10.0.0.5', { 'x-forwarded-for': '198.51.100.1:4711' }), 1)).toBe('198.51.100.1');
    expect(clientAddressOf(requestFrom('10.0.0.5', { 'x-forwarded-for': 'unknown' }), 1)).toBe('10.0.0.5');
    expect(clientAddressOf(requestFrom('10.0.0.5', {}), 1)).toBe('10.0.0.5');
  });
});

describe('rate-limit policies', () => {
  const config = (requests: number, rows = 0) => ({ anonymousRequestsPerMinute: requests, anonymousRowsPerMinute: rows, trustProxy: 0 });

  it('has no anonymous policy (and no resolver) when both budgets are off', () => {
    expect(anonymousPolicy(config(0))).toBeNull();
    expect(policyResolver(config(0))).toBeNull();
    expect(anonymousPolicy(config(0, 10))).toMatchObject({ name: 'anonymous', requests: 0, rows: 10, windowSeconds: 60 });
  });

  it('charges an anonymous request to the anonymous policy under its address key', () => {
    const resolve = policyResolver(config(600))!;
    const pipeline = testPipeline();
    const [subject] = resolve(testContext(pipeline), requestFrom('2001:db8:1:2::99'));
    expect(subject).toMatchObject({ key: '2001:db8:1:2::/64', policy: { name: 'anonymous', requests: 600 } });
  });

  it('counts the APIs and the management API, never the probes or the admin', () => {
    for (const path of ['/graphql', '/db/x/graphql', '/db/x/rest/t', '/db/x/openapi.json', '/api/databases', '/api/dialects']) expect(isLimitedPath(path), path).toBe(true);
    for (const path of ['/healthz', '/readyz', '/admin/', '/admin/assets/app.js', '/assets/swagger-ui/x.css', '/', '/graphql2', '/metrics']) expect(isLimitedPath(path), path).toBe(false);
  });
});

describe('the IETF RateLimit headers', () => {
  const policy = anonymousPolicy({ anonymousRequestsPerMinute: 600, anonymousRowsPerMinute: 100000, trustProxy: 0 })!;

  it('lists each quota of a policy, and what is left of it', () => {
    expect(policyHeader(policy)).toBe('"anonymous";q=600;w=60, "anonymous-rows";q=100000;w=60;lazydb-unit="rows"');
    expect(limitHeader(policy, { allowed: true, remaining: 599, resetMs: 41_200 }, { allowed: true, remaining: 99000, resetMs: 41_200 })).toBe('"anonymous";r=599;t=42, "anonymous-rows";r=99000;t=42');
    expect(limitHeader(policy, { allowed: false, remaining: 0, resetMs: 1 }, undefined)).toBe('"anonymous";r=0;t=1');
    expect(policyHeader({ ...policy, rows: 0 })).toBe('"anonymous";q=600;w=60');
    expect(policyHeader({ ...policy, name: 'a "quoted" \\ näme' })).toMatch(/^"a \\"quoted\\" \\\\ n\?me";q=600/);
  });

  it('rounds seconds up and never says 0 while any of the window is left', () => {
    expect([secondsOf(1), secondsOf(999), secondsOf(1000), secondsOf(1001), secondsOf(0)]).toEqual([1, 1, 1, 2, 1]);
  });
});
