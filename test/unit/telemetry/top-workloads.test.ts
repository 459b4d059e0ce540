import { describe, expect, it } from 'vitest';
import { OTHER, TopWorkloads } from '../../../src/telemetry/top-workloads.ts';

describe('TopWorkloads', () => {
  it('names at most `limit` workloads and folds the rest into other', () => {
    const top = new TopWorkloads(3);
    const labels = ['a', 'b', 'c', 'd', 'e'].map((k) => top.observe(k, 100));
    expect(labels).toEqual(['a', 'b', 'c', OTHER, OTHER]);
    expect(top.named).toBe(3);
  });

  it('lets a clearly bigger workload take the weakest slot', () => {
    const top = new TopWorkloads(2);
    top.observe('small', 10);
    top.observe('medium', 100);
    expect(top.observe('huge', 10_000)).toBe('huge');
    expect(top.label('small')).toBe(OTHER);
    expect(top.label('medium')).toBe('medium');
    expect(top.observe('similar', 150)).toBe(OTHER); // not 2× the weakest named
  });

  it('never names more than 4 × limit workloads over its life, however many an attacker invents', () => {
    const top = new TopWorkloads(5);
    const named = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const label = top.observe(`w${i}`, i * 1_000);
      if (label !== OTHER) named.add(label);
    }
    expect(named.size).toBe(20);
    expect(top.named).toBeLessThanOrEqual(5);
  });
});
