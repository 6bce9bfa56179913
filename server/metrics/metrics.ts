import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { DatabaseStatus } from '../admin-api/types';
import { LIMIT_ERRORS } from '../errors/limits';
import type { Snapshot } from '../gateway/snapshot';
import type { RequestContext } from '../pipeline/context';
import type { ResponseOutcome } from '../pipeline/plugin';
import type { StatementStats } from '../schema/source';
import { knownCode, NONE, OTHER_CODE, OTHER_TABLE, statusClassOf, TableLabels } from './labels';
import { BucketedHistogram, CountedSeries, countedCounter, type HistogramSeries } from './series';

/** What the metrics read of the gateway: the databases registered now, and how many schemas were built. */
export interface MetricsSource {
  get(name: string): Snapshot | undefined;
  list(): readonly Snapshot[];
  readonly schemaBuilds: number;
}

export interface MetricsOptions {
  /** LAZYDB_METRICS_MAX_TABLES: distinct `table` label values per database. */
  maxTables: number;
  /** Include the Node process's own metrics (CPU, memory, event loop lag, GC), as `lazydb_process_*` and `lazydb_nodejs_*`. @default true */
  processMetrics?: boolean;
}

/** Requests take from under a millisecond (a cached by-key read) to the statement timeout (30 s by default). */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const STATEMENT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const DATABASE_STATUSES: readonly DatabaseStatus[] = ['connecting', 'ready', 'degraded', 'error'];

/** The series of one label tuple of the request metrics, looked up once and kept. */
interface RequestSeries {
  requests: CountedSeries;
  duration: HistogramSeries;
}

interface TableSeries {
  requests: CountedSeries;
  /** Counted under OTHER_TABLE (the database had LAZYDB_METRICS_MAX_TABLES others already). */
  folded: boolean;
}

interface StatementSeries {
  statements: CountedSeries;
  duration: HistogramSeries;
}

/**
 * lazydb's metrics, in a prom-client registry of their own (never the global one, which an
 * embedding application may use for itself). Requests are counted by the metrics plugin
 * (server/plugins/use-metrics.ts) when their response is sent; statements as the query layer
 * sends them (a RequestStats per request); pools, databases and schema builds are read from the
 * gateway when scraped. Every label value is bounded (see labels.ts). On the hot path counting is
 * a map lookup per label tuple and an addition (see series.ts).
 */
export class LazydbMetrics {
  readonly registry = new Registry();
  private readonly requestDuration: BucketedHistogram;
  private readonly statementDuration: BucketedHistogram;
  private readonly requestSeries = new Map<string, RequestSeries>();
  private readonly tableSeries = new Map<string, TableSeries>();
  /** The distinct series of tableSeries (folded tables share one). */
  private readonly tableCounts: CountedSeries[] = [];
  private readonly statementSeries = new Map<string, StatementSeries>();
  /** Every code of the limits family, from 0: a rate over a series that appears late misses its first count. */
  private readonly limitSeries = new Map<string, CountedSeries>(Object.keys(LIMIT_ERRORS).map((code) => [code, new CountedSeries({ limit: code })]));
  private readonly rows = new CountedSeries({});
  private readonly foldedTables = new CountedSeries({ label: 'table' });
  private readonly foldedCodes = new CountedSeries({ label: 'code' });
  private readonly tables: TableLabels;
  private readonly processMetrics: boolean;

