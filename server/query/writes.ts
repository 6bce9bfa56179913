import type { Capabilities } from '../introspect/dialect';
import { isWritable } from '../schema/build';
import { badInput, lazydbError } from '../errors/graphql';
import type { NamedColumn, NamedTable } from '../schema/naming';
import { markUnreadable, type BoolExp, type RequestContext, type Row } from '../schema/source';
import { sql, type SqlFragment } from '../sql/fragment';
import { withColumns, type EngineCore, type Executor } from './core';
import { whereClause, whereCondition } from './filter';
import { chunks, keyOf, keyValuesCondition } from './keys';
import { tableQualifier, tableReference, type Qualifier } from './sql';

/** The columns a written row can be found again by (its primary key or a unique key) and its values on them, by field. */
interface InsertedKey {
  columns: NamedColumn[];
  values: Row;
}

/** One column's value in an insert or update, by SQL column name. */
interface Assignment {
  column: string;
  value: unknown;
}

/**
 * Inserts, updates and deletes, each answering with the rows as stored: through RETURNING where
 * the server has it (Capabilities), else by reading the rows back by key in the same transaction.
 */
export class Writes {
  constructor(
    private readonly core: EngineCore,
    private readonly capabilities: Capabilities,
    /** Most rows one bulk update or delete may touch (LAZYDB_MAX_AFFECTED_ROWS): found first, and refused above, before any row changes. */
    private readonly maxAffectedRows: number,
  ) {}

  /**
   * Inserts `objects`, all or none. `check` (a permission wrapper's): every inserted row must
   * match it, verified in the same transaction after the inserts; otherwise the transaction is
   * rolled back and PERMISSION_CHECK_FAILED raised.
   */
  async insert(table: NamedTable, objects: Row[], columns: NamedColumn[], context?: RequestContext, check?: BoolExp | null): Promise<Row[]> {
    const { core } = this;
    assertWritable(table);
    // One row with RETURNING is a single atomic statement: no BEGIN/COMMIT round trips.
    if (!check && objects.length === 1 && columns.length > 0 && this.capabilities.insertReturning) {
      return core.run(async () => [(await this.insertOne(core.on(context), table, objects[0]!, columns, false)).row]);
    }
    return core.run(() =>
      core.knex.transaction(async (db) => {
        const trx = core.on(context, db);
        const rows: Row[] = [];
        const keys: (InsertedKey | null)[] = [];
        for (const object of objects) {
          const inserted = await this.insertOne(trx, table, object, columns, Boolean(check));
          rows.push(inserted.row);
          keys.push(inserted.key);
        }
        if (check) await this.verifyCheck(trx, table, keys, check, 'inserted');
        return rows;
      }),
    );
  }

  /**
   * Updates the rows `where` matches; with `check`, every row as updated must match it (verified in
   * the same transaction, as for insert). With `visible` (the writer's select filter), rows as
   * updated that it does not match come back marked unreadable.
   */
  async update(table: NamedTable, where: BoolExp, set: Row, columns: NamedColumn[], context?: RequestContext, check?: BoolExp | null, visible?: BoolExp | null): Promise<Row[]> {
    const { core } = this;
    assertWritable(table);
    const assignments = this.encodeObject(table, set);
    return this.inTransaction(context, async (trx) => {
      const target = tableReference(table.table);
      if (table.primaryKey.length > 0) {
        const keys = await this.matchingKeys(trx, table, where);
        if (keys.length === 0) return [];
        if (assignments.length > 0) await this.byKeyChunks(trx, table, keys, (condition) => sql`update ${target} set ${setList(assignments)} where ${condition}`);
        const newKeys = keys.map((key) => ({ ...key, ...pick(set, table.primaryKey.map((c) => c.field)) }));
        if (check) await this.verifyCheck(trx, table, newKeys.map((values) => ({ columns: table.primaryKey, values })), check, 'updated');
        return this.markUnreadable(trx, table, await this.readByKeys(trx, table, newKeys, columns), visible);
      }
      // Without a key the updated rows cannot be told apart from the others afterwards.
      if (check) throw lazydbError('PERMISSION_CHECK_FAILED', `${table.label} has no primary key, so the role's update check cannot be verified: nothing was written`);
      // Without a key the rows cannot be found again after the change: RETURNING where the
      // engine has it, else the rows read before, with the new values applied.
      const condition = whereClause(whereCondition(where, core.scope(table)));
      if (this.capabilities.updateReturning && columns.length > 0) {
        if (assignments.length === 0) return this.selectWhere(trx, table, where, columns, true);
        const returned = await core.rows(trx, sql`update ${target} set ${setList(assignments)}${condition}${this.returning(columns)}`);
        return this.markUnreadable(trx, table, core.decodeRows(renameToFields(returned, columns), columns), visible);
      }
      const before = await this.selectWhere(trx, table, where, columns.length > 0 ? columns : table.columns.slice(0, 1), true);
      if (assignments.length > 0) await core.execute(trx, sql`update ${target} set ${setList(assignments)}${condition}`);
      return this.markUnreadable(trx, table, before.map((row) => ({ ...row, ...set })), visible);
    });
  }

