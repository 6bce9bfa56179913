import { graphql, printSchema, validateSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { LazydbError } from '../../server/errors/lazydb-error';
import { schemaAccessOf } from '../../server/permissions/access';
import type { PermissionDocument } from '../../server/permissions/document';
import { RoleViews, type RoleRules } from '../../server/permissions/role-views';
import { buildSchema } from '../../server/schema/build';
import { nameModel } from '../../server/schema/naming';
import type { DataSource, Row } from '../../server/schema/source';
import { hardCaseModel } from '../helpers/model';
import { testContext, testPipeline } from '../helpers/pipeline';

/** Answers canned rows (every column, hidden ones too: the schema must not pass them on) and records what it is asked. */
function cannedSource(rows: Row[]) {
  const calls: { method: string; args: unknown[] }[] = [];
  const answer =
    (method: string, result: () => unknown) =>
    async (...args: unknown[]) => {
      calls.push({ method, args });
      return result();
    };
  const source = {
    readsNested: false,
    list: answer('list', () => rows),
    byKey: answer('byKey', () => rows[0] ?? null),
    count: answer('count', () => rows.length),
    related: answer('related', () => null),
    relatedList: answer('relatedList', () => []),
    insert: answer('insert', () => rows),
    update: answer('update', () => rows),
    delete: answer('delete', () => rows),
  } as unknown as DataSource;
  return { source, calls };
}

const named = nameModel(hardCaseModel());

/** A reader of artists' names and albums' titles; may add albums (artist preset) and delete albums, never read artist_id. */
const READER: PermissionDocument = {
  artist: { select: { columns: ['name'], filter: {} } },
  album: {
    select: { columns: ['album_id', 'title'], filter: { artist: { name: { _eq: 'X-Lazydb-Artist' } } }, aggregate: true },
    insert: { columns: ['title', 'artist_id'], check: {}, set: { artist_id: 'X-Lazydb-Artist-Id' } },
    delete: { filter: {} },
  },
  event_log: { insert: { columns: '*', check: {} } },
};

function roleSchema(doc: PermissionDocument, source: DataSource = cannedSource([]).source) {
  return buildSchema(named, source, { maxLimit: 100, access: schemaAccessOf(doc, named) });
}

describe('a role schema', () => {
  const schema = roleSchema(READER);
  const sdl = printSchema(schema);

  it('is valid and has only what the rules allow', () => {
    expect(validateSchema(schema)).toEqual([]);
    const query = Object.keys(schema.getQueryType()!.getFields()).sort();
    const mutation = Object.keys(schema.getMutationType()!.getFields()).sort();
    // artist: its key is hidden, so no artist_by_pk; no aggregate without the flag.
    expect(query).toEqual(['album', 'album_aggregate', 'album_by_pk', 'artist']);
    // album: insert (and insert_one, since it reads albums), delete (and by key); no update rule.
    // event_log: insert without select: affected_rows only, no insert_one.
    expect(mutation).toEqual(['delete_album', 'delete_album_by_pk', 'insert_album', 'insert_album_one', 'insert_event_log']);
  });

  it('leaves hidden tables, columns and relations out of the printed SDL', () => {
    for (const absent of ['type employee', 'type transfer', 'type account', 'Odd_Table', 'album_tag', 'album_with_artist', 'type event_log ', 'artist_id', 'albums_aggregate', 'update_album']) {
      expect(sdl, absent).not.toContain(absent);
    }
    // Rows and filters of album only over its selectable columns and the relation to artist.
    expect(sdl).toMatch(/type album \{[^}]*album_id: Int![^}]*title: String![^}]*artist: artist[^}]*\}/);
    expect(sdl).toMatch(/input album_bool_exp \{[^}]*album_id: Int_comparison_exp[^}]*title: String_comparison_exp[^}]*artist: artist_bool_exp\s*\}/);
    expect(sdl).toMatch(/input artist_bool_exp \{\s*_and[^}]*name: String_comparison_exp\s+(\"\"\"[^\"]*\"\"\"\s*)?albums: album_bool_exp\s*\}/);
    // The insert input hides the preset column.
    expect(sdl).toMatch(/input album_insert_input \{\s*title: String!\s*\}/);
    // A mutation of a table the role cannot read answers no rows.
    expect(sdl).toMatch(/type event_log_mutation_response \{[^}]*affected_rows: Int!\s*\}/);
  });

  it('refuses a query on a hidden column as GraphQL refuses any unknown field, and never reads for it', async () => {
    const { source, calls } = cannedSource([]);
    const role = roleSchema(READER, source);
    for (const document of ['{ artist { artist_id } }', '{ artist(where: {artist_id: {_eq: 1}}) { name } }', '{ artist(order_by: {artist_id: asc}) { name } }', '{ employee { name } }', '{ album { album_tags { tag } } }', '{ artist { albums { artist_id } } }']) {
      const result = await graphql({ schema: role, source: document, contextValue: {} });
      expect(result.errors?.[0]?.message, document).toMatch(/Cannot query field|is not defined by type|Unknown type|Field "\w+" is not defined/);
    }
    expect(calls).toEqual([]);
  });

  it('answers only selectable columns, whatever the source returns', async () => {
    const { source } = cannedSource([{ artist_id: 7, name: 'AC/DC' }]);
    const result = await graphql({ schema: roleSchema(READER, source), source: '{ artist { name } }', contextValue: {} });
    expect(result).toEqual({ data: { artist: [{ name: 'AC/DC' }] } });
  });

  it('offers writes without reads: no rows back, and filters over no column', () => {
    const writer = roleSchema({ artist: { update: { columns: ['name'], filter: {} }, delete: { filter: {} } }, album: { update: { columns: ['album_id'], filter: {}, set: { album_id: 1 } } } });
    expect(validateSchema(writer)).toEqual([]);
    expect(Object.keys(writer.getQueryType()!.getFields())).toEqual(['_empty']);
    // album's only updatable column is preset: no update at all (an empty _set is no GraphQL type).
    expect(Object.keys(writer.getMutationType()!.getFields())).toEqual(['update_artist', 'delete_artist']);
    const printed = printSchema(writer);
    expect(printed).toMatch(/input artist_bool_exp \{\s*_and: \[artist_bool_exp!\]\s*_or: \[artist_bool_exp!\]\s*_not: artist_bool_exp\s*\}/);
    expect(printed).toMatch(/type artist_mutation_response \{\s*affected_rows: Int!\s*\}/);
    expect(printed).not.toMatch(/type artist \{|artist_id|album/);
  });

  it('a role with no rules gets a schema with nothing in it', () => {
    const empty = roleSchema({});
    expect(validateSchema(empty)).toEqual([]);
    expect(Object.keys(empty.getQueryType()!.getFields())).toEqual(['_empty']);
    expect(empty.getMutationType()).toBeUndefined();
  });

  it('leaves the full schema exactly as it is without access', () => {
    const full = buildSchema(named, cannedSource([]).source, { maxLimit: 100 });
    const everything = Object.fromEntries(named.tables.map((t) => [t.typeName, { select: { columns: '*', filter: {}, aggregate: true } }]));
    const readAll = buildSchema(named, cannedSource([]).source, { maxLimit: 100, access: schemaAccessOf(everything as PermissionDocument, named) });
    expect(Object.keys(readAll.getQueryType()!.getFields())).toEqual(Object.keys(full.getQueryType()!.getFields()));
    expect(printSchema(full)).toContain('update_album_by_pk');
  });
});

