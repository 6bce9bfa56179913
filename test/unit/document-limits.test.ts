import { createHash } from 'node:crypto';
import { LazydbError } from '../../server/errors/lazydb-error';
import { testContext, testPipeline } from '../helpers/pipeline';
import {
  buildSchema as buildSDL,
  graphql,
  parse,
  specifiedRules,
  validate,
  type GraphQLError,
  type GraphQLSchema,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config';
import { GraphQLFastPath, JIT } from '../../server/http/graphql-fast-path';

import { postgresDialect } from '../../server/introspect/postgres';
import type { Logger } from '../../server/log';
import { COMPILED_BYTES_PER_SELECTION, DocumentCache, documentKey } from '../../server/plugins/document-cache';
import {
  checkVariableLists,
  checkVariablesDepth,
  countSelections,
  DEFAULT_DOCUMENT_LIMITS,
  documentLimitsOf,
  inValuesRule,
  parseWithinLimits,
  type DocumentLimits,
} from '../../server/plugins/use-document-limits';
import { compileStatement } from '../../server/sql/fragment';
import { aliasCounter, MAX_STATEMENT_BINDINGS, whereCondition, type FilterScope } from '../../server/query/filter';
import { parseListParams } from '../../server/rest/params';
import { buildSchema } from '../../server/schema/build';
import { nameModel } from '../../server/schema/naming';
import type { DataSource, NestedRead } from '../../server/schema/source';
import { emptySource, hardCaseModel } from '../helpers/model';

const limits: DocumentLimits = { ...DEFAULT_DOCUMENT_LIMITS };
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const pipeline = testPipeline(silent);

/** `fragment F1 on <type> { <fields> ...F2 ...F2 }` … `depth` deep: expands to 2^depth − 1 copies of `fields`. */
function fanOut(depth: number, type = 'artist', fields = 'name', root = '{ artist(limit: 1) { ...F1 } }'): string {
  const fragments = Array.from({ length: depth }, (_, i) =>
    i === depth - 1 ? `fragment F${i + 1} on ${type} { ${fields} }` : `fragment F${i + 1} on ${type} { ${fields} ...F${i + 2} ...F${i + 2} }`,
  );
  return `${root}\n${fragments.join('\n')}`;
}

/** `{"_and":[{"_and":[ … {"name":{"_eq":"x"}} … ]}]}`, `levels` deep. */
function deepAnd(levels: number): Record<string, unknown> {
  let where: Record<string, unknown> = { name: { _eq: 'x' } };
  for (let i = 0; i < levels; i++) where = { _and: [where] };
  return where;
}

function thrown(work: () => unknown): GraphQLError | LazydbError {
  try {
    work();
  } catch (error) {
    return error as GraphQLError;
  }
  throw new Error('expected an error');
}

function codeOf(error: GraphQLError | LazydbError): unknown {
  return error instanceof LazydbError ? error.code : error.extensions.code;
}

describe('the document limits', () => {
  it('match the configuration defaults', () => {
    expect(documentLimitsOf(loadConfig({}))).toEqual(DEFAULT_DOCUMENT_LIMITS);
  });

  it('count a fragment fan-out without expanding it, and refuse it in milliseconds', () => {
    const text = fanOut(30);
    const started = performance.now();
    // The root field plus F1..F30: fragment k holds 1 field and spreads k+1 twice.
    expect(countSelections(parse(text))).toBe(1 + (2 ** 30 - 1));
    const error = thrown(() => parseWithinLimits(text, limits));
    expect(performance.now() - started).toBeLessThan(100);
    expect(codeOf(error)).toBe('TOO_MANY_SELECTIONS');
    expect(error.message).toContain('1073741824');
    expect(error.message).toContain('LAZYDB_MAX_SELECTIONS');
    expect(error.message).toContain('10000');
  });

  it('count as a plain walk would on documents without repetition, and count cycles and unused fragments safely', () => {
    expect(countSelections(parse('{ a { b c { d } } ... on Query { e } }'))).toBe(5);
    expect(countSelections(parse('query A { a ...F } query B { b } fragment F on Query { c d }'))).toBe(4);
    // A cycle is refused by validation later; here it must only terminate.
    expect(countSelections(parse('{ ...A } fragment A on Query { a ...B } fragment B on Query { b ...A }'))).toBe(2);
    // A fan-out in a fragment no operation uses is still counted.
    expect(countSelections(parse(`{ a }\n${fanOut(20, 'Query', 'x', '').trim()}`))).toBe(2 ** 20 - 1);
  });

  it('refuse too many tokens before parsing', () => {
    const error = thrown(() => parseWithinLimits(`{ ${'a '.repeat(100)}}`, { ...limits, maxTokens: 50 }));
    expect(codeOf(error)).toBe('TOO_MANY_TOKENS');
    expect(error.message).toContain('LAZYDB_MAX_TOKENS');
    expect(error.message).toContain('50');
  });

  it('refuse literals and selections nested too deep before graphql-js parses them (which would overflow its stack)', () => {
    const literal = `{ artist(where: ${'{_and: ['.repeat(1000)}{name: {_eq: "x"}}${']}'.repeat(1000)}) { name } }`;
    const error = thrown(() => parseWithinLimits(literal, limits));
    expect(codeOf(error)).toBe('INPUT_TOO_DEEP');
    expect(error.message).toContain('LAZYDB_MAX_INPUT_DEPTH');
    expect(error.message).toContain('32');
    const selections = `{ ${'a { '.repeat(3000)}b${' }'.repeat(3000)} }`;
    expect(codeOf(thrown(() => parseWithinLimits(selections, limits)))).toBe('QUERY_TOO_DEEP');
    // Within the bound, the same shapes parse.
    expect(parseWithinLimits(`{ artist(where: ${'{_and: ['.repeat(10)}{name: {_eq: "x"}}${']}'.repeat(10)}) { name } }`, limits).selections).toBe(2);
  });

  it('leave syntax errors to graphql-js, with its own message', () => {
    const error = thrown(() => parseWithinLimits('{ artist { ', limits));
    expect(error.message).toMatch(/^Syntax Error/);
    expect(codeOf(error)).toBeUndefined();
  });

  it('refuse deep JSON variables without recursing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const error = checkVariablesDepth({ ok: { a: [1] }, w: deep }, limits);
    expect(error?.extensions.code).toBe('INPUT_TOO_DEEP');
    expect(error?.message).toContain('$w');
    expect(checkVariablesDepth({ w: deepAnd(15) }, limits)).toBeUndefined();
    expect(checkVariablesDepth({ w: deepAnd(16) }, limits)?.extensions.code).toBe('INPUT_TOO_DEEP');
  });

  const typed = buildSDL(`
    scalar JSON
    input Cmp { _eq: Int _in: [Int!] _nin: [Int!] }
    input Exp { _and: [Exp!] id: Cmp doc: JSON }
    type Query { rows(where: Exp): Int }
  `);

  it('refuse long _in lists in variables, where the schema has such a list only', () => {
    const document = parse('query ($w: Exp) { rows(where: $w) }');
    const values = Array.from({ length: 10_001 }, (_, i) => i);
    const error = checkVariableLists(typed, document, undefined, { w: { _and: [{ id: { _in: values } }] } }, limits);
    expect(error?.extensions.code).toBe('TOO_MANY_VALUES');
    expect(error?.message).toContain('id._in lists 10001 values');
    expect(error?.message).toContain('LAZYDB_MAX_IN_VALUES');
    expect(checkVariableLists(typed, document, undefined, { w: { id: { _nin: values.slice(1) } } }, limits)).toBeUndefined();
    // A JSON value is data, not a filter, whatever its keys.
    expect(checkVariableLists(typed, document, undefined, { w: { doc: { _in: values } } }, limits)).toBeUndefined();
  });

  it('judge variable lists per operation and schema when one document is asked with several (what is walked is remembered per document)', () => {
    const document = parse('query A($n: Int) { rows } query B($w: Exp) { rows(where: $w) }');
    const values = Array.from({ length: 10_001 }, (_, i) => i);
    const long = { n: 1, w: { id: { _in: values } } };
    expect(checkVariableLists(typed, document, 'A', long, limits)).toBeUndefined();
    expect(checkVariableLists(typed, document, 'B', long, limits)?.extensions.code).toBe('TOO_MANY_VALUES');
    expect(checkVariableLists(typed, document, 'A', long, limits)).toBeUndefined();
    // Another schema where Exp has no _in list: the same document, judged against it.
    const other = buildSDL(`input Exp { id: Int } type Query { rows(where: Exp): Int }`);
    expect(checkVariableLists(other, document, 'B', long, limits)).toBeUndefined();
    expect(checkVariableLists(typed, document, 'B', long, limits)?.extensions.code).toBe('TOO_MANY_VALUES');
  });

  it('refuse long literal _in lists during validation', () => {
    const list = Array.from({ length: 11 }, (_, i) => i).join(', ');
    const errors = validate(typed, parse(`{ rows(where: {id: {_in: [${list}]}, doc: {_in: [${list}]}}) }`), [...specifiedRules, inValuesRule({ ...limits, maxInValues: 10 })]);
    expect(errors.map((e) => [e.extensions.code, e.message.slice(0, 24)])).toEqual([['TOO_MANY_VALUES', 'id._in lists 11 values; ']]);
  });
});

