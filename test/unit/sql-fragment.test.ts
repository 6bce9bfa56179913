import { describe, expect, it } from 'vitest';
import { mysqlStatements, spliceValues } from '../../server/introspect/mysql/statements';
import { oracleStatements } from '../../server/introspect/oracle/statements';
import { postgresStatements } from '../../server/introspect/postgres/statements';
import { sqliteStatements } from '../../server/introspect/sqlite/statements';
import { compileStatement, compileTemplate, sql, TooManyBindingsError, type Keyword } from '../../server/sql/fragment';

const hostile = ['?', '??', '$1', ':name', '::', '\\', '.', '"', "'", '`', ';', '--', '/*', '%', '{}', 'a.b', ' lead', '\ttab'];

describe('sql fragments', () => {
  it('refuses anything interpolated that is not a fragment', () => {
    const bad = ['text', 1, null, undefined, { text: 'x' }, ['a']];
    for (const value of bad) expect(() => sql`select ${value as never}`).toThrow(TypeError);
    // Called as a plain function with an array built at run time: not a template.
    expect(() => (sql as unknown as (s: string[]) => unknown)(['select 1'])).toThrow(/tagged template/);
    expect(() => sql.join(['a' as never], ', ')).toThrow(TypeError);
    expect(() => sql.join([sql`a`], '; drop' as never)).toThrow(TypeError);
    expect(() => sql.keyword('drop table' as Keyword)).toThrow(TypeError);
  });

  it('refuses NUL and empty lists of parts in identifiers', () => {
    expect(() => sql.identifier('a\0b')).toThrow(/NUL/);
    expect(() => sql.identifier()).toThrow(TypeError);
  });

  it('quotes every part by the dialect, whatever it holds, and writes its own placeholders', () => {
    const statement = (syntax: typeof postgresStatements) =>
      compileStatement(sql`select ${sql.join(hostile.map((name) => sql.identifier('s.x', name)), ', ')} from ${sql.identifier('s.x', 't"`')} where ${sql.identifier('a?')} = ${sql.value('?')} and ${sql.identifier('b')} = ${sql.value('$1')}`, syntax);
    const pg = statement(postgresStatements);
    expect(pg.text).toBe(
      `select ${hostile.map((n) => `"s.x"."${n.replaceAll('"', '""')}"`).join(', ')} from "s.x"."t""\`" where "a?" = $1 and "b" = $2`,
    );
    expect(pg.values).toEqual(['?', '$1']);
    expect(statement(oracleStatements).text).toMatch(/ where "a\?" = :1 and "b" = :2$/);
    expect(statement(sqliteStatements).text).toMatch(/ where "a\?" = \? and "b" = \?$/);
    const my = statement(mysqlStatements);
    expect(my.text).toContain('`s.x`.`t"``` where `a?` = ? and `b` = ?');
    expect(my.chunks).toHaveLength(3);
  });

  it('splices MySQL values at the places it recorded, never where a `?` sits in a name', () => {
    const statement = compileStatement(sql`select ${sql.identifier('?')}, ${sql.identifier('??')} from ${sql.identifier('t?')} where ${sql.identifier('a?b')} = ${sql.value("x'?")} and ${sql.identifier('n')} in (${sql.join([sql.value(1), sql.value(null)], ', ')})`, mysqlStatements);
    const escape = (value: unknown) => `'${String(value).replaceAll("'", "\\'")}'`;
    expect(spliceValues(statement.chunks, statement.values, escape)).toBe("select `?`, `??` from `t?` where `a?b` = 'x\\'?' and `n` in (1, NULL)");
    expect(() => spliceValues(statement.chunks, statement.values, escape)).not.toThrow();
    expect(() => spliceValues(['a', 'b'], [{ a: 1 }], escape)).toThrow(TypeError);
    expect(() => spliceValues(['a'], [1], escape)).toThrow(RangeError);
  });

  it('binds slots per call and keeps constants', () => {
    const template = compileTemplate(sql`select ${sql.value('k')}, ${sql.slot(1)}, ${sql.slot(0)}, ${sql.slot(1)}`, postgresStatements);
    expect(template.text).toBe('select $1, $2, $3, $4');
    expect(template.bind(['a', 'b']).values).toEqual(['k', 'b', 'a', 'b']);
    expect(template.bind(['c', 'd']).values).toEqual(['k', 'd', 'c', 'd']);
    expect(() => template.bind(['only one'])).toThrow(RangeError);
  });

  it('refuses a PostgreSQL statement with more than 65,535 values before it is sent', () => {
    const values = (n: number) => sql.join(Array.from({ length: n }, (_, i) => sql.value(i)), ', ');
    expect(compileStatement(sql`select ${values(65_535)}`, postgresStatements).values).toHaveLength(65_535);
    expect(() => compileStatement(sql`select ${values(65_536)}`, postgresStatements)).toThrow(TooManyBindingsError);
    expect(() => compileStatement(sql`select ${values(65_536)}`, postgresStatements)).toThrow(/at most 65535/);
  });
});

describe('oracle RETURNING … INTO', () => {
  it('binds one out bind per column at placeholders of its own and reads their values back as rows', async () => {
    const { oracleQuirks } = await import('../../server/introspect/oracle/quirks');
    const { returnedRows } = await import('../../server/introspect/oracle/statements');
    const statement = compileStatement(sql`insert into ${sql.identifier('S', 'T?')} (${sql.identifier(':a')}) values (${sql.value('x')})${oracleQuirks.returning(['ID', ':a'])}`, oracleStatements);
    expect(statement.text).toBe('insert into "S"."T?" (":a") values (:1) returning "ID", ":a" into :2, :3');
    expect(statement.values[0]).toBe('x');
    expect(statement.values.slice(1)).toEqual([expect.objectContaining({ maxSize: 32_767 }), expect.objectContaining({ maxSize: 32_767 })]);
    // node-oracledb gives a DML RETURNING's out binds as one array per bind, a value per changed row.
    expect(returnedRows(statement.values, [['1', '2'], ['x', 'y']])).toEqual([
      { ID: '1', ':a': 'x' },
      { ID: '2', ':a': 'y' },
    ]);
  });
});

describe('fragment construction', () => {
  it('cannot be done outside the builders', async () => {
    const { SqlFragment } = await import('../../server/sql/fragment');
    expect(() => new SqlFragment(Symbol('lazydb.sql.builder'), [{ kind: 'text', text: 'drop table x' }])).toThrow(TypeError);
  });

  it('answers a statement refused for its size as a 400 that says what to do', async () => {
    const { toGraphQLError } = await import('../../server/query/errors');
    const { postgresDialect } = await import('../../server/introspect/postgres');
    const error = toGraphQLError(new TooManyBindingsError(70_000, 65_535), postgresDialect, 'db');
    expect((error as Error & { extensions?: unknown }).extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'too_many_bindings' });
    expect(error.message).toMatch(/70000 values.*at most 65535.*fewer/);
  });
});

