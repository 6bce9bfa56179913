import { LazydbError } from '../../server/errors/lazydb-error';
import { describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { sameOrigin } from '../../server/plugins/use-csrf-guard';
import { hostRule, isLoopbackName, parseHostHeader } from '../../server/plugins/use-host-guard';
import { isJsonMediaType } from '../../server/http/io';
import { checkRequestTarget } from '../../server/plugins/use-request-target';
import { postgresDialect } from '../../server/introspect/postgres';
import { sqliteDialect } from '../../server/introspect/sqlite';
import { isDriverError, toGraphQLError } from '../../server/query/errors';
import { describeErrors } from '../../server/rest/sofa';

describe('JSON media types', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['Application/JSON;charset=UTF-8', true],
    ['application/graphql+json', true],
    ['application/vnd.api+json', true],
    ['text/plain', false],
    ['text/plain;a=json', false],
    ['text/json', false],
    ['application/jsonp', false],
    ['application/json-seq', false],
    ['application/x-www-form-urlencoded', false],
    ['multipart/form-data; boundary=x', false],
    ['application/graphql', false],
    ['application/json, text/plain', false],
    ['', false],
    [undefined, false],
  ])('%s -> %s', (type, expected) => {
    expect(isJsonMediaType(type)).toBe(expected);
  });
});

describe('Host rule', () => {
  it('takes Host headers apart', () => {
    expect(parseHostHeader('LocalHost:4000')).toEqual({ name: 'localhost', port: '4000' });
    expect(parseHostHeader('[::1]:80')).toEqual({ name: '::1', port: '80' });
    expect(parseHostHeader('example.com')).toEqual({ name: 'example.com', port: null });
    for (const bad of ['', 'a b', 'a:b:c', '[zz]', 'user@host', 'host/path', 'host:99999999', undefined]) expect(parseHostHeader(bad), String(bad)).toBeNull();
  });

  it('knows the loopback names', () => {
    for (const name of ['localhost', 'app.localhost', '127.0.0.1', '127.255.0.9', '::1', '[::1]', '0:0:0:0:0:0:0:1']) expect(isLoopbackName(name), name).toBe(true);
    for (const name of ['localhost.', 'localhost.evil.example', 'evil-localhost', '128.0.0.1', '10.0.0.1', '::2', '2130706433']) expect(isLoopbackName(name), name).toBe(false);
  });

  it('defaults to loopback names on a loopback address, to any host elsewhere', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) expect(hostRule({ host }), host).toBe(isLoopbackName);
    // Not on loopback (a container on 0.0.0.0 published on 127.0.0.1, a LAN address): loopback
    // names and IP literals, never a DNS name lazydb cannot know (that is how rebinding comes in).
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'lazydb.internal']) {
      const rule = hostRule({ host })!;
      expect(rule, host).not.toBeNull();
      for (const name of ['localhost', '127.0.0.1', '::1', '10.1.2.3', '192.0.2.7', 'fd00::5']) expect(rule(name), `${host} ${name}`).toBe(true);
      for (const name of ['rebind.attacker.example', 'lazydb.internal', '127.0.0.1.nip.io']) expect(rule(name), `${host} ${name}`).toBe(false);
    }
  });

  it('follows LAZYDB_ALLOWED_HOSTS when set', () => {
    const rule = hostRule({ host: '127.0.0.1', allowedHosts: ['LazyDB.example.com', '.corp.example', '[::1]'] })!;
    for (const name of ['lazydb.example.com', 'corp.example', 'a.b.corp.example', '::1']) expect(rule(name), name).toBe(true);
    for (const name of ['localhost', '127.0.0.1', 'evilcorp.example', 'example.com', 'lazydb.example.com.evil']) expect(rule(name), name).toBe(false);
    expect(hostRule({ host: '127.0.0.1', allowedHosts: ['x', '*'] })).toBeNull();
  });
});

