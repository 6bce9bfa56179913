import simpleRestProvider from 'ra-data-simple-rest';
import { describe, expect, it } from 'vitest';
import type { FieldInfo, ResourceInfo } from '../../admin/src/model';
import { capabilities } from '../../admin/src/model';
import {
  changedValues,
  escapeLike,
  filterQuery,
  idParts,
  listParams,
  orderByParam,
  quickSearch,
  recordId,
  recordPath,
  toRecord,
  toRow,
  translateRequest,
  translateResponse,
  type TranslatedRequest,
} from '../../admin/src/rest/adapter';

function field(name: string, kind: FieldInfo['kind'], extra: Partial<FieldInfo> = {}): FieldInfo {
  return {
    name,
    column: name,
    kind,
    sqlType: kind,
    nullable: true,
    hasDefault: false,
    autoIncrement: false,
    generated: false,
    withTimeZone: false,
    writable: true,
    required: false,
    length: null,
    enumValues: null,
    comment: null,
    ...extra,
  };
}

function resource(name: string, primaryKey: string[], fields: FieldInfo[], extra: Partial<ResourceInfo> = {}): ResourceInfo {
  return {
    name,
    schema: 'public',
    table: name,
    kind: 'table',
    comment: null,
    writable: true,
    primaryKey,
    rest: `/db/demo/rest/${name}`,
    // As the server describes a writable table: every write offered, the by-key ones when it has a key.
    graphql: {
      list: name,
      aggregate: `${name}_aggregate`,
      byPk: primaryKey.length > 0 ? `${name}_by_pk` : null,
      insert: `insert_${name}`,
      insertOne: `insert_${name}_one`,
      update: `update_${name}`,
      updateByPk: primaryKey.length > 0 ? `update_${name}_by_pk` : null,
      delete: `delete_${name}`,
      deleteByPk: primaryKey.length > 0 ? `delete_${name}_by_pk` : null,
    },
    fields,
    relations: [],
    ...extra,
  };
}

const book = resource('book', ['book_id'], [
  field('book_id', 'int', { nullable: false, hasDefault: true, autoIncrement: true }),
  field('title', 'string', { nullable: false, required: true }),
  field('author_id', 'int', { nullable: false, required: true }),
  field('price', 'decimal'),
  field('in_stock', 'boolean', { nullable: false, hasDefault: true }),
  field('published', 'date'),
  field('details', 'json'),
  field('status', 'enum', { enumValues: ['new', 'paid'] }),
  field('doubled', 'int', { generated: true, writable: false }),
]);
const albumTag = resource('album_tag', ['album_id', 'tag'], [field('album_id', 'int', { nullable: false }), field('tag', 'string', { nullable: false }), field('weight', 'int')]);
const eventLog = resource('event_log', [], [field('happened_at', 'datetime'), field('level', 'string'), field('message', 'string')]);
const coded = resource('coded', ['code'], [field('code', 'string', { nullable: false }), field('id', 'int'), field('limit', 'int')]);
const plainId = resource('user_data', ['id'], [field('id', 'int', { nullable: false }), field('label', 'string')]);
const view = resource('album_with_artist', [], [field('album_id', 'int'), field('title', 'string')], { kind: 'view', writable: false });

const tables = new Map([book, albumTag, eventLog, coded, plainId, view].map((r) => [r.name, r]));
const lookup = (name: string) => tables.get(name);
const API = 'http://host/db/demo/rest';

