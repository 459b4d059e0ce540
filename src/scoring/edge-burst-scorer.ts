import { CountMinSketch, hashString, mix32, type CountMinSnapshot } from './count-min-sketch.ts';

/** An EdgeBurstScorer as a checkpoint stores it. */
export interface EdgeBurstSnapshot {
  tick: number;
  lastTime: number | null;
  edges: CountMinSnapshot;
  sources: CountMinSnapshot;
  destinations: CountMinSnapshot;
}

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
  /**
   * MIDAS-F's filtering core (Bhatia et al., TKDD 2022): records scoring at least this do not
   * enter the totals they are judged against (their bucket takes its own mean instead), so a
   * long burst stays anomalous to its end. Undefined: the relational core (MIDAS-R).
   */
  threshold?: number;
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
    const filtering = this.options.threshold !== undefined;
    this.edges = new CountMinSketch(rows, buckets, seed, { filtering });
    this.sources = new CountMinSketch(rows, buckets, seed + 1, { filtering });
    this.destinations = new CountMinSketch(rows, buckets, seed + 2, { filtering });
  }

  /**
   * Scores one record: `source` → `destination` at tick `time` (any monotone unit — seconds,
   * windows; records of one tick share it). Times must not go backwards; a record older than
   * the current tick counts in the current one. `weight` counts it as several (a flow record
   * aggregating connections).
   */
  score(source: string, destination: string, time: number, weight = 1): number {
    return this.scoreHashed(hashString(source), hashString(destination), time, weight);
  }

  /**
   * `score` for endpoints already hashed (hashString of their keys): a caller that meets the
   * same endpoints again (cached identities) hashes each once, not once per record.
   */
  scoreHashed(src: number, dst: number, time: number, weight = 1): number {
    if (time > this.lastTime) this.advance(time);
    const t = this.tick;
    // The edge's hash combines the endpoints' (no key string built).
    const { edges, sources, destinations } = this;
    edges.addAndCount(mix32(Math.imul(src, 0x9e3779b1) ^ dst), weight);
    sources.addAndCount(src, weight);
    destinations.addAndCount(dst, weight);
    const score = this.options.threshold === undefined ? chi : filtered;
    const byEdge = score(edges.countedCurrent, edges.countedTotal, t);
    const bySource = score(sources.countedCurrent, sources.countedTotal, t);
    const byDestination = score(destinations.countedCurrent, destinations.countedTotal, t);
    if (this.options.threshold !== undefined) {
      edges.assignScore(byEdge);
      sources.assignScore(bySource);
      destinations.assignScore(byDestination);
    }
    let sourceSide = byEdge;
    let current = edges.countedCurrent;
    if (bySource > sourceSide) {
      sourceSide = bySource;
      current = sources.countedCurrent;
    }
    this.sourceSideScore = sourceSide;
    this.sourceSideCurrent = current;
    return byDestination > sourceSide ? byDestination : sourceSide;
  }

  /** A new tick at `time`: every tick that passed decays the current counts (and, filtering, merges the last into the totals). */
  private advance(time: number): void {
    if (this.tick > 0) {
      // Every tick that passed decays the current counts once.
      const steps = Number.isFinite(this.lastTime) ? Math.min(64, Math.max(1, Math.round(time - this.lastTime))) : 1;
      const factor = this.options.decay === 0 ? 0 : this.options.decay ** steps;
      const { threshold } = this.options;
      if (threshold !== undefined && this.tick > 1) {
        const reciprocal = 1 / (this.tick - 1);
        this.edges.mergeTick(threshold, reciprocal);
        this.sources.mergeTick(threshold, reciprocal);
        this.destinations.mergeTick(threshold, reciprocal);
      } else if (threshold !== undefined) {
        // After the first tick everything is normal: there is nothing to compare with yet.
        this.edges.mergeTick(Number.POSITIVE_INFINITY, 0);
        this.sources.mergeTick(Number.POSITIVE_INFINITY, 0);
        this.destinations.mergeTick(Number.POSITIVE_INFINITY, 0);
      }
      this.edges.decay(factor);
      this.sources.decay(factor);
      this.destinations.decay(factor);
      this.tick += Number.isFinite(this.lastTime) ? Math.max(1, Math.round(time - this.lastTime)) : 1;
    } else this.tick = 1;
    this.lastTime = time;
  }

  /**
   * The last record's score as its source sees it: the edge's or the source's, whichever is
   * higher (what the source's own traffic explains, whoever else reaches the destination).
   */
  sourceSideScore = 0;
  /**
   * The current (decayed) count behind `sourceSideScore`. A burst is a high score on a high
   * count; a high score on a count of one is a first contact late in the stream (X² ≈ t for a
   * new key), not a burst.
   */
  sourceSideCurrent = 0;

  /** Ticks, clock and counters, as a checkpoint stores them. */
  snapshot(): EdgeBurstSnapshot {
    return {
      tick: this.tick, lastTime: Number.isFinite(this.lastTime) ? this.lastTime : null,
      edges: this.edges.snapshot(), sources: this.sources.snapshot(), destinations: this.destinations.snapshot(),
    };
  }

  /** Continues from a snapshot; false (and starts over) when it was taken with other sketch sizes. */
  restore(snapshot: EdgeBurstSnapshot): boolean {
    if (!this.edges.restore(snapshot.edges) || !this.sources.restore(snapshot.sources) || !this.destinations.restore(snapshot.destinations)) {
      for (const sketch of [this.edges, this.sources, this.destinations]) sketch.clear();
      this.tick = 0;
      this.lastTime = Number.NEGATIVE_INFINITY;
      return false;
    }
    this.tick = snapshot.tick;
    this.lastTime = snapshot.lastTime ?? Number.NEGATIVE_INFINITY;
    return true;
  }

  get byteLength(): number {
    return this.edges.byteLength + this.sources.byteLength + this.destinations.byteLength;
  }
}

/** MIDAS's chi-squared statistic of a current count against the mean rate of `total` over `t` ticks (0 before the second tick). */
export function chiSquared(counts: { current: number; total: number }, t: number): number {
  return chi(counts.current, counts.total, t);
}

/** MIDAS-F's statistic: `s` holds the past ticks only (0 for a key never seen before: no evidence yet). */
function filtered(a: number, s: number, t: number): number {
  if (t < 2 || s === 0) return 0;
  const d = a + s - a * t;
  return (d * d) / (s * (t - 1));
}

function chi(a: number, s: number, t: number): number {
  if (t < 2 || s === 0) return 0;
  const d = a - s / t;
  return (d * d * t * t) / (s * (t - 1));
}
