import { GraphQLError, GraphQLInputObjectType, GraphQLInt, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { describe, expect, it } from 'vitest';
import { GraphQLFastPath } from '../../server/http/graphql-fast-path';
import type { Logger } from '../../server/log';
import { testContext, testPipeline } from '../helpers/pipeline';

const logged: string[] = [];
const log: Logger = { debug() {}, info() {}, warn() {}, error: (message, fields) => void logged.push(`${message} ${JSON.stringify(fields)}`) };
const pipeline = testPipeline(log);
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
const run = (body: unknown) => new GraphQLFastPath(pipeline).run(schema, Buffer.from(JSON.stringify(body)), testContext(pipeline));

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

  it('runs mutation fields one after another and answers each request with its own variables', async () => {
    const order: string[] = [];
    const step = { type: GraphQLString, args: { name: { type: GraphQLString }, wait: { type: GraphQLInt } }, resolve: async (_: unknown, args: { name: string; wait: number }) => {
      await new Promise((done) => setTimeout(done, args.wait));
      order.push(args.name);
      return args.name;
    } };
    const writable = new GraphQLSchema({
      query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString, resolve: () => 'fine' } } }),
      mutation: new GraphQLObjectType({ name: 'Mutation', fields: { step } }),
    });
    const path = new GraphQLFastPath(pipeline);
    const query = 'mutation ($a: String, $b: String) { first: step(name: $a, wait: 30) second: step(name: $b, wait: 1) }';
    const first = await path.run(writable, Buffer.from(JSON.stringify({ query, variables: { a: 'a1', b: 'b1' } })), testContext(pipeline));
    const second = await path.run(writable, Buffer.from(JSON.stringify({ query, variables: { a: 'a2', b: 'b2' } })), testContext(pipeline));
    expect(JSON.parse(first!)).toEqual({ data: { first: 'a1', second: 'b1' } });
    expect(JSON.parse(second!)).toEqual({ data: { first: 'a2', second: 'b2' } });
    expect(order).toEqual(['a1', 'b1', 'a2', 'b2']);
  });

  it('answers operations whose variables are recursive input objects (which graphql-jit cannot coerce)', async () => {
    const filter: GraphQLInputObjectType = new GraphQLInputObjectType({
      name: 'Filter',
      fields: () => ({ eq: { type: GraphQLString }, and: { type: new GraphQLList(new GraphQLNonNull(filter)) } }),
    });
    const echoing = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: { echo: { type: GraphQLString, args: { filter: { type: filter } }, resolve: (_: unknown, args: { filter: unknown }) => JSON.stringify(args.filter) } },
      }),
    });
    const text = await new GraphQLFastPath(pipeline).run(
      echoing,
      Buffer.from(JSON.stringify({ query: 'query ($f: Filter) { echo(filter: $f) }', variables: { f: { and: [{ eq: 'x' }, { and: [] }] } } })), testContext(pipeline));
    expect(JSON.parse(text!)).toEqual({ data: { echo: JSON.stringify({ and: [{ eq: 'x' }, { and: [] }] }) } });
  });

  it('leaves everything unusual to graphql-yoga', async () => {
    for (const body of [{ query: '{ nope }' }, { query: '{' }, { query: 1 }, [], { query: '{ ok }', variables: [] }, { query: '{ ok }', extensions: {} }, { query: 'subscription { ok }' }]) {
      expect(await run(body)).toBeNull();
    }
  });
});
