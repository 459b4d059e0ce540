import { robust } from '../baseline/series.ts';
import type { Finding } from '../model/alert.ts';
import { finding, who } from './finding.ts';
import type { Detector } from './types.ts';

const defaults = {
  /** Denied connections in one window, at least (learned workloads). */
  min_denied: 20,
  /** Before the workload has learned, a burst must be this large. */
  min_denied_unlearned: 100,
  /** Times the usual busy window (p95) of denials. */
  factor: 5,
};

/**
 * Bursts of flows denied by network policy (T1046): something probing what it may reach, or
 * being probed. Judged per direction against the workload's own denial history.
 */
export const deniedBurst: Detector<typeof defaults> = {
  name: 'denied-burst',
  category: 'discovery',
  techniques: ['T1046'],
  defaults,
  units: ['workload', 'host', 'networkset', 'ip', 'external'],
  evaluate(window, ctx, params) {
    const floor = ctx.learned ? params.min_denied : params.min_denied_unlearned;
    const out: Finding[] = [];
    const outgoing = window.denied >= floor ? robust(ctx.baseline.denied) : undefined;
    if (outgoing !== undefined && window.denied >= params.factor * outgoing.p95) {
      const targets = [...window.edges.values()].filter((e) => e.denied > 0).sort((a, b) => b.denied - a.denied);
      out.push(finding(this, window, {
        peer: 'denied-out',
        severity: window.denied >= 10 * floor ? 'critical' : 'warning',
        score: Math.min(1, 0.5 + window.denied / (20 * floor)),
        summary: `${who(window)} had ${window.denied} outgoing connections denied by policy in one window (usual busy window ${outgoing.p95}), mostly to ${targets[0]?.peer ?? '?'}:${targets[0]?.port ?? '?'}`,
        evidence: { direction: 'outgoing', denied: window.denied, baselineP95: outgoing.p95, baselineWindows: outgoing.n, topTargets: targets.slice(0, 5).map((e) => `${e.peer}:${e.port} ×${e.denied}`) },
      }));
    }
    // Inbound bursts matter at the cluster's edge (inference endpoints, gateways); inside, the
    // prober's own outgoing burst is the alert.
    const exposed = window.workload.role === 'inference' || window.workload.role === 'gateway';
    if (exposed && window.inboundDenied >= floor) {
      // Inbound history is not kept per direction; the inbound connection history bounds it.
      const inbound = robust(ctx.baseline.inboundConnections);
      if (!ctx.learned || window.inboundDenied >= Math.max(floor, 0.5 * inbound.median)) {
        out.push(finding(this, window, {
          peer: 'denied-in',
          severity: 'warning',
          score: Math.min(1, 0.5 + window.inboundDenied / (20 * floor)),
          summary: `${who(window)} had ${window.inboundDenied} incoming connections denied by policy in one window`,
          evidence: { direction: 'incoming', denied: window.inboundDenied, inboundConnections: window.inboundConnections, baselineInboundMedian: inbound.median },
        }));
      }
    }
    return out;
  },
};