describe('the selection walk (server/schema/selection.ts)', () => {
  /** A data source that answers one artist with one album, and records what it was asked to read. */
  function recording(): { source: DataSource; asked: string[] } {
    const asked: string[] = [];
    const describe = (columns: { field: string }[], nested: NestedRead[] = []): string =>
      `${columns.map((c) => c.field).join(',')}[${nested.map((n) => `${n.key}:${describe(n.columns, n.nested)}`).join(';')}]`;
    const source: DataSource = {
      readsNested: true,
      list: async (table, _args, columns, _context, nested) => {
        asked.push(`${table.typeName} ${describe(columns, nested)}`);
        return table.typeName === 'artist' ? [{ artist_id: 1, name: 'AC/DC' }] : [];
      },
      byKey: async () => null,
      count: async () => 0,
      related: async () => null,
      relatedList: async (relation, _parent, _args, columns) => {
        asked.push(`${relation.field} ${describe(columns)}`);
        return [{ album_id: 1, title: 'For Those About To Rock', artist_id: 1 }];
      },
      insert: async () => [],
      update: async () => [],
      delete: async () => [],
    };
    return { source, asked };
  }

  it('follows each fragment once per merged selection: a 24-deep fan-out is read as the plain query is', async () => {
    const plain = recording();
    const fanned = recording();
    const run = async (schema: GraphQLSchema, source: string) => {
      const result = await graphql({ schema, source, contextValue: {} });
      expect(result.errors).toBeUndefined();
      return result.data;
    };
    const plainSchema = buildSchema(nameModel(hardCaseModel()), plain.source, { maxLimit: 10 });
    const fannedSchema = buildSchema(nameModel(hardCaseModel()), fanned.source, { maxLimit: 10 });
    const expected = await run(plainSchema, '{ artist { name albums { title } } }');
    const started = performance.now();
    const data = await run(fannedSchema, fanOut(24, 'artist', 'name albums { title }', '{ artist { ...F1 } }'));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(data).toEqual(expected);
    expect(fanned.asked).toEqual(plain.asked);
  });
});

