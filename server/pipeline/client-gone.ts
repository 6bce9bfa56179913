import type { ServerResponse } from 'node:http';

/**
 * A signal that aborts when the connection of `response` closes before the response was
 * written to its end: the client has gone away (closed the tab, timed out, cancelled the fetch).
 * The query layer then cancels the request's statements on the server instead of running them
 * to an end nobody waits for. `close` also comes after a finished response: that is no abort.
 */
export function clientGoneSignal(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}
