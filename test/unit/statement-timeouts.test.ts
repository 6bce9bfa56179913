/**
 * How each dialect sets the statement timeout on its sessions (issue 12). PostgreSQL and MariaDB
 * are also tried live (test/integration/statement-timeouts.test.ts); MySQL 8 and Oracle cannot run
 * here, so their settings are checked as written.
 */
import { describe, expect, it } from 'vitest';
import { knexConfig as mysqlKnexConfig, sessionTimeout } from '../../server/introspect/mysql/connection';
import { knexConfig as oracleKnexConfig } from '../../server/introspect/oracle/connection';
import { knexConfig as postgresKnexConfig, statementTimeoutOption } from '../../server/introspect/postgres/connection';
import { dialectModule } from '../../server/introspect';

type AfterCreate = (conn: unknown, done: (error: Error | null, conn: unknown) => void) => void;

describe('statement timeouts per dialect', () => {
  it('sets PostgreSQL statement_timeout in the startup options, and nothing without a timeout', () => {
    expect(statementTimeoutOption(2500)).toBe(' -c statement_timeout=2500');
    expect(statementTimeoutOption(undefined)).toBe('');
    expect(() => statementTimeoutOption(1.5)).toThrow(RangeError);
    const config = postgresKnexConfig({ name: 'x', dialect: 'postgres', connection: { host: 'h' } }, { connectTimeoutMs: 50, statementTimeoutMs: 700 });
    expect(config.connection).toMatchObject({ options: '-c TimeZone=UTC -c statement_timeout=700' });
  });

  it('sets MariaDB max_statement_time in seconds and MySQL max_execution_time in ms, on the session', async () => {
    expect(sessionTimeout(1500, true)).toBe(', max_statement_time = 1.5');
    expect(sessionTimeout(1500, false)).toBe(', max_execution_time = 1500');
    expect(sessionTimeout(undefined, true)).toBe('');
    const config = mysqlKnexConfig({ name: 'n', dialect: 'mysql', connection: { host: 'h' } }, { connectTimeoutMs: 50, statementTimeoutMs: 250 });
    const afterCreate = (config.pool as { afterCreate: AfterCreate }).afterCreate;
    for (const [mariadb, expected] of [
      [true, /, max_statement_time = 0\.25$/],
      [false, /, max_execution_time = 250$/],
    ] as const) {
      const sent: string[] = [];
      const conn = { _isMariaDB: mariadb, query: (text: string, cb: (e: Error | null) => void) => (sent.push(text), cb(null)) };
      await new Promise((done) => afterCreate(conn, done));
      expect(sent[0]).toMatch(expected);
    }
  });

  it("sets Oracle's call timeout on each new connection", async () => {
    const config = oracleKnexConfig({ name: 'o', dialect: 'oracle', connection: { host: 'h', user: 'u', database: 'FREEPDB1' } }, { connectTimeoutMs: 50, statementTimeoutMs: 900 });
    const conn = { callTimeout: 0, execute: async () => undefined };
    await new Promise((done) => (config.pool as { afterCreate: AfterCreate }).afterCreate(conn, done));
    expect(conn.callTimeout).toBe(900);
  });

  it('classifies each engine’s timeout error as statement_timeout', () => {
    expect(dialectModule('postgres').describeError(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014', severity: 'ERROR' })).kind).toBe('statement_timeout');
    expect(dialectModule('mysql').describeError({ errno: 1317, sqlMessage: 'Query execution was interrupted' }).kind).toBe('statement_timeout');
    expect(dialectModule('oracle').describeError(Object.assign(new Error('NJS-123: call timeout of 900 ms exceeded'), { code: 'NJS-123' })).kind).toBe('statement_timeout');
    expect(dialectModule('sqlite').statements.cancel).toBeUndefined();
  });
});
