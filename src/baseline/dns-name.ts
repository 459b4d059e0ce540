/** Second-level labels under which registrations happen one level deeper (`example.co.uk`). */
const SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'gov', 'ac', 'edu', 'ne', 'or', 'go']);

/**
 * The registered domain of a name (`a1b2.tunnel.example.com` → `example.com`): the unit under
 * which a tunnel invents subdomains. A public-suffix list would be exact; this heuristic covers
 * `.com`-style and `co.uk`-style names, which is what the detectors need.
 */
export function registeredDomain(name: string): string {
  const last = name.lastIndexOf('.');
  if (last <= 0) return name;
  let cut = name.lastIndexOf('.', last - 1);
  if (cut < 0) return name;
  const tld = name.slice(last + 1);
  const second = name.slice(cut + 1, last);
  if (tld.length === 2 && SECOND_LEVEL.has(second)) {
    const deeper = name.lastIndexOf('.', cut - 1);
    if (deeper < 0) return name;
    cut = deeper;
  }
  return name.slice(cut + 1);
}

/** Leftmost label of a name under its registered domain (`a1b2.t.example.com` → `a1b2`). */
export function leftmostLabel(name: string): string {
  const dot = name.indexOf('.');
  return dot < 0 ? name : name.slice(0, dot);
}

/** Shannon entropy in bits per character. */
export function entropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * Registered domains that only resolver search paths produce (`cluster.local`,
 * `compute.internal`, `*.local`): with ndots:5 every external name is first tried under them
 * and fails, so their NXDOMAINs are noise, not a workload failing to find its C2.
 */
export function isSearchPathDomain(domain: string): boolean {
  return domain === 'cluster.local' || domain === 'local' || domain === 'internal' || domain.endsWith('.local') || domain.endsWith('.internal') || domain.endsWith('.svc');
}
