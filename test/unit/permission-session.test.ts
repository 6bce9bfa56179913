import { describe, expect, it } from 'vitest';
import { bindSession, matchNothing, presetValues } from '../../server/permissions/session';
import { nameModel, type NamedTable } from '../../server/schema/naming';
import { evaluate, type Row } from '../helpers/bool-exp';
import { column, model, table } from '../helpers/model';

const USER = 'X-Lazydb-User-Id';

function postTable(): NamedTable {
  const named = nameModel(
    model([
      table('author', [column('id', 'int', { nullable: false }), column('org', 'string')], { primaryKey: ['id'] }),
      table('post', [column('id', 'int', { nullable: false }), column('owner', 'string'), column('author_id', 'int'), column('flag', 'boolean')], {
        primaryKey: ['id'],
        foreignKeys: [{ name: 'post_author', columns: ['author_id'], refSchema: 'public', refTable: 'author', refColumns: ['id'] }],
      }),
    ]),
  );
  return named.tables.find((t) => t.typeName === 'post')!;
}

/** Rows of `post` with every owner a user of ours may have, and none. */
const ROWS: Row[] = ['u1', 'u2', null, 'x'].flatMap((owner, i) => [{ id: i * 2, owner }, { id: i * 2 + 1, owner }]);
const noRelations = () => null;
const matching = (where: Record<string, unknown>) => ROWS.filter((row) => evaluate(where, 'post', row, noRelations) === true).map((row) => row.id);

describe('bindSession', () => {
  it('replaces session variables (any case) with the principal\'s values, at every depth, leaving the rule as it was', () => {
    const rule = { _or: [{ owner: { _eq: USER } }, { _not: { owner: { _in: ['x-lazydb-user-id', 'literal'] } } }], author: { org: { _eq: 'X-LAZYDB-ORG' } } };
    const copy = structuredClone(rule);
    const bound = bindSession(rule, { 'x-lazydb-user-id': 'u1', 'x-lazydb-org': 'acme' }, postTable());
    expect(bound).toEqual({ _or: [{ owner: { _eq: 'u1' } }, { _not: { owner: { _in: ['u1', 'literal'] } } }], author: { org: { _eq: 'acme' } } });
    expect(rule).toEqual(copy);
  });

  it('a missing variable makes its comparison match no row, also under _not and _or, and never throws', () => {
    const rules = [
      { owner: { _eq: USER } },
      { _not: { owner: { _eq: USER } } },
      { _not: { _not: { owner: { _neq: USER } } } },
      { _or: [{ owner: { _eq: USER } }, { id: { _lt: 2 } }] },
      { _not: { _or: [{ owner: { _eq: USER } }, { id: { _lt: 2 } }] } },
      { owner: { _in: ['u2', USER] } },
      { _not: { owner: { _nin: [USER] } } },
      { owner: { _neq: USER, _is_null: false } },
    ];
    for (const rule of rules) {
      const failedClosed = matching(bindSession(rule, {}));
      // Whatever value the variable would have had, the rule bound without it matches no row more.
      for (const value of ['u1', 'u2', 'x', 'nobody']) {
        const withValue = matching(bindSession(rule, { 'x-lazydb-user-id': value }));
        expect(failedClosed.every((id) => withValue.includes(id)), `${JSON.stringify(rule)} with ${value}`).toBe(true);
      }
    }
    expect(matching(bindSession({ owner: { _eq: USER } }, {}))).toEqual([]);
    expect(matching(bindSession({ _not: { owner: { _eq: USER } } }, {}))).toEqual([]);
    // The other branch of an _or still counts.
    expect(matching(bindSession({ _or: [{ owner: { _eq: USER } }, { id: { _lt: 2 } }] }, {}))).toEqual([0, 1]);
  });

  it('reads values by the column\'s kind, and text that is no value of it fails closed like a missing variable', () => {
    const post = postTable();
    expect(bindSession({ id: { _eq: USER } }, { 'x-lazydb-user-id': '42' }, post)).toEqual({ id: { _eq: 42 } });
    expect(bindSession({ flag: { _eq: 'X-Lazydb-Flag' } }, { 'x-lazydb-flag': 'true' }, post)).toEqual({ flag: { _eq: true } });
    expect(bindSession({ id: { _eq: USER } }, { 'x-lazydb-user-id': '1 or 1=1' }, post)).toEqual({ _and: [{}, { id: { _in: [] } }] });
    expect(bindSession({ _not: { id: { _gt: USER } } }, { 'x-lazydb-user-id': 'abc' }, post)).toEqual({ _not: { _and: [{}, { _not: { id: { _in: [] } } }] } });
  });

  it('leaves literals that are not session variables alone', () => {
    const rule = { owner: { _eq: 'X-Lazydb-' }, _and: [{ id: { _in: [1, 2] } }] };
    expect(bindSession(rule, { 'x-lazydb-': 'no' })).toEqual(rule);
  });

  it('matchNothing matches no row', () => {
    expect(matching(matchNothing(postTable()))).toEqual([]);
  });
});

describe('presetValues', () => {
  it('binds session variables and keeps literals', () => {
    expect(presetValues({ owner: USER, author_id: 'X-Lazydb-Author', flag: false }, { 'x-lazydb-user-id': 'u1', 'x-lazydb-author': '7' }, postTable())).toEqual({ owner: 'u1', author_id: 7, flag: false });
    expect(presetValues(undefined, {})).toEqual({});
  });

  it('refuses (FORBIDDEN, a 403) rather than writing a preset it has no value for', () => {
    for (const variables of [{}, { 'x-lazydb-author': 'seven' }] as Record<string, string>[]) {
      let error: unknown;
      try {
        presetValues({ author_id: 'X-Lazydb-Author' }, variables, postTable());
      } catch (caught) {
        error = caught;
      }
      expect((error as { extensions?: { code?: string } }).extensions?.code).toBe('FORBIDDEN');
    }
  });
});
