import { parse, type GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { composeGateway } from '../../server/gateway/compose';
import { checkBatch, yogaBatching } from '../../server/plugins/use-batch-limit';
import { DEFAULT_DOCUMENT_LIMITS, parseWithinLimits } from '../../server/plugins/use-document-limits';
import { AliasAndDirectiveCounter } from '../../server/plugins/use-alias-limits';
import { checkOperationCost, estimateOperation, useQueryCost, type CostLimits } from '../../server/plugins/use-query-cost';
import { parseListParams } from '../../server/rest/params';
import { buildSchema } from '../../server/schema/build';
import { nameModel } from '../../server/schema/naming';
import type { DataSource } from '../../server/schema/source';
import { column, model, table } from '../helpers/model';
import { testContext, testPipeline } from '../helpers/pipeline';

/** Chinook's shape: artist <- album <- track -> genre. */
function chinookModel() {
  const id = (name: string) => column(name, 'int', { nullable: false, autoIncrement: true, hasDefault: true });
  const fk = (name: string, from: string, to: string) => ({ name, columns: [from], refSchema: 'public', refTable: to, refColumns: [from] });
  return model([
    table('artist', [id('artist_id'), column('name', 'string')], { primaryKey: ['artist_id'] }),
    table('album', [id('album_id'), column('title', 'string'), column('artist_id', 'int', { nullable: false })], {
      primaryKey: ['album_id'],
      foreignKeys: [fk('album_artist_fk', 'artist_id', 'artist')],
    }),
    table('genre', [id('genre_id'), column('name', 'string')], { primaryKey: ['genre_id'] }),
    table('track', [id('track_id'), column('name', 'string'), column('milliseconds', 'int'), column('album_id', 'int'), column('genre_id', 'int')], {
      primaryKey: ['track_id'],
      foreignKeys: [fk('track_album_fk', 'album_id', 'album'), fk('track_genre_fk', 'genre_id', 'genre')],
    }),
  ]);
}

const named = nameModel(chinookModel());
const source = {} as DataSource;
const schema = buildSchema(named, source, { maxLimit: 1000 });
const defaults: CostLimits = { maxDepth: DEFAULT_DOCUMENT_LIMITS.maxDepth, maxCost: DEFAULT_DOCUMENT_LIMITS.maxCost, maxLimit: 1000 };

const estimate = (query: string, variables?: Record<string, unknown>, operationName?: string) => {
  const found = estimateOperation(schema, parse(query), operationName, variables, { maxLimit: 1000, maxDepth: 10 });
  return found && { depth: found.depth, rows: found.rows };
};
const refusal = (query: string, variables?: Record<string, unknown>, limits: CostLimits = defaults) => checkOperationCost(schema, parse(query), undefined, variables, limits);

// The benchmark's workloads (bench/lib/workloads.ts) as lazydb is asked them.
const W1 = 'query ($id: Int!) { track_by_pk(track_id: $id) { track_id name milliseconds } }';
const W2 = 'query ($offset: Int!) { track(limit: 20, offset: $offset, order_by: [{track_id: asc}]) { track_id name } }';
const W3 = 'query ($id: Int!) { artist_by_pk(artist_id: $id) { artist_id name albums(order_by: [{album_id: asc}]) { album_id title tracks(order_by: [{track_id: asc}]) { track_id name genre { genre_id name } } } } }';
const W4 = '{ album(order_by: [{album_id: asc}]) { album_id title tracks(order_by: [{track_id: asc}]) { track_id name milliseconds } } }';

describe('the query cost and depth (use-query-cost)', () => {
  it('multiplies each list by its limit along the path, the default page where none is given, and sums over the fields', () => {
    expect(estimate('{ artist { name } }')).toEqual({ depth: 1, rows: 1000 });
    expect(estimate('{ artist(limit: 10) { albums(limit: 5) { title } } }')).toEqual({ depth: 2, rows: 10 + 50 });
    // artist { albums { tracks } } with default pages: 1000 + 1000² + 1000³.
    expect(estimate('{ artist { albums { tracks { name } } } }')).toEqual({ depth: 3, rows: 1_001_001_000 });
    expect(refusal('{ artist { albums { tracks { name } } } }')?.extensions).toEqual({ code: 'QUERY_TOO_COSTLY', http: { spec: true, status: 400 } });
    expect(refusal('{ artist { albums { tracks { name } } } }')?.message).toMatch(
      /estimated to read up to 1001001000 rows .*at most 5000000 are allowed \(LAZYDB_MAX_COST\)/,
    );
    // A client can always say how much it wants.
    expect(refusal('{ artist(limit: 10) { albums(limit: 10) { tracks(limit: 100) { name } } } }')).toBeUndefined();
  });

  it('lets the benchmark workloads through with the defaults, W3 and W4 included', () => {
    expect(estimate(W1, { id: 1 })).toEqual({ depth: 1, rows: 1 });
    expect(estimate(W2, { offset: 0 })).toEqual({ depth: 1, rows: 20 });
    // by key 1, albums 1,000, tracks 1,000,000, one genre per track.
    expect(estimate(W3, { id: 1 })).toEqual({ depth: 4, rows: 2_001_001 });
    expect(estimate(W4)).toEqual({ depth: 2, rows: 1_001_000 });
    for (const query of [W1, W2, W3, W4]) expect(refusal(query, { id: 1, offset: 0 })).toBeUndefined();
  });

  it('counts _by_pk, object relations and aggregates as one row each, and reads limit from variables or their defaults', () => {
    expect(estimate('{ track_by_pk(track_id: 1) { genre { name } album { artist { name } } } }')).toEqual({ depth: 3, rows: 4 });
    expect(estimate('{ track_aggregate { aggregate { count } } }')).toEqual({ depth: 1, rows: 1 });
    expect(estimate('query ($n: Int) { artist(limit: $n) { name } }', { n: 7 })).toEqual({ depth: 1, rows: 7 });
    expect(estimate('query ($n: Int = 3) { artist(limit: $n) { name } }', {})).toEqual({ depth: 1, rows: 3 });
    expect(estimate('query ($n: Int) { artist(limit: $n) { name } }', { n: null })).toEqual({ depth: 1, rows: 1000 });
    // Mutations: returning is a list of rows (the default page: how many rows a where matches is not known).
    expect(estimate('mutation { delete_track(where: {}) { affected_rows returning { genre { name } } } }')).toEqual({ depth: 2, rows: 2000 });
  });

  it('refuses a limit above LAZYDB_MAX_LIMIT before anything runs, literal or variable, with LIMIT_TOO_LARGE', () => {
    for (const [query, variables] of [
      ['{ artist { albums(limit: 1001) { title } } }', undefined],
      ['query ($n: Int) { artist(limit: $n) { name } }', { n: 5000 }],
    ] as const) {
      const error = refusal(query, variables);
      expect(error?.extensions.code).toBe('LIMIT_TOO_LARGE');
      expect(error?.message).toMatch(/limit \d+ is above the maximum page size of 1000 \(LAZYDB_MAX_LIMIT\)/);
    }
  });

  it('counts relation levels for the depth, not the gateway namespace, and follows fragments once each', () => {
    /** `artist { albums(limit: 1) { … title } }`, `pairs` times nested: 2 relation levels each. */
    const chain = (pairs: number) => {
      let selection = 'title';
      for (let i = 0; i < pairs; i++) selection = `artist { albums(limit: 1) { ${selection} } }`;
      return selection;
    };
    // album -> artist -> albums -> artist ...: 1 + 2 × 5 = 11 relation levels.
    const deep = `{ album(limit: 1) { ${chain(5)} } }`;
    expect(estimate(deep)?.depth).toBe(11);
    const error = refusal(deep);
    expect(error?.extensions.code).toBe('QUERY_TOO_DEEP');
    expect(error?.message).toContain('nests 11 relation levels; at most 10 are allowed (LAZYDB_MAX_DEPTH)');
    expect(refusal(`{ album(limit: 1) { ${chain(4)} } }`)).toBeUndefined();

    const gateway = composeGateway([{ name: 'shop', schema: buildSchema(named, source, { maxLimit: 1000, typePrefix: 'shop_' }) }]);
    const inGateway = estimateOperation(gateway, parse('{ shop { artist(limit: 2) { albums(limit: 3) { title } } } _databases }'), undefined, {}, { maxLimit: 1000, maxDepth: 10 });
    expect(inGateway).toEqual({ depth: 2, rows: 2 + 6, variableLimits: false });

    // 30 fragments each spreading the next twice: 2^30 paths, measured once per fragment; the walk stops past the depth.
    const fragments = Array.from({ length: 30 }, (_, i) =>
      i === 29 ? `fragment F${i + 1} on album { title }` : `fragment F${i + 1} on album { title artist { albums(limit: 1) { ...F${i + 2} } } ...F${i + 2} }`,
    );
    const started = performance.now();
    const fanned = estimate(`{ album(limit: 1) { ...F1 } }\n${fragments.join('\n')}`);
    expect(performance.now() - started).toBeLessThan(50);
    expect(fanned!.depth).toBe(Number.POSITIVE_INFINITY);
    expect(refusal(`{ album(limit: 1) { ...F1 } }\n${fragments.join('\n')}`)?.message).toContain('nests more than 13 relation levels; at most 10');
  });

  it('merges fields selected more than once, directly or through fragments, as graphql-js executes them', () => {
    const plain = estimate('{ artist { albums { title } } }');
    expect(plain).toEqual({ depth: 2, rows: 1000 + 1000 * 1000 });
    expect(estimate('{ artist { albums { title } albums { album_id } } artist { name } }')).toEqual(plain);
    // The document-limits fan-out: 2^11 − 1 copies of `albums` under artist, one read.
    const fragments = Array.from({ length: 11 }, (_, i) =>
      i === 10 ? `fragment F${i + 1} on artist { name albums { title } }` : `fragment F${i + 1} on artist { name albums { title } ...F${i + 2} ...F${i + 2} }`,
    );
    expect(estimate(`{ artist { ...F1 } }\n${fragments.join('\n')}`)).toEqual(plain);
    // Different aliases are different reads.
    expect(estimate('{ artist { a: albums { title } b: albums { title } } }')).toEqual({ depth: 2, rows: 1000 + 2 * 1000 * 1000 });
  });

  it('remembers a judgement per document unless a limit came from the variables', () => {
    const small = { ...defaults, maxCost: 100_000 };
    const document = parse('query ($n: Int) { artist(limit: $n) { albums(limit: $n) { title } } }');
    expect(checkOperationCost(schema, document, undefined, { n: 1000 }, small)?.extensions.code).toBe('QUERY_TOO_COSTLY');
    expect(checkOperationCost(schema, document, undefined, { n: 10 }, small)).toBeUndefined();
    expect(checkOperationCost(schema, document, undefined, { n: 1001 }, small)?.extensions.code).toBe('LIMIT_TOO_LARGE');
    expect(checkOperationCost(schema, document, undefined, {}, small)?.extensions.code).toBe('QUERY_TOO_COSTLY');
    const fixed = parse('{ artist { albums { tracks { name } } } }');
    const first = checkOperationCost(schema, fixed, undefined, {}, defaults);
    expect(checkOperationCost(schema, fixed, undefined, {}, defaults)).toBe(first);
    // Other limits, another judgement.
    expect(checkOperationCost(schema, fixed, undefined, {}, { ...defaults, maxCost: 2_000_000_000 })).toBeUndefined();
  });

  it('adds the estimate of each operation it lets run to the context, from the cache too, and nothing for a refused one', () => {
    const plugin = useQueryCost(defaults);
    const context = testContext(testPipeline());
    const run = (query: string, variables: Record<string, unknown> = {}) => plugin.onExecute!({ schema, document: parse(query), operationName: undefined, variables }, context);
    expect(run('{ artist(limit: 3) { albums(limit: 2) { title } } }')).toBeUndefined();
    expect(context.estimatedRows).toBe(3 + 3 * 2);
    const cached = parse('{ artist_by_pk(artist_id: 1) { name } }');
    for (let i = 0; i < 2; i++) plugin.onExecute!({ schema, document: cached, operationName: undefined, variables: {} }, context);
    expect(context.estimatedRows).toBe(9 + 2);
    expect(run('{ artist { albums { tracks { name } } } }')?.extensions.code).toBe('QUERY_TOO_COSTLY');
    expect(run('query ($n: Int) { artist(limit: $n) { name } }', { n: 7 })).toBeUndefined();
    expect(context.estimatedRows).toBe(11 + 7);
  });

  it('remembers a judgement per value of the limit variables, and judges each new value', () => {
    const small = { ...defaults, maxCost: 100_000 };
    const document = parse('query ($n: Int, $m: Int = 5, $offset: Int) { artist(limit: $n, offset: $offset) { albums(limit: $m) { title } } }');
    const judge = (variables: unknown) => checkOperationCost(schema, document, undefined, variables, small)?.extensions.code;
    for (let i = 0; i < 2; i++) {
      expect(judge({ n: 20, offset: i })).toBeUndefined();
      expect(judge({ n: 1000, m: 1000, offset: i })).toBe('QUERY_TOO_COSTLY');
      expect(judge({ n: 1000, offset: i })).toBeUndefined();
      // Absent is not null: $m's default (5) against the default page (1000) for null.
      expect(judge({ n: 1000, m: null })).toBe('QUERY_TOO_COSTLY');
      expect(judge({ n: 1001 })).toBe('LIMIT_TOO_LARGE');
      expect(judge({})).toBeUndefined();
      expect(judge({ n: null })).toBeUndefined();
      expect(judge({ n: '1000', m: 1000 })).toBe('QUERY_TOO_COSTLY');
    }
    // Past the values kept, still judged.
    for (let n = 0; n < 40; n++) expect(judge({ n, m: 1000 })).toBe(n * 1000 + n > 100_000 ? 'QUERY_TOO_COSTLY' : undefined);
  });

  it('judges the operation chosen by name', () => {
    const document = 'query Small { artist(limit: 1) { name } } query Big { artist { albums { tracks { name } } } }';
    expect(checkOperationCost(schema, parse(document), 'Small', {}, defaults)).toBeUndefined();
    expect(checkOperationCost(schema, parse(document), 'Big', {}, defaults)?.extensions.code).toBe('QUERY_TOO_COSTLY');
  });
});

describe('aliases and directives (use-alias-limits, counted by the token scan)', () => {
  const limits = { ...DEFAULT_DOCUMENT_LIMITS, maxAliases: 3, maxDirectives: 2 };
  const refusalOf = (text: string, within = limits) => {
    try {
      parseWithinLimits(text, within, [() => new AliasAndDirectiveCounter(within)]);
    } catch (error) {
      return error as GraphQLError;
    }
    return undefined;
  };

  it('counts aliases over the document, not argument or variable colons, naming the limit', () => {
    expect(refusalOf('query ($a: Int = 1, $b: Int) { a: artist(limit: $a, where: {name: {_eq: "x"}}) { b: name } c: album { title } }')).toBeUndefined();
    const error = refusalOf('{ a: artist { b: name } c: album { d: title } }');
    expect(error?.extensions).toEqual({ code: 'TOO_MANY_ALIASES', http: { spec: true, status: 400 } });
    expect(error?.message).toContain('uses more than 3 aliases (LAZYDB_MAX_ALIASES)');
  });

  it('counts directives per field, spread, inline fragment and operation, not across them', () => {
    expect(refusalOf('query ($x: Boolean!) @a @b { artist @include(if: $x) @skip(if: $x) { name @include(if: $x) @skip(if: $x) ...F @a @b ... on Query @a @b { x } } } fragment F on artist @a @b { name }')).toBeUndefined();
    for (const text of [
      'query ($x: Boolean!) { artist { name @include(if: $x) @skip(if: $x) @a } }',
      '{ ...F @a @b @c } fragment F on Query { x }',
      '{ ... on Query @a(x: 1) @b @c { x } }',
      'query @a @b @c { x }',
    ]) {
      const error = refusalOf(text);
      expect([text, error?.extensions?.code]).toEqual([text, 'TOO_MANY_DIRECTIVES']);
      expect(error?.message).toContain('carries 3 directives; at most 2 are allowed on one field (LAZYDB_MAX_DIRECTIVES)');
    }
  });

  it('refuses 10,000 aliases after the 101st, before anything is parsed, in milliseconds', () => {
    const many = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: artist_by_pk(artist_id: ${i}) { name }`).join(' ')} }`;
    const text = many(10_000);
    const started = performance.now();
    const error = refusalOf(text, { ...DEFAULT_DOCUMENT_LIMITS, maxTokens: 200_000 });
    expect(performance.now() - started).toBeLessThan(20);
    expect(error?.extensions.code).toBe('TOO_MANY_ALIASES');
    expect(refusalOf(many(100), DEFAULT_DOCUMENT_LIMITS)).toBeUndefined();
    expect(refusalOf(many(101), DEFAULT_DOCUMENT_LIMITS)?.extensions.code).toBe('TOO_MANY_ALIASES');
  });
});

describe('operations per batch (use-batch-limit)', () => {
  it('refuses every array body while batching is off, and arrays beyond the limit when it is on', () => {
    expect(yogaBatching({ maxBatch: 1 })).toBe(false);
    expect(checkBatch(1, { maxBatch: 1 })?.message).toContain('batching is off (LAZYDB_MAX_BATCH is 1)');
    expect(checkBatch(1000, { maxBatch: 1 })?.extensions).toEqual({ code: 'TOO_MANY_OPERATIONS', http: { status: 400 } });
    expect(yogaBatching({ maxBatch: 10 })).toEqual({ limit: 10 });
    expect(checkBatch(10, { maxBatch: 10 })).toBeNull();
    expect(checkBatch(11, { maxBatch: 10 })?.message).toContain('batch (a JSON array) of 11 operations; at most 10 are allowed in one request (LAZYDB_MAX_BATCH)');
  });
});