function rulesFrom(table: Map<string, RoleRules>) {
  return (database: string, role: string) => table.get(`${database}/${role}`) ?? null;
}

function views(rules: Map<string, RoleRules>, capacity?: number, source?: DataSource) {
  const built = { model: named.model, named, source: source ?? cannedSource([]).source };
  const roleViews = new RoleViews({ rules: rulesFrom(rules), sourceFactory: (base) => base, maxLimit: 100, capacity });
  return { built, roleViews };
}

describe('REST and OpenAPI of a role', () => {
  const rules = new Map([['shop/reader', { version: '1', document: READER }]]);

  it('lists only the role resources and columns in the OpenAPI document', () => {
    const { built, roleViews } = views(rules);
    const openapi = JSON.parse(roleViews.view('shop', built, 'reader')!.rest.openAPIText());
    expect(Object.keys(openapi.paths).sort()).toEqual(['/', '/album', '/album/{album_id}', '/artist']);
    expect(Object.keys(openapi.paths['/album'])).toEqual(['get', 'post']);
    expect(Object.keys(openapi.paths['/album/{album_id}'])).toEqual(['get', 'delete']);
    expect(Object.keys(openapi.components.schemas.album.properties).sort()).toEqual(['album_id', 'title']);
    expect(Object.keys(openapi.components.schemas.artist.properties)).toEqual(['name']);
    expect(Object.keys(openapi.components.schemas.album_insert_input.properties)).toEqual(['title']);
    const text = JSON.stringify(openapi);
    for (const hidden of ['artist_id', 'employee', 'Odd_Table', 'album_tag']) expect(text, hidden).not.toContain(hidden);
    // event_log is insert-only for this role: a GraphQL mutation, no REST resource (REST answers rows).
    expect(Object.keys(openapi.paths)).not.toContain('/event_log');
    // artist has no aggregate for this role: its total is not promised.
    expect(openapi.paths['/artist'].get.responses['200'].headers['X-Total-Count'].required).toBe(false);
    expect(openapi.paths['/album'].get.responses['200'].headers['X-Total-Count'].required).toBe(true);
  });

  async function get(roleViews: RoleViews, built: Parameters<RoleViews['view']>[1], path: string, search: Record<string, string>) {
    const pipeline = testPipeline();
    const api = roleViews.view('shop', built, 'reader')!.rest;
    return api.handle({ method: 'GET', path, search: new URLSearchParams(search), body: undefined, context: testContext(pipeline, `/db/shop/rest${path}`), pipeline });
  }

  async function refusal(promise: Promise<unknown>): Promise<LazydbError> {
    try {
      await promise;
    } catch (error) {
      return error as LazydbError;
    }
    throw new Error('expected a refusal');
  }

  it('refuses where=, order_by= and include= on hidden columns and relations with a 400, before reading', async () => {
    const { source, calls } = cannedSource([{ album_id: 1, title: 'x', artist_id: 3 }]);
    const { built, roleViews } = views(rules, undefined, source);
    const refused: Record<string, string>[] = [
      { where: JSON.stringify({ artist_id: { _eq: 1 } }) },
      { where: JSON.stringify({ artist: { artist_id: { _eq: 1 } } }) },
      { where: JSON.stringify({ album_tags: { tag: { _eq: 'x' } } }) },
      { order_by: 'artist_id.desc' },
      { order_by: JSON.stringify([{ artist_id: 'desc' }]) },
      { include: 'album_tags' },
      { artist_id: '1' },
    ];
    for (const search of refused) {
      const error = await refusal(get(roleViews, built, '/album', search));
      expect([error.status, error.code], JSON.stringify(search)).toEqual([400, 'BAD_PARAMETER']);
    }
    expect(calls).toEqual([]);
    // The same on what the role sees is served, with hidden columns left out of the rows.
    const served = await get(roleViews, built, '/album', { where: JSON.stringify({ artist: { name: { _eq: 'x' } } }), include: 'artist' });
    expect(served.status).toBe(200);
    expect(JSON.parse(served.body)).toEqual([{ album_id: 1, title: 'x', artist: null }]);
  });

  it('tells no total of a list it may not count', async () => {
    const rows = Array.from({ length: 3 }, (_, i) => ({ artist_id: i, name: `n${i}` }));
    const { source, calls } = cannedSource(rows);
    const { built, roleViews } = views(rules, undefined, source);
    const full = await get(roleViews, built, '/artist', { limit: '3' });
    expect(full.headers['content-range']).toBe('artist 0-2/*');
    expect(full.headers['x-total-count']).toBeUndefined();
    expect(calls.map((c) => c.method)).toEqual(['list']);
    // A short page tells the total itself.
    expect((await get(roleViews, built, '/artist', { limit: '5' })).headers['x-total-count']).toBe('3');
  });
});