  constructor(
    private readonly source: MetricsSource,
    options: MetricsOptions,
  ) {
    const registers = [this.registry];
    this.tables = new TableLabels(options.maxTables);
    this.processMetrics = options.processMetrics ?? true;
    const values = <T>(map: Map<string, T>, pick: (series: T) => CountedSeries) => () => [...map.values()].map(pick);
    countedCounter(
      registers,
      'lazydb_requests_total',
      'HTTP requests answered, by database (empty: none or not a registered one), transport, operation kind (empty: not known), status class and error code (empty: none).',
      ['database', 'transport', 'operation', 'status_class', 'code'],
      values(this.requestSeries, (series) => series.requests),
    );
    this.requestDuration = new BucketedHistogram(
      registers,
      'lazydb_request_duration_seconds',
      'Time from a request arriving to its response being written.',
      ['database', 'transport', 'operation'],
      REQUEST_BUCKETS,
    );
    countedCounter(
      registers,
      'lazydb_table_requests_total',
      'Requests per table their operation reads or writes at its root (a request about two tables counts for each); tables beyond LAZYDB_METRICS_MAX_TABLES per database count as (other).',
      ['database', 'table', 'operation'],
      () => this.tableCounts,
    );
    countedCounter(registers, 'lazydb_sql_statements_total', 'SQL statements sent to each database for requests.', ['database'], values(this.statementSeries, (series) => series.statements));
    this.statementDuration = new BucketedHistogram(
      registers,
      'lazydb_sql_statement_duration_seconds',
      'Time from sending a statement to its result or error (the wait for a pooled connection not included).',
      ['database'],
      STATEMENT_BUCKETS,
    );
    countedCounter(registers, 'lazydb_rows_returned_total', 'Rows the databases returned to statements sent for requests, related rows read inside their parent rows (nested JSON) included.', [], () => [this.rows]);
    countedCounter(
      registers,
      'lazydb_limit_rejections_total',
      'Requests refused by a bound on their work, by the bound (the error code of the limits family).',
      ['limit'],
      () => this.limitSeries.values(),
    );
    countedCounter(
      registers,
      'lazydb_metrics_label_folds_total',
      'Counts recorded under a folded label value to keep series bounded: table (beyond LAZYDB_METRICS_MAX_TABLES per database, counted as (other)) and code (outside the error catalogue, counted as other).',
      ['label'],
      () => [this.foldedTables, this.foldedCodes],
    );
    this.scrapedGauges(registers);
  }

  /** The Content-Type of `text()`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric (the process's own after lazydb's, when on). */
  async text(): Promise<string> {
    const own = await this.registry.metrics();
    if (!this.processMetrics) return own;
    return `${own}\n${await processRegistry().metrics()}`;
  }

  /** What the query layer reports a request's statements to; one per request. */
  requestStats(): RequestStats {
    return new RequestStats(this);
  }

  /** One request, when its response has been sent. */
  recordRequest(context: RequestContext, outcome: ResponseOutcome): void {
    const database = this.databaseLabel(context.database);
    const operation = context.operation ?? NONE;
    const series = this.requestSeriesOf(database, context.transport, operation, statusClassOf(outcome.status), this.codeLabel(outcome.code));
    series.requests.value++;
    series.duration.observe((performance.now() - context.startedAt) / 1000);
    if (outcome.code !== null) {
      const limit = this.limitSeries.get(outcome.code);
      if (limit) limit.value++;
    }
    const { tables, stats } = context;
    if (tables) {
      for (const root of tables) {
        const owner = this.databaseLabel(root.database ?? context.database);
        if (owner !== NONE) this.countTable(owner, root.table, operation);
      }
    }
    if (stats instanceof RequestStats) this.rows.value += stats.rows;
  }

  /** @internal one statement sent (RequestStats) */
  statementSent(database: string, seconds: number): void {
    let series = this.statementSeries.get(database);
    if (!series) {
      const labels = { database };
      series = { statements: new CountedSeries(labels), duration: this.statementDuration.seriesOf(database, labels) };
      this.statementSeries.set(database, series);
    }
    series.statements.value++;
    series.duration.observe(seconds);
  }

  /** A registered database's name, else NONE: a request for `/db/<anything>` must not make a series of its own. */
  private databaseLabel(name: string | null): string {
    return name !== null && this.source.get(name) !== undefined ? name : NONE;
  }

  private codeLabel(code: string | null): string {
    if (code === null) return NONE;
    if (knownCode(code)) return code;
    this.foldedCodes.value++;
    return OTHER_CODE;
  }

  private requestSeriesOf(database: string, transport: string, operation: string, statusClass: string, code: string): RequestSeries {
    const key = `${database}\u0000${transport}\u0000${operation}\u0000${statusClass}\u0000${code}`;
    let series = this.requestSeries.get(key);
    if (!series) {
      series = {
        requests: new CountedSeries({ database, transport, operation, status_class: statusClass, code }),
        duration: this.requestDuration.seriesOf(`${database}\u0000${transport}\u0000${operation}`, { database, transport, operation }),
      };
      this.requestSeries.set(key, series);
    }
    return series;
  }

