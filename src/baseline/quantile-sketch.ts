/**
 * Fixed-size, mergeable, ageing quantile sketches for per-window series (bytes out,
 * connections, fan-out…): a DDSketch-style histogram over a logarithmic value mapping, with
 * exact bins for small integers and exponential forward decay, packed for a whole workload into
 * one Float32Array.
 *
 * Why our own and not an npm package: the baselines need (1) ageing, so old behaviour fades
 * (no maintained JS sketch — @datadog/sketches-js's DDSketch, tdigest, KLL ports — decays);
 * (2) the MAD, which needs the bins themselves; (3) a few hundred bytes per series packed with
 * the workload's other series (DDSketch's dense store grows JS arrays in 128-bin chunks per
 * series), and (4) a byte image a checkpoint can write as it is.
 *
 * Mapping (values are counts and bytes, ≥ 0): 0 has its own bucket; 1..31 have a bin each
 * (exact); from 32 on, bin i covers [32·γ^(i−32), 32·γ^(i−31)) with ln γ = 0.12, so a value
 * is answered within ±6.2% (the bin's geometric middle, rounded to an integer). Each series
 * keeps a window of `SKETCH_BINS` consecutive bins (a span of 100,000×): a value outside it
 * moves the window when the mass that would be folded into the far edge bin is at most a
 * quarter of the series (so the median never is), or less than what already piles up at the
 * near edge; else it is clamped into the edge bin. A one-off spike cannot wipe out the
 * resolution where the workload's normal behaviour lies, and the busy tail (hourly
 * checkpoints, nightly backups) still moves the window up to where it is.
 *
 * Ageing: the k-th value pushed into a series weighs g^k with g = 2^(1/halfLife), i.e. every
 * value's weight relative to the newest halves each `halfLife` pushes (forward decay: nothing is
 * rescaled per push; weights are renormalised every 2^64 of growth). With the default half-life
 * of 1,008 active windows (3.5 days of 5-minute windows), the last 7 days carry 75% of the weight.
 *
 * Example: 3 series → one Float32Array(3 × 100): per series [zero, bin₀…bin₉₅, lo (first bin
 * index of the window), weight of the next push, pushes] — 400 bytes a series.
 */

/** Bins held per series (besides the zero bucket). */
export const SKETCH_BINS = 96;
/** Per series: the zero bucket, the bins, then lo, the next push's weight and the pushes. */
const STRIDE = SKETCH_BINS + 4;
const LO = SKETCH_BINS + 1;
const WEIGHT = SKETCH_BINS + 2;
const PUSHES = SKETCH_BINS + 3;
const EXACT = 32;
const LN_GAMMA = 0.12;
const RENORMALISE_AT = 2 ** 64;
/** A typed array's JS object and ArrayBuffer, measured on Node 24 (x64). */
export const TYPED_ARRAY_OVERHEAD = 220;
/** A window move may fold at most this share of a series' mass into an edge bin. */
const MOVE_TOLERANCE = 0.25;

export const DEFAULT_HALF_LIFE = 1_008;

/** Robust summary of a series: median, MAD, p95, and how many values went in. */
export interface Robust {
  median: number;
  mad: number;
  p95: number;
  n: number;
}

export const EMPTY_ROBUST: Robust = Object.freeze({ median: 0, mad: 0, p95: 0, n: 0 });

export function binOf(value: number): number {
  if (value < EXACT) return Math.max(1, Math.round(value));
  return EXACT + Math.floor(Math.log(value / EXACT) / LN_GAMMA);
}

export function valueOf(bin: number): number {
  return bin < EXACT ? bin : Math.round(EXACT * Math.exp(LN_GAMMA * (bin - EXACT + 0.5)));
}

/** `count` sketches in one typed array of 4·100·count bytes. */
export class SketchSet {
  readonly bins: Float32Array;
  readonly count: number;
  private readonly growth: number;
  /** Values counted in `n` at most (the summary's "windows in the baseline"). */
  private readonly maxCount: number;

  constructor(count: number, halfLife = DEFAULT_HALF_LIFE, maxCount = Number.POSITIVE_INFINITY, image?: ArrayLike<number>) {
    this.count = count;
    this.growth = 2 ** (1 / halfLife);
    this.maxCount = maxCount;
    this.bins = new Float32Array(count * STRIDE);
    if (image !== undefined) this.bins.set(image);
    else for (let s = 0; s < count; s++) this.bins[s * STRIDE + WEIGHT] = 1;
  }

  /** Bytes held: the array and its JS object. */
  get byteLength(): number {
    return this.bins.byteLength + TYPED_ARRAY_OVERHEAD;
  }

  add(series: number, value: number): void {
    const m = series * STRIDE;
    let weight = this.bins[m + WEIGHT]!;
    if (weight >= RENORMALISE_AT) {
      this.scale(series, 1 / weight);
      weight = 1;
    }
    this.bins[m + WEIGHT] = weight * this.growth;
    this.bins[m + PUSHES]! += 1;
    this.put(series, value, weight);
  }

  /** Adds `value` with `weight` (relative to the series' current weights), no ageing step. */
  private put(series: number, value: number, weight: number): void {
    const base = series * STRIDE;
    if (!(value > 0)) {
      this.bins[base]! += weight;
      return;
    }
    const bin = binOf(value);
    let lo = this.bins[base + LO]!;
    if (lo === 0) {
      // First non-zero value: centre the window on it.
      lo = Math.max(1, bin - SKETCH_BINS / 2);
      this.bins[base + LO] = lo;
    }
    if (bin < lo) lo = this.moveDown(series, lo, lo - bin);
    else if (bin >= lo + SKETCH_BINS) lo = this.moveUp(series, lo, bin - (lo + SKETCH_BINS) + 1);
    const slot = Math.min(SKETCH_BINS - 1, Math.max(0, bin - lo));
    this.bins[base + 1 + slot]! += weight;
  }

