import type { Knex } from 'knex';
import { HISTOGRAM_SIZE } from './buckets';

/**
 * The usage rollups, in the registry's own database (SQLite or PostgreSQL) beside
 * `lazydb_databases`: one row per (resolution, bucket start, database, table, transport, status
 * class, principal kind and role) with counters that only ever grow. Each replica adds its own
 * deltas with an upsert (`on conflict … do update set x = x + excluded.x`), so replicas sharing a
 * PostgreSQL registry add up instead of overwriting one another.
 */
export const USAGE_TABLE = 'lazydb_usage';
/** The top operations per hour and database (see OperationDelta). */
export const OPERATIONS_TABLE = 'lazydb_usage_operations';

/** Seconds per bucket: minute rows for the last day, hour rows before that. */
export const MINUTE = 60;
export const HOUR = 3600;

const HISTOGRAM_COLUMNS = Array.from({ length: HISTOGRAM_SIZE }, (_, i) => `h${i}`);
const KEY_COLUMNS = ['resolution', 'bucket', 'database', 'table_name', 'transport', 'status_class', 'principal_kind', 'principal_role'] as const;
const COUNTER_COLUMNS = ['requests', 'errors', 'rows', 'duration_ms', ...HISTOGRAM_COLUMNS] as const;

/** The labels of one rollup row (all bounded: see UsageRecorder). */
export interface UsageLabels {
  database: string;
  table: string;
  transport: string;
  statusClass: string;
  principalKind: string;
  principalRole: string;
}

/** Counters that add up across replicas and buckets. */
export interface UsageCounters {
  requests: number;
  errors: number;
  rows: number;
  durationMs: number;
  /** Counts per latency bucket (buckets.ts), HISTOGRAM_SIZE long. */
  histogram: number[];
}

export interface UsageDelta extends UsageLabels, UsageCounters {
  /** Start of the minute, in seconds since the epoch. */
  bucket: number;
}

/** One normalised GraphQL operation's counts (server/usage/operations.ts), as the top operations list them. */
export interface OperationRow {
  database: string;
  hash: string;
  sample: string;
  requests: number;
  errors: number;
  durationMs: number;
}

/** The same counts for one hour, as they are added to the registry. */
export interface OperationDelta extends OperationRow {
  /** Start of the hour, in seconds since the epoch. */
  bucket: number;
}

export interface UsageFilter {
  /** Seconds since the epoch, from inclusive, to exclusive. */
  from: number;
  to: number;
  database?: string;
  table?: string;
  principal?: string;
}

export interface UsageBucketRow extends UsageCounters {
  bucket: number;
}

export interface UsageGroupRow extends UsageCounters {
  database: string;
  table: string;
}

type DbRow = Record<string, string | number>;

export function emptyCounters(): UsageCounters {
  return { requests: 0, errors: 0, rows: 0, durationMs: 0, histogram: new Array<number>(HISTOGRAM_SIZE).fill(0) };
}

export function addCounters(into: UsageCounters, from: UsageCounters): void {
  into.requests += from.requests;
  into.errors += from.errors;
  into.rows += from.rows;
  into.durationMs += from.durationMs;
  for (let i = 0; i < HISTOGRAM_SIZE; i++) into.histogram[i]! += from.histogram[i]!;
}

export class UsageStore {
  /** PostgreSQL deletes and reads the rows it folds in one statement; SQLite cannot (see compact). */
  private readonly postgres: boolean;

  constructor(private readonly db: Knex) {
    this.postgres = (db.client as { config: { client?: unknown } }).config.client === 'pg';
  }

  async ensureTable(): Promise<void> {
    await this.#ensureOperationsTable();
    if (await this.db.schema.hasTable(USAGE_TABLE)) return;
    try {
      await this.db.schema.createTable(USAGE_TABLE, (table) => {
        table.integer('resolution').notNullable();
        table.bigInteger('bucket').notNullable();
        table.string('database', 63).notNullable();
        table.string('table_name', 128).notNullable();
        table.string('transport', 16).notNullable();
        table.string('status_class', 3).notNullable();
        table.string('principal_kind', 32).notNullable();
        table.string('principal_role', 64).notNullable();
        table.bigInteger('requests').notNullable().defaultTo(0);
        table.bigInteger('errors').notNullable().defaultTo(0);
        table.bigInteger('rows').notNullable().defaultTo(0);
        table.double('duration_ms').notNullable().defaultTo(0);
        for (const column of HISTOGRAM_COLUMNS) table.bigInteger(column).notNullable().defaultTo(0);
        table.primary([...KEY_COLUMNS]);
        table.index(['resolution', 'bucket']);
      });
    } catch (error) {
      // Another replica may have created it between our check and our CREATE.
      if (!(await this.db.schema.hasTable(USAGE_TABLE))) throw error;
    }
  }