describe('record ids', () => {
  it('uses the key value itself for a one-column key, so foreign-key values match it', () => {
    expect(recordId(book, { book_id: 7, title: 'x' })).toBe(7);
    expect(toRecord(book, { book_id: 7, title: 'x' })).toEqual({ book_id: 7, title: 'x', id: 7 });
    expect(toRecord(plainId, { id: 3, label: 'a' })).toEqual({ id: 3, label: 'a' });
  });

  it('joins the parts of a composite key, URL-encoded, with ~ and splits them back', () => {
    const id = recordId(albumTag, { album_id: 1, tag: 'rock/pop ~ 100%' });
    expect(id).toBe('1~rock%2Fpop%20%7E%20100%25');
    expect(idParts(albumTag, id!)).toEqual(['1', 'rock/pop ~ 100%']);
    expect(recordPath(albumTag, id!)).toBe('album_tag/1/rock%2Fpop%20~%20100%25');
    expect(() => idParts(albumTag, '1')).toThrow(/expected 2 parts/);
  });

  it('gives key-less rows placeholder ids from their position', () => {
    expect(toRecord(eventLog, { level: 'info' }, 30).id).toBe('row:30');
    expect(() => idParts(eventLog, 'row:1')).toThrow(/no primary key/);
  });

  it('moves a real id column aside when it is not the key', () => {
    const record = toRecord(coded, { code: 'A', id: 5 });
    expect(record).toEqual({ code: 'A', __id: 5, id: 'A' });
    expect(toRow(coded, { ...record, __id: 6 }, 'create')).toEqual({ code: 'A', id: 6 });
  });
});

describe('writing rows', () => {
  it('sends writable columns only and lets defaults fill empty ones on create', () => {
    const row = toRow(book, { id: 1, book_id: null, title: 'T', author_id: 2, in_stock: '', doubled: 4, price: '', extra: 1 }, 'create');
    expect(row).toEqual({ title: 'T', author_id: 2, price: null });
  });

  it('never sends the key on update and keeps empty strings for text', () => {
    expect(toRow(book, { book_id: 9, title: '', published: '' }, 'update')).toEqual({ title: '', published: null });
  });

  it('keeps only what an edit changed', () => {
    const previous = { id: 1, book_id: 1, title: 'A', price: '9.5', details: { a: [1] }, published: null };
    const data = { id: 1, book_id: 1, title: 'B', price: 9.5, details: { a: [1, 2] }, published: '' };
    expect(changedValues(data, previous)).toEqual({ title: 'B', details: { a: [1, 2] } });
    expect(changedValues({ title: 'A' }, undefined)).toEqual({ title: 'A' });
  });
});

