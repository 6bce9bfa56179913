import { describe, expect, it } from 'vitest';
import type { PermissionDocument } from '../../server/permissions/document';
import { flattenRoles, RoleConflict, type RoleDefinition } from '../../server/permissions/inherit';

const roles = (...list: [string, string[]][]) => new Map<string, RoleDefinition>(list.map(([name, inherits]) => [name, { name, inherits }]));

describe('role inheritance, flattened', () => {
  it('gives a child exactly the union of its parents where the union is exact', () => {
    const own = new Map<string, PermissionDocument>([
      ['a', { artist: { select: { columns: ['id', 'name'], filter: { id: { _lte: 10 } }, limit: 5 } }, album: { delete: { filter: { owner: { _eq: 'X-Lazydb-User-Id' } } } } }],
      ['b', { artist: { select: { columns: ['id', 'name'], filter: { id: { _gt: 100 } }, aggregate: true } }, album: { delete: { filter: { public: { _eq: true } } } } }],
    ]);
    const flat = flattenRoles({ roles: roles(['a', []], ['b', []], ['c', ['a', 'b']]), own });
    expect(flat.get('c')).toEqual({
      artist: { select: { columns: ['id', 'name'], filter: { _or: [{ id: { _lte: 10 } }, { id: { _gt: 100 } }] }, aggregate: true } },
      album: { delete: { filter: { _or: [{ owner: { _eq: 'X-Lazydb-User-Id' } }, { public: { _eq: true } }] } } },
    });
  });

  it('unites columns of the same rows, and lets a filter of every row absorb the rest', () => {
    const own = new Map<string, PermissionDocument>([
      ['a', { t: { select: { columns: ['x'], filter: {} } } }],
      ['b', { t: { select: { columns: ['y'], filter: {} } } }],
      ['c', { t: { select: { columns: ['x'], filter: { x: { _eq: 1 } } } } }],
    ]);
    const flat = flattenRoles({ roles: roles(['a', []], ['b', []], ['c', []], ['ab', ['a', 'b']], ['ac', ['a', 'c']]), own });
    expect(flat.get('ab')!.t!.select).toEqual({ columns: ['x', 'y'], filter: {} });
    expect(flat.get('ac')!.t!.select).toEqual({ columns: ['x'], filter: {} });
  });

  it('refuses a union that has no exact form: other columns of other rows', () => {
    const own = new Map<string, PermissionDocument>([
      ['a', { t: { select: { columns: ['x'], filter: { x: { _eq: 1 } } } } }],
      ['b', { t: { select: { columns: ['x', 'secret'], filter: { x: { _eq: 2 } } } } }],
    ]);
    expect(() => flattenRoles({ roles: roles(['a', []], ['b', []], ['c', ['a', 'b']]), own })).toThrow(RoleConflict);
    // The role's own rule settles it.
    own.set('c', { t: { select: { columns: ['x'], filter: {} } } });
    expect(flattenRoles({ roles: roles(['a', []], ['b', []], ['c', ['a', 'b']]), own }).get('c')!.t!.select).toEqual({ columns: ['x'], filter: {} });
  });

  it('flattens nested inheritance bottom-up, so no grandparent rule reaches a grandchild wider than its parent holds it', () => {
    const own = new Map<string, PermissionDocument>([
      ['base', { t: { select: { columns: ['x', 'secret'], filter: {} } } }],
      // mid narrows what it inherits by setting its own rule.
      ['mid', { t: { select: { columns: ['x'], filter: { x: { _eq: 1 } } } } }],
    ]);
    const flat = flattenRoles({ roles: roles(['base', []], ['mid', ['base']], ['leaf', ['mid']]), own });
    expect(flat.get('leaf')!.t!.select).toEqual({ columns: ['x'], filter: { x: { _eq: 1 } } });
  });

  it('refuses cycles and unknown parents', () => {
    expect(() => flattenRoles({ roles: roles(['a', ['b']], ['b', ['a']]), own: new Map() })).toThrow(/inherits from itself/);
    expect(() => flattenRoles({ roles: roles(['a', ['ghost']]), own: new Map() })).toThrow(/does not exist/);
  });

  it('refuses inserts with different columns or presets, and unites checks otherwise', () => {
    const insert = (check: object, set?: object) => ({ t: { insert: { columns: ['x'], check, ...(set ? { set } : {}) } } }) as PermissionDocument;
    const ok = flattenRoles({ roles: roles(['a', []], ['b', []], ['c', ['a', 'b']]), own: new Map([['a', insert({ x: { _eq: 1 } })], ['b', insert({ x: { _eq: 2 } })]]) });
    expect(ok.get('c')!.t!.insert!.check).toEqual({ _or: [{ x: { _eq: 1 } }, { x: { _eq: 2 } }] });
    expect(() => flattenRoles({ roles: roles(['a', []], ['b', []], ['c', ['a', 'b']]), own: new Map([['a', insert({})], ['b', insert({}, { owner: 'X-Lazydb-User-Id' })]]) })).toThrow(RoleConflict);
  });
});
