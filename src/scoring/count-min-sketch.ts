import { hashString, mix32 } from '../baseline/hash.ts';

export { hashString, mix32 };

/**
 * A count-min sketch of decaying counts over string keys, on typed arrays: `rows` hash rows of
 * `buckets` counters each (a power of two), one pair of arrays for the current tick's counts
 * and the totals. Memory is fixed at construction (16 × rows × buckets bytes) however many
 * keys arrive; a key's count is the minimum over its rows, never below the true count.
 */
export class CountMinSketch {
  readonly rows: number;
  readonly buckets: number;
  /** Counts in the current tick (decayed, not reset, between ticks: MIDAS-R). */
  readonly current: Float64Array;
  /** Counts since the start. */
  readonly total: Float64Array;
  private readonly mask: number;
  private readonly seeds: Uint32Array;

  constructor(rows: number, buckets: number, seed = 0x9e3779b9) {
    if (!Number.isInteger(rows) || rows < 1) throw new Error(`count-min sketch: rows must be a positive integer, got ${rows}`);
    if (!Number.isInteger(buckets) || buckets < 2 || (buckets & (buckets - 1)) !== 0) throw new Error(`count-min sketch: buckets must be a power of two ≥ 2, got ${buckets}`);
    this.rows = rows;
    this.buckets = buckets;
    this.mask = buckets - 1;
    this.current = new Float64Array(rows * buckets);
    this.total = new Float64Array(rows * buckets);
    this.seeds = new Uint32Array(rows);
    let s = seed >>> 0;
    for (let r = 0; r < rows; r++) {
      // splitmix-style seeds: independent-looking hash rows from one number.
      s = (s + 0x6d2b79f5) >>> 0;
      this.seeds[r] = mix32(s);
    }
  }

  /** Adds `weight` to the key's current and total counts; returns the key's hash for reuse. */
  add(key: string, weight = 1): number {
    return this.addHash(hashString(key), weight);
  }

  /** Adds `weight` under a key's 32-bit hash (a combination of hashes: no key string to build). */
  addHash(h: number, weight = 1): number {
    for (let r = 0; r < this.rows; r++) {
      const i = r * this.buckets + this.slot(h, r);
      this.current[i]! += weight;
      this.total[i]! += weight;
    }
    return h;
  }

  /** Current count of the last `addAndCount` (the minimum over its rows). */
  countedCurrent = 0;
  /** Total count of the last `addAndCount`. */
  countedTotal = 0;

  /**
   * `addHash` and `counts` in one pass, without allocating: the counts after the addition are
   * left in `countedCurrent` and `countedTotal` (the hot path of a per-record scorer).
   */
  addAndCount(h: number, weight = 1): void {
    let current = Number.POSITIVE_INFINITY;
    let total = Number.POSITIVE_INFINITY;
    for (let r = 0; r < this.rows; r++) {
      const i = r * this.buckets + this.slot(h, r);
      const c = (this.current[i]! += weight);
      const t = (this.total[i]! += weight);
      if (c < current) current = c;
      if (t < total) total = t;
    }
    this.countedCurrent = current;
    this.countedTotal = total;
  }

  /** The key's (current, total) counts: each the minimum over its rows. */
  counts(hash: number): { current: number; total: number } {
    let current = Number.POSITIVE_INFINITY;
    let total = Number.POSITIVE_INFINITY;
    for (let r = 0; r < this.rows; r++) {
      const i = r * this.buckets + this.slot(hash, r);
      if (this.current[i]! < current) current = this.current[i]!;
      if (this.total[i]! < total) total = this.total[i]!;
    }
    return { current, total };
  }

  /** A new tick: current counts are multiplied by `factor` (0 resets them, as plain MIDAS does). */
  decay(factor: number): void {
    const c = this.current;
    if (factor === 0) c.fill(0);
    else for (let i = 0; i < c.length; i++) c[i]! *= factor;
  }

  get byteLength(): number {
    return this.current.byteLength + this.total.byteLength + this.seeds.byteLength;
  }

  private slot(hash: number, row: number): number {
    return mix32(hash ^ this.seeds[row]!) & this.mask;
  }
}
