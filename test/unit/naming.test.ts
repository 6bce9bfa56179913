import { describe, expect, it } from 'vitest';
import { nameModel, pluralize, toGraphQLName } from '../../server/schema/naming';
import { hardCaseModel } from '../helpers/model';

describe('toGraphQLName', () => {
  it('keeps valid names exactly', () => {
    expect(toGraphQLName('Artist')).toBe('Artist');
    expect(toGraphQLName('artist_id')).toBe('artist_id');
  });
  it('makes odd identifiers safe and readable', () => {
    expect(toGraphQLName('Odd Table')).toBe('Odd_Table');
    expect(toGraphQLName('naïve')).toBe('naive');
    expect(toGraphQLName('quote"d')).toBe('quote_d');
    expect(toGraphQLName('1st')).toBe('_1st');
    expect(toGraphQLName('__secret')).toBe('x__secret');
    expect(toGraphQLName('日本')).toBe('_x');
  });
  it('pluralises relation names', () => {
    expect(pluralize('album')).toBe('albums');
    expect(pluralize('Album')).toBe('Albums');
    expect(pluralize('category')).toBe('categories');
    expect(pluralize('address')).toBe('addresses');
  });
});

describe('nameModel', () => {
  const named = nameModel(hardCaseModel());
  const byLabel = (label: string) => named.tables.find((t) => t.label === label)!;

  it('keeps valid table names and gives every table the Hasura root fields', () => {
    const artist = byLabel('public.artist');
    expect(artist.typeName).toBe('artist');
    expect(artist.root).toMatchObject({ list: 'artist', byPk: 'artist_by_pk', aggregate: 'artist_aggregate', insertOne: 'insert_artist_one' });
  });

  it('resolves names that collide once made safe, deterministically', () => {
    expect(byLabel('public.user data').typeName).toBe('user_data');
    expect(byLabel('public.user_data').typeName).toBe('user_data_2');
    expect(nameModel(hardCaseModel()).tables.map((t) => t.typeName)).toEqual(named.tables.map((t) => t.typeName));
  });

  it('prefixes tables of other schemas with the schema', () => {
    expect(byLabel('inventory.artist').typeName).toBe('inventory_artist');
  });

  it('keeps columns reachable under safe, unique field names', () => {
    const odd = byLabel('public.Odd Table');
    expect(odd.typeName).toBe('Odd_Table');
    const fields = Object.fromEntries(odd.columns.map((c) => [c.column.name, c.field]));
    expect(fields).toEqual({
      ID: 'ID',
      'Mixed Case': 'Mixed_Case',
      select: 'select',
      'quote"d': 'quote_d',
      naïve: 'naive',
      'a b': 'a_b',
      a_b: 'a_b_2',
      'col-with-dash': 'col_with_dash',
      mood: 'mood',
    });
  });

  it('names relations: object by the key column, arrays by the referencing table', () => {
    const album = byLabel('public.album');
    const artist = byLabel('public.artist');
    expect(album.relations.map((r) => [r.field, r.kind])).toContainEqual(['artist', 'object']);
    expect(artist.relations.map((r) => [r.field, r.kind])).toContainEqual(['albums', 'array']);
    const employee = byLabel('public.employee');
    expect(employee.relations.map((r) => r.field).sort()).toEqual(['employees', 'manager']);
  });

  it('disambiguates two foreign keys to the same table', () => {
    const transfer = byLabel('public.transfer');
    const account = byLabel('public.account');
    expect(transfer.relations.map((r) => r.field).sort()).toEqual(['account_by_from_account', 'account_by_to_account']);
    expect(account.relations.map((r) => r.field).sort()).toEqual(['transfers_by_from_account', 'transfers_by_to_account']);
  });

  it('reports renames, key-less tables and views', () => {
    const report = named.report.map((r) => `${r.level} ${r.object}`);
    expect(report).toContain('renamed public.Odd Table');
    expect(report).toContain('renamed public.Odd Table.naïve');
    expect(report).toContain('degraded public.event_log');
    expect(report).toContain('info public.album_with_artist');
    expect(byLabel('public.album_with_artist').writable).toBe(false);
  });

  it('never lets a table take a name derived from another', () => {
    const tricky = hardCaseModel();
    tricky.tables.push({ ...tricky.tables.find((t) => t.name === 'artist')!, name: 'artist_by_pk' });
    tricky.tables.push({ ...tricky.tables.find((t) => t.name === 'artist')!, name: 'artist_bool_exp' });
    const names = nameModel(tricky).tables.map((t) => t.typeName);
    expect(new Set(names).size).toBe(names.length);
    expect(names).not.toContain('artist_bool_exp');
  });
});