describe('pages per dialect', () => {
  it('writes an offset without a limit the way each engine takes it', async () => {
    const { mysqlQuirks } = await import('../../server/introspect/mysql/quirks');
    const { sqliteQuirks } = await import('../../server/introspect/sqlite/quirks');
    const { postgresQuirks } = await import('../../server/introspect/postgres/quirks');
    const { oracleQuirks } = await import('../../server/introspect/oracle/quirks');
    const offset = sql.value(5);
    const my = compileStatement(sql`select 1${mysqlQuirks.page(null, offset)}`, mysqlStatements);
    // MySQL's LIMIT takes a number literal only: its "no limit" must not be quoted.
    expect(spliceValues(my.chunks, my.values, (v) => `'${String(v)}'`)).toBe('select 1 limit 18446744073709551615 offset 5');
    expect(compileStatement(sql`select 1${sqliteQuirks.page(null, offset)}`, sqliteStatements)).toMatchObject({ text: 'select 1 limit ? offset ?', values: [-1, 5] });
    expect(compileStatement(sql`select 1${postgresQuirks.page(null, offset)}`, postgresStatements).text).toBe('select 1 offset $1');
    expect(compileStatement(sql`select 1${oracleQuirks.page(sql.value(2), offset)}`, oracleStatements).text).toBe('select 1 offset :1 rows fetch next :2 rows only');
  });
});
