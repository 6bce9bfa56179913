import { describe, expect, it } from 'vitest';
import { ApiError } from '../../admin/src/api';
import { fieldErrors, fieldForConnectionError, specFromValues, valuesFromDatabase, type ConnectionValues } from '../../admin/src/connection/spec';
import type { DatabaseInfo } from '../../admin/src/model';

const base: ConnectionValues = {
  name: 'shop',
  dialect: 'postgres',
  mode: 'fields',
  connection: { host: ' db.local ', port: '5433', user: 'app', password: 's3cret', database: 'shop', ssl: false, url: 'ignored', filename: 'ignored' },
  schemas: 'public, sales ,',
};

describe('connection form -> management API', () => {
  it('sends only the fields of the chosen form', () => {
    expect(specFromValues(base, false)).toEqual({
      name: 'shop',
      dialect: 'postgres',
      connection: { host: 'db.local', port: 5433, user: 'app', password: 's3cret', database: 'shop' },
      schemas: ['public', 'sales'],
    });
    expect(specFromValues({ ...base, mode: 'url', connection: { url: 'postgres://a@h/db', password: '' } }, false)).toEqual({
      name: 'shop',
      dialect: 'postgres',
      connection: { url: 'postgres://a@h/db' },
      schemas: ['public', 'sales'],
    });
    expect(specFromValues({ ...base, dialect: 'sqlite', connection: { filename: '/data/x.sqlite', host: 'h' }, schemas: '' }, false)).toEqual({
      name: 'shop',
      dialect: 'sqlite',
      connection: { filename: '/data/x.sqlite' },
    });
  });

  it('on edit: no name, an empty password keeps the stored one, cleared schemas return to the default', () => {
    const spec = specFromValues({ ...base, connection: { ...base.connection, password: '' }, schemas: '' }, true);
    expect(spec).toEqual({ dialect: 'postgres', connection: { host: 'db.local', port: 5433, user: 'app', database: 'shop', ssl: false }, schemas: null });
  });

  it('reads a registered database back without its password', () => {
    const db = {
      name: 'shop',
      dialect: 'mariadb',
      connection: { host: 'h', port: 3306, user: 'u', password: '********', database: 'd' },
      schemas: ['d', 'e'],
    } as unknown as DatabaseInfo;
    expect(valuesFromDatabase(db)).toEqual({
      name: 'shop',
      dialect: 'mariadb',
      mode: 'fields',
      connection: { url: null, host: 'h', port: 3306, user: 'u', password: '', database: 'd', ssl: false, filename: null },
      schemas: 'd, e',
    });
    expect(valuesFromDatabase({ ...db, connection: { url: 'mysql://u:********@h/d' } } as DatabaseInfo).mode).toBe('url');
  });
});

describe('server errors on the right fields', () => {
  it('places 400 field errors on the inputs shown and lists the others', () => {
    const error = new ApiError('invalid', 400, 'VALIDATION_FAILED', [
      { field: 'connection.port', message: 'must be between 1 and 65535' },
      { field: 'schemas.1', message: 'must be 1 to 128 characters' },
      { field: 'connection.url', message: 'give either url or the separate fields' },
      { field: '(body)', message: 'must be a JSON object' },
    ]);
    expect(fieldErrors(error, base)).toEqual({
      errors: { 'connection.port': 'must be between 1 and 65535', schemas: 'must be 1 to 128 characters' },
      unplaced: ['connection.url: give either url or the separate fields', 'must be a JSON object'],
    });
  });

  it('puts a connection failure on the field it is about', () => {
    expect(fieldForConnectionError('password authentication failed for user "app"', base)).toBe('connection.password');
    expect(fieldForConnectionError("Access denied for user 'root'@'localhost' (using password: YES)", base)).toBe('connection.password');
    expect(fieldForConnectionError('role "nobody" does not exist', base)).toBe('connection.user');
    expect(fieldForConnectionError('database "nope" does not exist', base)).toBe('connection.database');
    expect(fieldForConnectionError('connect ECONNREFUSED 127.0.0.1:5999', base)).toBe('connection.host');
    expect(fieldForConnectionError('anything', { ...base, mode: 'url' })).toBe('connection.url');
    expect(fieldForConnectionError('something odd', base)).toBeNull();
  });
});
