/** `*`-wildcard patterns (`ml-*`, `*.googleapis.com`), compiled once at config load. */
export function compileGlob(pattern: string): (value: string) => boolean {
  if (!pattern.includes('*')) return (value) => value === pattern;
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  const regex = new RegExp(`^${escaped}$`);
  return (value) => regex.test(value);
}

export function compileGlobs(patterns: readonly string[]): (value: string) => boolean {
  const matchers = patterns.map(compileGlob);
  return (value) => matchers.some((match) => match(value));
}
