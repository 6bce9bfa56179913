/**
 * Hostile identifiers and hostile values, on every engine: the fixture of test/fixtures/hostile.ts
 * (names holding `?`, `$1`, `:name`, quotes, comments, dots, tabs, RTL text, emoji, reserved
 * words, GraphQL's own names, colliding names and names at each engine's length limit) must
 * round-trip through every GraphQL query and mutation form and every REST route, with exact
 * values; and every statement the runner sends is captured to check that no request value
 * ever appears in a statement's text, only in its bindings.
 *
 * PostgreSQL, MariaDB and SQLite run here; MySQL 8 and Oracle run when LAZYDB_TEST_MYSQL_URL /
 * LAZYDB_TEST_ORACLE_URL name a server, and are skipped with a message otherwise.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbModel } from '../../server/model/types';
import { nameModel, type NamedModel, type NamedTable } from '../../server/schema/naming';
import type { SentStatement } from '../../server/query/runner';
import { hostileFixture, hostileValue, type HostileFixture } from '../fixtures/hostile';
import { createThrowawayDatabase, requireOrSkip, runStatements, splitStatements, type Engine, type ThrowawayDb } from '../helpers/databases';
import { startTestServer, type TestServer } from '../helpers/server';

const ENGINES: Engine[] = ['postgres', 'mariadb', 'sqlite', 'mysql', 'oracle'];

interface ReportEntry {
  level: string;
  object: string;
  reason: string;
}

for (const engine of ENGINES) {
  describe(`hostile identifiers on ${engine}`, async () => {
    const available = await requireOrSkip(engine);
    let fixture: HostileFixture;
    const name = `hostile_${engine}`;
    let db: ThrowawayDb | undefined;
    let server: TestServer | undefined;
    let named: NamedModel;
    let report: ReportEntry[];
    let parent: NamedTable;
    let child: NamedTable;
    /** Every value a request carried, and every statement sent while the suite ran. */
    const sentValues = new Set<string>();
    const statements: SentStatement[] = [];
    const record = (statement: SentStatement) => statements.push(statement);

    const gql = async (query: string, variables?: Record<string, unknown>) => {
      const result = await server!.graphql(`/db/${name}/graphql`, query, variables);
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      return result.data;
    };
    const rest = (path: string, init?: { method?: string; json?: unknown }) => server!.request(`/db/${name}/rest${path}`, init);
    /** A fresh hostile value, remembered so that the final check looks for it in every statement. */
    const value = (tag: string) => {
      const v = hostileValue(`${engine}:${tag}`);
      sentValues.add(v);
      return v;
    };
    const field = (table: NamedTable, column: string) => {
      const found = table.columns.find((c) => c.column.name === column);
      if (!found) throw new Error(`${table.label} has no exposed column ${JSON.stringify(column)}`);
      return found.field;
    };
    /** A parent row as GraphQL input: every hostile column gets a value of its own. */
    const parentRow = (tag: string): Record<string, string> => Object.fromEntries(fixture.columns.map((c, i) => [field(parent, c), value(`${tag}:${i}`)]));
    const parentFields = () => [field(parent, fixture.parentKey), ...fixture.columns.map((c) => field(parent, c))].join(' ');
    const key = () => field(parent, fixture.parentKey);

    beforeAll(async () => {
      if (!available) return;
      db = await createThrowawayDatabase(engine);
      fixture = hostileFixture(engine, db.name);
      await runStatements(db, splitStatements(fixture.sql));
      server = await startTestServer();
      const schemas = fixture.schemas ? { schemas: fixture.schemas } : {};
      const registered = await server.request('/api/databases', { method: 'POST', json: { name, dialect: db.dialect, connection: db.connection, ...schemas } });
      expect(registered.status, registered.text).toBe(201);
      const model = (await server.request(`/api/databases/${name}/model`)).body as DbModel & { resources: { name: string; table: string }[] };
      named = nameModel(model);
      // The names used below are the server's own.
      expect(model.resources.map((r) => [r.table, r.name])).toEqual(named.tables.map((t) => [t.table.name, t.typeName]));
      report = (await server.request(`/api/databases/${name}`)).body.report;
      parent = named.tables.find((t) => t.table.name === fixture.parent)!;
      child = named.tables.find((t) => t.table.name === fixture.child)!;
      server.gateway.get(name)!.pool.knex.on('query', record);
    });

    afterAll(async () => {
      server?.gateway.get(name)?.pool.knex.off('query', record);
      await server?.stop();
      try {
        if (db && fixture) await runStatements(db, fixture.cleanup);
      } finally {
        await db?.drop();
      }
    });

    it.skipIf(!available)('exposes every table and column, and reports each renamed one', () => {
      const tables = [fixture.parent, fixture.child, ...fixture.extraTables];
      expect(named.tables.map((t) => t.table.name).sort()).toEqual([...tables].sort());
      expect(parent.table.schema).toBe(fixture.parentSchema ?? parent.table.schema);
      expect(parent.columns.map((c) => c.column.name)).toEqual([fixture.parentKey, ...fixture.columns]);
      // Nothing skipped; every name GraphQL could not take as it is appears in the report as renamed.
      expect(report.filter((r) => r.level === 'skipped')).toEqual([]);
      for (const table of named.tables) {
        if (table.typeName !== table.table.name) expect(report.map((r) => r.object)).toContain(table.label);
        for (const column of table.columns) {
          if (column.field !== column.column.name) {
            expect(report).toContainEqual(expect.objectContaining({ level: 'renamed', object: `${table.label}.${column.column.name}` }));
          }
        }
        // Colliding names got distinct fields.
        expect(new Set(table.columns.map((c) => c.field)).size).toBe(table.columns.length);
      }
      expect(new Set(named.tables.map((t) => t.typeName)).size).toBe(named.tables.length);
      expect(parent.relations.map((r) => r.target)).toContain(child);
      expect(child.relations.map((r) => r.target)).toContain(parent);
    });

    it.skipIf(!available)('inserts, reads, filters, orders, pages and aggregates with exact values', async () => {
      const { root, typeName } = parent;
      const one = parentRow('one');
      const inserted = await gql(`mutation ($o: ${typeName}_insert_input!) { ${root.insertOne}(object: $o) { ${parentFields()} } }`, { o: one });
      const id = inserted[root.insertOne][key()];
      expect(inserted[root.insertOne]).toEqual({ [key()]: expect.any(Number), ...one });

      const many = [parentRow('two'), parentRow('three')];
      const insertedMany = await gql(`mutation ($o: [${typeName}_insert_input!]!) { ${root.insert}(objects: $o) { affected_rows returning { ${parentFields()} } } }`, { o: many });
      expect(insertedMany[root.insert].affected_rows).toBe(2);
      expect(insertedMany[root.insert].returning.map(({ [key()]: _k, ...rest }: Record<string, unknown>) => rest)).toEqual(many);
      const ids = [id, ...insertedMany[root.insert].returning.map((r: Record<string, number>) => r[key()])];

      const byKey = await gql(`query ($id: Int!) { ${root.byPk}(${key()}: $id) { ${parentFields()} } }`, { id });
      expect(byKey[root.byPk]).toEqual({ [key()]: id, ...one });

      // Every hostile column in one filter, each compared with its own hostile value.
      const everyColumn = Object.fromEntries(Object.entries(one).map(([f, v]) => [f, { _eq: v }]));
      const dot = field(parent, 'a.b');
      const question = field(parent, '?');
      const marker = (tag: string) => `⟦${engine}:${tag}⟧`;
      const listed = await gql(
        `query ($all: ${typeName}_bool_exp!, $like: String!, $ilike: String!, $in: [String!]!) {
          all: ${root.list}(where: $all) { ${key()} }
          like: ${root.list}(where: {${question}: {_like: $like}}) { ${key()} }
          ilike: ${root.list}(where: {${dot}: {_ilike: $ilike}}) { ${key()} }
          inList: ${root.list}(where: {${question}: {_in: $in}}, order_by: [{${dot}: desc}]) { ${key()} }
          page: ${root.list}(order_by: [{${question}: desc}], limit: 1, offset: 1) { ${key()} }
          rest: ${root.list}(order_by: [{${question}: desc}], offset: 2) { ${key()} }
          counted: ${root.aggregate}(where: {${question}: {_neq: $like}}) { aggregate { count } }
        }`,
        {
          all: everyColumn,
          like: `${marker('two:0').replace('two', 'tw_')}%`,
          ilike: `%⟦${engine}:three:%`.toUpperCase(),
          in: [one[question], many[1]![question]],
        },
      );
      expect(listed.all).toEqual([{ [key()]: id }]);
      expect(listed.like).toEqual([{ [key()]: ids[1] }]);
      // The pattern, in upper case, matches the marker of any column of row three.
      expect(listed.ilike).toEqual([{ [key()]: ids[2] }]);
      // Values sort by their markers: `…:three:…` > `…:one:…`.
      expect(listed.inList).toEqual([{ [key()]: ids[2] }, { [key()]: id }]);
      // By `?` descending: two, three, one; the second is three.
      expect(listed.page).toEqual([{ [key()]: ids[2] }]);
      // An offset without a limit (MySQL and SQLite need a LIMIT before OFFSET: the dialect writes its "no limit").
      expect(listed.rest).toEqual([{ [key()]: id }]);
      expect(listed.counted.aggregate.count).toBe(3);
    });

    it.skipIf(!available)('follows relations both ways and filters through them', async () => {
      const { root } = parent;
      const [first] = (await gql(`{ ${root.list}(order_by: [{${key()}: asc}], limit: 1) { ${key()} } }`))[root.list];
      const parentId = first[key()];
      const toChildren = parent.relations.find((r) => r.target === child)!;
      const toParent = child.relations.find((r) => r.target === parent)!;
      const childKey = field(child, fixture.childKey);
      const reference = field(child, fixture.childReference);
      const val = field(child, fixture.childValue);
      const kids = [1, 2, 3].map((n) => ({ [childKey]: n, [reference]: parentId, [val]: value(`child:${n}`) }));
      const created = await gql(`mutation ($o: [${child.typeName}_insert_input!]!) { ${child.root.insert}(objects: $o) { affected_rows } }`, { o: kids });
      expect(created[child.root.insert].affected_rows).toBe(3);

      const q = field(parent, '?');
      const before = statements.length;
      const data = await gql(
        `query ($id: Int!, $v: String!) {
          down: ${root.byPk}(${key()}: $id) { ${q} ${toChildren.field}(order_by: [{${val}: desc}], limit: 2) { ${childKey} ${val} ${toParent.field} { ${key()} } } }
          up: ${child.root.list}(order_by: [{${childKey}: asc}]) { ${childKey} ${toParent.field} { ${key()} ${q} } }
          through: ${root.list}(where: {${toChildren.field}: {${val}: {_eq: $v}}}) { ${key()} }
          back: ${child.root.list}(where: {${toParent.field}: {${key()}: {_eq: $id}}}, order_by: [{${childKey}: desc}], limit: 1) { ${childKey} }
          counted: ${child.root.aggregate}(where: {${toParent.field}: {${q}: {_is_null: false}}}) { aggregate { count } }
        }`,
        { id: parentId, v: kids[1]![val] },
      );
      expect(data.down[toChildren.field]).toEqual([kids[2]!, kids[1]!].map((k) => ({ [childKey]: k[childKey], [val]: k[val], [toParent.field]: { [key()]: parentId } })));
      expect(data.up.map((c: Record<string, unknown>) => c[childKey])).toEqual([1, 2, 3]);
      expect(data.up[0][toParent.field][key()]).toBe(parentId);
      expect(data.through).toEqual([{ [key()]: parentId }]);
      expect(data.back).toEqual([{ [childKey]: 3 }]);
      expect(data.counted.aggregate.count).toBe(3);
      // Where the engine nests JSON, each root field is one statement, relations included.
      const snapshot = server!.gateway.get(name)!;
      if (snapshot.dialect.capabilitiesFor(snapshot.serverVersion ?? '').nestedJson) expect(statements.length - before).toBe(5);
    });

    it.skipIf(!available)('updates and deletes by key and by filter', async () => {
      const { root, typeName } = parent;
      const row = parentRow('victim');
      const { [root.insertOne]: created } = await gql(`mutation ($o: ${typeName}_insert_input!) { ${root.insertOne}(object: $o) { ${key()} } }`, { o: row });
      const id = created[key()];
      const dot = field(parent, 'a.b');
      const question = field(parent, '?');
      const set = { [dot]: value('set:dot'), [question]: value('set:question'), [field(parent, '"')]: value('set:quote') };
      const updated = await gql(`mutation ($id: Int!, $s: ${typeName}_set_input!) { ${root.updateByPk}(pk_columns: {${key()}: $id}, _set: $s) { ${parentFields()} } }`, { id, s: set });
      expect(updated[root.updateByPk]).toEqual({ [key()]: id, ...row, ...set });
      const next = value('set:where');
      const byFilter = await gql(
        `mutation ($v: String!, $n: String!) { ${root.update}(where: {${question}: {_eq: $v}}, _set: {${dot}: $n}) { affected_rows returning { ${key()} ${dot} } } }`,
        { v: set[question], n: next },
      );
      expect(byFilter[root.update]).toEqual({ affected_rows: 1, returning: [{ [key()]: id, [dot]: next }] });
      const deleted = await gql(`mutation ($id: Int!) { ${root.deleteByPk}(${key()}: $id) { ${key()} ${dot} } }`, { id });
      expect(deleted[root.deleteByPk]).toEqual({ [key()]: id, [dot]: next });
      const again = parentRow('victim2');
      await gql(`mutation ($o: ${typeName}_insert_input!) { ${root.insertOne}(object: $o) { ${key()} } }`, { o: again });
      const removed = await gql(`mutation ($v: String!) { ${root.delete}(where: {${dot}: {_eq: $v}}) { affected_rows returning { ${dot} } } }`, { v: again[dot] });
      expect(removed[root.delete]).toEqual({ affected_rows: 1, returning: [{ [dot]: again[dot] }] });
      expect((await gql(`query ($id: Int!) { ${root.byPk}(${key()}: $id) { ${key()} } }`, { id }))[root.byPk]).toBeNull();
    });

    it.skipIf(!available)('serves the tables named like GraphQL types, reserved words, colliding and longest names', async () => {
      for (const [i, tableName] of fixture.extraTables.entries()) {
        const table = named.tables.find((t) => t.table.name === tableName)!;
        const v = field(table, '?');
        const text = value(`extra:${i}`);
        const made = await gql(`mutation ($t: String!) { ${table.root.insertOne}(object: {id: ${i + 1}, ${v}: $t}) { id ${v} } }`, { t: text });
        expect(made[table.root.insertOne]).toEqual({ id: i + 1, [v]: text });
        const read = await gql(`{ one: ${table.root.byPk}(id: ${i + 1}) { ${v} } all: ${table.root.list} { id } }`);
        expect(read).toEqual({ one: { [v]: text }, all: [{ id: i + 1 }] });
      }
    });

    it.skipIf(!available)('REST: lists, reads by key, creates, patches, deletes and includes', async () => {
      const resource = `/${encodeURIComponent(parent.typeName)}`;
      const row = parentRow('rest');
      const created = await rest(resource, { method: 'POST', json: row });
      expect(created.status, created.text).toBe(201);
      expect(created.body).toEqual({ [key()]: expect.any(Number), ...row });
      const id = created.body[key()];
      const byKey = await rest(`${resource}/${id}`);
      expect(byKey.body).toEqual(created.body);
      const question = field(parent, '?');
      const filtered = await rest(`${resource}?${new URLSearchParams({ [question]: row[question]! })}`);
      expect(filtered.body).toEqual([created.body]);
      const dot = field(parent, 'a.b');
      const patch = { [dot]: value('rest:patch') };
      const patched = await rest(`${resource}/${id}`, { method: 'PATCH', json: patch });
      expect(patched.body).toEqual({ ...created.body, ...patch });
      const toChildren = parent.relations.find((r) => r.target === child)!;
      const withChildren = await rest(`${resource}?${new URLSearchParams({ [key()]: String(id), include: toChildren.field })}`);
      expect(withChildren.body).toEqual([{ ...patched.body, [toChildren.field]: [] }]);
      // And the other way: children of the first parent, each with its parent included.
      const toParent = child.relations.find((r) => r.target === parent)!;
      const childResource = `/${encodeURIComponent(child.typeName)}`;
      const kids = await rest(`${childResource}?${new URLSearchParams({ include: toParent.field, order_by: `${field(child, fixture.childKey)}.desc`, limit: '2' })}`);
      expect(kids.status, kids.text).toBe(200);
      expect(kids.body.map((k: Record<string, unknown>) => k[field(child, fixture.childKey)])).toEqual([3, 2]);
      const [firstParent] = (await gql(`{ ${parent.root.list}(order_by: [{${key()}: asc}], limit: 1) { ${parentFields()} } }`))[parent.root.list];
      expect(kids.body[0][toParent.field]).toEqual(firstParent);
      const kid = await rest(`${childResource}/3`);
      expect(kid.body).toEqual({ ...kids.body[0], [toParent.field]: undefined });
      const deleted = await rest(`${resource}/${id}`, { method: 'DELETE' });
      expect(deleted.status).toBe(200);
      expect((await rest(`${resource}/${id}`)).status).toBe(404);
    });

    it.skipIf(!available)('REST: the OpenAPI document is valid and has every table', async () => {
      const document = (await server!.request(`/db/${name}/openapi.json`)).body;
      const result = await new Validator().validate(document);
      expect(result.errors ?? []).toEqual([]);
      for (const table of named.tables) {
        expect(document.paths[`/${table.typeName}`], table.typeName).toBeDefined();
        expect(document.paths[`/${table.typeName}/${table.primaryKey.map((k) => `{${k.field}}`).join('/')}`], table.typeName).toBeDefined();
      }
    });

    it.skipIf(!available)('sent every request value as a binding, never in a statement text', () => {
      const ours = statements.filter((s) => s.lazydb);
      expect(ours.length).toBeGreaterThan(30);
      const bound = new Set(ours.flatMap((s) => s.bindings.filter((b): b is string => typeof b === 'string')));
      for (const v of sentValues) {
        const tag = /⟦[^⟧]*⟧/.exec(v)![0];
        for (const statement of statements) expect(statement.sql, statement.sql.slice(0, 200)).not.toContain(tag);
        expect([...bound].some((b) => b.includes(tag)), tag).toBe(true);
      }
    });
  });
}
