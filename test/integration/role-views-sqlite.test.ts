import { graphql } from 'graphql';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LazydbError } from '../../server/errors/lazydb-error';
import { dialectModule } from '../../server/introspect';
import type { PermissionDocument } from '../../server/permissions/document';
import type { Principal } from '../../server/auth/principal';
import { PermissionedSource } from '../../server/permissions/restricted-source';
import { RoleViews, type RoleRules, type ViewBase } from '../../server/permissions/role-views';
import { KnexDataSource, type GuardedDataSource } from '../../server/query/engine';
import { nameModel } from '../../server/schema/naming';
import { createThrowawayDatabase, type ThrowawayDb } from '../helpers/databases';
import { RestContract } from '../helpers/openapi-contract';
import { testContext, testPipeline } from '../helpers/pipeline';

/**
 * A role's view over a real database (SQLite, always available): the role's schema and REST
 * run through the real query layer, with the full tables under the resolvers (hidden join
 * columns are still read to follow relations) and only the visible fields in the answers. The
 * sources are PermissionedSource, as the server wires them: "reader" sees every row (only its
 * schema is under test), "fan" has a session-variable filter.
 */
const SQL = `
create table artist (artist_id integer primary key, name text not null, secret text);
--;;
create table album (album_id integer primary key, title text not null, artist_id integer not null references artist (artist_id), price numeric);
--;;
insert into artist values (1, 'AC/DC', 's1'), (2, 'Accept', 's2');
--;;
insert into album values (10, 'Let There Be Rock', 1, 9.99), (11, 'Balls to the Wall', 2, 8.99), (12, 'Powerage', 1, 7.5);
`;

/** A fan sees the albums of the artist named by X-Lazydb-Artist, and that artist. */
const FAN: PermissionDocument = {
  artist: { select: { columns: ['name'], filter: { name: { _eq: 'X-Lazydb-Artist' } } } },
  album: { select: { columns: ['album_id', 'title'], filter: { artist: { name: { _eq: 'X-Lazydb-Artist' } } }, aggregate: true } },
};

function fan(artist: string): Principal {
  return { kind: 'jwt', id: artist, subject: artist, email: null, roles: ['fan'], role: 'fan', variables: { 'x-lazydb-role': 'fan', 'x-lazydb-artist': artist }, databases: null, limits: null };
}

const READER: PermissionDocument = {
  artist: { select: { columns: ['name'], filter: {} } },
  album: { select: { columns: ['album_id', 'title'], filter: {}, aggregate: true } },
};