describe('list parameters', () => {
  it('maps sort to order_by with the key as tie-breaker, and id to the key', () => {
    expect(orderByParam(book, ['title', 'DESC'])).toBe('title.desc,book_id.asc');
    expect(orderByParam(book, ['id', 'DESC'])).toBe('book_id.desc');
    expect(orderByParam(albumTag, ['id', 'ASC'])).toBe('album_id.asc,tag.asc');
    expect(orderByParam(albumTag, ['weight', 'ASC'])).toBe('weight.asc,album_id.asc,tag.asc');
    expect(orderByParam(eventLog, ['id', 'ASC'])).toBeNull();
    expect(orderByParam(coded, ['__id', 'DESC'])).toBe('id.desc,code.asc');
    expect(orderByParam(book, ['gone', 'ASC'])).toBe('book_id.asc');
  });

  it('maps range to limit and offset', () => {
    const params = listParams(book, { range: [50, 74], sort: ['title', 'ASC'] });
    expect(params.get('limit')).toBe('25');
    expect(params.get('offset')).toBe('50');
    expect(params.get('order_by')).toBe('title.asc,book_id.asc');
  });

  it('sends simple equalities as plain parameters and the rest as one where', () => {
    const { plain, where } = filterQuery(book, { author_id: 2, 'price@_gte': '10', 'price@_lte': '20', 'title@_contains': '50%_off', status: ['new', 'paid'], unknown: 1 });
    expect(plain).toEqual([['author_id', '2']]);
    expect(where).toEqual({
      _and: [
        { price: { _gte: '10' } },
        { price: { _lte: '20' } },
        { title: { _ilike: '%50\\%\\_off%' } },
        { status: { _in: ['new', 'paid'] } },
      ],
    });
  });

  it('types numbers and booleans, and handles NULL', () => {
    expect(filterQuery(book, { 'author_id@_gt': '3' }).where).toEqual({ author_id: { _gt: 3 } });
    expect(filterQuery(book, { 'in_stock@_eq': 'true' }).plain).toEqual([['in_stock', 'true']]);
    expect(filterQuery(book, { 'published@_is_null': true }).where).toEqual({ published: { _is_null: true } });
    expect(filterQuery(book, { published: null }).where).toEqual({ published: { _is_null: true } });
    expect(filterQuery(book, { title: '' })).toEqual({ plain: [], where: null });
  });

  it('filters a column whose name is a list parameter through where', () => {
    expect(filterQuery(coded, { limit: 5 })).toEqual({ plain: [], where: { limit: { _eq: 5 } } });
  });

  it('turns id lists (getMany) into key conditions', () => {
    expect(filterQuery(book, { id: [1, 2] }).where).toEqual({ book_id: { _in: [1, 2] } });
    expect(filterQuery(book, { id: ['3'] }).where).toEqual({ book_id: { _eq: 3 } });
    expect(filterQuery(albumTag, { id: ['1~rock', '2~a%7Eb'] }).where).toEqual({
      _or: [{ _and: [{ album_id: { _eq: 1 } }, { tag: { _eq: 'rock' } }] }, { _and: [{ album_id: { _eq: 2 } }, { tag: { _eq: 'a~b' } }] }],
    });
  });

  it('quick search looks in text columns, and numeric columns for a number', () => {
    expect(quickSearch(book, 'war')).toEqual({ title: { _ilike: '%war%' } });
    expect(quickSearch(book, '12')).toEqual({
      _or: [{ book_id: { _eq: 12 } }, { title: { _ilike: '%12%' } }, { author_id: { _eq: 12 } }, { price: { _eq: '12' } }, { doubled: { _eq: 12 } }],
    });
    expect(quickSearch(book, 'paid')).toEqual({ _or: [{ title: { _ilike: '%paid%' } }, { status: { _eq: 'paid' } }] });
    expect(quickSearch(book, '  ')).toBeNull();
    expect(escapeLike('a\\b')).toBe('a\\\\b');
  });
});

describe('requests', () => {
  it('rewrites a list request and gives rows ids', () => {
    const url = `${API}/book?filter=${encodeURIComponent('{"q":"emma"}')}&range=${encodeURIComponent('[25,49]')}&sort=${encodeURIComponent('["title","ASC"]')}`;
    const request = translateRequest(API, url, 'GET', undefined, lookup);
    const parsed = new URL(request.url);
    expect(parsed.pathname).toBe('/db/demo/rest/book');
    expect(Object.fromEntries(parsed.searchParams)).toEqual({ where: '{"title":{"_ilike":"%emma%"}}', order_by: 'title.asc,book_id.asc', limit: '25', offset: '25' });
    expect(translateResponse(request, [{ book_id: 4 }])).toEqual([{ book_id: 4, id: 4 }]);
  });

  it('maps a composite id to key path segments and PUT to PATCH with the changed columns', () => {
    const request = translateRequest(API, `${API}/album_tag/${encodeURIComponent('1~hard%20rock')}`, 'PUT', JSON.stringify({ id: '1~hard%20rock', album_id: 1, weight: 3 }), lookup);
    expect(request).toMatchObject({ url: `${API}/album_tag/1/hard%20rock`, method: 'PATCH', body: '{"weight":3}' });
    expect(translateResponse(request, { album_id: 1, tag: 'hard rock', weight: 3 })).toEqual({ album_id: 1, tag: 'hard rock', weight: 3, id: '1~hard%20rock' });
  });

  it('refuses unknown tables', () => {
    expect(() => translateRequest(API, `${API}/nope`, 'GET', undefined, lookup)).toThrow(/unknown table "nope"/);
  });
});

