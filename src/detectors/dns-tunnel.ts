import type { Finding } from '../model/alert.ts';
import { finding, who } from './finding.ts';
import type { Detector } from './types.ts';

const defaults = {
  /** Distinct names under one domain in one window. */
  min_unique_subdomains: 50,
  /** Lookups with long (≥ 20) high-entropy (≥ 3.5 bits/char) leftmost labels. */
  min_high_entropy: 20,
  /** TXT / NULL / ANY lookups under one domain in one window. */
  min_tunnel_type_lookups: 50,
};

/**
 * DNS tunnelling (T1071.004 / T1572 / T1048.003): data smuggled in query names, visible as many
 * unique, long, random-looking subdomains of one domain, often with TXT or NULL answers. CDNs
 * and cloud APIs have many names too, but short and low-entropy, and few per client.
 */
export const dnsTunnel: Detector<typeof defaults> = {
  name: 'dns-tunnel',
  category: 'command-and-control',
  techniques: ['T1071.004', 'T1572', 'T1048.003'],
  defaults,
  evaluate(window, _ctx, params) {
    const out: Finding[] = [];
    for (const [domain, use] of window.domains) {
      const unique = use.subdomains.size;
      const signals = [
        unique >= params.min_unique_subdomains,
        use.highEntropy >= params.min_high_entropy,
        use.tunnelTypes >= params.min_tunnel_type_lookups,
      ].filter(Boolean).length;
      // Two independent signals: volume of unique names alone is what busy CDNs look like.
      if (signals < 2) continue;
      out.push(finding(this, window, {
        peer: domain,
        severity: signals === 3 ? 'critical' : 'warning',
        score: 0.6 + 0.13 * signals,
        summary: `${who(window)} looked up ${unique} distinct names under ${domain} (${use.highEntropy} long random labels, ${use.tunnelTypes} TXT/NULL lookups), e.g. ${use.example}`,
        evidence: { domain, lookups: use.queries, uniqueSubdomains: unique, highEntropyLookups: use.highEntropy, maxLabelLength: use.maxLabelLength, tunnelTypeLookups: use.tunnelTypes, nxdomain: use.nxdomain, example: use.example },
      }));
    }
    return out;
  },
};
