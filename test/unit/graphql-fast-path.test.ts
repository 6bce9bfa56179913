import { GraphQLError, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { describe, expect, it } from 'vitest';
import { GraphQLFastPath } from '../../server/http/graphql-fast-path';
import type { Logger } from '../../server/log';

const logged: string[] = [];
const log: Logger = { debug() {}, info() {}, warn() {}, error: (message, fields) => void logged.push(`${message} ${JSON.stringify(fields)}`) };
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      ok: { type: GraphQLString, resolve: () => 'fine' },
      bug: { type: GraphQLString, resolve: () => { throw new Error('select * from secret_table failed'); } },
      told: { type: GraphQLString, resolve: () => { throw new GraphQLError('you asked for too much', { extensions: { code: 'BAD_USER_INPUT' } }); } },
    },
  }),
});
const run = (body: unknown) => new GraphQLFastPath(log).run(schema, Buffer.from(JSON.stringify(body)), {});

describe('GraphQLFastPath', () => {
  it('executes and keeps errors raised on purpose', async () => {
    expect(JSON.parse((await run({ query: '{ ok told }' }))!)).toEqual({
      data: { ok: 'fine', told: null },
      errors: [{ message: 'you asked for too much', locations: [{ line: 1, column: 6 }], path: ['told'], extensions: { code: 'BAD_USER_INPUT' } }],
    });
  });

  it('masks unexpected errors and logs them instead', async () => {
    const text = (await run({ query: '{ bug }' }))!;
    expect(text).not.toContain('secret_table');
    expect(JSON.parse(text).errors[0]).toMatchObject({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(logged.join('\n')).toContain('secret_table');
  });

  it('leaves everything unusual to graphql-yoga', async () => {
    for (const body of [{ query: '{ nope }' }, { query: '{' }, { query: 1 }, [], { query: '{ ok }', variables: [] }, { query: '{ ok }', extensions: {} }, { query: 'subscription { ok }' }]) {
      expect(await run(body)).toBeNull();
    }
  });
});
