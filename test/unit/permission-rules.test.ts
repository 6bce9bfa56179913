import { describe, expect, it } from 'vitest';
import { roleNamedModel, schemaAccessOf } from '../../server/permissions/access';
import type { PermissionDocument } from '../../server/permissions/document';
import { servableRules, validatePermissions } from '../../server/permissions/validate';
import { nameModel } from '../../server/schema/naming';
import { column, hardCaseModel, model, table } from '../helpers/model';

const named = nameModel(hardCaseModel());
const MAX = 100;

function errorsOf(input: unknown) {
  const result = validatePermissions(input, named, MAX);
  if (result.ok) throw new Error('expected the document to be refused');
  return result.errors;
}

describe('validatePermissions', () => {
  it('accepts a document using columns, relations, operators and session variables as the model has them', () => {
    const doc = {
      artist: { select: { columns: ['artist_id', 'name'], filter: { albums: { title: { _like: 'A%' } } }, limit: 50, aggregate: true } },
      album: {
        select: { columns: '*', filter: { _or: [{ artist_id: { _in: [1, 2] } }, { artist: { name: { _eq: 'X-Lazydb-User-Id' } } }] } },
        insert: { columns: ['title', 'artist_id'], check: { artist_id: { _gt: 0 } }, set: { artist_id: 'x-lazydb-artist' } },
        update: { columns: ['title'], filter: {}, check: { title: { _is_null: false } } },
        delete: { filter: { album_id: { _eq: 'X-Lazydb-User-Id' } } },
      },
      Odd_Table: { select: { columns: ['ID', 'mood'], filter: { mood: { _in: ['happy', 'so-so'] } } } },
    };
    const result = validatePermissions(doc, named, MAX);
    expect(result).toEqual({ ok: true, value: doc });
  });

  it('names every bad entry by its path', () => {
    const errors = errorsOf({
      artist: { select: { columns: ['name', 'nope'], filter: { name: { _like: 3 }, ghost: { _eq: 1 } }, limit: 101 } },
      album: { select: { columns: '*', filter: { artist_id: { _like: '1%' }, artist: { nme: { _eq: 'x' } } } } },
      missing_table: { select: { columns: '*', filter: {} } },
      album_with_artist: { insert: { columns: '*', check: {} } },
    });
    const fields = errors.map((e) => e.field);
    // The shape comes first: limit above LAZYDB_MAX_LIMIT is refused before names are looked at.
    expect(fields).toEqual(['artist.select.limit']);
    expect(errors[0]!.message).toContain('at most 100');

    const named2 = errorsOf({
      artist: { select: { columns: ['name', 'nope'], filter: { name: { _like: 3 }, ghost: { _eq: 1 } } } },
      album: { select: { columns: '*', filter: { artist_id: { _like: '1%' }, artist: { nme: { _eq: 'x' } } } } },
      missing_table: { select: { columns: '*', filter: {} } },
      album_with_artist: { insert: { columns: '*', check: {} } },
    }).map((e) => e.field);
    expect(named2).toEqual([
      'artist.select.columns.1',
      'artist.select.filter.name._like',
      'artist.select.filter.ghost',
      'album.select.filter.artist_id._like',
      'album.select.filter.artist.nme',
      'missing_table',
      'album_with_artist.insert',
    ]);
  });

  it('refuses unknown keys, missing filters, bad limits and malformed session variables', () => {
    expect(errorsOf({ artist: { select: { columns: '*', filter: {}, colums: [] } } })).toEqual([{ field: 'artist.select.colums', message: 'unknown key "colums"' }]);
    expect(errorsOf({ artist: { selec: {} } })[0]!.field).toBe('artist.selec');
    expect(errorsOf({ artist: { select: { columns: '*' } } })).toEqual([{ field: 'artist.select.filter', message: 'is required' }]);
    for (const limit of [0, -1, 1.5, '10']) expect(errorsOf({ artist: { select: { columns: '*', filter: {}, limit } } })[0]!.field).toBe('artist.select.limit');
    expect(errorsOf({ artist: { select: { columns: '*', filter: { name: { _eq: 'X-Lazydb-' } } } } })[0]).toMatchObject({ field: 'artist.select.filter.name._eq' });
    expect(errorsOf({ artist: { select: { columns: '*', filter: { artist_id: { _eq: 'one' } } } } })[0]!.message).toContain('whole number');
    expect(errorsOf({ Odd_Table: { select: { columns: '*', filter: { mood: { _eq: 'angry' } } } } })[0]!.field).toBe('Odd_Table.select.filter.mood._eq');
    expect(errorsOf('everything')[0]!.field).toBe('(document)');
    expect(errorsOf([])[0]!.field).toBe('(document)');
  });

  it('refuses presets on columns that do not exist or cannot be written, and writes on views', () => {
    const generated = nameModel(
      model([
        table('doc', [column('id', 'int', { nullable: false }), column('slug', 'string', { generated: true }), column('owner', 'string', { nullable: false })], {
          primaryKey: ['id'],
        }),
      ]),
    );
    const result = validatePermissions(
      { doc: { insert: { columns: ['slug', 'owner'], check: {}, set: { slug: 'x', nobody: 1, owner: null } } } },
      generated,
      MAX,
    );
    expect(result.ok ? [] : result.errors.map((e) => e.field)).toEqual(['doc.insert.columns.0', 'doc.insert.set.slug', 'doc.insert.set.nobody', 'doc.insert.set.owner']);
  });
});

