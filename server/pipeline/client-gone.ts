import type { ServerResponse } from 'node:http';
import type { CancelSignal } from '../schema/source';

/**
 * A signal that aborts when the connection of `response` closes before the response was
 * written to its end: the client has gone away (closed the tab, timed out, cancelled the fetch).
 * The query layer then cancels the request's statements on the server instead of running them
 * to an end nobody waits for. `close` also comes after a finished response: that is no abort.
 */
export function clientGoneSignal(response: ServerResponse): CancelSignal {
  return new ClientGone(response);
}

/**
 * Not an AbortController: every request asks for its signal, and creating an AbortSignal (an
 * EventTarget) and listening on it cost tens of µs per by-key read. This one reads the
 * response's own state, and listens on the response only once a statement listens on it.
 * As with an AbortSignal, a listener added after the abort is not called: callers check
 * `aborted` first (see server/query/runner.ts).
 */
class ClientGone implements CancelSignal {
  private listeners: (() => void)[] | undefined;

  constructor(private readonly response: ServerResponse) {}

  get aborted(): boolean {
    return this.response.closed && !this.response.writableFinished;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.listeners === undefined) {
      this.listeners = [];
      this.response.once('close', () => this.closed());
    }
    this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners?.indexOf(listener) ?? -1;
    if (at >= 0) this.listeners!.splice(at, 1);
  }

  private closed(): void {
    if (this.response.writableFinished) return;
    // Each listener once (as with `{ once: true }`), in the order they were added.
    const listeners = this.listeners!;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}
