import type { Robust, SketchSet } from './quantile-sketch.ts';

export type { Robust } from './quantile-sketch.ts';

/**
 * One per-window measure of a workload (bytes out, connections…): a handle on one sketch of the
 * workload's SketchSet, so all its series share two typed arrays.
 */
export interface Series {
  readonly set: SketchSet;
  readonly index: number;
}

export function pushSeries(series: Series, value: number): void {
  series.set.add(series.index, value);
}

/** Median, MAD and p95 of the history (robust against the spikes we are looking for). */
export function robust(series: Series): Robust {
  return series.set.summary(series.index);
}

/**
 * Robust z-score of `value` against the history: (x − median) / (1.4826·MAD), with the MAD
 * floored at `minSpread` so a perfectly flat history does not make every wobble infinite.
 */
export function robustScore(value: number, stats: Robust, minSpread: number): number {
  const spread = Math.max(1.4826 * stats.mad, minSpread);
  return (value - stats.median) / spread;
}
