import { describe, expect, it } from 'vitest';
import { decideAccess } from '../../admin/src/auth/access';
import type { PermissionDocument } from '../../admin/src/auth/model';
import { parseJsonObject } from '../../admin/src/common/json';
import type { ResourceInfo } from '../../admin/src/model';
import { documentFromDraft, draftFromDocument, entryKey, placeServerErrors } from '../../admin/src/permissions/draft';

const DOCUMENT: PermissionDocument = {
  album: {
    select: { columns: ['album_id', 'title'], filter: { artist_id: { _eq: 1 } }, limit: 50 },
    insert: { columns: '*', check: { artist_id: { _eq: 'X-Lazydb-User-Id' } }, set: { owner: 'X-Lazydb-User-Id' } },
  },
  artist: { select: { columns: '*', filter: {}, aggregate: true }, delete: { filter: { name: { _like: 'x%' } } } },
};

describe('permission editor draft', () => {
  it('reads a document into a draft and writes the same document back', () => {
    const draft = draftFromDocument(DOCUMENT, ['album', 'artist', 'track']);
    expect(Object.keys(draft)).toEqual(['album', 'artist', 'track']);
    expect(draft.album!.select).toMatchObject({ enabled: true, allColumns: false, columns: ['album_id', 'title'], limit: '50' });
    expect(draft.track!.select.enabled).toBe(false);
    const { document, problems } = documentFromDraft(draft);
    expect(problems).toEqual([]);
    expect(document).toEqual(DOCUMENT);
  });

  it('keeps rules for a table the schema no longer has', () => {
    const draft = draftFromDocument(DOCUMENT, ['artist']);
    expect(Object.keys(draft)).toEqual(['artist', 'album']);
    expect(documentFromDraft(draft).document.album).toEqual(DOCUMENT.album);
  });

  it('names the entry whose JSON does not parse, and the bad limit, and sends nothing then', () => {
    const draft = draftFromDocument(DOCUMENT, ['album', 'artist']);
    draft.album!.select.filter = '{ "artist_id": ';
    draft.album!.select.limit = '0';
    draft.artist!.delete.filter = '[1]';
    const { problems } = documentFromDraft(draft);
    expect(problems.map((p) => `${p.table}.${p.operation}.${p.entry}`)).toEqual(['album.select.filter', 'album.select.limit', 'artist.delete.filter']);
    expect(problems[0]!.message).toMatch(/^Not JSON/);
    expect(problems[2]!.message).toMatch(/JSON object/);
  });

  it('turns an operation on with every column and an empty filter, and off again', () => {
    const draft = draftFromDocument({}, ['track']);
    draft.track!.update.enabled = true;
    expect(documentFromDraft(draft).document).toEqual({ track: { update: { columns: '*', filter: {} } } });
    draft.track!.update.enabled = false;
    expect(documentFromDraft(draft).document).toEqual({});
  });

  it('places the server\'s field errors next to the entry they name, whatever the path style', () => {
    const { byEntry, general } = placeServerErrors(
      [
        { field: 'album.select.filter', message: 'unknown column "nope"' },
        { field: '/album/select/columns/1', message: 'no such column' },
        { field: 'document.artist.delete', message: 'views cannot be deleted from' },
        { field: 'ghost.select', message: 'no such table' },
        { field: '(body)', message: 'must be an object' },
        { field: '(document)', message: 'is required' },
        { field: 'album.select.filter.artist_id._eq', message: 'must be a number' },
      ],
      ['album', 'artist'],
    );
    expect(byEntry.get(entryKey('album', 'select', 'filter'))).toEqual(['unknown column "nope"', 'artist_id._eq: must be a number']);
    expect(byEntry.get(entryKey('album', 'select', 'columns'))).toEqual(['1: no such column']);
    expect(byEntry.get(entryKey('artist', 'delete', ''))).toEqual(['views cannot be deleted from']);
    expect(general).toEqual(['ghost.select: no such table', 'must be an object', 'is required']);
  });

  it('reads an empty editor as {} and refuses arrays and scalars', () => {
    expect(parseJsonObject('  ')).toEqual({ ok: true, value: {} });
    expect(parseJsonObject('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonObject('3').ok).toBe(false);
    expect(parseJsonObject('null').ok).toBe(false);
  });
});

describe('who sees which screen', () => {
  const table = { name: 'album', kind: 'table', writable: true, primaryKey: ['album_id'] } as ResourceInfo;
  const view = { name: 'top', kind: 'view', writable: false, primaryKey: [] } as unknown as ResourceInfo;
  const lookup = (database: string, name: string) => (database === 'shop' ? [table, view].find((r) => r.name === name) : undefined);

  it('lets admins see everything', () => {
    expect(decideAccess('admin', { resource: 'users', action: 'list' }, lookup)).toBe(true);
    expect(decideAccess('admin', { resource: 'db/other/x', action: 'delete' }, lookup)).toBe(true);
  });

  it('shows other roles the tables they may read and no management screen', () => {
    for (const resource of ['users', 'roles', 'keys', 'identity-providers', 'permissions', 'databases', 'usage', 'anything']) {
      expect(decideAccess('editor', { resource, action: 'list' }, lookup)).toBe(false);
    }
    expect(decideAccess('anonymous', { resource: 'db/shop/album', action: 'list' }, lookup)).toBe(true);
    expect(decideAccess('anonymous', { resource: 'db/shop/secret', action: 'list' }, lookup)).toBe(false);
    expect(decideAccess('anonymous', { resource: 'db/shop/top', action: 'list' }, lookup)).toBe(true);
    expect(decideAccess('anonymous', { resource: 'db/shop/top', action: 'edit' }, lookup)).toBe(false);
    expect(decideAccess('editor', { resource: 'db/shop/album', action: 'edit' }, lookup)).toBe(true);
  });
});