describe('RoleViews', () => {
  it('builds a view once per (Built, role, version), swaps it when the version changes, and stays bounded', () => {
    const rules = new Map<string, RoleRules>();
    for (const role of ['a', 'b', 'c']) rules.set(`shop/${role}`, { version: '1', document: READER });
    const { built, roleViews } = views(rules, 2);
    const a = roleViews.view('shop', built, 'a')!;
    expect(roleViews.view('shop', built, 'a')).toBe(a);
    expect(roleViews.view('shop', built, 'nobody')).toBeNull();

    rules.set('shop/a', { version: '2', document: { artist: { select: { columns: '*', filter: {} } } } });
    const a2 = roleViews.view('shop', built, 'a')!;
    expect(a2).not.toBe(a);
    expect(a2.version).toBe('2');
    expect(printSchema(a2.schema)).toContain('artist_id');
    expect(roleViews.size).toBe(1);

    const b = roleViews.view('shop', built, 'b')!;
    roleViews.view('shop', built, 'c');
    expect(roleViews.size).toBe(2);
    // a was the least recently used: it is rebuilt; c and b are kept.
    expect(roleViews.view('shop', built, 'a')).not.toBe(a2);
    expect(roleViews.size).toBe(2);
    expect(roleViews.view('shop', built, 'b')).not.toBe(b);

    // A new Built (a schema change) is a new view.
    const changed = { ...built };
    expect(roleViews.view('shop', changed, 'c')).not.toBe(roleViews.view('shop', built, 'c'));
  });

  it('serves the rules that still fit and reports those that do not', () => {
    const dropped: unknown[] = [];
    const rules = new Map<string, RoleRules>([['shop/r', { version: '1', document: { artist: { select: { columns: ['name', 'born'], filter: {} } }, album: { select: { columns: '*', filter: {} } } } }]]);
    const roleViews = new RoleViews({ rules: rulesFrom(rules), sourceFactory: (base) => base, maxLimit: 100, onDropped: (...args) => dropped.push(args) });
    const view = roleViews.view('shop', { model: named.model, named, source: cannedSource([]).source }, 'r')!;
    expect(Object.keys(view.schema.getQueryType()!.getFields())).toEqual(['album', 'album_by_pk']);
    expect(dropped).toMatchObject([['shop', 'r', [{ table: 'artist', operation: 'select' }]]]);
  });

  it('hands the document served to the source factory and resolves through what it returns', async () => {
    const seen: PermissionDocument[] = [];
    const wrapped = cannedSource([{ name: 'from the wrapper' }]);
    const rules = new Map([['shop/r', { version: '1', document: READER }]]);
    const roleViews = new RoleViews({ rules: rulesFrom(rules), sourceFactory: (_base, document) => (seen.push(document), wrapped.source), maxLimit: 100 });
    const view = roleViews.view('shop', { model: named.model, named, source: cannedSource([]).source }, 'r')!;
    expect(seen).toEqual([READER]);
    expect(await graphql({ schema: view.schema, source: '{ artist { name } }', contextValue: {} })).toEqual({ data: { artist: [{ name: 'from the wrapper' }] } });
  });

  it('composes a gateway of the databases the role has rules for, cached until a version changes', () => {
    const rules = new Map<string, RoleRules>([
      ['shop/r', { version: '1', document: READER }],
      ['crm/r', { version: '1', document: { account: { select: { columns: ['owner'], filter: {} } } } }],
    ]);
    const { built, roleViews } = views(rules);
    const composition = [
      { name: 'shop', built },
      { name: 'crm', built },
      { name: 'hr', built },
    ];
    const gateway = roleViews.gateway(composition, 'r');
    expect(validateSchema(gateway)).toEqual([]);
    expect(Object.keys(gateway.getQueryType()!.getFields()).sort()).toEqual(['_databases', 'crm', 'shop']);
    const sdl = printSchema(gateway);
    expect(sdl).toContain('type crm_account');
    expect(sdl).not.toContain('crm_artist');
    expect(sdl).not.toContain('hr_');
    expect(roleViews.gateway(composition, 'r')).toBe(gateway);
    rules.set('crm/r', { version: '2', document: {} });
    const next = roleViews.gateway(composition, 'r');
    expect(next).not.toBe(gateway);
    expect(printSchema(next)).not.toContain('crm_account');
  });
});
