import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { clientGoneSignal } from '../../server/pipeline/client-gone';
import type { CancelSignal } from '../../server/schema/source';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A server whose handler hands the test its response and the request's signal. */
async function serve(): Promise<{ url: string; next: Promise<{ response: ServerResponse; signal: CancelSignal }> }> {
  let deliver!: (value: { response: ServerResponse; signal: CancelSignal }) => void;
  const next = new Promise<{ response: ServerResponse; signal: CancelSignal }>((resolve) => (deliver = resolve));
  server = createServer((_request, response) => deliver({ response, signal: clientGoneSignal(response) }));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, next };
}

const closed = (response: ServerResponse) => new Promise((resolve) => (response.closed ? resolve(undefined) : response.once('close', resolve)));

describe('clientGoneSignal', () => {
  it('aborts, and calls each listener once, when the client goes away before the answer', async () => {
    const { url, next } = await serve();
    const controller = new AbortController();
    const request = fetch(url, { signal: controller.signal }).catch(() => undefined);
    const { response, signal } = await next;
    expect(signal.aborted).toBe(false);
    const calls: string[] = [];
    const removed = () => calls.push('removed');
    signal.addEventListener('abort', () => calls.push('first'), { once: true });
    signal.addEventListener('abort', removed, { once: true });
    signal.addEventListener('abort', () => calls.push('second'), { once: true });
    signal.removeEventListener('abort', removed);
    controller.abort();
    await request;
    await closed(response);
    expect(signal.aborted).toBe(true);
    expect(calls).toEqual(['first', 'second']);
    response.emit('close');
    expect(calls).toEqual(['first', 'second']);
  });

  it('does not abort when the answer was written to its end (close follows every response)', async () => {
    const { url, next } = await serve();
    const request = fetch(url).then((r) => r.text());
    const { response, signal } = await next;
    let called = false;
    signal.addEventListener('abort', () => (called = true), { once: true });
    response.end('done');
    expect(await request).toBe('done');
    await closed(response);
    expect(signal.aborted).toBe(false);
    expect(called).toBe(false);
  });

  it('is aborted for a statement that only asks after the client went away', async () => {
    const { url, next } = await serve();
    const controller = new AbortController();
    const request = fetch(url, { signal: controller.signal }).catch(() => undefined);
    const { response, signal } = await next;
    controller.abort();
    await request;
    await closed(response);
    expect(signal.aborted).toBe(true);
  });
});
