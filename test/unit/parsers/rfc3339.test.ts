import { describe, expect, it } from 'vitest';
import { Random } from '../../../datasets/generator/random.ts';
import { parseRfc3339 } from '../../../src/parsers/field-reader.ts';

describe('parseRfc3339', () => {
  it('reads times as Date.parse does, the fast path and the rest alike', () => {
    // The generator's seeded PRNG, so that a failure repeats.
    const rng = new Random(42);
    const random = () => rng.next();
    const between = (a: number, b: number) => a + Math.floor(random() * (b - a + 1));
    const two = (n: number) => String(n).padStart(2, '0');
    const samples = ['2026-11-01T00:00:08.691526695Z', '2026-11-01T00:00:08Z', '2026-11-01T00:00:08.Z', '2026-02-29T00:00:00Z', '2024-02-29T23:59:59.9Z', '2026-11-01T24:00:00Z', '2026-11-01t00:00:08z', '2026-11-01T00:00:08.0123456789Z', '0099-01-01T00:00:00Z', '2026-11-01T00:00:08.691+01:00'];
    for (let i = 0; i < 20_000; i++) {
      let text = `${String(random() < 0.05 ? between(0, 9999) : between(1999, 2101)).padStart(4, '0')}-${two(between(0, 13))}-${two(between(0, 32))}T${two(between(0, 25))}:${two(between(0, 61))}:${two(between(0, 61))}`;
      const fraction = between(0, 12);
      if (fraction > 0) text += `.${Array.from({ length: fraction }, () => between(0, 9)).join('')}`;
      text += random() < 0.9 ? 'Z' : ['z', '+01:00', '', 'Zx'][between(0, 3)];
      if (random() < 0.03) {
        const at = between(0, text.length - 1);
        text = text.slice(0, at) + String.fromCharCode(between(32, 126)) + text.slice(at + 1);
      }
      samples.push(text);
    }
    for (const text of samples) expect(parseRfc3339(text), text).toBe(Date.parse(text));
  });
});
