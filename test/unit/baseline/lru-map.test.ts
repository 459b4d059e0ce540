import { describe, expect, it } from 'vitest';
import { Random } from '../../../datasets/generator/random.ts';
import { LruMap } from '../../../src/baseline/bounded.ts';

/** The obvious LRU (an array, most recent last) to compare with. */
class NaiveLru {
  entries: [number, number][] = [];
  evicted: number[] = [];
  private readonly max: number;
  private readonly maxWeight: number;
  constructor(max: number, maxWeight: number) {
    this.max = max;
    this.maxWeight = maxWeight;
  }
  private weight() { return this.entries.reduce((s, [, v]) => s + v, 0); }
  get(k: number) { const i = this.entries.findIndex(([key]) => key === k); if (i < 0) return undefined; const [e] = this.entries.splice(i, 1); this.entries.push(e!); return e![1]; }
  set(k: number, v: number) {
    const i = this.entries.findIndex(([key]) => key === k); if (i >= 0) this.entries.splice(i, 1);
    while (this.entries.length >= this.max) this.evicted.push(this.entries.shift()![0]);
    this.entries.push([k, v]);
    while (this.weight() > this.maxWeight && this.entries.length > 1) this.evicted.push(this.entries.shift()![0]);
  }
}

describe('LruMap', () => {
  it('evicts in least-recently-used order, by count and by weight, under random churn', () => {
    const rng = new Random(42);
    const random = () => rng.next();
    const evicted: number[] = [];
    const lru = new LruMap<number, number>(50, (k) => evicted.push(k), { weigh: (v) => v, maxWeight: 400 });
    const naive = new NaiveLru(50, 400);
    for (let i = 0; i < 20_000; i++) {
      const key = Math.floor(random() * 120);
      if (random() < 0.5) expect(lru.get(key)).toBe(naive.get(key));
      else { const v = 1 + Math.floor(random() * 15); lru.set(key, v); naive.set(key, v); }
      if (i % 97 === 0) expect(lru.oldestKey()).toBe(naive.entries[0]?.[0]);
    }
    expect(evicted).toEqual(naive.evicted);
    expect([...lru.map.keys()]).toEqual(naive.entries.map(([k]) => k));
    expect(lru.evictions).toBe(naive.evicted.length);
  });

  it('evicts a given key ahead of its turn, counted and told, its weight released', () => {
    const evicted: string[] = [];
    const lru = new LruMap<string, number>(10, (k) => evicted.push(k), { weigh: (v) => v, maxWeight: 100 });
    for (const [k, v] of [['a', 30], ['b', 30], ['c', 30]] as const) lru.set(k, v);
    expect(lru.oldestKey()).toBe('a');
    expect(lru.evict('b')).toBe(true);
    expect(lru.evict('b')).toBe(false);
    expect({ evicted, evictions: lru.evictions, weight: lru.weight, keys: [...lru.map.keys()] }).toEqual({ evicted: ['b'], evictions: 1, weight: 60, keys: ['a', 'c'] });
    // The oldest can go this way too, and the order carries on from there.
    lru.evict('a');
    lru.set('d', 50);
    expect(lru.oldestKey()).toBe('c');
    lru.set('e', 40);
    expect([...lru.map.keys()]).toEqual(['d', 'e']);
  });
});