describe('the document cache', () => {
  it('keeps entries within its byte budget, least recently used out first, and never keys by text', () => {
    const cache = new DocumentCache(1000);
    cache.set('a', 'A', 400);
    cache.set('b', 'B', 400);
    expect(cache.get('a')).toBe('A');
    cache.set('c', 'C', 400);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual(['A', undefined, 'C']);
    expect(cache.bytes).toBe(800);
    cache.grow('a', 300);
    expect([cache.get('a'), cache.get('c'), cache.bytes]).toEqual([undefined, 'C', 400]);
    cache.set('huge', 'H', 1001);
    expect([cache.get('huge'), cache.bytes]).toEqual([undefined, 400]);
    const key = documentKey('Op', 'x'.repeat(100_000));
    expect(key.length).toBeLessThan(50);
    expect(documentKey('Op', 'x')).not.toBe(documentKey('Opx', ''));
    expect(documentKey(undefined, 'x')).not.toBe(documentKey('', 'x'));
  });

  it('keeps the least-recently-used order when the same entry is asked for over and over', () => {
    const cache = new DocumentCache(1000);
    cache.set('a', 'A', 300);
    cache.set('b', 'B', 300);
    // 'b' is the newest already; asking for it again and again changes nothing…
    for (let i = 0; i < 3; i++) expect(cache.get('b')).toBe('B');
    // …asking for 'a' makes it the newest, then asking for 'b' again makes 'b' the newest once more.
    expect(cache.get('a')).toBe('A');
    expect(cache.get('b')).toBe('B');
    cache.set('c', 'C', 300);
    cache.set('d', 'D', 300);
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.get('d')]).toEqual([undefined, 'B', 'C', 'D']);
    // A deleted newest entry set again is the newest (and the oldest goes first after it).
    cache.delete('d');
    cache.set('d', 'D', 300);
    cache.set('e', 'E', 300);
    expect([cache.get('b'), cache.get('c'), cache.get('d'), cache.get('e')]).toEqual([undefined, 'C', 'D', 'E']);
  });

  it('gives the same key for the same parts, remembered or not, and the sha256 of the length-prefixed parts', () => {
    const expected = createHash('sha256').update('2;Op').update('1;x').digest('base64url');
    expect(documentKey('Op', 'x')).toBe(expected);
    expect(documentKey('Op', 'x')).toBe(expected);
    expect(documentKey(undefined, 'x')).toBe(createHash('sha256').update('-;1;x').digest('base64url'));
    const long = 'y'.repeat(5000);
    expect(documentKey(long)).toBe(createHash('sha256').update(`5000;${long}`).digest('base64url'));
    // Past the remembered keys' bound the map starts afresh; keys stay the same.
    for (let i = 0; i < 600; i++) documentKey(`{ f${i} }`);
    expect(documentKey('Op', 'x')).toBe(expected);
  });

  it('bounds the fast path: 300 unique documents leave at most the budget behind', async () => {
    const schema = buildSDL('type Query { echo(text: String): String }');
    schema.getQueryType()!.getFields().echo!.resolve = (_: unknown, args: { text: string }) => args.text;
    const budget = 512 * 1024;
    const cache = new DocumentCache(budget);
    const path = new GraphQLFastPath(pipeline, { cache });
    let kept = 0;
    for (let i = 0; i < 300; i++) {
      // ~20 KB and ~450 tokens each: about 180 KB estimated, so only a few are kept.
      const fields = Array.from({ length: 50 }, (_, j) => `f${j}: echo(text: "${i}-${'x'.repeat(400)}")`).join(' ');
      const text = await path.run(schema, Buffer.from(JSON.stringify({ query: `{ ${fields} }` })), testContext(pipeline));
      expect(JSON.parse(text!).data.f49).toMatch(new RegExp(`^${i}-x+$`));
      expect(cache.bytes).toBeLessThanOrEqual(budget);
      kept = Math.max(kept, cache.size);
    }
    expect(kept).toBeGreaterThan(1);
    expect(kept).toBeLessThan(5);
    expect(path.cachedBytes).toBe(cache.bytes);
  });

  it('compiles a document with graphql-jit only when it comes back, and never one too large', async () => {
    const schema = buildSDL('type Query { echo(text: String): String }');
    schema.getQueryType()!.getFields().echo!.resolve = (_: unknown, args: { text: string }) => args.text;
    const cache = new DocumentCache(64 * 1024 * 1024);
    const path = new GraphQLFastPath(pipeline, { cache });
    const bytesAfterRuns = async (query: string, runs: number) => {
      const bytes: number[] = [];
      for (let i = 0; i < runs; i++) {
        expect(JSON.parse((await path.run(schema, Buffer.from(JSON.stringify({ query })), testContext(pipeline)))!).data.a).toBe('x');
        bytes.push(cache.bytes);
      }
      return bytes;
    };
    const [first, second, third] = await bytesAfterRuns('{ a: echo(text: "x") b: echo(text: "y") }', 3);
    // Unique documents (values written into the text) never reach graphql-jit, whose compilations V8 keeps long after.
    expect(second! - first!).toBe(2 * COMPILED_BYTES_PER_SELECTION);
    expect(third).toBe(second);
    const large = await bytesAfterRuns(`{ a: echo(text: "x") b: echo(text: "${'y'.repeat(JIT.maxText)}") }`, 2);
    expect(large[1]).toBe(large[0]);
  });

  it('leaves documents beyond a limit to yoga, quickly, and remembers them', async () => {
    const schema = buildSchema(nameModel(hardCaseModel()), emptySource(), { maxLimit: 10 });
    const path = new GraphQLFastPath(pipeline);
    const body = Buffer.from(JSON.stringify({ query: fanOut(30) }));
    const started = performance.now();
    expect(await path.run(schema, body, testContext(pipeline))).toBeNull();
    expect(await path.run(schema, body, testContext(pipeline))).toBeNull();
    expect(performance.now() - started).toBeLessThan(100);
    const deep = Buffer.from(JSON.stringify({ query: 'query ($w: artist_bool_exp) { artist(where: $w) { name } }', variables: { w: deepAnd(1000) } }));
    expect(await path.run(schema, deep, testContext(pipeline))).toBeNull();
  });

});