  private mass(series: number): number {
    const base = series * STRIDE + 1;
    let total = 0;
    for (let i = 0; i < SKETCH_BINS; i++) total += this.bins[base + i]!;
    return total;
  }

  /** Moves the window `by` bins up if the low bins it folds are light; returns the window start. */
  private moveUp(series: number, lo: number, by: number): number {
    const base = series * STRIDE + 1;
    const shift = Math.min(by, SKETCH_BINS - 1);
    let folded = 0;
    for (let i = 0; i < shift; i++) folded += this.bins[base + i]!;
    if (folded > MOVE_TOLERANCE * this.mass(series) && folded > this.bins[base + SKETCH_BINS - 1]!) return lo;
    for (let i = 0; i < SKETCH_BINS - shift; i++) this.bins[base + i] = this.bins[base + i + shift]!;
    this.bins.fill(0, base + SKETCH_BINS - shift, base + SKETCH_BINS);
    this.bins[base]! += folded;
    this.bins[series * STRIDE + LO] = lo + by;
    return lo + by;
  }

  private moveDown(series: number, lo: number, by: number): number {
    const base = series * STRIDE + 1;
    const shift = Math.min(by, SKETCH_BINS - 1, lo - 1);
    if (shift <= 0) return lo;
    let folded = 0;
    for (let i = SKETCH_BINS - shift; i < SKETCH_BINS; i++) folded += this.bins[base + i]!;
    if (folded > MOVE_TOLERANCE * this.mass(series) && folded > this.bins[base]!) return lo;
    for (let i = SKETCH_BINS - 1; i >= shift; i--) this.bins[base + i] = this.bins[base + i - shift]!;
    this.bins.fill(0, base, base + shift);
    this.bins[base + SKETCH_BINS - 1]! += folded;
    this.bins[series * STRIDE + LO] = lo - shift;
    return lo - shift;
  }

  private scale(series: number, factor: number): void {
    const base = series * STRIDE;
    for (let i = 0; i <= SKETCH_BINS; i++) this.bins[base + i]! *= factor;
  }

  /** Values pushed (capped at maxCount). */
  size(series: number): number {
    return Math.min(this.bins[series * STRIDE + PUSHES]!, this.maxCount);
  }

  /** Median, MAD (median distance to the median) and p95 in one pass over the bins. */
  summary(series: number): Robust {
    const n = this.size(series);
    if (n === 0) return EMPTY_ROBUST;
    const base = series * STRIDE;
    const lo = this.bins[base + LO]!;
    const zero = this.bins[base]!;
    const total = zero + this.mass(series);
    if (!(total > 0)) return EMPTY_ROBUST;
    const half = total / 2;
    // Bin positions: −1 is the zero bucket, 0..BINS−1 the window.
    const value = (p: number) => (p < 0 ? 0 : valueOf(lo + p));
    const weight = (p: number) => (p < 0 ? zero : this.bins[base + 1 + p]!);
    const tolerance = 1 - 1e-9;
    const p95Rank = total * 0.95;
    const UNSET = -2;
    let medianAt = zero >= half * tolerance ? -1 : UNSET;
    let p95At = zero >= p95Rank * tolerance ? -1 : UNSET;
    let cumulative = zero;
    for (let p = 0; p < SKETCH_BINS && p95At === UNSET; p++) {
      cumulative += this.bins[base + 1 + p]!;
      if (medianAt === UNSET && cumulative >= half * tolerance) medianAt = p;
      if (cumulative >= p95Rank * tolerance) p95At = p;
    }
    // Float32 rounding can leave the last bin a hair short of the rank.
    if (p95At === UNSET) p95At = SKETCH_BINS - 1;
    if (medianAt === UNSET) medianAt = p95At;
    const median = value(medianAt);
    // MAD: walk outwards from the median bin, nearer side first (distances grow on each side).
    let left = medianAt - 1;
    let right = medianAt + 1;
    let covered = weight(medianAt);
    let mad = 0;
    while (covered < half * tolerance) {
      const dl = left >= -1 ? median - value(left) : Number.POSITIVE_INFINITY;
      const dr = right < SKETCH_BINS ? value(right) - median : Number.POSITIVE_INFINITY;
      if (dl === Number.POSITIVE_INFINITY && dr === Number.POSITIVE_INFINITY) break;
      if (dl <= dr) {
        covered += weight(left--);
        mad = dl;
      } else {
        covered += weight(right++);
        mad = dr;
      }
    }
    return { median, mad, p95: value(p95At), n };
  }

  /**
   * Folds `other`'s series `from` into this set's series `into`: both are read as ending now
   * (each normalised to its newest value's weight), so the result weighs them equally.
   */
  merge(into: number, other: SketchSet, from: number): void {
    const wThis = this.bins[into * STRIDE + WEIGHT]!;
    const wOther = other.bins[from * STRIDE + WEIGHT]!;
    this.scale(into, 1 / wThis);
    this.bins[into * STRIDE + WEIGHT] = 1;
    const base = from * STRIDE;
    const lo = other.bins[base + LO]!;
    const ratio = 1 / wOther;
    if (other.bins[base]! > 0) this.put(into, 0, other.bins[base]! * ratio);
    for (let p = 0; p < SKETCH_BINS; p++) {
      const w = other.bins[base + 1 + p]!;
      if (w > 0) this.put(into, valueOf(lo + p), w * ratio);
    }
    this.bins[into * STRIDE + PUSHES]! += other.bins[base + PUSHES]!;
  }
}
