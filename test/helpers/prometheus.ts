import parsePrometheusTextFormat, { type PrometheusFamily, type PrometheusSample } from 'parse-prometheus-text-format';
import type { TestServer } from './server';

/** One scrape of `/metrics`, as its text and as a Prometheus parser reads it. */
export interface Scrape {
  text: string;
  /** Families by name; a histogram `h` as its three series `h_bucket` (with `le`), `h_sum` and `h_count` (see readFamilies). */
  families: Map<string, PrometheusFamily>;
  /** Each family's declared type (`# TYPE`), lower case. */
  types: Map<string, string>;
}

export async function scrape(server: TestServer, headers: Record<string, string> = {}): Promise<Scrape> {
  const answer = await server.request('/metrics', { headers });
  if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}: ${answer.text}`);
  return readScrape(answer.text);
}

/**
 * parse-prometheus-text-format 1.1 groups a histogram's lines into one sample only when it has no
 * labels of its own (its flattenMetrics drops every labelled series but one), so histograms are read
 * as what the text format makes of them: untyped `_bucket`, `_sum` and `_count` series, each sample
 * with its labels. The parser splits such a histogram into a family per run of lines: merged by name.
 */
export function readScrape(text: string): Scrape {
  const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => [match[1]!, match[2]!]));
  const untyped = text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped');
  const families = new Map<string, PrometheusFamily>();
  for (const family of parsePrometheusTextFormat(untyped)) {
    const known = families.get(family.name);
    if (known) known.metrics.push(...family.metrics);
    else families.set(family.name, family);
  }
  return { text, families, types };
}

/** The sample of `name` whose labels are exactly `labels`, or undefined. */
export function sampleOf(scraped: Scrape, name: string, labels: Record<string, string> = {}): PrometheusSample | undefined {
  const wanted = Object.entries(labels);
  return scraped.families.get(name)?.metrics.find((sample) => {
    const own = sample.labels ?? {};
    return Object.keys(own).length === wanted.length && wanted.every(([key, value]) => own[key] === value);
  });
}

/** A counter's or gauge's value (0 when the series does not exist yet). */
export function valueOf(scraped: Scrape, name: string, labels: Record<string, string> = {}): number {
  const value = sampleOf(scraped, name, labels)?.value;
  return value === undefined ? 0 : Number(value);
}

/** A histogram's series for `labels`: cumulative bucket counts by upper bound (`+Inf` included), sum and count (zeros when absent). */
export function histogramOf(scraped: Scrape, name: string, labels: Record<string, string>): { buckets: Map<string, number>; sum: number; count: number } {
  const buckets = new Map<string, number>();
  for (const sample of scraped.families.get(`${name}_bucket`)?.metrics ?? []) {
    const { le, ...rest } = sample.labels ?? {};
    if (le === undefined || Object.keys(rest).length !== Object.keys(labels).length) continue;
    if (Object.entries(labels).every(([key, value]) => rest[key] === value)) buckets.set(le, Number(sample.value));
  }
  return { buckets, sum: valueOf(scraped, `${name}_sum`, labels), count: valueOf(scraped, `${name}_count`, labels) };
}

/**
 * The series lazydb's own metrics have (every sample line: a histogram's buckets, sum and count
 * each count), the Node process's (`lazydb_process_*`, `lazydb_nodejs_*`) left out: those vary
 * with what the process is doing.
 */
export function ownSeries(scraped: Scrape): string[] {
  return scraped.text
    .split('\n')
    .filter((line) => line.startsWith('lazydb_') && !/^lazydb_(process|nodejs)_/.test(line))
    .map((line) => line.slice(0, line.lastIndexOf(' ')));
}
