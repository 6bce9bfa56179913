import type { LazydbPlugin } from '../pipeline/plugin';

/**
 * Every answer says which request it was (`X-Request-Id`): the client's own id when it sent a
 * sane one (see requestIdOf), else the one lazydb made. Masked errors name it, and every log
 * line about the request carries it, so a report can be matched to the log.
 */
export function useRequestId(): LazydbPlugin {
  return {
    name: 'request-id',
    // First of all: a request refused by the guards that follow still says which one it was.
    onRequest(_request, response, context) {
      response.setHeader('x-request-id', context.requestId);
    },
  };
}
