import { describe, expect, it } from 'vitest';
import { averagePrecision, rocAuc } from '../../../src/evaluation/ranking.ts';

describe('per-record ranking', () => {
  it('gives 1 for a perfect ranking, 0 for a reversed one and 0.5 when every score ties', () => {
    const labels = [false, false, true, true];
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], labels)).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], labels)).toBe(0);
    expect(rocAuc([1, 1, 1, 1], labels)).toBe(0.5);
    expect(averagePrecision([0.1, 0.2, 0.8, 0.9], labels)).toBe(1);
  });

  it('matches hand-computed values', () => {
    // Positives at 0.9 and 0.4, negatives at 0.8, 0.3, 0.2: 5 of the 6 pairs ranked right.
    const scores = [0.9, 0.8, 0.4, 0.3, 0.2];
    const labels = [true, false, true, false, false];
    expect(rocAuc(scores, labels)).toBeCloseTo(5 / 6, 12);
    // Precision at the positives: 1/1 and 2/3.
    expect(averagePrecision(scores, labels)).toBeCloseTo((1 + 2 / 3) / 2, 12);
  });

  it('takes ties together whatever their order, and is NaN without both classes', () => {
    expect(averagePrecision([1, 1, 0], [false, true, false])).toBeCloseTo(0.5, 12);
    expect(averagePrecision([1, 1, 0], [true, false, false])).toBeCloseTo(0.5, 12);
    expect(rocAuc([0.3, 0.4], [true, true])).toBeNaN();
    expect(averagePrecision([0.3, 0.4], [false, false])).toBeNaN();
  });
});