  async #ensureOperationsTable(): Promise<void> {
    if (await this.db.schema.hasTable(OPERATIONS_TABLE)) return;
    try {
      await this.db.schema.createTable(OPERATIONS_TABLE, (table) => {
        table.bigInteger('bucket').notNullable();
        table.string('database', 63).notNullable();
        table.string('hash', 16).notNullable();
        table.text('sample').notNullable();
        table.bigInteger('requests').notNullable().defaultTo(0);
        table.bigInteger('errors').notNullable().defaultTo(0);
        table.double('duration_ms').notNullable().defaultTo(0);
        table.primary(['bucket', 'database', 'hash']);
      });
    } catch (error) {
      if (!(await this.db.schema.hasTable(OPERATIONS_TABLE))) throw error;
    }
  }

  /** Adds operation deltas (the first sample of an operation in an hour stays). */
  async addOperations(deltas: readonly OperationDelta[]): Promise<void> {
    const increments = Object.fromEntries(['requests', 'errors', 'duration_ms'].map((column) => [column, this.db.raw('?? + excluded.??', [`${OPERATIONS_TABLE}.${column}`, column])]));
    for (let start = 0; start < deltas.length; start += 200) {
      const rows = deltas.slice(start, start + 200).map((d) => ({ bucket: d.bucket, database: d.database, hash: d.hash, sample: d.sample, requests: d.requests, errors: d.errors, duration_ms: d.durationMs }));
      await this.db(OPERATIONS_TABLE).insert(rows).onConflict(['bucket', 'database', 'hash']).merge(increments);
    }
  }

  /** The `limit` operations with the most requests within the filter (its table is not an operation's label: ignored). */
  async topOperations(filter: UsageFilter, limit: number): Promise<OperationRow[]> {
    const query = this.db(OPERATIONS_TABLE)
      .where('bucket', '>=', filter.from - (filter.from % HOUR))
      .andWhere('bucket', '<', filter.to)
      .select('database', 'hash')
      .min({ sample: 'sample' })
      .sum({ requests: 'requests', errors: 'errors', duration_ms: 'duration_ms' })
      .groupBy('database', 'hash')
      .orderBy([{ column: 'requests', order: 'desc' }, 'database', 'hash'])
      .limit(limit);
    if (filter.database !== undefined) query.andWhere('database', filter.database);
    const rows = (await query) as DbRow[];
    return rows.map((row) => ({ database: String(row.database), hash: String(row.hash), sample: String(row.sample), requests: Number(row.requests), errors: Number(row.errors), durationMs: Number(row.duration_ms) }));
  }

  /** Adds minute deltas to the stored rows (creating those that do not exist yet). */
  async add(deltas: readonly UsageDelta[], resolution = MINUTE): Promise<void> {
    if (deltas.length === 0) return;
    await this.addIn(this.db, deltas.map((delta) => ({ ...delta, bucket: delta.bucket - (delta.bucket % resolution) })), resolution);
  }

  /**
   * Folds minute rows older than `before` (seconds, rounded down to an hour) into hour rows, and
   * deletes every row older than `retainAfter`. The minute rows are deleted and read in one
   * statement (DELETE … RETURNING), so two replicas folding at once never count a row twice.
   */
  async compact(before: number, retainAfter: number): Promise<void> {
    const cutoff = before - (before % HOUR);
    await this.db.transaction(async (trx) => {
      const old = () => trx(USAGE_TABLE).where('resolution', MINUTE).andWhere('bucket', '<', cutoff);
      let moved: DbRow[];
      if (this.postgres) {
        moved = (await old().delete().returning('*')) as unknown as DbRow[];
      } else {
        // SQLite has one writer at a time: what the transaction read is what it deletes.
        moved = (await old().select('*')) as DbRow[];
        await old().delete();
      }
      const hours = new Map<string, UsageDelta>();
      for (const row of moved) {
        const delta = deltaOf(row);
        delta.bucket -= delta.bucket % HOUR;
        const key = [delta.bucket, delta.database, delta.table, delta.transport, delta.statusClass, delta.principalKind, delta.principalRole].join('\u0001');
        const known = hours.get(key);
        if (known) addCounters(known, delta);
        else hours.set(key, delta);
      }
      await this.addIn(trx, [...hours.values()], HOUR);
      await trx(USAGE_TABLE).where('bucket', '<', retainAfter).delete();
      await trx(OPERATIONS_TABLE).where('bucket', '<', retainAfter).delete();
    });
  }

  /** Counters summed per stored bucket start (minute and hour rows alike) within the filter. */
  async perBucket(filter: UsageFilter): Promise<UsageBucketRow[]> {
    const rows = (await this.summed(filter).select('bucket').groupBy('bucket').orderBy('bucket')) as DbRow[];
    return rows.map((row) => ({ bucket: Number(row.bucket), ...countersOf(row) }));
  }

  /** Counters summed per database and table within the filter. */
  async perTable(filter: UsageFilter): Promise<UsageGroupRow[]> {
    const rows = (await this.summed(filter).select('database', 'table_name').groupBy('database', 'table_name').orderBy(['database', 'table_name'])) as DbRow[];
    return rows.map((row) => ({ database: String(row.database), table: String(row.table_name), ...countersOf(row) }));
  }

  private summed(filter: UsageFilter): Knex.QueryBuilder {
    const query = this.db(USAGE_TABLE).where('bucket', '>=', filter.from).andWhere('bucket', '<', filter.to);
    if (filter.database !== undefined) query.andWhere('database', filter.database);
    if (filter.table !== undefined) query.andWhere('table_name', filter.table);
    if (filter.principal !== undefined) query.andWhere('principal_kind', filter.principal);
    for (const column of COUNTER_COLUMNS) query.sum({ [column]: column });
    return query;
  }

  private async addIn(db: Knex | Knex.Transaction, deltas: readonly UsageDelta[], resolution: number): Promise<void> {
    const increments = Object.fromEntries(COUNTER_COLUMNS.map((column) => [column, this.db.raw('?? + excluded.??', [`${USAGE_TABLE}.${column}`, column])]));
    // 24 columns a row: chunks stay under SQLite's bound on statement parameters.
    for (let start = 0; start < deltas.length; start += 200) {
      const rows = deltas.slice(start, start + 200).map((delta) => rowOf(delta, resolution));
      await db(USAGE_TABLE).insert(rows).onConflict([...KEY_COLUMNS]).merge(increments);
    }
  }
}

