import { describe, expect, it } from 'vitest';
import { requireOrSkip } from '../helpers/databases';
import { expectNestedAsTopLevel, useRegisteredDatabase } from '../helpers/registered';

/**
 * PostgreSQL reads nested relations in one statement, as JSON built by the server. Every
 * value must come back exactly as a top-level read gives it, whatever its type, and reads
 * the JSON path cannot express must still be answered (per level).
 */
const WIDE_COLUMNS = 101;

const SQL = [
  `create type tone as enum ('low', 'high')`,
  `create table holder (id integer primary key, label text)`,
  `create table sample (
    id integer primary key,
    holder_id integer references holder (id),
    c_smallint smallint, c_int integer, c_bigint bigint, c_real real, c_double double precision,
    c_decimal numeric(30,10), c_numeric numeric,
    c_varchar varchar(20), c_char char(4), c_text text, c_bool boolean,
    c_date date, c_time time(6), c_timetz timetz, c_timestamp timestamp(6), c_timestamptz timestamptz,
    c_json json, c_jsonb jsonb, c_json_string jsonb, c_uuid uuid, c_bytes bytea, c_enum tone,
    c_interval interval, c_int_array integer[], c_text_array text[], c_point point, c_inet inet, c_money money
  )`,
  `create table wide (id integer primary key, holder_id integer references holder (id), ${Array.from(
    { length: WIDE_COLUMNS },
    (_, i) => `w${i} integer default ${i}`,
  ).join(', ')})`,
  `insert into holder values (1, 'one'), (2, 'two'), (3, 'empty')`,
  `insert into sample values (
    1, 1, -32768, 2147483647, 9223372036854775807, 1.5, 0.1,
    12345678901234567890.1234567890, 0.000000000000000000001,
    'naïve "q" \\ é', 'ab', E'line\\nbreak 🎵', true,
    '2024-02-29', '23:59:58.123456', '10:00:00+05:30', '2024-02-29 13:45:12.123456', '2024-02-29 11:45:12.5+02',
    '{"b": [1, 2.50, {"c": null}], "a": "ü"}', '{"k": [true, false]}', '"123"',
    'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '\\x00ff10', 'high',
    '1 day 02:03:04', '{1,NULL,3}', '{"a,b","c\\"d"}', '(1.5,2)', '10.0.0.1/8', '12.34'
  )`,
  `insert into sample (id, holder_id) values (2, 1), (3, 2), (4, null)`,
  `insert into wide (id, holder_id) values (1, 1), (2, 1)`,
].join('\n--;;\n');

const SAMPLE_FIELDS = `id holder_id c_smallint c_int c_bigint c_real c_double c_decimal c_numeric
  c_varchar c_char c_text c_bool c_date c_time c_timetz c_timestamp c_timestamptz
  c_json c_jsonb c_json_string c_uuid c_bytes c_enum c_interval c_int_array c_text_array c_point c_inet c_money`;

describe('nested reads in one statement on postgres', async () => {
  const available = await requireOrSkip('postgres');
  // Three nested lists without limits (holder -> samples -> holder -> samples) estimate 100 × 100 × 100 rows with the
  // tests' page of 100: above the default LAZYDB_MAX_COST (5 × 100²), raised here, where nesting is under test, not cost.
  const registered = useRegisteredDatabase('postgres', { available, name: 'nested_pg', sql: SQL, env: { LAZYDB_MAX_COST: '10000000' } });
  const { ok, counted } = registered;

  it.skipIf(!available)('returns every type through relations exactly as a top-level read does', async () => {
    const direct = await expectNestedAsTopLevel(registered, SAMPLE_FIELDS);
    expect(direct[0]!.c_bigint).toBe('9223372036854775807');
    expect(direct[0]!.c_bytes).toBe(Buffer.from([0x00, 0xff, 0x10]).toString('base64'));
    expect(direct[0]!.c_json_string).toBe('123');
  });

  it.skipIf(!available)('reuses a compiled statement with each request its own values and nested answers', async () => {
    const query = `query ($id: Int!, $offset: Int) {
      holder_by_pk(id: $id) { label samples(order_by: [{id: asc}]) { id holder { label } } }
      holder(order_by: [{id: asc}], limit: 1, offset: $offset) { id samples { id } }
    }`;
    const answers = [];
    for (const [id, offset] of [[1, 0], [2, 1], [1, 2], [3, 1]] as const) answers.push(await ok(query, { id, offset }));
    expect(answers.map((a) => a.holder_by_pk)).toEqual([
      { label: 'one', samples: [{ id: 1, holder: { label: 'one' } }, { id: 2, holder: { label: 'one' } }] },
      { label: 'two', samples: [{ id: 3, holder: { label: 'two' } }] },
      { label: 'one', samples: [{ id: 1, holder: { label: 'one' } }, { id: 2, holder: { label: 'one' } }] },
      { label: 'empty', samples: [] },
    ]);
    expect(answers.map((a) => a.holder)).toEqual([
      [{ id: 1, samples: [{ id: 1 }, { id: 2 }] }],
      [{ id: 2, samples: [{ id: 3 }] }],
      [{ id: 3, samples: [] }],
      [{ id: 2, samples: [{ id: 3 }] }],
    ]);
  });

  it.skipIf(!available)('falls back to per-level reads for rows too wide for one JSON array, with the same answer', async () => {
    const columns = Array.from({ length: WIDE_COLUMNS }, (_, i) => `w${i}`).join(' ');
    const { result, statements } = await counted(() => ok(`{ holder(where: {id: {_eq: 1}}) { wides(order_by: [{id: asc}]) { id ${columns} } samples { id } } }`));
    expect(statements).toHaveLength(2);
    const [wide] = result.holder[0].wides;
    expect(result.holder[0].wides).toHaveLength(2);
    expect(wide.w0).toBe(0);
    expect(wide[`w${WIDE_COLUMNS - 1}`]).toBe(WIDE_COLUMNS - 1);
    expect(result.holder[0].samples).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it.skipIf(!available)('keeps filters through relations, pages and order inside nested reads', async () => {
    const { result, statements } = await counted(() =>
      ok(`query ($tone: sample_c_enum_enum) {
        holder(order_by: [{id: asc}]) {
          id
          firsts: samples(order_by: [{id: desc}], limit: 1, offset: 1) { id }
          toned: samples(where: {_and: [{c_enum: {_eq: $tone}}, {holder: {label: {_eq: "one"}}}]}) { id holder { samples { id } } }
        }
      }`, { tone: 'high' }),
    );
    expect(statements).toHaveLength(1);
    expect(result.holder.map((h: { firsts: unknown[] }) => h.firsts)).toEqual([[{ id: 1 }], [], []]);
    expect(result.holder[0].toned).toEqual([{ id: 1, holder: { samples: [{ id: 1 }, { id: 2 }] } }]);
    expect(result.holder[1].toned).toEqual([]);
  });
});
