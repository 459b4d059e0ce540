import { robust, robustScore } from '../baseline/series.ts';
import { bytes, finding, who } from './finding.ts';
import type { Detector } from './types.ts';

const defaults = {
  /** Never alert below this many external bytes in one window (the absolute floor). */
  min_bytes: 100_000_000,
  /** Robust z-score (median/MAD) the window must reach against the workload's own history. */
  min_score: 6,
  /** The window must also exceed this multiple of the usual busy window (p95) and of this hour's mean. */
  factor: 3,
};

/**
 * External bytes out far above the workload's own baseline (T1041 / T1567 / T1537): a robust
 * score against its history, a multiple of its usual busy windows and of its time-of-day
 * profile, and an absolute floor so small workloads do not alert on kilobytes.
 */
export const egressSpike: Detector<typeof defaults> = {
  name: 'egress-spike',
  category: 'exfiltration',
  techniques: ['T1041', 'T1567', 'T1537'],
  defaults,
  evaluate(window, ctx, params) {
    const observed = window.externalBytesOut;
    if (!ctx.learned || observed < params.min_bytes) return [];
    const history = robust(ctx.baseline.externalBytesOut);
    const z = robustScore(observed, history, Math.max(history.median * 0.5, params.min_bytes / 10));
    const hour = new Date(window.start).getUTCHours();
    const hourly = ctx.baseline.hourOfDay(hour);
    const hourMean = hourly.windows >= 3 ? hourly.mean : 0;
    if (z < params.min_score || observed < params.factor * history.p95 || observed < params.factor * hourMean) return [];
    let top = { peer: 'external', bytes: 0 };
    for (const edge of window.edges.values()) if (edge.peerKind === 'public' && edge.bytesOut > top.bytes) top = { peer: edge.peer, bytes: edge.bytesOut };
    return [finding(this, window, {
      peer: top.peer,
      technique: top.peer.includes('.') && /[a-z]/.test(top.peer) ? 'T1567' : 'T1041',
      severity: observed >= 10 * Math.max(history.p95, params.min_bytes) ? 'critical' : 'warning',
      score: Math.min(1, 0.5 + z / 40),
      summary: `${who(window)} sent ${bytes(observed)} outside the cluster in ${Math.round((window.end - window.start) / 60000)} min, mostly to ${top.peer} (usual busy window ${bytes(history.p95)}, median ${bytes(history.median)})`,
      evidence: { externalBytesOut: observed, topDestination: top.peer, topDestinationBytes: top.bytes, baselineMedian: history.median, baselineMad: history.mad, baselineP95: history.p95, baselineWindows: history.n, hourOfDayMean: Math.round(hourMean), robustZ: Math.round(z * 10) / 10 },
    })];
  },
};
