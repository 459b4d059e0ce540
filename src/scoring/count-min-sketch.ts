import { hashString, mix32 } from '../baseline/hash.ts';

export { hashString, mix32 };

/** A sketch's counters as a checkpoint stores them (base64 of the little-endian Float64 arrays). */
export interface CountMinSnapshot {
  rows: number;
  buckets: number;
  current: string;
  total: string;
  /** Filtering sketches: the last score per bucket. */
  scores?: string;
}

/**
 * A count-min sketch of decaying counts over string keys, on one typed array: `rows` hash rows
 * of `buckets` counters each (a power of two), each counter's current-tick count beside its
 * total. Memory is fixed at construction (16 × rows × buckets bytes, 8 more per counter for the
 * filtering core) however many keys arrive; a key's count is the minimum over its rows, never
 * below the true count.
 *
 * Decay is lazy: the current counters are stored divided by one running scale, so a tick
 * multiplies one number instead of every counter (renormalised long before it underflows).
 * A key's row slots come from one mixed hash by double hashing (Kirsch and Mitzenmacher).
 */
export class CountMinSketch {
  readonly rows: number;
  readonly buckets: number;
  /**
   * Per counter, side by side (one cache line for both): [2i] its count in the current tick,
   * divided by `scale` (decayed, not reset, between ticks: MIDAS-R); [2i + 1] its count since the start.
   */
  private readonly cells: Float64Array;
  private readonly mask: number;
  private readonly seed: number;
  /** True current count = stored × scale. */
  private scale = 1;
  /**
   * Filtering (MIDAS-F): totals hold past ticks only and take the current counts at the end of
   * a tick only where the bucket's last score was normal (`mergeTick`); the last score per bucket.
   */
  private readonly scores: Float64Array | undefined;
  /** The cells of the last `addAndCount`, for `assignScore`. */
  private readonly lastSlots: Int32Array;

  constructor(rows: number, buckets: number, seed = 0x9e3779b9, options: { filtering?: boolean } = {}) {
    if (!Number.isInteger(rows) || rows < 1) throw new Error(`count-min sketch: rows must be a positive integer, got ${rows}`);
    if (!Number.isInteger(buckets) || buckets < 2 || (buckets & (buckets - 1)) !== 0) throw new Error(`count-min sketch: buckets must be a power of two ≥ 2, got ${buckets}`);
    this.rows = rows;
    this.buckets = buckets;
    this.mask = buckets - 1;
    this.cells = new Float64Array(2 * rows * buckets);
    this.seed = mix32(seed >>> 0);
    this.lastSlots = new Int32Array(rows);
    if (options.filtering === true) this.scores = new Float64Array(rows * buckets);
  }

  /** Adds `weight` to the key's current and total counts; returns the key's hash for reuse. */
  add(key: string, weight = 1): number {
    return this.addHash(hashString(key), weight);
  }

  /** Adds `weight` under a key's 32-bit hash (a combination of hashes: no key string to build). */
  addHash(h: number, weight = 1): number {
    this.addAndCount(h, weight);
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
    const { cells, mask, buckets } = this;
    const a = mix32(h ^ this.seed);
    const b = ((a >>> 16) | (a << 16)) | 1;
    const scaled = weight / this.scale;
    // Filtering: totals move at the end of the tick (mergeTick), not per record.
    const totalWeight = this.scores === undefined ? weight : 0;
    const slots = this.lastSlots;
    if (this.rows === 2) {
      // The usual size (MIDAS uses two rows), unrolled: the per-record hot path.
      const i = (a & mask) << 1;
      const j = (buckets + ((a + b) & mask)) << 1;
      slots[0] = i >> 1;
      slots[1] = j >> 1;
      const c0 = (cells[i]! += scaled);
      const t0 = (cells[i + 1]! += totalWeight);
      const c1 = (cells[j]! += scaled);
      const t1 = (cells[j + 1]! += totalWeight);
      this.countedCurrent = (c0 < c1 ? c0 : c1) * this.scale;
      this.countedTotal = t0 < t1 ? t0 : t1;
      return;
    }
    let current = Number.POSITIVE_INFINITY;
    let total = Number.POSITIVE_INFINITY;
    for (let r = 0, base = 0; r < this.rows; r++, base += buckets) {
      const slot = base + ((a + Math.imul(r, b)) & mask);
      slots[r] = slot;
      const i = slot << 1;
      const c = (cells[i]! += scaled);
      const t = (cells[i + 1]! += totalWeight);
      if (c < current) current = c;
      if (t < total) total = t;
    }
    this.countedCurrent = current * this.scale;
    this.countedTotal = total;
  }

