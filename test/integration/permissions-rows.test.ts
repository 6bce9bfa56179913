import { graphql, type GraphQLSchema } from 'graphql';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../server/auth/principal';
import { dialectModule } from '../../server/introspect';
import type { Capabilities } from '../../server/introspect/dialect';
import type { DatabaseSpec } from '../../server/model/types';
import type { PermissionDocument } from '../../server/permissions/document';
import { PermissionedSource } from '../../server/permissions/restricted-source';
import { KnexDataSource } from '../../server/query/engine';
import { buildSchema } from '../../server/schema/build';
import { nameModel, type NamedModel } from '../../server/schema/naming';
import { evaluate, type RelatedRows, type Row } from '../helpers/bool-exp';
import { createThrowawayDatabase, requireOrSkip, type Engine, type ThrowawayDb } from '../helpers/databases';

/**
 * Row rules enforced by PermissionedSource over the real query layer, on every engine here: what a
 * restricted role reads at every level equals its rules evaluated in JS over the whole tables,
 * relation filters see visible rows only, checks roll writes back, and two users' session values
 * never share a statement.
 */
const USER = 'X-Lazydb-User-Id';
const MAX_LIMIT = 100;

const DDL = [
  'create table author (id int primary key, name varchar(40) not null, listed int not null)',
  `create table post (id int primary key, author_id int, owner varchar(20), title varchar(80) not null, published int not null, score int,
    foreign key (author_id) references author (id))`,
  'create table comment (id int primary key, post_id int not null, body varchar(80) not null, hidden int not null, foreign key (post_id) references post (id))',
  'create table secret (id int primary key, post_id int, note varchar(40), foreign key (post_id) references post (id))',
];

interface Tables {
  author: Row[];
  post: Row[];
  comment: Row[];
  secret: Row[];
}

function seed(): Tables {
  const author = Array.from({ length: 6 }, (_, i) => ({ id: i + 1, name: `a${i + 1}`, listed: (i + 1) % 3 === 0 ? 0 : 1 }));
  const post = Array.from({ length: 40 }, (_, n) => {
    const i = n + 1;
    return { id: i, author_id: i % 7 === 0 ? null : (i % 6) + 1, owner: ['u1', 'u2', 'u3', null][i % 4], title: `p${i}`, published: i % 3 === 0 ? 1 : 0, score: i % 5 === 0 ? null : (i * 7) % 23 };
  });
  const comment = Array.from({ length: 80 }, (_, n) => ({ id: n + 1, post_id: (n % 40) + 1, body: `c${n % 9}`, hidden: n % 4 === 0 ? 1 : 0 }));
  const secret = Array.from({ length: 10 }, (_, n) => ({ id: n + 1, post_id: (n + 1) * 3, note: `s${n}` }));
  return { author, post, comment, secret };
}

function insertSql(tables: Tables): string[] {
  const literal = (v: unknown) => (v === null ? 'null' : typeof v === 'number' ? String(v) : `'${String(v)}'`);
  return (Object.entries(tables) as [string, Row[]][]).map(
    ([name, rows]) => `insert into ${name} (${Object.keys(rows[0]!).join(', ')}) values ${rows.map((r) => `(${Object.values(r).map(literal).join(', ')})`).join(', ')}`,
  );
}

/** The role every test reads as: listed authors, published posts and the user's own, visible comments of published posts, no secrets. */
const USER_ROLE: PermissionDocument = {
  author: { select: { columns: '*', filter: { listed: { _eq: 1 } }, aggregate: true } },
  post: {
    select: { columns: '*', filter: { _or: [{ published: { _eq: 1 } }, { owner: { _eq: USER } }] }, aggregate: true },
    insert: { columns: ['id', 'author_id', 'title', 'published'], check: { author: { listed: { _eq: 1 } } }, set: { owner: USER } },
    update: { columns: ['title', 'published', 'score'], filter: { owner: { _eq: USER } }, check: { _or: [{ score: { _is_null: true } }, { score: { _lt: 100 } }] } },
    delete: { filter: { owner: { _eq: USER } } },
  },
  comment: { select: { columns: '*', filter: { hidden: { _eq: 0 }, post: { published: { _eq: 1 } } } } },
};

