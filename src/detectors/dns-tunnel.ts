import type { DnsPeriod } from '../baseline/long-horizon.ts';
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
  /**
   * Slow tunnels, per clock hour (UTC): distinct names under one domain, and distinct long
   * high-entropy labels or TXT/NULL lookups (two independent signals; unique names alone are
   * what CDNs look like).
   */
  hour_min_unique_subdomains: 150,
  hour_min_high_entropy: 100,
  hour_min_tunnel_type_lookups: 100,
  /** Slower still, over the current and previous half-day (12–24 hours). */
  day_min_unique_subdomains: 500,
  day_min_high_entropy: 300,
  day_min_tunnel_type_lookups: 300,
};

/**
 * DNS tunnelling (T1071.004 / T1572 / T1048.003): data smuggled in query names, visible as many
 * unique, long, random-looking subdomains of one domain, often with TXT or NULL answers. CDNs
 * and cloud APIs have many names too, but short and low-entropy, and few per client. Judged per
 * window (bursts) and, for tunnels that trickle a few names a window, per clock hour and per
 * half-day from the long-horizon state (domains with tunnel-like lookups only).
 */
export const dnsTunnel: Detector<typeof defaults> = {
  name: 'dns-tunnel',
  category: 'command-and-control',
  techniques: ['T1071.004', 'T1572', 'T1048.003'],
  defaults,
  units: ['workload', 'host', 'networkset', 'ip'],
  evaluate(window, ctx, params) {
    const out: Finding[] = [];
    for (const [domain, use] of window.domains) {
      const unique = use.subdomains.size;
      const signals = [
        unique >= params.min_unique_subdomains,
        use.highEntropy >= params.min_high_entropy,
        use.tunnelTypes >= params.min_tunnel_type_lookups,
      ].filter(Boolean).length;
      // Two independent signals: volume of unique names alone is what busy CDNs look like.
      if (signals >= 2) {
        out.push(finding(this, window, {
          peer: domain,
          severity: signals === 3 ? 'critical' : 'warning',
          score: 0.6 + 0.13 * signals,
          summary: `${who(window)} looked up ${unique} distinct names under ${domain} (${use.highEntropy} long random labels, ${use.tunnelTypes} TXT/NULL lookups), e.g. ${use.example}`,
          evidence: { domain, lookups: use.queries, uniqueSubdomains: unique, highEntropyLookups: use.highEntropy, maxLabelLength: use.maxLabelLength, tunnelTypeLookups: use.tunnelTypes, nxdomain: use.nxdomain, example: use.example },
        }));
        continue;
      }
      const history = ctx.baseline.horizon.domainWith(domain, use, window);
      if (history === undefined) continue;
      const hourly: [number, number, number] = [params.hour_min_unique_subdomains, params.hour_min_high_entropy, params.hour_min_tunnel_type_lookups];
      // The previous complete hour too, so a tunnel still running is not lost while a new hour fills.
      const periods: [string, DnsPeriod | undefined, [number, number, number]][] = [
        ['hour', history.hour, hourly],
        ['previous hour', history.previousHour, hourly],
        ['day', history.day, [params.day_min_unique_subdomains, params.day_min_high_entropy, params.day_min_tunnel_type_lookups]],
      ];
      for (const [name, p, [minUnique, minRandom, minTunnel]] of periods) {
        if (p === undefined) continue;
        if (p.uniqueNames < minUnique) continue;
        const count = 1 + (p.highEntropyNames >= minRandom ? 1 : 0) + (p.tunnelTypeLookups >= minTunnel ? 1 : 0);
        if (count < 2) continue;
        // How far past the thresholds it is: names, and the stronger of the other two signals.
        const margin = Math.min(p.uniqueNames / minUnique, Math.max(p.highEntropyNames / minRandom, p.tunnelTypeLookups / minTunnel));
        const span = name === 'hour' ? 'in this clock hour' : name === 'previous hour' ? 'in the previous clock hour' : 'in the last 12–24 hours';
        out.push(finding(this, window, {
          peer: domain,
          severity: count === 3 || margin >= 3 ? 'critical' : 'warning',
          score: Math.min(1, 0.55 + 0.1 * count + 0.05 * Math.min(3, margin)),
          startsAt: p.since ?? window.start,
          summary: `${who(window)} looked up ~${p.uniqueNames} distinct names under ${domain} ${span} (~${p.highEntropyNames} long random labels, ${p.tunnelTypeLookups} TXT/NULL lookups, ${p.nxdomain} NXDOMAIN), a few a window: a slow DNS tunnel, e.g. ${use.example}`,
          evidence: {
            domain, path: name === 'day' ? 'long-horizon-day' : 'long-horizon-hour', period: name, since: p.since === undefined ? undefined : new Date(p.since).toISOString(),
            lookups: p.lookups, uniqueSubdomains: p.uniqueNames, highEntropyNames: p.highEntropyNames, tunnelTypeLookups: p.tunnelTypeLookups, nxdomain: p.nxdomain,
            thresholds: { uniqueSubdomains: minUnique, highEntropyNames: minRandom, tunnelTypeLookups: minTunnel }, signals: count,
            window: { lookups: use.queries, uniqueSubdomains: use.subdomains.size, highEntropyLookups: use.highEntropy, tunnelTypeLookups: use.tunnelTypes }, example: use.example,
          },
        }));
        break;
      }
    }
    return out;
  },
};
