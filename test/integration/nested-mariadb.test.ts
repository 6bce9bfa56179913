import { describe, expect, it } from 'vitest';
import { requireOrSkip } from '../helpers/databases';
import { expectNestedAsTopLevel, useRegisteredDatabase } from '../helpers/registered';

/**
 * MariaDB ≥ 10.5 reads nested relations in one statement too, as JSON built with
 * JSON_ARRAYAGG. Every value must come back exactly as a top-level read gives it; values JSON
 * cannot carry exactly (BIT strings) and aggregates the server cuts short (it only warns) must
 * still be answered, per level.
 */
const SQL = [
  `create table holder (id int primary key, label varchar(20))`,
  `create table sample (
    id int primary key,
    holder_id int,
    c_tinyint tinyint, c_smallint smallint, c_mediumint mediumint, c_int int, c_uint int unsigned,
    c_bigint bigint, c_ubigint bigint unsigned, c_float float, c_double double, c_decimal decimal(30,10), c_year year,
    c_varchar varchar(40), c_char char(4), c_text text, c_bool boolean, c_bit1 bit(1), c_bits bit(10),
    c_date date, c_time time(6), c_datetime datetime(6), c_timestamp timestamp(6) null,
    c_json json, c_json_string json, c_uuid uuid, c_binary varbinary(8), c_blob blob,
    c_enum enum('low', 'high'), c_set set('a', 'b'), c_inet6 inet6,
    foreign key (holder_id) references holder (id)
  ) default charset = utf8mb4`,
  `insert into holder values (1, 'one'), (2, 'two'), (3, 'empty')`,
  `insert into sample values (
    1, 1, -128, -32768, 8388607, 2147483647, 4294967295,
    9223372036854775807, 18446744073709551615, 0.1, 0.1, 12345678901234567890.1234567890, 2024,
    'naïve "q" \\\\ é', 'ab', 'line\\nbreak 🎵', true, b'1', b'1010101010',
    '2024-02-29', '23:59:58.123456', '2024-02-29 13:45:12.123456', '2024-02-29 11:45:12.5',
    '{"b": [1, 2.50, {"c": null}], "a": "ü"}', '"123"', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', x'00ff10', x'0102',
    'high', 'a,b', '::1'
  )`,
  `insert into sample (id, holder_id) values (2, 1), (3, 2), (4, null)`,
  `create table big (id int primary key, holder_id int, payload longtext, foreign key (holder_id) references holder (id))`,
  `create table odd (id int auto_increment primary key, \`what?\` varchar(10))`,
].join('\n--;;\n');
const BIG = 9_000_000;

const SAMPLE_FIELDS = `id holder_id c_tinyint c_smallint c_mediumint c_int c_uint c_bigint c_ubigint c_float c_double c_decimal c_year
  c_varchar c_char c_text c_bool c_bit1 c_date c_time c_datetime c_timestamp
  c_json c_json_string c_uuid c_binary c_blob c_enum c_set c_inet6`;

