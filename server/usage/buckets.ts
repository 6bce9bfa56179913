/**
 * The fixed latency buckets of the usage rollups (upper bounds in ms; a last, open one above).
 * Fixed so that rows from every replica and every minute add up bucket by bucket, and p50/p95
 * can be estimated from the sums.
 */
export const LATENCY_BOUNDS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500] as const;

/** Number of histogram columns: one per bound and the open one (`h9`, above 2500 ms). */
export const HISTOGRAM_SIZE = LATENCY_BOUNDS_MS.length + 1;

/** The histogram column a duration falls into. */
export function bucketIndexOf(durationMs: number): number {
  for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) if (durationMs <= LATENCY_BOUNDS_MS[i]!) return i;
  return LATENCY_BOUNDS_MS.length;
}

/**
 * The `q` quantile (0 < q < 1) of a histogram, in ms, interpolated linearly inside the bucket
 * that holds it; null when it is empty. A quantile in the open bucket is reported as its lower
 * bound (2500 ms): the rollups cannot say how far above it lies.
 */
export function quantileOf(histogram: readonly number[], q: number): number | null {
  const total = histogram.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    const count = histogram[i]!;
    if (count > 0 && seen + count >= rank) {
      if (i === LATENCY_BOUNDS_MS.length) return LATENCY_BOUNDS_MS[i - 1]!;
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const upper = LATENCY_BOUNDS_MS[i]!;
      return Math.round((lower + ((rank - seen) / count) * (upper - lower)) * 100) / 100;
    }
    seen += count;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}