describe('servableRules', () => {
  it('drops exactly the rules that name what the model no longer has, and says why', () => {
    const stored: PermissionDocument = {
      artist: { select: { columns: ['artist_id', 'name', 'born'], filter: {} }, delete: { filter: {} } },
      album: { select: { columns: '*', filter: { artist: { country: { _eq: 'X-Lazydb-Country' } } } }, update: { columns: ['title'], filter: {} } },
      gone: { select: { columns: '*', filter: {} } },
    };
    const { document, dropped } = servableRules(stored, named);
    // What is left only narrows access: no rule is changed, only left out.
    expect(document).toEqual({ artist: { delete: { filter: {} } }, album: { update: { columns: ['title'], filter: {} } } });
    expect(dropped.map((d) => [d.table, d.operation])).toEqual([
      ['artist', 'select'],
      ['album', 'select'],
      ['gone', null],
    ]);
    expect(dropped[0]!.reason).toContain('born');
    // A document that still fits is served whole.
    expect(servableRules({ artist: { delete: { filter: {} } } }, named).dropped).toEqual([]);
  });

  it('does not trust what it is given: a rule of the wrong shape is dropped, not served', () => {
    const { document, dropped } = servableRules({ artist: { select: { columns: '*', filter: {}, extra: true } }, album: { select: { columns: '*', filter: {} } } }, named);
    expect(Object.keys(document)).toEqual(['album']);
    expect(dropped).toMatchObject([{ table: 'artist', operation: null }]);
    expect(servableRules(null, named).document).toEqual({});
  });
});

describe('schemaAccessOf', () => {
  it('gives selectable, insertable and updatable fields, and the operations offered', () => {
    const access = schemaAccessOf(
      {
        artist: { select: { columns: ['name'], filter: {}, aggregate: true }, insert: { columns: '*', check: {}, set: { name: 'X-Lazydb-User-Id' } } },
        album: {
          select: { columns: ['album_id', 'title'], filter: {} },
          update: { columns: ['title', 'artist_id'], filter: {}, set: { artist_id: 1 } },
          delete: { filter: {} },
        },
        album_tag: { select: { columns: ['album_id', 'tag'], filter: {} } },
        album_with_artist: { select: { columns: [], filter: {} } },
        employee: {},
      },
      named,
    );
    const artist = access.tables.get('artist')!;
    expect([...artist.select!.columns]).toEqual(['name']);
    expect(artist.select!).toMatchObject({ aggregate: true, byPk: false });
    // insert "*" means the writable columns, minus presets: artist_id is generated by default but writable, name is preset.
    expect([...artist.insert!]).toEqual(['artist_id']);
    expect(artist.update).toBeNull();
    expect(artist.delete).toBe(false);
    const album = access.tables.get('album')!;
    expect(album.select).toMatchObject({ aggregate: false, byPk: true });
    expect([...album.update!]).toEqual(['title']);
    expect(album.delete).toBe(true);
    expect(access.tables.get('album_tag')!.select!.byPk).toBe(true);
    // A select of no columns is no select; a table with no usable rule is absent.
    expect(access.tables.has('album_with_artist')).toBe(false);
    expect(access.tables.has('employee')).toBe(false);
    expect(access.tables.has('transfer')).toBe(false);
  });

  it('never offers writes on a view, whatever the document says', () => {
    const access = schemaAccessOf({ album_with_artist: { select: { columns: '*', filter: {} }, insert: { columns: '*', check: {} }, delete: { filter: {} } } }, named);
    expect(access.tables.get('album_with_artist')).toMatchObject({ insert: null, update: null, delete: false });
  });

  it('makes the role model of selectable tables, columns and relations only', () => {
    const access = schemaAccessOf({ album: { select: { columns: ['title', 'artist_id'], filter: {} } }, artist: { select: { columns: '*', filter: {} } } }, named);
    const view = roleNamedModel(named, access);
    expect(view.tables.map((t) => t.typeName)).toEqual(['album', 'artist']);
    const album = view.tables[0]!;
    expect(album.columns.map((c) => c.field)).toEqual(['title', 'artist_id']);
    expect(album.primaryKey).toEqual([]);
    expect(album.relations.map((r) => [r.field, r.target])).toEqual([['artist', view.tables[1]]]);
    // album_tags (to a table the role cannot read) is gone; the full model is untouched.
    expect(view.tables[1]!.relations.map((r) => r.field)).toEqual(['albums']);
    expect(named.tables.find((t) => t.typeName === 'album')!.columns).toHaveLength(3);
  });
});