describe('nested reads in one statement on mariadb', async () => {
  const available = await requireOrSkip('mariadb');
  const name = 'nested_maria';
  // One connection: tests below change session settings and must be sure to meet them again.
  const registered = useRegisteredDatabase('mariadb', { available, name, sql: SQL, env: { LAZYDB_POOL_MAX: '1' } });
  const { ok, counted } = registered;
  const knexOf = () => registered.server.gateway.get(name)!.pool.knex;

  it.skipIf(!available)('returns every type through relations exactly as a top-level read does, in one statement', async () => {
    const direct = await expectNestedAsTopLevel(registered, SAMPLE_FIELDS);
    expect(direct[0]).toMatchObject({ c_bigint: '9223372036854775807', c_ubigint: '18446744073709551615', c_float: 0.1, c_bool: true, c_bit1: true });
    expect(direct[0]!.c_binary).toBe(Buffer.from([0x00, 0xff, 0x10]).toString('base64'));
    expect(direct[0]!.c_json_string).toBe('123');
  });

  it.skipIf(!available)('keeps filters, order and pages inside nested reads, request after request', async () => {
    const query = `query ($id: Int!, $offset: Int) {
      holder_by_pk(id: $id) { label firsts: samples(order_by: [{id: desc}], limit: 1, offset: $offset) { id } all: samples(where: {c_enum: {_eq: high}}) { id } }
    }`;
    const answers = [];
    for (const [id, offset] of [[1, 0], [1, 1], [1, 2], [2, 0], [3, 0]] as const) answers.push((await counted(() => ok(query, { id, offset }))));
    expect(answers.map((a) => a.statements.length)).toEqual([1, 1, 1, 1, 1]);
    expect(answers.map((a) => a.result.holder_by_pk)).toEqual([
      { label: 'one', firsts: [{ id: 2 }], all: [{ id: 1 }] },
      { label: 'one', firsts: [{ id: 1 }], all: [{ id: 1 }] },
      { label: 'one', firsts: [], all: [{ id: 1 }] },
      { label: 'two', firsts: [{ id: 3 }], all: [] },
      { label: 'empty', firsts: [], all: [] },
    ]);
  });

  it.skipIf(!available)('reads BIT strings per level, with the same answer as a top-level read', async () => {
    const direct = (await ok(`{ sample(order_by: [{id: asc}]) { id c_bits } }`)).sample;
    expect(direct[0].c_bits).toBe(Buffer.from([0x02, 0xaa]).toString('base64'));
    const { result, statements } = await counted(() => ok(`{ holder_by_pk(id: 1) { samples(order_by: [{id: asc}]) { id c_bits } } }`));
    expect(statements).toHaveLength(2);
    expect(result.holder_by_pk.samples).toEqual(direct.slice(0, 2));
  });

  it.skipIf(!available)('answers per level when the server cuts a JSON aggregate short, wherever the cut falls', async () => {
    const queries = [
      `{ holder(order_by: [{id: asc}]) { id samples(order_by: [{id: asc}]) { id c_text c_json } } }`,
      `{ holder(order_by: [{id: asc}]) { id samples(order_by: [{id: asc}]) { id } } }`,
      `{ holder_by_pk(id: 1) { samples(order_by: [{id: asc}]) { id holder { samples(order_by: [{id: desc}]) { id } } } } }`,
    ];
    const knex = knexOf();
    for (const query of queries) {
      const whole = await counted(() => ok(query));
      expect(whole.statements).toHaveLength(1);
      // The pool holds one connection: the setting applies to the statements that follow. Some
      // lengths cut inside a value (invalid JSON), others between rows (valid JSON, rows missing).
      for (let length = 1; length <= 40; length++) {
        await knex.raw(`set session group_concat_max_len = ${length}`);
        try {
          const cut = await counted(() => ok(query));
          expect([query, length, cut.result]).toEqual([query, length, whole.result]);
        } finally {
          await knex.raw('set session group_concat_max_len = 1073741824');
        }
      }
    }
  });

  it.skipIf(!available)('answers per level when a JSON aggregate would exceed max_allowed_packet (the server makes it NULL)', async () => {
    const knex = knexOf();
    // Two rows of 9 MB each: a JSON array of both is more than MariaDB's default 16 MB packet.
    await knex.raw(`insert into big values (1, 1, repeat('x', ${BIG})), (2, 1, repeat('y', ${BIG}))`);
    try {
      const [[{ packet }]] = (await knex.raw('select @@max_allowed_packet as packet')) as [[{ packet: number }]];
      const { result, statements } = await counted(() =>
        ok(`{ holder(order_by: [{id: asc}]) { id bigs(order_by: [{id: asc}]) { id payload holder { id } } } }`),
      );
      expect(result.holder.map((h: { bigs: { id: number; payload: string; holder: { id: number } }[] }) => h.bigs.map((b) => [b.id, b.payload.length, b.payload[0], b.holder.id]))).toEqual([
        [[1, BIG, 'x', 1], [2, BIG, 'y', 1]],
        [],
        [],
      ]);
      if (Number(packet) < 2 * BIG) expect(statements.length).toBeGreaterThan(1);
    } finally {
      await knex.raw('delete from big');
    }
  });

  it.skipIf(!available)('inserts in one statement with RETURNING even when an identifier holds a `?`', async () => {
    const fields = (await ok(`{ __type(name: "odd") { fields { name } } }`)).__type.fields.map((f: { name: string }) => f.name);
    const what = fields.find((f: string) => f !== 'id');
    const { result, statements } = await counted(() => ok(`mutation { insert_odd_one(object: {${what}: "x?y"}) { id ${what} } }`));
    expect(result.insert_odd_one).toEqual({ id: expect.any(Number), [what]: 'x?y' });
    // The placeholders are lazydb's own: a `?` in a name no longer forces the insert-then-read fallback.
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/^insert .* returning /i);
    expect(statements[0]).not.toContain('x?y');
  });

  it.skipIf(!available)('reads per level a related row that comes back NULL although the reference is set', async () => {
    const knex = knexOf();
    // A dangling reference (foreign keys not checked) looks like a row the server dropped as too large.
    await knex.raw('set session foreign_key_checks = 0');
    await knex.raw('insert into sample (id, holder_id) values (98, 99)');
    try {
      const { result, statements } = await counted(() => ok(`{ sample(order_by: [{id: asc}]) { id holder { label } } }`));
      expect(result.sample.map((s: { id: number; holder: { label: string } | null }) => [s.id, s.holder?.label ?? null])).toEqual([
        [1, 'one'], [2, 'one'], [3, 'two'], [4, null], [98, null],
      ]);
      expect(statements.length).toBeGreaterThan(1);
      const clean = await counted(() => ok(`{ sample(where: {id: {_lt: 98}}) { id holder { label } } }`));
      expect(clean.statements).toHaveLength(1);
    } finally {
      await knex.raw('delete from sample where id = 98');
      await knex.raw('set session foreign_key_checks = 1');
    }
  });
});