/** The same rules, written out in JS for the oracle. */
const VISIBLE: Record<keyof Tables, (row: Row, user: string | null, tables: Tables) => boolean> = {
  author: (row) => row.listed === 1,
  post: (row, user) => row.published === 1 || (user !== null && row.owner === user),
  comment: (row, _user, tables) => row.hidden === 0 && tables.post.some((p) => p.id === row.post_id && p.published === 1),
  secret: () => false,
};

/** Each relation: its target, and how a row reaches its rows. */
const RELATIONS: Record<string, Record<string, { table: keyof Tables; match: (from: Row, to: Row) => boolean }>> = {
  author: { posts: { table: 'post', match: (a, p) => p.author_id === a.id } },
  post: {
    author: { table: 'author', match: (p, a) => a.id === p.author_id },
    comments: { table: 'comment', match: (p, c) => c.post_id === p.id },
    secrets: { table: 'secret', match: (p, s) => s.post_id === p.id },
  },
  comment: { post: { table: 'post', match: (c, p) => p.id === c.post_id } },
  secret: { post: { table: 'post', match: (s, p) => p.id === s.post_id } },
};

/** The oracle: rows of `table` the user sees, matching `where` through visible related rows only. */
function expected(tables: Tables, table: keyof Tables, user: string | null, where: Record<string, unknown> = {}): Row[] {
  const related: RelatedRows = (from, key, row) => {
    const relation = RELATIONS[from]?.[key];
    if (!relation) return null;
    return { table: relation.table, rows: tables[relation.table].filter((to) => relation.match(row, to) && VISIBLE[relation.table](to, user, tables)) };
  };
  return tables[table].filter((row) => VISIBLE[table](row, user, tables) && evaluate(where, table, row, related) === true).sort((a, b) => Number(a.id) - Number(b.id));
}

/** A seeded generator of `where` expressions over posts, through relations both ways. */
function whereGenerator(seedValue: number) {
  let state = seedValue;
  const next = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
  const authorAtom = (depth: number): Record<string, unknown> =>
    [
      () => ({ listed: { _eq: next(2) } }),
      () => ({ name: { _in: [`a${next(6) + 1}`, `a${next(6) + 1}`] } }),
      () => ({ id: { _lte: next(7) } }),
      () => (depth > 0 ? { posts: postExp(depth - 1) } : { id: { _gt: 2 } }),
    ][next(4)]!();
  const commentAtom = (): Record<string, unknown> => [() => ({ hidden: { _eq: 1 } }), () => ({ body: { _eq: `c${next(9)}` } }), () => ({ id: { _lt: next(80) } })][next(3)]!();
  const postAtom = (depth: number): Record<string, unknown> =>
    [
      () => ({ id: { _gt: next(40) } }),
      () => ({ score: { _lt: next(23) } }),
      () => ({ score: { _is_null: next(2) === 0 } }),
      () => ({ owner: { _eq: ['u1', 'u2', 'u3'][next(3)] } }),
      () => ({ owner: { _nin: ['u1', 'u3'] } }),
      () => ({ published: { _eq: next(2) } }),
      () => ({ author: authorAtom(depth) }),
      () => ({ comments: commentAtom() }),
      () => ({ secrets: { id: { _gt: 0 } } }),
      () => ({ _not: { comments: commentAtom() } }),
    ][next(10)]!();
  const postExp = (depth: number): Record<string, unknown> => {
    switch (next(4)) {
      case 0:
        return { _and: [postAtom(depth), postAtom(depth)] };
      case 1:
        return { _or: [postAtom(depth), postAtom(depth)] };
      case 2:
        return { _not: postAtom(depth) };
      default:
        return postAtom(depth);
    }
  };
  return () => postExp(1);
}

function principal(user: string | null): Principal {
  const variables: Record<string, string> = { 'x-lazydb-role': 'user' };
  if (user !== null) variables['x-lazydb-user-id'] = user;
  return { kind: 'jwt', id: user, subject: user, email: null, roles: ['user'], role: 'user', variables, databases: null, limits: null };
}

const ids = (rows: Row[]) => rows.map((r) => Number(r.id));