describe('the filter compiler (server/query/filter.ts)', () => {
  const artist = nameModel(hardCaseModel()).tables.find((t) => t.typeName === 'artist')!;
  const scope = (nextAlias = aliasCounter()): FilterScope => ({ quirks: postgresDialect.quirks, table: artist, qualifier: ['artist'], nextAlias });
  const sql = (where: Record<string, unknown>, inScope = scope()) => {
    const statement = compileStatement(whereCondition(where, inScope)!, postgresDialect.statements);
    return { sql: statement.text, bindings: statement.values };
  };

  it('refuses a filter nested a thousand deep instead of overflowing the stack', () => {
    const error = thrown(() => sql(deepAnd(1000)));
    expect(codeOf(error)).toBe('INPUT_TOO_DEEP');
    expect(sql(deepAnd(20)).bindings).toEqual(['x']);
  });

  it('refuses filters that would bind more values in one statement than any engine takes', () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => i);
    expect(sql({ artist_id: { _in: ids(10_000) } }).bindings).toHaveLength(10_000);
    // Several lists in one filter: each below LAZYDB_MAX_IN_VALUES, together above what PostgreSQL's protocol can count.
    const error = thrown(() => sql({ _or: [{ artist_id: { _in: ids(10_000) } }, { artist_id: { _in: ids(10_000) } }, { artist_id: { _nin: ids(10_001) } }] }));
    expect(codeOf(error)).toBe('TOO_MANY_VALUES');
    expect(error.message).toContain(String(MAX_STATEMENT_BINDINGS));
    // The filters of one statement (its own and its nested reads') share the budget.
    const statement = scope();
    sql({ artist_id: { _in: ids(20_000) } }, statement);
    expect(codeOf(thrown(() => sql({ artist_id: { _in: ids(10_001) } }, statement)))).toBe('TOO_MANY_VALUES');
  });
});

describe('REST where= (server/rest/params.ts)', () => {
  const artist = nameModel(hardCaseModel()).tables.find((t) => t.typeName === 'artist')!;
  const params = (where: unknown, whereLimits?: Pick<DocumentLimits, 'maxInputDepth' | 'maxInValues'>) =>
    parseListParams(artist, new URLSearchParams({ where: JSON.stringify(where) }), whereLimits);

  it('refuses a where nested too deep, and long _in lists, with 400 and a stable code', () => {
    const deep = thrown(() => params(deepAnd(1000))) as LazydbError;
    expect([deep.status, deep.code]).toEqual([400, 'INPUT_TOO_DEEP']);
    expect(deep.message).toContain('LAZYDB_MAX_INPUT_DEPTH');
    const long = thrown(() => params({ _or: [{ artist_id: { _in: [1, 2, 3] } }] }, { maxInputDepth: 32, maxInValues: 2 })) as LazydbError;
    expect([long.status, long.code]).toEqual([400, 'TOO_MANY_VALUES']);
    expect(long.message).toContain('artist_id._in lists 3 values');
    expect(params(deepAnd(5)).where).toEqual(deepAnd(5));
  });
});