  /** Deletes the rows `where` matches, answering them as they were; with `visible`, those it does not match (before the delete) marked unreadable. */
  async delete(table: NamedTable, where: BoolExp, columns: NamedColumn[], context?: RequestContext, visible?: BoolExp | null): Promise<Row[]> {
    const { core } = this;
    assertWritable(table);
    return this.inTransaction(context, async (trx) => {
      const target = tableReference(table.table);
      if (table.primaryKey.length > 0) {
        const keys = await this.matchingKeys(trx, table, where);
        if (keys.length === 0) return [];
        const rows = await this.markUnreadable(trx, table, await this.readByKeys(trx, table, keys, columns), visible);
        await this.byKeyChunks(trx, table, keys, (condition) => sql`delete from ${target} where ${condition}`);
        return rows;
      }
      const before = await this.markUnreadable(trx, table, await this.selectWhere(trx, table, where, columns.length > 0 ? columns : table.columns.slice(0, 1), true), visible);
      await core.execute(trx, sql`delete from ${target}${whereClause(whereCondition(where, core.scope(table)))}`);
      return before;
    });
  }

  /**
   * `rows` (each with its primary key) with those `visible` does not match, read by key in the
   * same transaction, marked unreadable. A table without a primary key cannot tell its rows apart:
   * every row is marked then (fail closed). No `visible`: the writer reads every row.
   */
  private async markUnreadable(trx: Executor, table: NamedTable, rows: Row[], visible: BoolExp | null | undefined): Promise<Row[]> {
    if (!visible || rows.length === 0) return rows;
    if (table.primaryKey.length === 0) return rows.map(markUnreadable);
    const { core } = this;
    const qualifier = tableQualifier(table.table);
    const condition = whereCondition(visible, core.scope(table, qualifier));
    const shown = new Set<string>();
    for (const chunk of chunks(rows)) {
      const found = await core.rows(
        trx,
        sql`select ${core.columnList(table, table.primaryKey, qualifier)} from ${tableReference(table.table)} where ${this.keysCondition(table, qualifier, chunk)}${condition ? sql` and (${condition})` : sql.empty}`,
      );
      for (const row of core.decodeRows(found, table.primaryKey)) shown.add(keyOf(row, table.primaryKey));
    }
    return rows.map((row) => (shown.has(keyOf(row, table.primaryKey)) ? row : markUnreadable(row)));
  }

  /** `work` in one transaction of the request's, its statements cancelled with the request. */
  private inTransaction(context: RequestContext | undefined, work: (trx: Executor) => Promise<Row[]>): Promise<Row[]> {
    const { core } = this;
    return core.run(() => core.knex.transaction((db) => work(core.on(context, db))));
  }

  /** One `statement` per chunk of `keys` (the bind limit), each given the condition matching its chunk by primary key. */
  private async byKeyChunks(trx: Executor, table: NamedTable, keys: Row[], statement: (condition: SqlFragment) => SqlFragment): Promise<void> {
    for (const chunk of chunks(keys)) await this.core.execute(trx, statement(this.keysCondition(table, tableQualifier(table.table), chunk)));
  }

  /** GraphQL input object (by field) -> column values to bind, by SQL name, in the input's order. */
  private encodeObject(table: NamedTable, object: Row): Assignment[] {
    const values: Assignment[] = [];
    for (const [field, value] of Object.entries(object)) {
      const column = table.columns.find((c) => c.field === field);
      if (!column || !isWritable(column)) throw badInput(`${table.label} has no writable column "${field}"`);
      if (value !== undefined) values.push({ column: column.column.name, value: this.core.encode(column, value) });
    }
    return values;
  }

  /** RETURNING names the columns as they are; renameToFields keys the rows by field. */
  private returning(columns: NamedColumn[]): SqlFragment {
    return this.core.dialect.quirks.returning(columns.map((c) => c.column.name));
  }