for (const engine of ['sqlite', 'postgres', 'mariadb'] as Engine[]) {
  describe(`row permissions on ${engine}`, async () => {
    const available = await requireOrSkip(engine);
    const tables = seed();
    let db: ThrowawayDb;
    let knex: Knex;
    let named: NamedModel;
    let capabilities: Capabilities;
    let base: KnexDataSource;
    const schemas = new Map<string, GraphQLSchema>();

    /** The schema of a role over the shared engine (one statement cache for every user, as in the server). */
    const schemaFor = (name: string, rules: PermissionDocument, source: KnexDataSource = base) => {
      let schema = schemas.get(name);
      if (!schema) {
        schema = buildSchema(named, new PermissionedSource(source, rules), { maxLimit: MAX_LIMIT });
        schemas.set(name, schema);
      }
      return schema;
    };

    /** Runs an operation as `who` (a fresh GraphQL context per operation, as the pipeline makes). */
    const run = async (schema: GraphQLSchema, who: Principal | null, source: string, variableValues?: Record<string, unknown>) => {
      const lazydb = { dataSource: (b: unknown) => b, ...(who ? { principal: who } : {}) };
      return graphql({ schema, source, variableValues, contextValue: { lazydb } });
    };
    const ok = async (schema: GraphQLSchema, who: Principal | null, source: string, variableValues?: Record<string, unknown>) => {
      const result = await run(schema, who, source, variableValues);
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      return result.data as Record<string, any>;
    };
    const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.[0]?.extensions?.code;
    const stored = async (table: string, where: Record<string, unknown> = {}): Promise<Row[]> => (await knex(table).where(where).orderBy('id')).map((r: Row) => ({ ...r, id: Number(r.id) }));

    beforeAll(async () => {
      if (!available) return;
      db = await createThrowawayDatabase(engine, { sql: [...DDL, ...insertSql(tables)].join('\n--;;\n') });
      const dialect = dialectModule(db.dialect);
      const spec: DatabaseSpec = { name: 'perm', dialect: db.dialect, connection: db.connection };
      knex = knexFactory(dialect.knexConfig(spec, { connectTimeoutMs: 5000, poolMax: 4 }));
      const model = await dialect.introspect(knex, dialect.defaultSchemas(spec));
      named = nameModel(model);
      capabilities = dialect.capabilitiesFor(model.serverVersion);
      base = new KnexDataSource(knex, dialect, 'perm', capabilities);
    }, 60_000);

    afterAll(async () => {
      await knex?.destroy();
      await db?.drop();
    });

    it.skipIf(!available)('every filtered list and count equals the rules and the filter evaluated in JS over the whole table', async () => {
      const schema = schemaFor('user', USER_ROLE);
      const next = whereGenerator(engine.length * 7919);
      const query = `query ($where: post_bool_exp) {
        post(where: $where, order_by: [{id: asc}]) { id }
        post_aggregate(where: $where) { aggregate { count } }
      }`;
      let nonEmpty = 0;
      for (let i = 0; i < 40; i++) {
        const where = next();
        for (const user of ['u1', 'u2', null]) {
          const want = ids(expected(tables, 'post', user, where));
          const data = await ok(schema, principal(user), query, { where });
          expect(ids(data.post), `${user} ${JSON.stringify(where)}`).toEqual(want);
          expect(data.post_aggregate.aggregate.count, `${user} ${JSON.stringify(where)}`).toBe(want.length);
          if (want.length > 0) nonEmpty++;
        }
      }
      // The generator must produce filters that keep rows, not only ones that keep none.
      expect(nonEmpty).toBeGreaterThan(20);
      const authors = await ok(schema, principal('u1'), '{ author(where: {posts: {owner: {_eq: "u2"}}}, order_by: [{id: asc}]) { id } }');
      expect(ids(authors.author)).toEqual(ids(expected(tables, 'author', 'u1', { posts: { owner: { _eq: 'u2' } } })));
    });

    it.skipIf(!available)('nested relations both ways, and reads by key, show only the rows the target table\'s rules let through', async () => {
      const schema = schemaFor('user', USER_ROLE);
      for (const user of ['u1', 'u2']) {
        let statements = 0;
        const count = (sent: { lazydb?: boolean }) => {
          if (sent.lazydb) statements++;
        };
        knex.on('query', count);
        const data = await ok(
          schema,
          principal(user),
          `{
            author(order_by: [{id: asc}]) { id posts(order_by: [{id: asc}]) { id author { id } comments(order_by: [{id: asc}]) { id post { id } } } }
            post(order_by: [{id: asc}]) { id author { id posts(order_by: [{id: asc}]) { id } } comments(order_by: [{id: asc}]) { id } secrets { id } }
            comment(order_by: [{id: asc}]) { id post { id author { id } } }
            secret { id }
          }`,
        ).finally(() => knex.off('query', count));
        // Where the server builds JSON, each root field is one statement, filtered relations and all
        // (a hidden object row is told from a JSON value the engine cut short, which is read again per
        // level); `secret`, which the role cannot see, none.
        if (capabilities.nestedJson) expect(statements).toBe(3);
        const visible = (table: keyof Tables) => expected(tables, table, user);
        const postsOf = (authorId: unknown) => visible('post').filter((p) => p.author_id === authorId);
        const authorOf = (post: Row) => visible('author').find((a) => a.id === post.author_id) ?? null;
        const commentsOf = (postId: unknown) => visible('comment').filter((c) => c.post_id === postId);
        expect(data.author).toEqual(
          visible('author').map((a) => ({
            id: a.id,
            posts: postsOf(a.id).map((p) => ({ id: p.id, author: { id: a.id }, comments: commentsOf(p.id).map((c) => ({ id: c.id, post: { id: p.id } })) })),
          })),
        );
        expect(data.post).toEqual(
          visible('post').map((p) => {
            const author = authorOf(p);
            return { id: p.id, author: author && { id: author.id, posts: ids(postsOf(author.id)).map((id) => ({ id })) }, comments: ids(commentsOf(p.id)).map((id) => ({ id })), secrets: [] };
          }),
        );
        // A hidden author reads as null from a visible post: the object relation is filtered, not just the list.
        expect(data.post.some((p: { author: unknown; id: number }) => p.author === null && tables.post.find((t) => t.id === p.id)!.author_id !== null)).toBe(true);
        expect(data.comment).toEqual(
          visible('comment').map((c) => {
            const post = visible('post').find((p) => p.id === c.post_id)!;
            const author = authorOf(post);
            return { id: c.id, post: { id: post.id, author: author && { id: author.id } } };
          }),
        );
        expect(data.secret).toEqual([]);

        const byKey = await ok(schema, principal(user), `{ ${tables.post.map((p) => `p${p.id}: post_by_pk(id: ${p.id}) { id author { id } }`).join(' ')} a3: author_by_pk(id: 3) { id } }`);
        for (const post of tables.post) {
          const author = authorOf(post);
          expect(byKey[`p${post.id}`], `post ${post.id}`).toEqual(VISIBLE.post(post, user, tables) ? { id: post.id, author: author && { id: author.id } } : null);
        }
        expect(byKey.a3).toBeNull();
      }
    });

    it.skipIf(!available)('a select limit caps every read of the table, root and nested', async () => {
      const capped: PermissionDocument = { ...USER_ROLE, post: { ...USER_ROLE.post, select: { ...USER_ROLE.post!.select!, limit: 2 } } };
      const schema = schemaFor('capped', capped);
      const data = await ok(schema, principal('u1'), '{ post(limit: 10, order_by: [{id: asc}]) { id } author(order_by: [{id: asc}]) { id posts(order_by: [{id: asc}]) { id } } }');
      expect(ids(data.post)).toEqual(ids(expected(tables, 'post', 'u1')).slice(0, 2));
      for (const author of data.author) expect(ids(author.posts)).toEqual(ids(expected(tables, 'post', 'u1').filter((p) => p.author_id === author.id)).slice(0, 2));
    });

    it.skipIf(!available)('two users with an owner = X-Lazydb-User-Id rule, interleaved, each get only their rows (no statement served with the other\'s values)', async () => {
      const mine: PermissionDocument = {
        author: { select: { columns: '*', filter: {} } },
        post: { select: { columns: '*', filter: { owner: { _eq: USER } }, aggregate: true } },
        comment: { select: { columns: '*', filter: {} } },
      };
      const schema = schemaFor('mine', mine);
      const query = `query ($id: Int!) {
        post(order_by: [{id: asc}]) { id owner }
        post_aggregate { aggregate { count } }
        one: post_by_pk(id: $id) { id owner }
        author(order_by: [{id: asc}]) { id posts(order_by: [{id: asc}]) { id owner } }
        comment(order_by: [{id: asc}]) { id post { id owner } }
      }`;
      const owned = (user: string) => tables.post.filter((p) => p.owner === user);
      const check = (user: string, data: Record<string, any>, id: number) => {
        expect(ids(data.post)).toEqual(ids(owned(user)));
        expect(data.post.every((p: Row) => p.owner === user)).toBe(true);
        expect(data.post_aggregate.aggregate.count).toBe(owned(user).length);
        expect(data.one).toEqual(tables.post.find((p) => p.id === id)!.owner === user ? { id, owner: user } : null);
        for (const author of data.author) expect(ids(author.posts)).toEqual(ids(owned(user).filter((p) => p.author_id === author.id)));
        for (const comment of data.comment) {
          const post = tables.post.find((p) => p.id === tables.comment.find((c) => c.id === comment.id)!.post_id)!;
          expect(comment.post).toEqual(post.owner === user ? { id: post.id, owner: user } : null);
        }
      };
      const runs: Promise<void>[] = [];
      for (let i = 0; i < 24; i++) {
        const user = i % 2 === 0 ? 'u1' : 'u2';
        // The same key for both users in turn: a by-key statement kept for one must not answer the other.
        const id = 1 + (Math.floor(i / 2) % 8);
        runs.push(ok(schema, principal(user), query, { id }).then((data) => check(user, data, id)));
      }
      await Promise.all(runs);
      // Sequentially too, alternating, after both users' statements are kept.
      for (const user of ['u2', 'u1', 'u2', 'u1']) check(user, await ok(schema, principal(user), query, { id: 2 }), 2);
      // A session value reaches the server as a bound value only, never in the statement's text.
      const hostile = "u1' or '1'='1";
      const texts: string[] = [];
      const listen = (sent: { sql: string; lazydb?: boolean }) => {
        if (sent.lazydb) texts.push(sent.sql);
      };
      knex.on('query', listen);
      const probed = await ok(schema, principal(hostile), query, { id: 1 }).finally(() => knex.off('query', listen));
      expect([probed.post, probed.one]).toEqual([[], null]);
      expect(texts.length).toBeGreaterThan(0);
      expect(texts.filter((text) => text.includes("'1'='1") || text.includes('u1'))).toEqual([]);
      // No principal, or one without the variable: the rule matches nothing (it fails closed, without an error).
      for (const who of [null, principal(null)]) {
        const data = await ok(schema, who, query, { id: 1 });
        expect([data.post, data.post_aggregate.aggregate.count, data.one]).toEqual([[], 0, null]);
        expect(data.comment.every((c: { post: unknown }) => c.post === null)).toBe(true);
      }
    });

    it.skipIf(!available)('inserts: presets override the client, other columns are refused, a failing check leaves nothing written (with and without RETURNING)', async () => {
      const sources: [string, KnexDataSource][] = [['returning', base]];
      if (capabilities.insertReturning) {
        const dialect = dialectModule(db.dialect);
        sources.push(['read back', new KnexDataSource(knex, dialect, 'perm', { ...capabilities, insertReturning: false })]);
      }
      let id = 1000;
      for (const [how, source] of sources) {
        const schema = schemaFor(`insert-${how}`, USER_ROLE, source);
        const insert = `mutation ($objects: [post_insert_input!]!) { insert_post(objects: $objects) { affected_rows returning { id owner title } } }`;
        const good = { id: ++id, author_id: 1, title: 'mine', published: 0, owner: 'u2' };
        const data = await ok(schema, principal('u1'), insert, { objects: [good] });
        expect(data.insert_post, how).toEqual({ affected_rows: 1, returning: [{ id: good.id, owner: 'u1', title: 'mine' }] });
        expect((await stored('post', { id: good.id }))[0]).toMatchObject({ owner: 'u1' });

        // The second row's author (3) is not listed: the check fails, and the first row goes too.
        const before = (await stored('post')).length;
        const failing = await run(schema, principal('u1'), insert, {
          objects: [
            { id: ++id, author_id: 2, title: 'fine', published: 1 },
            { id: ++id, author_id: 3, title: 'hidden author', published: 1 },
          ],
        });
        expect(codeOf(failing), how).toBe('PERMISSION_CHECK_FAILED');
        expect((await stored('post')).length).toBe(before);
        const single = await run(schema, principal('u1'), `mutation { insert_post_one(object: {id: ${++id}, author_id: 6, title: "x", published: 1}) { id } }`);
        expect(codeOf(single), how).toBe('PERMISSION_CHECK_FAILED');
        expect(await stored('post', { id })).toEqual([]);

        const refused = await run(schema, principal('u1'), insert, { objects: [{ id: ++id, author_id: 1, title: 'scored', published: 0, score: 5 }] });
        expect(codeOf(refused), how).toBe('BAD_USER_INPUT');
        expect(await stored('post', { id })).toEqual([]);
        // A preset needs its variable: without it the insert is refused, never written with NULL.
        const anonymous = await run(schema, principal(null), insert, { objects: [{ id: ++id, author_id: 1, title: 'whose?', published: 0 }] });
        expect(codeOf(anonymous), how).toBe('FORBIDDEN');
        expect(await stored('post', { id })).toEqual([]);
        // No insert rule for comments, no delete rule for secrets: refused, nothing changed.
        expect(codeOf(await run(schema, principal('u1'), 'mutation { insert_comment_one(object: {id: 999, post_id: 3, body: "x", hidden: 0}) { id } }')), how).toBe('FORBIDDEN');
        expect(codeOf(await run(schema, principal('u1'), 'mutation { delete_secret(where: {}) { affected_rows } }')), how).toBe('FORBIDDEN');
        expect([(await stored('comment', { id: 999 })).length, (await stored('secret')).length]).toEqual([0, tables.secret.length]);
      }
    });

    it.skipIf(!available)('updates and deletes touch only rows of the role\'s filter, and a failing update check rolls back', async () => {
      const schema = schemaFor('user', USER_ROLE);
      const ownedBy = async (user: string) => (await stored('post')).filter((p) => p.owner === user);
      const u1Before = await ownedBy('u1');
      const u2Before = await ownedBy('u2');
      const updated = await ok(schema, principal('u1'), 'mutation { update_post(where: {}, _set: {title: "edited"}) { affected_rows returning { id owner } } }');
      expect(updated.update_post.affected_rows).toBe(u1Before.length);
      expect(updated.update_post.returning.every((p: Row) => p.owner === 'u1')).toBe(true);
      expect((await ownedBy('u2')).map((p) => p.title)).toEqual(u2Before.map((p) => p.title));

      const target = u1Before[0]!;
      const failing = await run(schema, principal('u1'), `mutation { update_post_by_pk(pk_columns: {id: ${target.id}}, _set: {score: 150, title: "no"}) { id } }`);
      expect(codeOf(failing)).toBe('PERMISSION_CHECK_FAILED');
      expect((await stored('post', { id: target.id }))[0]).toMatchObject({ title: 'edited', score: target.score });
      // Another user's row: not found for this role, unchanged.
      const other = u2Before[0]!;
      expect((await ok(schema, principal('u1'), `mutation { update_post_by_pk(pk_columns: {id: ${other.id}}, _set: {title: "taken"}) { id } }`)).update_post_by_pk).toBeNull();
      expect((await stored('post', { id: other.id }))[0]!.title).toBe(other.title);

      // Deletes: only the user's own rows among those asked for.
      const inserted = (await ownedBy('u1')).filter((p) => Number(p.id) >= 1000);
      expect(inserted.length).toBeGreaterThan(0);
      const asked = [...inserted.map((p) => p.id), other.id];
      const deleted = await ok(schema, principal('u1'), `mutation ($ids: [Int!]) { delete_post(where: {id: {_in: $ids}}) { affected_rows } }`, { ids: asked });
      expect(deleted.delete_post.affected_rows).toBe(inserted.length);
      expect(ids(await stored('post')).filter((id) => asked.includes(id))).toEqual([other.id]);
    });
  });
}
