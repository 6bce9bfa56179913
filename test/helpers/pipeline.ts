import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { loadConfig } from '../../server/config';
import type { Logger } from '../../server/log';
import type { RequestContext } from '../../server/pipeline/context';
import { Pipeline } from '../../server/pipeline/pipeline';
import { lazydbPlugins } from '../../server/plugins';
import { documentLimitsOf } from '../../server/plugins/use-document-limits';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** lazydb's own pipeline, with every plugin, from the environment `env` (defaults otherwise), logging to `log`. */
export function testPipeline(log: Logger = quiet, env: Record<string, string> = {}): Pipeline {
  const config = loadConfig({ LAZYDB_LOG_LEVEL: 'silent', ...env });
  return new Pipeline(lazydbPlugins(config, log), documentLimitsOf(config), log);
}

/** A request's context as the app builds it, for a request that no socket carries (a unit test's). */
export function testContext(pipeline: Pipeline, path = '/graphql'): RequestContext {
  const request = new IncomingMessage(new Socket());
  request.method = 'POST';
  request.url = path;
  return pipeline.context(request, new ServerResponse(request), path);
}
