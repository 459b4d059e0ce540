/**
 * One shared copy of each peer, edge and domain key: 10,000 workloads that all talk to
 * `prod-eu/data/postgres|5432|tcp` hold one string, not 10,000. Bounded: past `max` keys the
 * pool starts afresh (keys already held stay valid; only new duplicates are not shared until
 * they are seen again), so keys an attacker invents cost the pool a fixed amount.
 */
export class KeyIntern {
  private pool = new Map<string, string>();
  private readonly max: number;

  constructor(max = 200_000) {
    this.max = max;
  }

  intern(key: string): string {
    const held = this.pool.get(key);
    if (held !== undefined) return held;
    if (this.pool.size >= this.max) this.pool = new Map();
    this.pool.set(key, key);
    return key;
  }

  get size(): number {
    return this.pool.size;
  }
}

/** The process-wide pool baselines use. */
export const sharedKeys = new KeyIntern();
