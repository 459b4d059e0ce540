/**
 * `*`-wildcard patterns (`ml-*`, `*.googleapis.com`), compiled once at config load. A match is
 * the pattern's literal parts found in order, the first at the start and the last at the end
 * (leftmost placement of the middle ones finds a match whenever there is one): no regular
 * expression, whose `.*` backtracks. As the regular expression `^…$` with `.*` for each `*`
 * would, a `*` does not span a line break.
 */
export function compileGlob(pattern: string): (value: string) => boolean {
  if (!pattern.includes('*')) return (value) => value === pattern;
  const parts = pattern.split('*');
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1).filter((part) => part !== '');
  const fixed = first.length + last.length;
  return (value) => {
    if (value.length < fixed || !value.startsWith(first) || !value.endsWith(last)) return false;
    let at = first.length;
    const end = value.length - last.length;
    for (const part of middle) {
      const found = value.indexOf(part, at);
      if (found < 0 || found + part.length > end) return false;
      at = found + part.length;
    }
    return !LINE_BREAK.test(value) || spansNoBreak(value, parts);
  };
}

const LINE_BREAK = /[\n\r\u2028\u2029]/;

/** The rare value with a line break: whether the stars can be placed so none spans one (the regular expression's answer). */
function spansNoBreak(value: string, parts: string[]): boolean {
  const escaped = parts.map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${escaped}$`).test(value);
}

export function compileGlobs(patterns: readonly string[]): (value: string) => boolean {
  const matchers = patterns.map(compileGlob);
  if (matchers.length === 1) return matchers[0]!;
  return (value) => {
    for (const match of matchers) if (match(value)) return true;
    return false;
  };
}
