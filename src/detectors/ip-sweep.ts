import { robust } from '../baseline/series.ts';
import type { Finding } from '../model/alert.ts';
import { finding, who } from './finding.ts';
import type { Detector } from './types.ts';

const defaults = {
  /** Distinct targets on one port within a window that make a sweep. */
  min_targets: 20,
  /** The count must also exceed this multiple of the workload's own usual fan-out (p95). */
  fan_out_factor: 3,
};

/**
 * One workload touching many hosts on the same port (T1018 host discovery). Workloads that
 * fan out by design (Prometheus, service meshes) have a high fan-out baseline and stay quiet;
 * system workloads are exempt.
 */
export const ipSweep: Detector<typeof defaults> = {
  name: 'ip-sweep',
  category: 'discovery',
  techniques: ['T1018', 'T1046'],
  defaults,
  units: ['workload', 'host', 'networkset', 'ip', 'external'],
  evaluate(window, ctx, params) {
    if (window.workload.role === 'system') return [];
    // Nothing reaches the absolute floor: no need to read the history.
    let widest = 0;
    for (const targets of window.targetsByPort.values()) widest = Math.max(widest, targets.size);
    if (widest < params.min_targets) return [];
    const usual = robust(ctx.baseline.fanOut);
    const floor = Math.max(params.min_targets, usual.n > 0 ? params.fan_out_factor * usual.p95 : 0);
    const out: Finding[] = [];
    for (const [port, targets] of window.targetsByPort) {
      const n = targets.size;
      if (n < floor) continue;
      out.push(finding(this, window, {
        peer: `sweep-port:${port}`,
        severity: n >= 2 * floor ? 'critical' : 'warning',
        score: Math.min(1, 0.5 + n / (4 * floor)),
        summary: `${who(window)} reached ${n} distinct hosts on port ${port} in one window (usual fan-out p95 ${usual.p95})`,
        evidence: { port, distinctTargets: n, threshold: floor, baselineFanOutP95: usual.p95, baselineWindows: usual.n, targetsSample: [...targets.values].slice(0, 10) },
      }));
    }
    return out;
  },
};