  /** The insert of these columns, with `params` where their values go (slots while compiling for the statement cache). */
  private insertStatement(table: NamedTable, values: Assignment[], params: readonly SqlFragment[]): SqlFragment {
    const target = tableReference(table.table);
    if (values.length === 0) return this.core.dialect.quirks.insertDefaults(target, sql.identifier(table.columns[0]!.column.name));
    const names = sql.join(
      values.map((v) => sql.identifier(v.column)),
      ', ',
    );
    return sql`insert into ${target} (${names}) values (${sql.join(params, ', ')})`;
  }

  /**
   * Inserts one row and answers it with `columns`; `needKey`: also the key it can be found again
   * by (null when it has none), for a check.
   */
  private async insertOne(executor: Executor, table: NamedTable, object: Row, requested: NamedColumn[], needKey: boolean): Promise<{ row: Row; key: InsertedKey | null }> {
    const { core } = this;
    const assignments = this.encodeObject(table, object);
    // A check finds the row by its primary key: RETURNING brings it along.
    const columns = needKey ? withColumns(table, requested, table.primaryKey) : requested;
    const returning = this.capabilities.insertReturning && columns.length > 0;
    // Compiled once per table, columns given and columns returned (the text depends on nothing else), bound per call.
    // Column names cannot hold NUL (quoting refuses it) and fields are GraphQL names: the signature is unambiguous.
    // (Not fieldList: a write's columns are a fresh array per request, which its WeakMap would only fill.)
    const signature = `i:${table.typeName}:${assignments.length}:${assignments.map((a) => a.column).join('\0')}:${returning ? columns.map((c) => c.field).join(',') : '-'}`;
    const { statement } = core.statements.prepare(
      signature,
      assignments.map((a) => a.value),
      (params) => {
        const insert = this.insertStatement(table, assignments, params);
        return { statement: returning ? sql`${insert}${this.returning(columns)}` : insert, extra: null };
      },
    );
    if (returning) {
      const returned = await core.rowsOf(executor, statement);
      const [row] = core.decodeRows(renameToFields(returned, columns), columns);
      return { row: row ?? {}, key: needKey && row ? this.insertedKey(table, { ...object, ...row }, undefined) : null };
    }
    const result = await core.send(executor, statement);
    const key = this.insertedKey(table, object, result.insertId);
    if (key) {
      const [row] = await this.readByKeys(executor, table, [key.values], columns, key.columns);
      if (row) return { row, key };
    }
    // No way to find the row again (no key, no unique key given, no generated id): echo the input.
    return { row: Object.fromEntries(columns.map((c) => [c.field, object[c.field] ?? null])), key: null };
  }

  /**
   * Refuses (PERMISSION_CHECK_FAILED, which rolls the caller's transaction back) unless every row
   * written, found again by its key, matches `check`. A row without a key to find it by cannot be
   * verified, and is refused too.
   */
  private async verifyCheck(trx: Executor, table: NamedTable, keys: (InsertedKey | null)[], check: BoolExp, written: 'inserted' | 'updated'): Promise<void> {
    const { core } = this;
    const refused = (why: string) => lazydbError('PERMISSION_CHECK_FAILED', `${why}: nothing was written`);
    const byColumns = new Map<NamedColumn[], Map<string, Row>>();
    for (const key of keys) {
      if (!key) throw refused(`a ${table.label} row ${written} has no key to find it again by, so the role's check cannot be verified`);
      let group = byColumns.get(key.columns);
      if (!group) byColumns.set(key.columns, (group = new Map()));
      group.set(keyOf(key.values, key.columns), key.values);
    }
    const qualifier = tableQualifier(table.table);
    for (const [columns, group] of byColumns) {
      for (const chunk of chunks([...group.values()])) {
        const passing = whereCondition(check, core.scope(table, qualifier));
        const matched = sql`${this.keysCondition(table, qualifier, chunk, columns)}${passing ? sql` and (${passing})` : sql.empty}`;
        const [row] = await core.rows(trx, sql`select count(*) as ${sql.identifier('count')} from ${tableReference(table.table)} where ${matched}`);
        if (Number(row?.count ?? 0) !== chunk.length) throw refused(`a ${table.label} row ${written} does not pass the role's check`);
      }
    }
  }

