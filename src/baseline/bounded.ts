/**
 * Bounded collections for per-window and per-workload state: an attacker who invents peers,
 * ports or domains costs at most `max` entries; what did not fit is still counted.
 */
export class BoundedSet<T> {
  readonly values = new Set<T>();
  /** Distinct values seen, including those past the bound (approximate once overflowed). */
  overflow = 0;
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  add(value: T): void {
    if (this.values.has(value)) return;
    if (this.values.size < this.max) this.values.add(value);
    else this.overflow++;
  }

  get size(): number {
    return this.values.size + this.overflow;
  }
}

/**
 * A map whose oldest-touched entry is evicted past `max` entries (Map iteration order =
 * recency) and, when given a `weigh` function, past `maxWeight` in total weight (bytes, say).
 * A value that changes weight after it is stored is re-weighed with `reweigh(key)`.
 */
export class LruMap<K, V> {
  readonly map = new Map<K, V>();
  evictions = 0;
  private readonly max: number;
  private readonly onEvict: ((key: K, value: V) => void) | undefined;
  private readonly weigh: ((value: V) => number) | undefined;
  private readonly maxWeight: number;
  private readonly weights = new Map<K, number>();
  /** Sum of the entries' weights (0 without `weigh`). */
  weight = 0;
  /**
   * A live iterator kept past the entries already evicted, and the entry it stands on (the
   * oldest). V8 Maps keep deleted slots until they rehash, so a fresh iterator per eviction
   * would step over every slot deleted before it (~12 µs an eviction under churn).
   */
  private cursor: Iterator<[K, V]> | undefined;
  private front: [K, V] | undefined;

  constructor(max: number, onEvict?: (key: K, value: V) => void, weighing?: { weigh: (value: V) => number; maxWeight: number }) {
    this.max = max;
    this.onEvict = onEvict;
    this.weigh = weighing?.weigh;
    this.maxWeight = weighing?.maxWeight ?? Number.POSITIVE_INFINITY;
  }

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      if (this.front?.[0] === key) this.front = undefined;
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    if (this.front?.[0] === key) this.front = undefined;
    if (this.map.delete(key)) this.forget(key);
    while (this.map.size >= this.max) this.evictOldest();
    this.map.set(key, value);
    this.reweigh(key);
  }

  /** Evicts `key` ahead of its turn (counted as an eviction, `onEvict` told); false when absent. */
  evict(key: K): boolean {
    const value = this.map.get(key);
    if (value === undefined) return false;
    if (this.front?.[0] === key) this.front = undefined;
    this.map.delete(key);
    this.forget(key);
    this.evictions++;
    this.onEvict?.(key, value);
    return true;
  }

  /** Re-reads the weight of `key`'s value and evicts the least recent entries past maxWeight. */
  reweigh(key: K): void {
    if (this.weigh === undefined) return;
    const value = this.map.get(key);
    if (value === undefined) return;
    const weight = this.weigh(value);
    this.weight += weight - (this.weights.get(key) ?? 0);
    this.weights.set(key, weight);
    // The entry just weighed is kept even if it alone is over the bound.
    while (this.weight > this.maxWeight && this.map.size > 1 && this.oldest()![0] !== key) this.evictOldest();
  }

  /** The least recent entry: every entry before the cursor was evicted or moved behind it. */
  private oldest(): [K, V] | undefined {
    if (this.front !== undefined) return this.front;
    let step = this.cursor?.next();
    if (step === undefined || step.done === true) {
      this.cursor = this.map.entries();
      step = this.cursor.next();
    }
    this.front = step.done === true ? undefined : step.value;
    return this.front;
  }

  private evictOldest(): void {
    const [oldKey, oldValue] = this.oldest()!;
    this.front = undefined;
    this.map.delete(oldKey);
    this.forget(oldKey);
    this.evictions++;
    this.onEvict?.(oldKey, oldValue);
  }

  private forget(key: K): void {
    const weight = this.weights.get(key);
    if (weight === undefined) return;
    this.weight -= weight;
    this.weights.delete(key);
  }

  get size(): number {
    return this.map.size;
  }

  /** Whether a new entry of this weight would evict one (count or weight bound). */
  wouldEvict(weight: number): boolean {
    return this.map.size >= this.max || this.weight + weight > this.maxWeight;
  }

  /** The key the next eviction takes. */
  oldestKey(): K | undefined {
    return this.oldest()?.[0];
  }
}
