import { median, medianAbsoluteDeviation, quantileSorted } from 'simple-statistics';

/** A capped history of one per-window measure (most recent last), plain data so it serialises. */
export interface Series {
  values: number[];
  cap: number;
}

export function createSeries(cap: number): Series {
  return { values: [], cap };
}

export function pushSeries(series: Series, value: number): void {
  series.values.push(value);
  // Trim in chunks so the amortised cost of dropping old values stays O(1).
  if (series.values.length > series.cap * 1.25) series.values.splice(0, series.values.length - series.cap);
}

/** Median and MAD of the history (robust against the spikes we are looking for). */
export interface Robust {
  median: number;
  mad: number;
  p95: number;
  n: number;
}

export function robust(series: Series): Robust {
  const values = series.values.length > series.cap ? series.values.slice(-series.cap) : series.values;
  if (values.length === 0) return { median: 0, mad: 0, p95: 0, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  return { median: median(values), mad: medianAbsoluteDeviation(values), p95: quantileSorted(sorted, 0.95), n: values.length };
}

/**
 * Robust z-score of `value` against the history: (x − median) / (1.4826·MAD), with the MAD
 * floored at `minSpread` so a perfectly flat history does not make every wobble infinite.
 */
export function robustScore(value: number, stats: Robust, minSpread: number): number {
  const spread = Math.max(1.4826 * stats.mad, minSpread);
  return (value - stats.median) / spread;
}
