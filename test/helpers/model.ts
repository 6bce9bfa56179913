import type { DataSource } from '../../server/schema/source';
import type { ColumnModel, DbModel, TableModel } from '../../server/model/types';

/** Small builders for hand-written models in unit tests. */
export function column(name: string, kind: ColumnModel['kind'], extra: Partial<ColumnModel> = {}): ColumnModel {
  return {
    name,
    kind,
    sqlType: kind,
    nullable: true,
    hasDefault: false,
    defaultValue: null,
    autoIncrement: false,
    generated: false,
    length: null,
    precision: null,
    scale: null,
    comment: null,
    ...extra,
  };
}

export function table(name: string, columns: ColumnModel[], extra: Partial<TableModel> = {}): TableModel {
  return { schema: 'public', name, kind: 'table', columns, primaryKey: [], uniqueKeys: [], foreignKeys: [], comment: null, ...extra };
}

export function model(tables: TableModel[], extra: Partial<DbModel> = {}): DbModel {
  return {
    formatVersion: 1,
    dialect: 'postgres',
    serverVersion: 'test',
    schemas: ['public'],
    tables,
    report: [],
    introspectedAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

/** The fixture's hard cases in model form: keys, relations, a view, odd names. */
export function hardCaseModel(): DbModel {
  const id = (name: string) => column(name, 'int', { nullable: false, autoIncrement: true, hasDefault: true });
  return model(
    [
      table('album', [id('album_id'), column('title', 'string', { nullable: false }), column('artist_id', 'int', { nullable: false })], {
        primaryKey: ['album_id'],
        foreignKeys: [{ name: 'album_artist_fk', columns: ['artist_id'], refSchema: 'public', refTable: 'artist', refColumns: ['artist_id'] }],
      }),
      table('album_tag', [column('album_id', 'int', { nullable: false }), column('tag', 'string', { nullable: false }), column('weight', 'int')], {
        primaryKey: ['album_id', 'tag'],
        foreignKeys: [{ name: 'album_tag_album_fk', columns: ['album_id'], refSchema: 'public', refTable: 'album', refColumns: ['album_id'] }],
      }),
      table('album_with_artist', [column('album_id', 'int'), column('title', 'string'), column('artist_name', 'string')], { kind: 'view' }),
      table('artist', [id('artist_id'), column('name', 'string', { nullable: false })], { primaryKey: ['artist_id'] }),
      table('employee', [id('employee_id'), column('name', 'string', { nullable: false }), column('manager_id', 'int')], {
        primaryKey: ['employee_id'],
        foreignKeys: [{ name: 'employee_manager_fk', columns: ['manager_id'], refSchema: 'public', refTable: 'employee', refColumns: ['employee_id'] }],
      }),
      table('event_log', [column('happened_at', 'datetime'), column('level', 'string', { nullable: false }), column('message', 'string')]),
      table(
        'Odd Table',
        [
          column('ID', 'int', { nullable: false }),
          column('Mixed Case', 'string'),
          column('select', 'int'),
          column('quote"d', 'string'),
          column('naïve', 'string'),
          column('a b', 'int'),
          column('a_b', 'int'),
          column('col-with-dash', 'int'),
          column('mood', 'enum', { enumValues: ['happy', 'sad', 'so-so', 'true'] }),
        ],
        { primaryKey: ['ID'] },
      ),
      table('account', [id('account_id'), column('owner', 'string', { nullable: false })], { primaryKey: ['account_id'] }),
      table('transfer', [id('transfer_id'), column('from_account', 'int', { nullable: false }), column('to_account', 'int', { nullable: false }), column('amount', 'decimal', { nullable: false })], {
        primaryKey: ['transfer_id'],
        foreignKeys: [
          { name: 'transfer_from_fk', columns: ['from_account'], refSchema: 'public', refTable: 'account', refColumns: ['account_id'] },
          { name: 'transfer_to_fk', columns: ['to_account'], refSchema: 'public', refTable: 'account', refColumns: ['account_id'] },
        ],
      }),
      table('user data', [column('id', 'int', { nullable: false }), column('label', 'string')], { primaryKey: ['id'] }),
      table('user_data', [column('id', 'int', { nullable: false }), column('label', 'string')], { primaryKey: ['id'] }),
      table('artist', [column('id', 'int', { nullable: false }), column('label', 'string')], { schema: 'inventory', primaryKey: ['id'] }),
    ],
    { schemas: ['public', 'inventory'] },
  );
}

/**
 * A data source that answers nothing (no rows, no counts, no writes): for building and validating
 * schemas where no resolver runs, or `list` is given its own rows through `overrides`.
 */
export function emptySource(overrides: Partial<DataSource> = {}): DataSource {
  return {
    readsNested: false,
    list: async () => [],
    byKey: async () => null,
    count: async () => 0,
    related: async () => null,
    relatedList: async () => [],
    insert: async () => [],
    update: async () => [],
    delete: async () => [],
    ...overrides,
  };
}
