import { graphql, GraphQLSchema, printSchema, validateSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { composeGateway, findGatewayClash } from '../../server/gateway/compose';
import { printSchemaInSlices } from '../../server/gateway/snapshot';
import { buildSchema } from '../../server/schema/build';
import { nameModel } from '../../server/schema/naming';
import type { DataSource, Row } from '../../server/schema/source';
import { column, hardCaseModel, model, table } from '../helpers/model';

/** Records what resolvers ask of the data source; returns canned rows. */
function recordingSource(rows: Row[] = []) {
  const calls: { method: string; args: unknown[] }[] = [];
  const record =
    (method: string, result: (...args: unknown[]) => unknown) =>
    async (...args: unknown[]) => {
      calls.push({ method, args });
      return result(...args);
    };
  const source: DataSource = {
    readsNested: false,
    list: record('list', () => rows) as DataSource['list'],
    byKey: record('byKey', () => rows[0] ?? null) as DataSource['byKey'],
    count: record('count', () => rows.length) as DataSource['count'],
    related: record('related', () => null) as DataSource['related'],
    relatedList: record('relatedList', () => []) as DataSource['relatedList'],
    insert: record('insert', (_t, objects) => objects) as DataSource['insert'],
    update: record('update', () => rows) as DataSource['update'],
    delete: record('delete', () => rows) as DataSource['delete'],
  };
  return { source, calls };
}

describe('buildSchema', () => {
  const named = nameModel(hardCaseModel());

  it('builds a valid schema with the Hasura-style fields', () => {
    const schema = buildSchema(named, recordingSource().source, { maxLimit: 100 });
    expect(validateSchema(schema)).toEqual([]);
    const query = schema.getQueryType()!.getFields();
    const mutation = schema.getMutationType()!.getFields();
    for (const f of ['artist', 'artist_by_pk', 'artist_aggregate', 'album_tag_by_pk', 'event_log', 'album_with_artist']) expect(query[f]).toBeDefined();
    for (const f of ['insert_artist', 'insert_artist_one', 'update_artist', 'update_artist_by_pk', 'delete_artist', 'delete_artist_by_pk']) {
      expect(mutation[f]).toBeDefined();
    }
    // key-less table: no by-key operations; view: no mutations
    expect(query.event_log_by_pk).toBeUndefined();
    expect(mutation.update_event_log_by_pk).toBeUndefined();
    expect(mutation.insert_event_log).toBeDefined();
    expect(mutation.insert_album_with_artist).toBeUndefined();
    // composite key arguments in key order
    expect(query.album_tag_by_pk!.args.map((a) => a.name)).toEqual(['album_id', 'tag']);
    const sdl = printSchema(schema);
    expect(sdl).toContain('enum Odd_Table_mood_enum');
    expect(sdl).toContain('input artist_bool_exp');
    expect(sdl).toMatch(/enum order_by \{\s+"""[^"]+"""\s+asc\b/);
  });

  it('passes arguments, pages and requested columns to the data source', async () => {
    const { source, calls } = recordingSource([{ artist_id: 1, name: 'AC/DC' }]);
    const schema = buildSchema(named, source, { maxLimit: 100 });
    const result = await graphql({
      schema,
      source: '{ artist(where: {name: {_like: "A%"}}, order_by: [{name: desc}], offset: 2) { name ...F } } fragment F on artist { artist_id }',
      contextValue: {},
    });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ artist: [{ name: 'AC/DC', artist_id: 1 }] });
    const [call] = calls;
    expect(call!.method).toBe('list');
    expect(call!.args[1]).toEqual({ where: { name: { _like: 'A%' } }, order_by: [{ name: 'desc' }], offset: 2, limit: 100 });
    expect((call!.args[2] as { field: string }[]).map((c) => c.field)).toEqual(['artist_id', 'name']);
  });

  it('refuses a limit above the maximum with a message that says what to do', async () => {
    const schema = buildSchema(named, recordingSource().source, { maxLimit: 100 });
    const result = await graphql({ schema, source: '{ artist(limit: 101) { name } }', contextValue: {} });
    expect(result.errors?.[0]?.message).toMatch(/above the maximum page size of 100.*offset/);
    expect(result.errors?.[0]?.extensions.code).toBe('LIMIT_TOO_LARGE');
  });

  it('rejects bad scalar input before reaching the database', async () => {
    const { source, calls } = recordingSource();
    const schema = buildSchema(nameModel(hardCaseModel()), source, { maxLimit: 100 });
    const result = await graphql({ schema, source: 'mutation { insert_transfer_one(object: {from_account: 1, to_account: 2, amount: "12,5"}) { transfer_id } }', contextValue: {} });
    expect(result.errors?.[0]?.message).toMatch(/Decimal must be a decimal number/);
    expect(calls).toHaveLength(0);
  });

  it('runs namespaced mutations one after another, in document order', async () => {
    const order: string[] = [];
    const { source } = recordingSource();
    source.insert = async (_table, objects) => {
      const name = String(objects[0]!.name);
      await new Promise((r) => setTimeout(r, name === 'first' ? 30 : 1));
      order.push(name);
      return objects;
    };
    const schema = composeGateway([{ name: 'shop', schema: buildSchema(named, source, { maxLimit: 100, typePrefix: 'shop_' }) }]);
    const result = await graphql({
      schema,
      source: 'mutation { shop { a: insert_artist_one(object: {name: "first"}) { name } b: insert_artist_one(object: {name: "second"}) { name } } }',
      contextValue: {},
    });
    expect(result.errors).toBeUndefined();
    expect(order).toEqual(['first', 'second']);
  });

  it('composes two databases with the same tables into one valid gateway', () => {
    const a = buildSchema(named, recordingSource().source, { maxLimit: 10, typePrefix: 'a_' });
    const b = buildSchema(named, recordingSource().source, { maxLimit: 10, typePrefix: 'b_' });
    const gateway = composeGateway([{ name: 'a', schema: a }, { name: 'b', schema: b }, { name: 'down', schema: null, unavailableReason: 'connection refused' }]);
    // The gateway is built with assumeValid (its parts are validated when built): prove it would pass.
    expect(validateSchema(new GraphQLSchema({ ...gateway.toConfig(), assumeValid: false }))).toEqual([]);
    expect(Object.keys(gateway.getQueryType()!.getFields())).toEqual(['a', 'b', 'down', '_databases']);
    expect(String(gateway.getQueryType()!.getFields().a!.type)).toBe('a_Query');
    expect(gateway.getType('a_artist')).toBeDefined();
    expect(gateway.getType('b_artist')).toBeDefined();
  });

  it('finds the databases whose gateway type names would collide, in either order, and composes without the later one', () => {
    const schemaOf = (tableName: string, prefix = '') =>
      buildSchema(nameModel(model([table(tableName, [column('id', 'int', { nullable: false })], { primaryKey: ['id'] })])), recordingSource().source, {
        maxLimit: 10,
        typePrefix: prefix,
      });
    // "a" + table b_c and "a_b" + table c both give a_b_c (and a_b_c_bool_exp, ...).
    expect(findGatewayClash('a_b', schemaOf('c'), [{ name: 'a', schema: schemaOf('b_c') }])).toEqual({ database: 'a', typeName: 'a_b_c' });
    expect(findGatewayClash('a', schemaOf('b_c'), [{ name: 'a_b', schema: schemaOf('c') }])).toEqual({ database: 'a_b', typeName: 'a_b_c' });
    // Names that only share a beginning, or tables that do not line up, cannot collide.
    expect(findGatewayClash('ab', schemaOf('c'), [{ name: 'a', schema: schemaOf('b_c') }])).toBeNull();
    expect(findGatewayClash('a_b', schemaOf('c'), [{ name: 'a', schema: schemaOf('c') }, { name: 'x', schema: null }])).toBeNull();

    const gateway = composeGateway([
      { name: 'a_b', schema: schemaOf('c', 'a_b_') },
      { name: 'a', schema: schemaOf('b_c', 'a_') },
    ]);
    expect(validateSchema(new GraphQLSchema({ ...gateway.toConfig(), assumeValid: false }))).toEqual([]);
    expect(String(gateway.getQueryType()!.getFields().a!.type)).toBe('a_Query');
    expect(String(gateway.getQueryType()!.getFields().a_b!.type)).toBe('_Unavailable');
    expect(gateway.getMutationType()!.getFields().a_b).toBeUndefined();
  });

  it('prints the SDL a slice of types at a time, the same text as printSchema', async () => {
    const tables = Array.from({ length: 60 }, (_, i) =>
      table(`t${i}`, [column('id', 'int', { nullable: false }), column('label', 'string'), column('parent_id', 'int')], {
        primaryKey: ['id'],
        foreignKeys: i > 0 ? [{ name: `t${i}_parent`, columns: ['parent_id'], refSchema: 'public', refTable: `t${i - 1}`, refColumns: ['id'] }] : [],
      }),
    );
    const many = buildSchema(nameModel(model(tables)), recordingSource().source, { maxLimit: 10 });
    expect(Object.keys(many.getTypeMap()).length).toBeGreaterThan(400);
    expect(await printSchemaInSlices(many)).toBe(printSchema(many));
    const prefixed = buildSchema(named, recordingSource().source, { maxLimit: 10, typePrefix: 'shop_' });
    expect(await printSchemaInSlices(prefixed)).toBe(printSchema(prefixed));
  });
});