describe('role views on SQLite', () => {
  let db: ThrowawayDb;
  let knex: Knex;
  let base: ViewBase<GuardedDataSource>;
  const rules = new Map<string, RoleRules>([
    ['shop/reader', { version: '1', document: READER }],
    ['shop/fan', { version: '1', document: FAN }],
  ]);
  const views = new RoleViews<GuardedDataSource>({
    rules: (database, role) => rules.get(`${database}/${role}`) ?? null,
    // As the server wires it: every role's reads and writes through its row rules.
    sourceFactory: (source, document) => new PermissionedSource(source, document),
    maxLimit: 100,
  });

  beforeAll(async () => {
    db = await createThrowawayDatabase('sqlite', { sql: SQL });
    const dialect = dialectModule(db.dialect);
    const spec = { name: 'shop', dialect: db.dialect, connection: db.connection };
    knex = knexFactory(dialect.knexConfig(spec, { connectTimeoutMs: 5000, poolMax: 2 }));
    const model = await dialect.introspect(knex, dialect.defaultSchemas(spec));
    base = { model, named: nameModel(model), source: new KnexDataSource(knex, dialect, 'shop', dialect.capabilitiesFor(model.serverVersion)) };
  });

  afterAll(async () => {
    await knex?.destroy();
    await db?.drop();
  });

  const view = () => views.view('shop', base, 'reader')!;

  async function rest(path: string, search: Record<string, string> = {}) {
    const pipeline = testPipeline();
    return view().rest.handle({ method: 'GET', path, search: new URLSearchParams(search), body: undefined, context: testContext(pipeline, `/db/shop/rest${path}`), pipeline });
  }

  it('answers GraphQL reads with the visible fields, following relations over hidden join columns', async () => {
    const result = await graphql({
      schema: view().schema,
      source: '{ album(order_by: {album_id: asc}) { title artist { name } } artist(where: {albums: {title: {_like: "Power%"}}}) { name albums(order_by: {title: asc}) { title } } }',
      contextValue: {},
    });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      album: [
        { title: 'Let There Be Rock', artist: { name: 'AC/DC' } },
        { title: 'Balls to the Wall', artist: { name: 'Accept' } },
        { title: 'Powerage', artist: { name: 'AC/DC' } },
      ],
      artist: [{ name: 'AC/DC', albums: [{ title: 'Let There Be Rock' }, { title: 'Powerage' }] }],
    });
    const hidden = await graphql({ schema: view().schema, source: '{ artist { secret } }', contextValue: {} });
    expect(hidden.errors?.[0]?.message).toContain('Cannot query field "secret"');
  });

  it('serves REST as the role sees it, every answer matching the role OpenAPI document', async () => {
    const contract = await RestContract.load(JSON.parse(view().rest.openAPIText()));
    const exchanges: [string, Record<string, string>][] = [
      ['/album', { include: 'artist', order_by: 'album_id', limit: '2' }],
      ['/album/11', {}],
      ['/artist', { order_by: 'name.desc' }],
    ];
    const bodies: unknown[] = [];
    for (const [path, search] of exchanges) {
      const reply = await rest(path, search);
      const query = new URLSearchParams(search).toString();
      const problems = contract.check({ method: 'GET', path: `${path}${query ? `?${query}` : ''}` }, { status: reply.status, headers: new Headers(reply.headers), text: reply.body });
      expect(problems, path).toEqual([]);
      bodies.push(JSON.parse(reply.body));
    }
    expect(bodies).toEqual([
      [
        { album_id: 10, title: 'Let There Be Rock', artist: { name: 'AC/DC' } },
        { album_id: 11, title: 'Balls to the Wall', artist: { name: 'Accept' } },
      ],
      { album_id: 11, title: 'Balls to the Wall' },
      [{ name: 'Accept' }, { name: 'AC/DC' }],
    ]);
    // album may be counted, artist not: its total is told only by a page that ends the rows.
    expect((await rest('/album', { limit: '1' })).headers['x-total-count']).toBe('3');
    expect((await rest('/artist', { limit: '1' })).headers['content-range']).toBe('artist 0-0/*');
  });

  it('runs a role through PermissionedSource: each principal its own rows, in GraphQL and REST alike', async () => {
    const fanView = views.view('shop', base, 'fan')!;
    const read = async (artist: string) => {
      const result = await graphql({ schema: fanView.schema, source: '{ album(order_by: {album_id: asc}) { title } album_aggregate { aggregate { count } } artist { name } }', contextValue: { lazydb: { principal: fan(artist), dataSource: (b: unknown) => b } } });
      expect(result.errors).toBeUndefined();
      return result.data;
    };
    expect(await read('AC/DC')).toEqual({ album: [{ title: 'Let There Be Rock' }, { title: 'Powerage' }], album_aggregate: { aggregate: { count: 2 } }, artist: [{ name: 'AC/DC' }] });
    expect(await read('Accept')).toEqual({ album: [{ title: 'Balls to the Wall' }], album_aggregate: { aggregate: { count: 1 } }, artist: [{ name: 'Accept' }] });
    const pipeline = testPipeline();
    const context = testContext(pipeline, '/db/shop/rest/album');
    context.principal = fan('Accept');
    const reply = await fanView.rest.handle({ method: 'GET', path: '/album', search: new URLSearchParams({ include: 'artist' }), body: undefined, context, pipeline });
    expect([reply.status, JSON.parse(reply.body), reply.headers['x-total-count']]).toEqual([200, [{ album_id: 11, title: 'Balls to the Wall', artist: { name: 'Accept' } }], '1']);
  });

  it('refuses hidden columns in where= with a 400, and has no routes for what the role may not do', async () => {
    for (const where of [{ secret: { _eq: 's1' } }, { artist: { secret: { _eq: 's1' } } }, { price: { _gt: 1 } }]) {
      const error = (await rest('/album', { where: JSON.stringify(where) }).catch((e: unknown) => e)) as LazydbError;
      expect([error.status, error.code], JSON.stringify(where)).toEqual([400, 'BAD_PARAMETER']);
    }
    const pipeline = testPipeline();
    const write = (await view()
      .rest.handle({ method: 'DELETE', path: '/album/10', search: new URLSearchParams(), body: undefined, context: testContext(pipeline), pipeline })
      .catch((e: unknown) => e)) as LazydbError;
    expect([write.status, write.code]).toEqual([405, 'METHOD_NOT_ALLOWED']);
    // artist's key is hidden: it has no row URLs for this role.
    const keyed = (await rest('/artist/1').catch((e: unknown) => e)) as LazydbError;
    expect(keyed.status).toBe(404);
    expect(Number((await knex('album').count({ n: '*' }))[0]!.n)).toBe(3);
  });
});