  /** Counts one request for a table; one counted under OTHER_TABLE is a fold too. */
  private countTable(database: string, table: string, operation: string): void {
    const key = `${database}\u0000${table}\u0000${operation}`;
    let series = this.tableSeries.get(key);
    if (!series) {
      const label = this.tables.labelOf(database, table) ?? OTHER_TABLE;
      // Tables folded into OTHER_TABLE share its series (a table name is a GraphQL name: never OTHER_TABLE itself).
      const otherKey = `${database}\u0000${OTHER_TABLE}\u0000${operation}`;
      let requests = label === OTHER_TABLE ? this.tableSeries.get(otherKey)?.requests : undefined;
      if (!requests) {
        requests = new CountedSeries({ database, table: label, operation });
        this.tableCounts.push(requests);
      }
      series = { requests, folded: label === OTHER_TABLE };
      this.tableSeries.set(key, series);
      if (series.folded) this.tableSeries.set(otherKey, series);
    }
    series.requests.value++;
    if (series.folded) this.foldedTables.value++;
  }

  /** Gauges and counts read from the gateway at scrape time: nothing per request. */
  private scrapedGauges(registers: Registry[]): void {
    const { source } = this;
    const connections = new Gauge({
      name: 'lazydb_pool_connections',
      help: "Connections of each database's pool, by state: used (lent to a statement) or free (idle).",
      labelNames: ['database', 'state'],
      registers,
      collect() {
        connections.reset();
        for (const snapshot of source.list()) {
          const load = snapshot.pool.load();
          connections.labels(snapshot.name, 'used').set(load.used);
          connections.labels(snapshot.name, 'free').set(load.free);
        }
      },
    });
    const pending = new Gauge({
      name: 'lazydb_pool_pending_acquires',
      help: "Requests waiting for a connection of each database's pool.",
      labelNames: ['database'],
      registers,
      collect() {
        pending.reset();
        for (const snapshot of source.list()) pending.labels(snapshot.name).set(snapshot.pool.load().pending);
      },
    });
    const max = new Gauge({
      name: 'lazydb_pool_max_connections',
      help: "The bound of each database's pool (LAZYDB_POOL_MAX).",
      labelNames: ['database'],
      registers,
      collect() {
        max.reset();
        for (const snapshot of source.list()) max.labels(snapshot.name).set(snapshot.pool.load().max);
      },
    });
    const databases = new Gauge({
      name: 'lazydb_databases',
      help: 'Registered databases, by status (connecting, ready, degraded, error).',
      labelNames: ['status'],
      registers,
      collect() {
        const counts = new Map<string, number>(DATABASE_STATUSES.map((status) => [status, 0]));
        for (const snapshot of source.list()) counts.set(snapshot.status, (counts.get(snapshot.status) ?? 0) + 1);
        for (const [status, count] of counts) databases.labels(status).set(count);
      },
    });
    const builds = new Counter({
      name: 'lazydb_schema_builds_total',
      help: 'GraphQL schemas built from an introspected model (start from the cache, register, change, a refresh that found a change).',
      registers,
      collect() {
        builds.reset();
        builds.inc(source.schemaBuilds);
      },
    });
  }
}

/**
 * What the query layer tells about one request's statements (StatementStats): counted here for
 * the request (statements, their time, rows), and each statement passed on to its database's
 * metrics at once.
 */
export class RequestStats implements StatementStats {
  statements = 0;
  statementSeconds = 0;
  rows = 0;

  constructor(private readonly metrics: LazydbMetrics) {}

  statement(database: string, seconds: number, rows: number): void {
    this.statements++;
    this.statementSeconds += seconds;
    this.rows += rows;
    this.metrics.statementSent(database, seconds);
  }

  nestedRows(count: number): void {
    this.rows += count;
  }
}

let processMetricsRegistry: Registry | undefined;

/**
 * The Node process's metrics (prom-client's defaults, `lazydb_` prefixed), registered once per
 * process however many servers run in it (tests start many): they describe the process, and each
 * registration starts an event-loop-delay monitor and a GC observer of its own.
 */
function processRegistry(): Registry {
  if (!processMetricsRegistry) {
    processMetricsRegistry = new Registry();
    collectDefaultMetrics({ register: processMetricsRegistry, prefix: 'lazydb_' });
    // Gauges named like counters (promtool check metrics: `non-counter metrics should not have "_total" suffix`);
    // the same counts stay, by type, in lazydb_nodejs_active_{handles,requests,resources}.
    for (const kind of ['handles', 'requests', 'resources']) processMetricsRegistry.removeSingleMetric(`lazydb_nodejs_active_${kind}_total`);
  }
  return processMetricsRegistry;
}
