import { robust } from '../baseline/series.ts';
import { fanOut } from '../baseline/window-stats.ts';
import type { Finding } from '../model/alert.ts';
import { finding, who } from './finding.ts';
import type { Detector } from './types.ts';

const defaults = {
  /** Connections of burst-scored records (see `detection.edge_burst`) in one window that make a sustained burst. */
  min_connections: 300,
  /** Burst connections at which it is critical. */
  critical_connections: 3_000,
  /** Distinct peers or ports on one target from which a burst is a scan or sweep (T1046), not a flood (T1498). */
  fan_out: 20,
  /** A learned unit's window must also hold this multiple of its usual busy window's connections (p95). */
  history_factor: 5,
};

/**
 * A sustained burst in the edge stream (MIDAS-R, scored per record by the detection stage): many
 * connections in one window of records whose edge, source or destination arrived far above its
 * own mean rate (edge or source: what the initiator's own traffic explains). A learned unit's
 * window must also be well above its usual busy window (daily batches are habits); a new one
 * is judged once its kind (role) has a history, so an address that appears and floods is seen.
 * Not for ingress gateways, whose bursts are their clients'. A burst that fans out is discovery (T1046); one that does not is a flood (T1498).
 */
export const edgeBurst: Detector<typeof defaults> = {
  name: 'edge-burst',
  category: 'impact',
  techniques: ['T1498', 'T1046'],
  defaults,
  units: ['workload', 'host', 'networkset', 'ip', 'external'],
  evaluate(window, ctx, params) {
    const out: Finding[] = [];
    const n = window.burstConnections;
    // An ingress gateway's bursts are its clients' (judged where they land: inference ingress detectors).
    if (n < params.min_connections || ctx.settings.isIngressGateway(window.key)) return out;
    // A new unit (an address that appears and floods) is judged once its kind has a history.
    if (!ctx.learned && !ctx.roleLearned) return out;
    const usual = robust(ctx.baseline.connections);
    // A daily batch or a release-hour peak is this unit's habit, not a burst.
    if (ctx.learned && usual.n > 0 && window.connections < params.history_factor * usual.p95) return out;
    const peers = fanOut(window);
    let widestScan = 0;
    for (const ports of window.portsByTarget.values()) widestScan = Math.max(widestScan, ports.size);
    const scan = peers >= params.fan_out || widestScan >= params.fan_out;
    out.push(finding(this, window, {
      peer: '*',
      category: scan ? 'discovery' : 'impact',
      technique: scan ? 'T1046' : 'T1498',
      severity: n >= params.critical_connections ? 'critical' : 'warning',
      score: Math.min(1, 0.5 + n / (2 * params.critical_connections)),
      summary: `${who(window)} sent ${n} connections in a burst far above their usual rate (${scan ? `to ${peers} peers, up to ${widestScan} ports on one` : 'a flood'}) in ${Math.round((window.end - window.start) / 60000)} min`,
      evidence: { burstConnections: n, threshold: params.min_connections, highestScore: Math.round(window.burstMax), peers, widestScanPorts: widestScan, connections: window.connections, usualConnectionsP95: usual.p95, learned: ctx.learned },
    }));
    return out;
  },
};