function rowOf(delta: UsageDelta, resolution: number): DbRow {
  const row: DbRow = {
    resolution,
    bucket: delta.bucket,
    database: delta.database,
    table_name: delta.table,
    transport: delta.transport,
    status_class: delta.statusClass,
    principal_kind: delta.principalKind,
    principal_role: delta.principalRole,
    requests: delta.requests,
    errors: delta.errors,
    rows: delta.rows,
    duration_ms: delta.durationMs,
  };
  delta.histogram.forEach((count, i) => (row[`h${i}`] = count));
  return row;
}

/** Sums come back as strings from PostgreSQL (bigint, numeric) and as numbers from SQLite. */
function countersOf(row: DbRow): UsageCounters {
  return {
    requests: Number(row.requests ?? 0),
    errors: Number(row.errors ?? 0),
    rows: Number(row.rows ?? 0),
    durationMs: Number(row.duration_ms ?? 0),
    histogram: HISTOGRAM_COLUMNS.map((column) => Number(row[column] ?? 0)),
  };
}

function deltaOf(row: DbRow): UsageDelta {
  return {
    bucket: Number(row.bucket),
    database: String(row.database),
    table: String(row.table_name),
    transport: String(row.transport),
    statusClass: String(row.status_class),
    principalKind: String(row.principal_kind),
    principalRole: String(row.principal_role),
    ...countersOf(row),
  };
}
