import { describe, expect, it } from 'vitest';
import { postgresQuirks } from '../../server/introspect/postgres/quirks';
import { postgresStatements } from '../../server/introspect/postgres/statements';
import { aliasCounter, whereCondition } from '../../server/query/filter';
import { compileStatement, sql } from '../../server/sql/fragment';
import { nameModel } from '../../server/schema/naming';
import type { BoolExp } from '../../server/schema/source';
import { hardCaseModel } from '../helpers/model';

/** Filters as SQL: what GraphQL's boolean expressions become, text and values apart. */
describe('whereCondition', () => {
  const named = nameModel(hardCaseModel());
  const album = named.tables.find((t) => t.table.name === 'album')!;
  const condition = (where: BoolExp) => {
    const fragment = whereCondition(where, { quirks: postgresQuirks, table: album, qualifier: ['public', 'album'], nextAlias: aliasCounter() });
    return fragment === null ? null : compileStatement(sql`${fragment}`, postgresStatements);
  };

  it('binds every value and quotes every identifier', () => {
    expect(condition({ title: { _eq: "x'?$1", _like: 'a%' }, album_id: { _in: [1, 2] } })).toEqual({
      text: '"public"."album"."title" = $1 and "public"."album"."title" like $2 and "public"."album"."album_id" in ($3, $4)',
      chunks: expect.any(Array),
      values: ["x'?$1", 'a%', 1, 2],
    });
  });

  it('reads _and, _or and _not as Hasura does: an empty expression is true', () => {
    expect(condition({})).toBeNull();
    expect(condition({ _and: [] })).toBeNull();
    expect(condition({ _or: [] })).toBeNull();
    // `{}` is true, so an _or holding one is true whatever else it holds.
    expect(condition({ _or: [{}, { album_id: { _eq: 1 } }] })).toBeNull();
    expect(condition({ _or: [{ album_id: { _eq: 1 } }, { album_id: { _gt: 3 }, title: { _is_null: true } }] })?.text).toBe(
      '(("public"."album"."album_id" = $1) or ("public"."album"."album_id" > $2 and "public"."album"."title" is null))',
    );
    expect(condition({ _not: { album_id: { _lte: 2 } } })?.text).toBe('not ("public"."album"."album_id" <= $1)');
  });

  it('matches nothing with an empty _in and everything with an empty _nin', () => {
    expect(condition({ album_id: { _in: [] } })?.text).toBe('1 = 0');
    expect(condition({ album_id: { _nin: [] } })).toBeNull();
    expect(condition({ album_id: { _eq: null } })?.text).toBe('"public"."album"."album_id" is null');
  });

  it('filters through a relation with an aliased, correlated EXISTS', () => {
    expect(condition({ artist: { name: { _eq: 'AC/DC' } } })).toMatchObject({
      text: 'exists (select 1 from "public"."artist" "r1" where "r1"."artist_id" = "public"."album"."artist_id" and "r1"."name" = $1)',
      values: ['AC/DC'],
    });
  });
  it('groups long _or and _and lists as a balanced tree, so no engine sees an expression thousands deep', () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({ album_id: { _eq: i } }));
    for (const op of ['_or', '_and'] as const) {
      const statement = condition({ [op]: many })!;
      expect(statement.values).toEqual(many.map((_, i) => i));
      // Nesting depth of parentheses stays logarithmic (a flat chain would be one term after another).
      let depth = 0;
      let deepest = 0;
      for (const char of statement.text) {
        if (char === '(') deepest = Math.max(deepest, ++depth);
        else if (char === ')') depth--;
      }
      expect(deepest).toBeLessThan(20);
      expect(statement.text.split(op === '_or' ? ' or ' : ' and ').length).toBe(2000);
    }
  });
});
