import { CountMinSketch, hashString, mix32 } from './count-min-sketch.ts';

/** How an EdgeBurstScorer is sized and how fast it forgets. */
export interface EdgeBurstOptions {
  /** Hash rows per sketch (MIDAS uses 2). */
  rows: number;
  /** Counters per row, a power of two. */
  buckets: number;
  /**
   * MIDAS-R's temporal decay: at each new tick the current counts are multiplied by this
   * (0 = plain MIDAS, counts reset every tick; the paper's default is 0.5).
   */
  decay: number;
  seed?: number;
}

export const DEFAULT_EDGE_BURST_OPTIONS: EdgeBurstOptions = { rows: 2, buckets: 1024, decay: 0.5 };

/**
 * MIDAS-R (Bhatia, Hooi, Yoon, Shin, Faloutsos: "MIDAS: Microcluster-Based Detector of
 * Anomalies in Edge Streams", AAAI 2020): per record (an edge u → v at tick t), count-min
 * sketches of the edge, of its source and of its destination keep the counts in the current
 * tick (decayed between ticks, the "relational" variant) and since the start. Under the null
 * hypothesis that an edge arrives at the same mean rate in every tick, the chi-squared
 * statistic of the current count a against the total s after t ticks is
 *
 *     X² = (a − s/t)² · t² / (s · (t − 1))
 *
 * and the record's score is the largest of the three (edge, source, destination). Constant
 * memory (three pairs of typed arrays), constant time per record, no window: scores are
 * per record, as the streaming-anomaly literature reports them (ROC-AUC per record).
 */
export class EdgeBurstScorer {
  private readonly edges: CountMinSketch;
  private readonly sources: CountMinSketch;
  private readonly destinations: CountMinSketch;
  private readonly options: EdgeBurstOptions;
  /** The current tick (1-based: the first record's tick is 1). */
  private tick = 0;
  private lastTime = Number.NEGATIVE_INFINITY;

  constructor(options: Partial<EdgeBurstOptions> = {}) {
    this.options = { ...DEFAULT_EDGE_BURST_OPTIONS, ...options };
    const { rows, buckets, seed = 0x2545f491 } = this.options;
    if (!(this.options.decay >= 0 && this.options.decay < 1)) throw new Error(`edge burst scorer: decay must be in [0, 1), got ${this.options.decay}`);
    this.edges = new CountMinSketch(rows, buckets, seed);
    this.sources = new CountMinSketch(rows, buckets, seed + 1);
    this.destinations = new CountMinSketch(rows, buckets, seed + 2);
  }

  /**
   * Scores one record: `source` → `destination` at tick `time` (any monotone unit — seconds,
   * windows; records of one tick share it). Times must not go backwards; a record older than
   * the current tick counts in the current one. `weight` counts it as several (a flow record
   * aggregating connections).
   */
  score(source: string, destination: string, time: number, weight = 1): number {
    if (time > this.lastTime) {
      if (this.tick > 0) {
        // Every tick that passed decays the current counts once.
        const steps = Number.isFinite(this.lastTime) ? Math.min(64, Math.max(1, Math.round(time - this.lastTime))) : 1;
        const factor = this.options.decay === 0 ? 0 : this.options.decay ** steps;
        this.edges.decay(factor);
        this.sources.decay(factor);
        this.destinations.decay(factor);
        this.tick += Number.isFinite(this.lastTime) ? Math.max(1, Math.round(time - this.lastTime)) : 1;
      } else this.tick = 1;
      this.lastTime = time;
    }
    const t = this.tick;
    // The endpoints hashed once each; the edge's hash combines them (no key string built).
    const src = hashString(source);
    const dst = hashString(destination);
    const { edges, sources, destinations } = this;
    edges.addAndCount(mix32(Math.imul(src, 0x9e3779b1) ^ dst), weight);
    sources.addAndCount(src, weight);
    destinations.addAndCount(dst, weight);
    return Math.max(chi(edges.countedCurrent, edges.countedTotal, t), chi(sources.countedCurrent, sources.countedTotal, t), chi(destinations.countedCurrent, destinations.countedTotal, t));
  }

  get byteLength(): number {
    return this.edges.byteLength + this.sources.byteLength + this.destinations.byteLength;
  }
}

/** MIDAS's chi-squared statistic of a current count against the mean rate of `total` over `t` ticks (0 before the second tick). */
export function chiSquared(counts: { current: number; total: number }, t: number): number {
  return chi(counts.current, counts.total, t);
}

function chi(a: number, s: number, t: number): number {
  if (t < 2 || s === 0) return 0;
  const d = a - s / t;
  return (d * d * t * t) / (s * (t - 1));
}