  /** The key's (current, total) counts: each the minimum over its rows. */
  counts(hash: number): { current: number; total: number } {
    const a = mix32(hash ^ this.seed);
    const b = ((a >>> 16) | (a << 16)) | 1;
    let current = Number.POSITIVE_INFINITY;
    let total = Number.POSITIVE_INFINITY;
    for (let r = 0, base = 0; r < this.rows; r++, base += this.buckets) {
      const i = (base + ((a + Math.imul(r, b)) & this.mask)) << 1;
      if (this.cells[i]! < current) current = this.cells[i]!;
      if (this.cells[i + 1]! < total) total = this.cells[i + 1]!;
    }
    return { current: current * this.scale, total };
  }

  /** Filtering: the score of the last `addAndCount`'s key, kept in each of its buckets. */
  assignScore(score: number): void {
    const scores = this.scores!;
    for (let r = 0; r < this.rows; r++) scores[this.lastSlots[r]!] = score;
  }

  /**
   * Filtering, at the end of a tick: a bucket whose last score is below `threshold` adds its
   * current count to its total; an anomalous one adds its own mean instead (`total / (t − 1)`),
   * so a burst does not become the normal it is measured against.
   */
  mergeTick(threshold: number, reciprocal: number): void {
    const { cells, scale } = this;
    const scores = this.scores!;
    for (let slot = 0; slot < scores.length; slot++) {
      const i = slot << 1;
      cells[i + 1]! += scores[slot]! < threshold ? cells[i]! * scale : cells[i + 1]! * reciprocal;
    }
  }

  /** A new tick: current counts are multiplied by `factor` (0 resets them, as plain MIDAS does). */
  decay(factor: number): void {
    if (factor === 0) {
      for (let i = 0; i < this.cells.length; i += 2) this.cells[i] = 0;
      this.scale = 1;
      return;
    }
    this.scale *= factor;
    if (this.scale < 1e-150) this.normalise();
  }

  /** The counters as a checkpoint stores them (the current ones at their true values). */
  snapshot(): CountMinSnapshot {
    // Copies at true values: taking a snapshot must not change the live counters' rounding.
    const n = this.rows * this.buckets;
    const current = new Float64Array(n);
    const total = new Float64Array(n);
    for (let slot = 0; slot < n; slot++) {
      current[slot] = this.cells[slot << 1]! * this.scale;
      total[slot] = this.cells[(slot << 1) + 1]!;
    }
    return { rows: this.rows, buckets: this.buckets, current: base64(current), total: base64(total), ...(this.scores === undefined ? {} : { scores: base64(this.scores) }) };
  }

  /** Loads a snapshot of a sketch of the same size (a different size: the counts start over). */
  restore(snapshot: CountMinSnapshot): boolean {
    if (snapshot.rows !== this.rows || snapshot.buckets !== this.buckets || (snapshot.scores === undefined) !== (this.scores === undefined)) return false;
    const n = this.rows * this.buckets;
    const current = fromBase64(snapshot.current, n);
    const total = fromBase64(snapshot.total, n);
    for (let slot = 0; slot < n; slot++) {
      this.cells[slot << 1] = current[slot]!;
      this.cells[(slot << 1) + 1] = total[slot]!;
    }
    if (snapshot.scores !== undefined) this.scores!.set(fromBase64(snapshot.scores, n));
    this.scale = 1;
    return true;
  }

  /** Every count back to zero. */
  clear(): void {
    this.cells.fill(0);
    this.scores?.fill(0);
    this.scale = 1;
  }

  get byteLength(): number {
    return this.cells.byteLength + (this.scores?.byteLength ?? 0);
  }

  private normalise(): void {
    const { cells, scale } = this;
    if (scale !== 1) for (let i = 0; i < cells.length; i += 2) cells[i]! *= scale;
    this.scale = 1;
  }
}

function base64(values: Float64Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

function fromBase64(text: string, length: number): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength !== length * 8) throw new Error(`count-min sketch snapshot: ${bytes.byteLength} bytes for ${length} counters`);
  const values = new Float64Array(length);
  new Uint8Array(values.buffer).set(bytes);
  return values;
}
