import { median, medianAbsoluteDeviation, quantileSorted } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { Random } from '../../../datasets/generator/random.ts';
import { SketchSet, binOf, valueOf } from '../../../src/baseline/quantile-sketch.ts';

/** The generator's seeded PRNG (mulberry32), so that a failure repeats. */
function prng(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}

function exact(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: median(values), mad: medianAbsoluteDeviation(values), p95: quantileSorted(sorted, 0.95) };
}

/** Relative error, with an absolute allowance of 1 for small integers. */
function near(actual: number, expected: number, relative = 0.06): boolean {
  return Math.abs(actual - expected) <= Math.max(1, relative * Math.abs(expected));
}

describe('SketchSet', () => {
  // No ageing (a half-life far beyond the test) so the answers compare with exact statistics.
  const still = (count = 1) => new SketchSet(count, 1e12);

  it('answers median, MAD and p95 within the mapping’s ±5% on shapes baselines see', () => {
    const random = prng(7);
    const shapes: Record<string, () => number> = {
      'log-normal bytes': () => Math.round(Math.exp(14 + 1.2 * (random() + random() + random() - 1.5))),
      'small counts': () => Math.floor(random() * 12),
      'mostly zero, some bursts': () => (random() < 0.7 ? 0 : Math.round(1e6 * (1 + 4 * random()))),
      'diurnal connections': () => Math.round(400 + 300 * Math.sin(random() * 2 * Math.PI)),
    };
    for (const [name, draw] of Object.entries(shapes)) {
      const set = still();
      const values = Array.from({ length: 2_016 }, draw);
      for (const v of values) set.add(0, v);
      const got = set.summary(0);
      const want = exact(values);
      expect({ name, median: near(got.median, want.median), p95: near(got.p95, want.p95), mad: near(got.mad, want.mad, 0.15) }).toEqual({ name, median: true, p95: true, mad: true });
      expect(got.n).toBe(2_016);
    }
  });

  it('keeps small integers exact and zero as zero', () => {
    for (let v = 0; v < 32; v++) expect(valueOf(v === 0 ? 1 : binOf(v))).toBe(v === 0 ? 1 : v);
    const set = still();
    for (let i = 0; i < 100; i++) set.add(0, i % 10 === 0 ? 7 : 0);
    expect(set.summary(0)).toMatchObject({ median: 0, mad: 0, p95: 7 });
  });

  it('takes the same bytes whatever it is fed', () => {
    const set = new SketchSet(11);
    const bytes = set.byteLength;
    const random = prng(3);
    for (let i = 0; i < 50_000; i++) set.add(i % 11, random() * 10 ** (random() * 14));
    expect(set.byteLength).toBe(bytes);
    expect(bytes).toBeLessThan(5_000);
  });

  it('is not wrecked by a one-off spike far outside its window', () => {
    const set = still();
    const random = prng(5);
    for (let i = 0; i < 1_000; i++) set.add(0, 10_000 + Math.round(random() * 5_000));
    const before = set.summary(0);
    set.add(0, 5e13); // 10 billion times the usual: clamped into the top bin
    const after = set.summary(0);
    expect(after.median).toBe(before.median);
    expect(after.p95).toBe(before.p95);
  });

  it('follows a workload whose volume grows for good', () => {
    const set = new SketchSet(1, 200);
    for (let i = 0; i < 1_000; i++) set.add(0, 1_000);
    for (let i = 0; i < 1_000; i++) set.add(0, 5e7); // 50,000× more, from now on
    expect(near(set.summary(0).median, 5e7)).toBe(true);
  });

  it('ages: after a change of behaviour the old one fades by the half-life', () => {
    const set = new SketchSet(1, 100);
    for (let i = 0; i < 500; i++) set.add(0, 100);
    for (let i = 0; i < 50; i++) set.add(0, 400); // half a half-life: old mass still ~2/3
    expect(near(set.summary(0).median, 100)).toBe(true);
    for (let i = 0; i < 150; i++) set.add(0, 400); // two half-lives in all: old mass ~1/4
    expect(near(set.summary(0).median, 400)).toBe(true);
    expect(set.summary(0).n).toBe(700);
  });

  it('survives renormalisation of its weights', () => {
    const set = new SketchSet(1, 10); // weights double every 10 pushes: renormalised every 640
    for (let i = 0; i < 5_000; i++) set.add(0, 200 + (i % 5));
    expect(near(set.summary(0).median, 202)).toBe(true);
    expect(set.bins.every(Number.isFinite)).toBe(true);
  });

  it('merges two sketches into the sketch of both', () => {
    const a = still();
    const b = still();
    const all: number[] = [];
    const random = prng(11);
    for (let i = 0; i < 1_000; i++) {
      const v = Math.round(1_000 * (1 + 9 * random()));
      (i % 2 === 0 ? a : b).add(0, v);
      all.push(v);
    }
    a.merge(0, b, 0);
    const want = exact(all);
    const got = a.summary(0);
    expect(near(got.median, want.median)).toBe(true);
    expect(near(got.p95, want.p95)).toBe(true);
    expect(got.n).toBe(1_000);
  });
});
