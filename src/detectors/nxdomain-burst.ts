import { robust } from '../baseline/series.ts';
import { externalNxdomain } from '../baseline/window-stats.ts';
import { finding, who } from './finding.ts';
import type { Detector } from './types.ts';

const defaults = {
  /** NXDOMAIN answers in one window. */
  min_nxdomain: 30,
  /** Distinct registered domains that failed: DGAs try many, search-path misses hit few. */
  min_domains: 10,
  /** Times the workload's usual busy window (p95) of NXDOMAIN answers. */
  factor: 5,
};

/**
 * Bursts of NXDOMAIN across many domains (T1568.002): malware walking a domain-generation
 * algorithm until one name resolves. Search-path misses (`*.svc.cluster.local`,
 * `*.compute.internal`) are frequent and not counted.
 */
export const nxdomainBurst: Detector<typeof defaults> = {
  name: 'nxdomain-burst',
  category: 'command-and-control',
  techniques: ['T1568.002'],
  defaults,
  units: ['workload', 'host', 'networkset', 'ip'],
  evaluate(window, ctx, params) {
    if (window.dnsNxdomain < params.min_nxdomain) return [];
    // Search-path misses (`*.svc.cluster.local`, `*.compute.internal`) are left out, here and
    // in the baseline: an ndots:5 client has dozens a window.
    const { nxdomain, failing } = externalNxdomain(window);
    if (nxdomain < params.min_nxdomain || failing.length < params.min_domains) return [];
    const usual = robust(ctx.baseline.dnsNxdomain);
    if (nxdomain < params.factor * usual.p95) return [];
    return [finding(this, window, {
      peer: 'nxdomain',
      severity: failing.length >= 3 * params.min_domains ? 'critical' : 'warning',
      score: Math.min(1, 0.6 + failing.length / (10 * params.min_domains)),
      summary: `${who(window)} got ${nxdomain} NXDOMAIN answers for ${failing.length} different domains (usual busy window: ${usual.p95}), e.g. ${failing.slice(0, 3).join(', ')}`,
      evidence: { nxdomain, searchPathNxdomain: window.dnsNxdomain - nxdomain, failingDomains: failing.length, lookups: window.dnsQueries, baselineP95: usual.p95, baselineWindows: usual.n, examples: failing.slice(0, 10) },
    })];
  },
};
