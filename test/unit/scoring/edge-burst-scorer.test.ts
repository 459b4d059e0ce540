import { describe, expect, it } from 'vitest';
import { CountMinSketch, hashString } from '../../../src/scoring/count-min-sketch.ts';
import { rocAuc } from '../../../src/evaluation/ranking.ts';
import { chiSquared, EdgeBurstScorer } from '../../../src/scoring/edge-burst-scorer.ts';
import { prng } from '../prng.ts';


describe('CountMinSketch', () => {
  it('never undercounts, and stays within its fixed bytes whatever the keys', () => {
    const sketch = new CountMinSketch(2, 256);
    const bytes = sketch.byteLength;
    for (let i = 0; i < 20_000; i++) sketch.add(`k${i}`);
    for (let i = 0; i < 50; i++) sketch.add('hot');
    const { current, total } = sketch.counts(hashString('hot'));
    expect(total).toBeGreaterThanOrEqual(50);
    expect(current).toBe(total);
    expect(sketch.byteLength).toBe(bytes);
    sketch.decay(0.5);
    expect(sketch.counts(hashString('hot')).current).toBeCloseTo(total / 2, 6);
    sketch.decay(0);
    expect(sketch.counts(hashString('hot')).current).toBe(0);
  });

  it('refuses sizes that are not a power of two', () => {
    expect(() => new CountMinSketch(2, 1000)).toThrow(/power of two/);
    expect(() => new CountMinSketch(0, 1024)).toThrow(/rows/);
  });
});

describe('EdgeBurstScorer (MIDAS-R)', () => {
  it('computes the chi-squared statistic of the paper', () => {
    // a = 10 now, s = 20 over t = 10 ticks: (10 − 2)² · 100 / (20 · 9).
    expect(chiSquared({ current: 10, total: 20 }, 10)).toBeCloseTo((64 * 100) / 180, 9);
    expect(chiSquared({ current: 3, total: 3 }, 1)).toBe(0);
    // At the mean rate: nothing.
    expect(chiSquared({ current: 2, total: 20 }, 10)).toBe(0);
  });

  it('scores a burst of one edge far above steady traffic (ROC-AUC per record)', () => {
    for (const seed of [1, 2, 3]) {
      const random = prng(seed);
      const scorer = new EdgeBurstScorer();
      const scores: number[] = [];
      const labels: boolean[] = [];
      for (let tick = 1; tick <= 200; tick++) {
        // Steady: 100 records a tick over 60 hosts.
        for (let i = 0; i < 100; i++) {
          const u = Math.floor(random() * 60);
          const v = Math.floor(random() * 60);
          scores.push(scorer.score(`10.0.0.${u}`, `10.0.1.${v}`, tick));
          labels.push(false);
        }
        // A flood from one host to one target for 5 ticks, and a scan (one source, new targets) for 5 more.
        if (tick >= 120 && tick < 125) for (let i = 0; i < 150; i++) { scores.push(scorer.score('10.0.0.250', '10.0.1.7', tick)); labels.push(true); }
        if (tick >= 160 && tick < 165) for (let i = 0; i < 150; i++) { scores.push(scorer.score('10.0.0.251', `10.0.2.${i}`, tick)); labels.push(true); }
      }
      expect(rocAuc(scores, labels)).toBeGreaterThan(0.98);
    }
  });

  it('keeps its memory fixed and its scores finite for any number of invented endpoints', () => {
    const scorer = new EdgeBurstScorer({ buckets: 256 });
    const bytes = scorer.byteLength;
    let max = 0;
    for (let i = 0; i < 50_000; i++) max = Math.max(max, scorer.score(`a${i}`, `b${i}`, Math.floor(i / 1000) + 1));
    expect(scorer.byteLength).toBe(bytes);
    expect(Number.isFinite(max)).toBe(true);
  });

  it('treats records of one tick alike whatever their order, and a late record as the current tick', () => {
    const a = new EdgeBurstScorer();
    const b = new EdgeBurstScorer();
    a.score('x', 'y', 1);
    b.score('x', 'y', 1);
    a.score('x', 'y', 2);
    b.score('x', 'y', 2);
    expect(a.score('p', 'q', 2)).toBe(b.score('p', 'q', 2));
    expect(Number.isFinite(a.score('x', 'y', 1))).toBe(true);
    expect(() => new EdgeBurstScorer({ decay: 1 })).toThrow(/decay/);
  });

  it('keeps a long burst anomalous to its end with the filtering core (MIDAS-F), where the relational core lets it fade into its totals', () => {
    const run = (threshold?: number) => {
      const scorer = new EdgeBurstScorer(threshold === undefined ? {} : { threshold });
      let last = 0;
      for (let tick = 1; tick <= 300; tick++) {
        for (let i = 0; i < 20; i++) scorer.score(`h${i}`, `s${i % 5}`, tick);
        // From tick 100 on, one source floods one target for 200 ticks.
        if (tick >= 100) for (let i = 0; i < 100; i++) last = scorer.score('attacker', 'victim', tick);
        else scorer.score('attacker', 'victim', tick);
      }
      return last;
    };
    const relational = run();
    const filtering = run(1_000);
    expect(filtering).toBeGreaterThan(10 * relational);
    expect(filtering).toBeGreaterThan(1_000);
  });

  it('continues from a snapshot exactly as if it had never stopped, and starts over on a snapshot of other sizes', () => {
    for (const threshold of [undefined, 1_000]) {
      const options = threshold === undefined ? {} : { threshold };
      const random = prng(9);
      const events = Array.from({ length: 5_000 }, (_, i) => [`10.0.0.${Math.floor(random() * 50)}`, `10.0.1.${Math.floor(random() * 50)}`, 1 + Math.floor(i / 50)] as const);
      const whole = new EdgeBurstScorer(options);
      const first = new EdgeBurstScorer(options);
      const expected = events.map(([u, v, t]) => whole.score(u, v, t));
      const got = events.slice(0, 2_500).map(([u, v, t]) => first.score(u, v, t));
      const snapshot = JSON.parse(JSON.stringify(first.snapshot()));
      const second = new EdgeBurstScorer(options);
      expect(second.restore(snapshot)).toBe(true);
      got.push(...events.slice(2_500).map(([u, v, t]) => second.score(u, v, t)));
      expect(got.map((x) => x.toPrecision(12))).toEqual(expected.map((x) => x.toPrecision(12)));
      expect(new EdgeBurstScorer({ ...options, buckets: 256 }).restore(snapshot)).toBe(false);
    }
  });
});
