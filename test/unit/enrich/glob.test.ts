import { describe, expect, it } from 'vitest';
import { Random } from '../../../datasets/generator/random.ts';
import { compileGlob, compileGlobs } from '../../../src/enrich/glob.ts';

/** The definition compileGlob replaces: each `*` as `.*` in an anchored regular expression. */
function byRegex(pattern: string): (value: string) => boolean {
  if (!pattern.includes('*')) return (value) => value === pattern;
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return (value) => regex.test(value);
}

describe('compileGlob', () => {
  it('matches as the anchored regular expression does, for any pattern and value', () => {
    // The generator's seeded PRNG, so that a failure repeats.
    const rng = new Random(7);
    const random = () => rng.next();
    const alphabet = ['a', 'b', '-', '/', '.', '*', '\n', '$', '('];
    const text = (max: number, stars: boolean) => Array.from({ length: Math.floor(random() * max) }, () => alphabet[Math.floor(random() * (stars ? 9 : 8))]!).join('');
    const patterns = ['*/*/*egress-gateway*', '*/egress*/*', '*.googleapis.com', 'ml-*', '*', '**', 'a*a', '*a*a*', 'ab*ba'];
    for (let i = 0; i < 400; i++) patterns.push(text(7, true));
    const values = ['prod-eu/egress/ai-egress-gateway', 'prod-eu/ml/trainer', 'storage.googleapis.com', 'ml-', 'a', 'aa', 'aba', '', 'a\na', 'ab\nba'];
    for (let i = 0; i < 300; i++) values.push(text(9, false));
    for (const pattern of patterns) {
      const fast = compileGlob(pattern);
      const slow = byRegex(pattern);
      for (const value of values) expect(fast(value), `${JSON.stringify(pattern)} on ${JSON.stringify(value)}`).toBe(slow(value));
    }
  });

  it('matches any of several patterns', () => {
    const match = compileGlobs(['ml-*', '*-gateway']);
    expect([match('ml-x'), match('egress-gateway'), match('web')]).toEqual([true, true, false]);
  });
});
