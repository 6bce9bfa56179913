import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config';
import type { RequestContext } from '../../server/pipeline/context';
import { Pipeline } from '../../server/pipeline/pipeline';
import type { LazydbPlugin } from '../../server/pipeline/plugin';
import { documentLimitsOf } from '../../server/plugins/use-document-limits';

describe('the context-built hooks may wait', () => {
  const request = () => {
    const message = new IncomingMessage(new Socket());
    message.method = 'GET';
    message.url = '/graphql';
    return message;
  };
  const pipelineOf = (plugins: LazydbPlugin[]) => new Pipeline(plugins, documentLimitsOf(loadConfig({})));

  it('returns nothing to await when no hook returns a promise', () => {
    const ran: string[] = [];
    const pipeline = pipelineOf([{ name: 'a', onContext: () => void ran.push('a') }, { name: 'b', onContext: () => void ran.push('b') }]);
    const message = request();
    const context = pipeline.context(message, new ServerResponse(message), '/graphql');
    expect(pipeline.contextBuilt(context, new ServerResponse(message))).toBeUndefined();
    expect(ran).toEqual(['a', 'b']);
  });

  it('runs the hooks after one that waits only once it is done, in order, and passes its refusal on', async () => {
    const ran: string[] = [];
    let release!: () => void;
    const pipeline = pipelineOf([
      { name: 'sync', onContext: () => void ran.push('sync') },
      { name: 'waits', onContext: () => new Promise<void>((resolve) => (release = () => (ran.push('waited'), resolve()))) },
      { name: 'after', onContext: (context: RequestContext) => void ran.push(`after ${context.path}`) },
    ]);
    const message = request();
    const response = new ServerResponse(message);
    const pending = pipeline.contextBuilt(pipeline.context(message, response, '/graphql'), response);
    expect(pending).toBeInstanceOf(Promise);
    expect(ran).toEqual(['sync']);
    release();
    await pending;
    expect(ran).toEqual(['sync', 'waited', 'after /graphql']);

    const refusing = pipelineOf([{ name: 'refuses', onContext: async () => Promise.reject(new Error('no')) }, { name: 'never', onContext: () => void ran.push('never') }]);
    await expect(refusing.contextBuilt(refusing.context(message, response, '/graphql'), response)).rejects.toThrow('no');
    expect(ran).not.toContain('never');
  });

  it('closes every plugin that holds something', async () => {
    const closed: string[] = [];
    await pipelineOf([{ name: 'a', close: () => void closed.push('a') }, { name: 'b' }, { name: 'c', close: async () => void closed.push('c') }]).close();
    expect(closed).toEqual(['a', 'c']);
  });
});
