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

/** A map whose oldest-touched entry is evicted past `max` (Map iteration order = recency). */
export class LruMap<K, V> {
  readonly map = new Map<K, V>();
  evictions = 0;
  private readonly max: number;
  private readonly onEvict: ((key: K, value: V) => void) | undefined;

  constructor(max: number, onEvict?: (key: K, value: V) => void) {
    this.max = max;
    this.onEvict = onEvict;
  }

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    if (this.map.size >= this.max) {
      const [oldKey, oldValue] = this.map.entries().next().value!;
      this.map.delete(oldKey);
      this.evictions++;
      this.onEvict?.(oldKey, oldValue);
    }
    this.map.set(key, value);
  }

  get size(): number {
    return this.map.size;
  }
}