  /** The key of a freshly inserted row where the engine cannot return it: given values, or the generated id. */
  private insertedKey(table: NamedTable, object: Row, insertId: unknown): InsertedKey | null {
    const candidates: NamedColumn[][] = [];
    if (table.primaryKey.length > 0) candidates.push(table.primaryKey);
    for (const unique of table.table.uniqueKeys) {
      const cols = unique.columns.map((name) => table.columns.find((c) => c.column.name === name));
      if (cols.every((c) => c)) candidates.push(cols as NamedColumn[]);
    }
    for (const cols of candidates) {
      const values: Row = {};
      let complete = true;
      for (const column of cols) {
        if (object[column.field] !== undefined && object[column.field] !== null) values[column.field] = object[column.field];
        else if (column.column.autoIncrement && insertId !== undefined && insertId !== null && insertId !== 0) {
          values[column.field] = this.core.dialect.quirks.decode(column.column, insertId);
        } else complete = false;
      }
      if (complete) {
        return { columns: cols, values };
      }
    }
    return null;
  }

  /**
   * The rows `where` matches. `bounded`: the rows a bulk write is about to touch, read at most
   * maxAffectedRows + 1 of them; more is refused (TOO_MANY_ROWS) before anything changes.
   */
  private async selectWhere(executor: Executor, table: NamedTable, where: BoolExp, columns: NamedColumn[], bounded = false): Promise<Row[]> {
    const { core } = this;
    const qualifier = tableQualifier(table.table);
    const condition = whereCondition(where, core.scope(table, qualifier));
    const page = bounded && this.maxAffectedRows < Number.MAX_SAFE_INTEGER ? core.dialect.quirks.page(sql.value(this.maxAffectedRows + 1), null) : sql``;
    const rows = await core.rows(executor, sql`select ${core.columnList(table, columns, qualifier)} from ${tableReference(table.table)}${whereClause(condition)}${page}`);
    if (bounded && (rows as unknown[]).length > this.maxAffectedRows) {
      throw lazydbError(
        'TOO_MANY_ROWS',
        `the ${table.label} rows this where matches are more than ${this.maxAffectedRows}, the most one update or delete may touch (LAZYDB_MAX_AFFECTED_ROWS): narrow the where (a key range at a time), or raise the setting`,
      );
    }
    return core.decodeRows(rows, columns);
  }

  /** The condition that matches `keys` (rows of key values by field) on `columns`, the primary key by default. */
  private keysCondition(table: NamedTable, qualifier: Qualifier, keys: Row[], columns = table.primaryKey): SqlFragment {
    const values = keys.flatMap((key) => columns.map((column) => sql.value(this.core.encode(column, key[column.field]))));
    return keyValuesCondition(qualifier, columns, values);
  }

  private async matchingKeys(executor: Executor, table: NamedTable, where: BoolExp): Promise<Row[]> {
    return this.selectWhere(executor, table, where, table.primaryKey, true);
  }

  /** The rows with `keys` (values of `keyColumns`, the primary key by default), in the keys' order. */
  private async readByKeys(executor: Executor, table: NamedTable, keys: Row[], columns: NamedColumn[], keyColumns = table.primaryKey): Promise<Row[]> {
    const { core } = this;
    const found = new Map<string, Row>();
    const qualifier = tableQualifier(table.table);
    // The key columns come along so that each row can be matched to its key.
    const selected = withColumns(table, columns, keyColumns);
    for (const chunk of chunks(keys)) {
      const rows = await core.rows(
        executor,
        sql`select ${core.columnList(table, selected, qualifier)} from ${tableReference(table.table)} where ${this.keysCondition(table, qualifier, chunk, keyColumns)}`,
      );
      for (const row of core.decodeRows(rows, selected)) found.set(keyOf(row, keyColumns), row);
    }
    return keys.map((k) => found.get(keyOf(k, keyColumns))).filter((r): r is Row => r !== undefined);
  }
}

function assertWritable(table: NamedTable): void {
  if (!table.writable) throw badInput(`${table.label} is a view: it cannot be changed through lazydb`);
}

function pick(object: Row, fields: string[]): Row {
  return Object.fromEntries(fields.filter((f) => object[f] !== undefined).map((f) => [f, object[f]]));
}

/** RETURNING rows come keyed by SQL column name; the rest of the layer keys rows by field. */
function renameToFields(rows: unknown, columns: NamedColumn[]): Row[] {
  return (rows as Row[]).map((row) => Object.fromEntries(columns.map((c) => [c.field, row[c.column.name]])));
}

function setList(assignments: Assignment[]): SqlFragment {
  return sql.join(
    assignments.map((a) => sql`${sql.identifier(a.column)} = ${sql.value(a.value)}`),
    ', ',
  );
}