describe('same origin', () => {
  it.each([
    ['http://127.0.0.1:4000', '127.0.0.1:4000', true],
    ['http://LOCALHOST:4000', 'localhost:4000', true],
    ['http://[::1]:4000', '[::1]:4000', true],
    ['https://lazydb.example.com', 'lazydb.example.com', true],
    ['https://lazydb.example.com', 'lazydb.example.com:443', true],
    ['http://lazydb.example.com', 'lazydb.example.com', true],
    ['http://127.0.0.1:4001', '127.0.0.1:4000', false],
    ['http://evil.example:4000', '127.0.0.1:4000', false],
    ['null', '127.0.0.1:4000', false],
    ['http://127.0.0.1:4000', undefined, false],
    ['file://', 'localhost', false],
  ])('%s with Host %s -> %s', (origin, host, expected) => {
    expect(sameOrigin(origin, host)).toBe(expected);
  });
});

describe('request targets', () => {
  it('accepts well-formed percent-encoding', () => {
    for (const target of ['/', '/db/a%20b/rest/t?where=%7B%7D&x=a+b', '/db/%C3%A9/graphql', '/api/databases/x?y=%25']) expect(() => checkRequestTarget(target), target).not.toThrow();
  });

  it.each(['/db/%E0%A4%A/graphql', '/db/%/rest', '/api/databases/%ZZ', '/db/x/rest/t/%FF', '/db/x/rest/t?name=%E0%A4', '/x?%'])('refuses %s with 400 BAD_URL_ENCODING', (target) => {
    let thrown: unknown;
    try {
      checkRequestTarget(target);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LazydbError);
    expect([(thrown as LazydbError).status, (thrown as LazydbError).code]).toEqual([400, 'BAD_URL_ENCODING']);
  });
});

describe('errors of the query layer', () => {
  const knexTimeout = Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?'), { name: 'KnexTimeoutError' });

  it('tells driver errors from library errors', () => {
    expect(isDriverError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(true);
    expect(isDriverError(Object.assign(new Error('x'), { errno: 1062 }))).toBe(true);
    expect(isDriverError(Object.assign(new Error('ORA-00001'), { errorNum: 1 }))).toBe(true);
    expect(isDriverError(new AggregateError([Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })]))).toBe(true);
    expect(isDriverError(knexTimeout)).toBe(false);
    expect(isDriverError(new Error('Transaction query already complete, run with DEBUG=knex:tx for more info'))).toBe(false);
    expect(isDriverError(new TypeError('Bind parameters must not contain undefined'))).toBe(false);
  });

  it('never passes a library text on', () => {
    for (const dialect of [postgresDialect, sqliteDialect]) {
      const timeout = toGraphQLError(knexTimeout, dialect, 'pg');
      expect(timeout).toBeInstanceOf(GraphQLError);
      expect(timeout.message).toBe('database "pg" is unavailable: no database connection became free in time; try again shortly');
      expect((timeout as GraphQLError).extensions.code).toBe('DATABASE_UNAVAILABLE');
    }
    // Unknown library errors stay unexpected: yoga, the fast path and REST mask them.
    const complete = new Error('Transaction query already complete, run with DEBUG=knex:tx for more info');
    const translated = toGraphQLError(complete, postgresDialect, 'pg');
    expect(translated).not.toBeInstanceOf(GraphQLError);
    const rest = describeErrors([new GraphQLError(translated.message, { originalError: translated })]);
    expect([rest.status, rest.code, rest.message]).toEqual([500, 'INTERNAL', 'unexpected server error; see the server log']);
  });

  it('keeps what the database said', () => {
    const duplicate = Object.assign(new Error('insert into "t" - duplicate key value violates unique constraint "t_pkey"'), { code: '23505', severity: 'ERROR', constraint: 't_pkey' });
    const error = toGraphQLError(duplicate, postgresDialect, 'pg') as GraphQLError;
    expect([error.message, error.extensions.code, error.extensions.constraint]).toEqual(['duplicate key value violates unique constraint "t_pkey"', 'CONSTRAINT_VIOLATION', 't_pkey']);
  });
});
