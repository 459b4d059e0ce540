import { LruMap } from '../baseline/bounded.ts';

export const OTHER = 'other';

/**
 * Chooses which workloads get their own Prometheus series: at most `limit` at a time, ranked by
 * a decaying average of their traffic; everything else is folded into `other`. A challenger
 * replaces the weakest named workload only when clearly bigger (×2), and at most `4 × limit`
 * workloads are ever named, so a hostile or huge cluster cannot explode the series count.
 * Counters stay monotonic: a workload's series counts from its admission on, and traffic
 * before admission or after eviction goes to `other`.
 */
export class TopWorkloads {
  private readonly limit: number;
  private readonly everNamedLimit: number;
  private readonly volume = new LruMap<string, number>(20_000);
  private readonly admitted = new Set<string>();
  private everNamed = 0;

  constructor(limit: number) {
    this.limit = limit;
    this.everNamedLimit = 4 * limit;
  }

  /** Feeds one window's volume of a workload and returns the label to use for it. */
  observe(key: string, bytes: number): string {
    const average = 0.8 * (this.volume.get(key) ?? 0) + 0.2 * bytes;
    this.volume.set(key, average);
    if (this.admitted.has(key)) return key;
    if (this.admitted.size < this.limit && this.everNamed < this.everNamedLimit) return this.admit(key);
    if (this.everNamed >= this.everNamedLimit) return OTHER;
    let weakest: string | undefined;
    let weakestVolume = Number.POSITIVE_INFINITY;
    for (const named of this.admitted) {
      const v = this.volume.peek(named) ?? 0;
      if (v < weakestVolume) {
        weakest = named;
        weakestVolume = v;
      }
    }
    if (weakest !== undefined && average > 2 * weakestVolume) {
      this.admitted.delete(weakest);
      return this.admit(key);
    }
    return OTHER;
  }

  label(key: string): string {
    return this.admitted.has(key) ? key : OTHER;
  }

  get named(): number {
    return this.admitted.size;
  }

  get limitOfNamed(): number {
    return this.limit;
  }

  private admit(key: string): string {
    this.admitted.add(key);
    this.everNamed++;
    return key;
  }
}
