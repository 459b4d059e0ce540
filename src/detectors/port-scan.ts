import { robust } from '../baseline/series.ts';
import type { Finding } from '../model/alert.ts';
import { finding, who } from './finding.ts';
import type { Detector } from './types.ts';

const defaults = {
  /** Distinct ports on one target within a window that make a scan. */
  min_ports: 15,
  /** Ports at which the scan is critical. */
  critical_ports: 100,
};

/**
 * One workload probing many ports of one target (T1046). Normal clients use one to a few
 * ports per peer; Calico's aggregation keeps one record per destination port, so distinct
 * ports survive aggregation even when IPs do not.
 */
export const portScan: Detector<typeof defaults> = {
  name: 'port-scan',
  category: 'discovery',
  techniques: ['T1046'],
  defaults,
  units: ['workload', 'host', 'networkset', 'ip', 'external'],
  evaluate(window, ctx, params) {
    const out: Finding[] = [];
    let usualFanOut: number | undefined;
    for (const [target, ports] of window.portsByTarget) {
      const n = ports.size;
      if (n < params.min_ports) continue;
      usualFanOut ??= robust(ctx.baseline.fanOut).p95;
      const sample = [...ports.values].sort((a, b) => a - b).slice(0, 20);
      out.push(finding(this, window, {
        peer: `ports-on:${target}`,
        severity: n >= params.critical_ports ? 'critical' : 'warning',
        score: Math.min(1, 0.5 + n / (2 * params.critical_ports)),
        summary: `${who(window)} probed ${n} distinct ports on ${target} in ${Math.round((window.end - window.start) / 60000)} min`,
        evidence: { distinctPorts: n, threshold: params.min_ports, portsSample: sample, baselineFanOutP95: usualFanOut },
      }));
    }
    return out;
  },
};
