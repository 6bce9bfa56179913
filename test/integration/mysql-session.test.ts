import mysql from 'mysql2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knexConfig } from '../../server/introspect/mysql/connection';
import { mysqlStatements } from '../../server/introspect/mysql/statements';
import { compileStatement, sql } from '../../server/sql/fragment';
import { createThrowawayDatabase, requireOrSkip, type ThrowawayDb } from '../helpers/databases';

/**
 * Values reach MySQL/MariaDB spliced into the text, escaped by mysql2 (`'` as `\'`). On a server
 * whose sql_mode has NO_BACKSLASH_ESCAPES the backslash is an ordinary character and the quote
 * would end the string: lazydb's own session setup must take the mode away, whatever the
 * server's default. The server's global mode is not touched here: the session starts with the
 * mode set, as it would on such a server, and then runs lazydb's setup.
 */
const hasMariadb = await requireOrSkip('mariadb');

describe.skipIf(!hasMariadb)('MySQL/MariaDB sessions are safe for spliced values whatever the server sql_mode', () => {
  let db: ThrowawayDb;
  let connection: mysql.Connection;
  const query = (text: string) =>
    new Promise<unknown>((resolve, reject) => connection.query(text, (error, rows) => (error ? reject(error) : resolve(rows))));
  const hostile = "' or 1=1 -- ";

  beforeAll(async () => {
    db = await createThrowawayDatabase('mariadb', { sql: "create table person (id int primary key, name varchar(40));\n--;;\ninsert into person values (1, 'ada'), (2, 'grace')" });
    connection = mysql.createConnection({ host: '127.0.0.1', port: Number(new URL(db.url).port || 3306), user: db.connection.user, password: db.connection.password, database: db.name });
    await query("set session sql_mode = 'STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES'");
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => connection?.end(() => resolve()));
    await db?.drop();
  });

  const matching = async (name: string) => {
    const statement = compileStatement(sql`select ${sql.identifier('id')} from ${sql.identifier('person')} where ${sql.identifier('name')} = ${sql.value(name)}`, mysqlStatements);
    return (await mysqlStatements.execute(connection, statement, { inTransaction: false })).rows;
  };

  it('would let a value become SQL in such a session without lazydb setup (the hole)', async () => {
    expect((await matching(hostile)).length).toBe(2);
  });

  it('binds the value as a value once the pool has set the session up', async () => {
    const config = knexConfig({ name: 'x', dialect: 'mariadb', connection: db.connection }, { connectTimeoutMs: 3000 });
    const afterCreate = (config.pool as { afterCreate: (conn: unknown, done: (error: Error | null) => void) => void }).afterCreate;
    await new Promise<void>((resolve, reject) => afterCreate(connection, (error) => (error ? reject(error) : resolve())));
    const [mode] = (await query('select @@session.sql_mode as mode')) as { mode: string }[];
    expect(mode!.mode).not.toContain('NO_BACKSLASH_ESCAPES');
    expect(mode!.mode).toContain('STRICT_TRANS_TABLES');
    expect(await matching(hostile)).toEqual([]);
    expect(await matching("ada")).toEqual([{ id: 1 }]);
    expect(await matching("it's")).toEqual([]);
  });
});