describe('through ra-data-simple-rest itself', () => {
  /** simple-rest with our translation as its httpClient, answering from canned rows. */
  function provider(answer: (request: TranslatedRequest) => { json: unknown; total?: number }) {
    const seen: TranslatedRequest[] = [];
    const client = async (url: string, options: { method?: string; body?: unknown } = {}) => {
      const request = translateRequest(API, url, options.method ?? 'GET', options.body as string | undefined, lookup);
      seen.push(request);
      const { json, total } = answer(request);
      const headers = new Headers(total !== undefined ? { 'x-total-count': String(total) } : {});
      return { status: 200, headers, body: JSON.stringify(json), json: translateResponse(request, json) };
    };
    return { dp: simpleRestProvider(API, client, 'X-Total-Count'), seen };
  }

  it('getList, getOne, getMany, getManyReference, update, delete', async () => {
    const rows = [{ album_id: 1, tag: 'rock', weight: 1 }, { album_id: 1, tag: 'live', weight: null }];
    const { dp, seen } = provider((r) => (r.shape === 'list' ? { json: rows, total: 7 } : { json: rows[0] }));

    const list = await dp.getList('album_tag', { pagination: { page: 2, perPage: 2 }, sort: { field: 'weight', order: 'DESC' }, filter: { 'weight@_gte': '1' } });
    expect(list.total).toBe(7);
    expect(list.data.map((r) => r.id)).toEqual(['1~rock', '1~live']);
    expect(seen.at(-1)!.url).toBe(`${API}/album_tag?where=${encodeURIComponent('{"weight":{"_gte":1}}')}&order_by=weight.desc%2Calbum_id.asc%2Ctag.asc&limit=2&offset=2`);

    const one = await dp.getOne('album_tag', { id: '1~rock' });
    expect(one.data.id).toBe('1~rock');
    expect(seen.at(-1)!.url).toBe(`${API}/album_tag/1/rock`);

    await dp.getMany('album_tag', { ids: ['1~rock'] });
    expect(new URL(seen.at(-1)!.url).searchParams.get('where')).toBe('{"_and":[{"album_id":{"_eq":1}},{"tag":{"_eq":"rock"}}]}');

    await dp.getManyReference('album_tag', { target: 'album_id', id: 1, pagination: { page: 1, perPage: 10 }, sort: { field: 'id', order: 'ASC' }, filter: {} });
    expect(seen.at(-1)!.url).toBe(`${API}/album_tag?album_id=1&order_by=album_id.asc%2Ctag.asc&limit=10&offset=0`);

    await dp.update('album_tag', { id: '1~rock', data: { weight: 5 }, previousData: { id: '1~rock', album_id: 1, tag: 'rock', weight: 1 } });
    expect(seen.at(-1)).toMatchObject({ method: 'PATCH', url: `${API}/album_tag/1/rock`, body: '{"weight":5}' });

    const removed = await dp.delete('album_tag', { id: '1~rock' });
    expect(seen.at(-1)).toMatchObject({ method: 'DELETE', url: `${API}/album_tag/1/rock` });
    expect(removed.data.id).toBe('1~rock');
  });

  it('create posts the row without the placeholder id', async () => {
    const { dp, seen } = provider(() => ({ json: { book_id: 10, title: 'New', author_id: 1 } }));
    const created = await dp.create('book', { data: { title: 'New', author_id: 1, book_id: '' } });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: `${API}/book`, body: '{"title":"New","author_id":1}' });
    expect(created.data.id).toBe(10);
  });
});

describe('capabilities', () => {
  it('says why views and key-less tables are read-only', () => {
    expect(capabilities(book)).toMatchObject({ open: true, create: true, edit: true, remove: true, reason: null });
    expect(capabilities(view)).toMatchObject({ open: false, create: false, edit: false });
    expect(capabilities(view).reason).toMatch(/view/);
    expect(capabilities(eventLog)).toMatchObject({ open: false, create: false, edit: false, remove: false });
    expect(capabilities(eventLog).reason).toMatch(/no primary key/);
  });
});
