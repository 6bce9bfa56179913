/**
 * The settings a pool hands the driver for one connection pinned to the address the target policy
 * approved (PinnedConnectOptions.connectTo): the address is where it connects, the name the user
 * gave stays what TLS checks the certificate against.
 */
import { describe, expect, it } from 'vitest';
import { dialectModule } from '../../server/introspect';
import type { DatabaseSpec, Dialect } from '../../server/model/types';

const options = (connectTo?: string) => ({ connectTimeoutMs: 1000, ...(connectTo ? { connectTo } : {}) });
const settings = (spec: DatabaseSpec, connectTo?: string) =>
  dialectModule(spec.dialect).knexConfig(spec, options(connectTo)).connection as Record<string, unknown>;
const spec = (dialect: Dialect, connection: DatabaseSpec['connection']): DatabaseSpec => ({ name: 'x', dialect, connection });

describe('PostgreSQL pinned to an approved address', () => {
  it('connects to the address and keeps the name as TLS servername', () => {
    const pinned = settings(spec('postgres', { host: 'db.example.com', port: 5432, user: 'u', database: 'd', ssl: true }), '192.0.2.10');
    expect(pinned.host).toBe('192.0.2.10');
    expect(pinned.ssl).toEqual({ servername: 'db.example.com' });
  });

  it('keeps the other TLS options (sslmode=no-verify) next to the servername', () => {
    const pinned = settings(spec('postgres', { url: 'postgres://u@db.example.com:5432/d?sslmode=no-verify' }), '2001:db8::5');
    expect(pinned.host).toBe('2001:db8::5');
    expect(pinned.ssl).toEqual({ rejectUnauthorized: false, servername: 'db.example.com' });
  });

  it('without TLS only the host changes; an address given as such needs no servername', () => {
    expect(settings(spec('postgres', { host: 'db.example.com', user: 'u', database: 'd' }), '192.0.2.10')).toMatchObject({ host: '192.0.2.10' });
    expect(settings(spec('postgres', { host: 'db.example.com', user: 'u', database: 'd' }), '192.0.2.10').ssl).toBeUndefined();
    expect(settings(spec('postgres', { host: '192.0.2.10', user: 'u', database: 'd', ssl: true }), '192.0.2.10').ssl).toBe(true);
  });

  it('unpinned, the settings are as before', () => {
    const plain = settings(spec('postgres', { host: 'db.example.com', user: 'u', database: 'd', ssl: true }));
    expect(plain.host).toBe('db.example.com');
    expect(plain.ssl).toBe(true);
  });
});

describe('MySQL/MariaDB pinned to an approved address', () => {
  it.each(['mysql', 'mariadb'] as Dialect[])('%s: keeps the name as host (TLS servername) and connects a socket of its own to the address', (dialect) => {
    const pinned = settings(spec(dialect, { host: 'db.example.com', port: 3306, user: 'u', database: 'd', ssl: true }), '192.0.2.10');
    expect(pinned.host).toBe('db.example.com');
    expect(typeof pinned.stream).toBe('function');
    // mysql2 checks the certificate against the name only with verifyIdentity.
    expect(pinned.ssl).toEqual({ rejectUnauthorized: true, verifyIdentity: true });
  });

  it('unpinned, mysql2 opens its own socket', () => {
    expect(settings(spec('mysql', { host: 'db.example.com', user: 'u', database: 'd' })).stream).toBeUndefined();
  });
});

describe('SQLite pinned to an approved real path', () => {
  it('opens the real path that was checked, not the path as written', () => {
    const pinned = settings(spec('sqlite', { filename: '/srv/dbs/link.sqlite' }), '/srv/dbs/real/app.sqlite');
    expect(pinned.filename).toBe('/srv/dbs/real/app.sqlite');
    expect(settings(spec('sqlite', { filename: '/srv/dbs/link.sqlite' })).filename).toBe('/srv/dbs/link.sqlite');
  });
});
