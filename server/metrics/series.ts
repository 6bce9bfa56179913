import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Counting on the hot path without prom-client's per-call work. prom-client builds a label key
 * (and validates the labels) on every `inc` and `observe`, child handles included: about a
 * microsecond each, five times per request. Here a series is looked up once per label tuple and
 * kept; counting is then adding to a number. prom-client still owns the registry and the text
 * format: counters are filled from the series when scraped (`collect`), histograms hand over
 * their buckets in prom-client's own export shape.
 */

export type Labels = Readonly<Record<string, string>>;

/** One series of a counter. */
export class CountedSeries {
  value = 0;
  constructor(readonly labels: Labels) {}
}

/** A prom-client Counter whose values are the given series', read at scrape time. */
export function countedCounter(registers: Registry[], name: string, help: string, labelNames: readonly string[], series: () => Iterable<CountedSeries>): Counter {
  const counter: Counter = new Counter({
    name,
    help,
    labelNames: [...labelNames],
    registers,
    collect() {
      counter.reset();
      for (const one of series()) counter.inc(one.labels, one.value);
    },
  });
  return counter;
}

/** One series of a BucketedHistogram. */
export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** What prom-client's Registry reads of a histogram (its `getForPromString`/`get` answer). */
interface ExportedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/**
 * A prom-client Histogram whose series are HistogramSeries (looked up once per label tuple by
 * the caller): exported exactly as prom-client exports its own (`_bucket` with `le` per bound and
 * `+Inf`, cumulative; `_sum`; `_count`).
 */
export class BucketedHistogram extends Histogram<string> {
  private readonly series = new Map<string, HistogramSeries>();
  private readonly bounds: readonly number[];

  constructor(
    registers: Registry[],
    private readonly metricName: string,
    private readonly metricHelp: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ) {
    super({ name: metricName, help: metricHelp, labelNames: [...labelNames], buckets: [...buckets], registers });
    this.bounds = [...buckets].sort((a, b) => a - b);
  }

  /** The series under `key` (the label values joined, unique per tuple), made with `labels` the first time. */
  seriesOf(key: string, labels: Labels): HistogramSeries {
    let one = this.series.get(key);
    if (!one) this.series.set(key, (one = new HistogramSeries(labels, this.bounds)));
    return one;
  }

  /** The Registry asks for this first (prom-client 15). */
  async getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; values: ExportedValue[]; aggregator: 'sum' }> {
    const values: ExportedValue[] = [];
    const name = this.metricName;
    const bucket = `${name}_bucket`;
    for (const one of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += one.counts[i]!;
        values.push({ labels: { le: this.bounds[i]!, ...one.labels }, value: cumulative, metricName: bucket });
      }
      values.push({ labels: { le: '+Inf', ...one.labels }, value: one.count, metricName: bucket });
      values.push({ labels: { ...one.labels }, value: one.sum, metricName: `${name}_sum` });
      values.push({ labels: { ...one.labels }, value: one.count, metricName: `${name}_count` });
    }
    return { name, help: this.metricHelp, type: 'histogram', values, aggregator: 'sum' };
  }

  override async get(): Promise<Awaited<ReturnType<Histogram<string>['get']>>> {
    return (await this.getForPromString()) as unknown as Awaited<ReturnType<Histogram<string>['get']>>;
  }
}
