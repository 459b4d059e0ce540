import { robust, robustScore } from '../baseline/series.ts';
import { stagingLink } from './data-staging.ts';
import { bytes, finding, who } from './finding.ts';
import type { Detector } from './types.ts';

const defaults = {
  /** Never alert below this many external bytes in one window (the absolute floor). */
  min_bytes: 100_000_000,
  /** Robust z-score (median/MAD) the window must reach against the workload's own history. */
  min_score: 6,
  /** The window must also exceed this multiple of the usual busy window (p95), of this hour's mean and of its seasonal peak. */
  factor: 3,
  /**
   * The multiple for a scheduled job: most of the bytes go to an established destination (used
   * for a day or more, in several windows) at an hour whose seasonal peak dwarfs the
   * workload's other windows (≥ factor × p95) — the Sunday full backup to the bucket the
   * nightly ones go to, at their hour. Not for a workload that uploads alike every hour.
   */
  established_factor: 12,
  /** A window up to this multiple of the busiest its main destination already took is that destination's habit (checkpoints vary in size). */
  destination_peak_factor: 1.5,
  /**
   * Write-through: a window that sends a destination it already used (in 3 windows or more) no
   * more than this share of what the workload was sent in the same window is forwarding, not
   * exfiltrating — Harbor writing a pushed image to its S3 bucket, a collector shipping a burst
   * of telemetry. A first contact is never write-through. 0 turns it off.
   */
  write_through_share: 1.25,
};

/**
 * External bytes out far above the workload's own baseline (T1041 / T1567 / T1537): a robust
 * score against its history, a multiple of its usual busy windows, of its hour of day's mean
 * of its seasonal peak (the busiest window at this hour of the week once a week has been seen,
 * of the day before that) — more than its main destination ever took in a window — a
 * bigger multiple for a scheduled job (an established destination at an hour that is busy by
 * schedule) — and an absolute floor so small workloads do not alert on kilobytes.
 */
export const egressSpike: Detector<typeof defaults> = {
  name: 'egress-spike',
  category: 'exfiltration',
  techniques: ['T1041', 'T1567', 'T1537'],
  defaults,
  units: ['workload', 'host', 'networkset', 'ip'],
  evaluate(window, ctx, params) {
    const observed = window.externalBytesOut;
    if (!ctx.learned || observed < params.min_bytes) return [];
    const history = robust(ctx.baseline.externalBytesOut);
    const z = robustScore(observed, history, Math.max(history.median * 0.5, params.min_bytes / 10));
    const hour = ctx.baseline.hourOfDay(new Date(window.start).getUTCHours());
    const hourMean = hour.windows >= 3 ? hour.mean : 0;
    // Daily and weekly rhythm: the busiest window at this hour of the day and of the week.
    const peak = ctx.baseline.seasonal.peakAt(window.start);
    let top = { peer: 'external', bytes: 0, edgeKey: '' };
    for (const [edgeKey, edge] of window.edges) if (edge.peerKind === 'public' && edge.bytesOut > top.bytes) top = { peer: edge.peer, bytes: edge.bytesOut, edgeKey };
    // The destination that took most of the bytes, as the baseline knows it (undefined: new, or no main one).
    const main = top.bytes >= observed / 2 ? ctx.baseline.peers.get(top.edgeKey) : undefined;
    const known = main !== undefined && main.windows >= 3;
    if (known && observed <= params.write_through_share * window.inboundBytes) return [];
    const established = known && window.start - main.first >= 86_400_000;
    const scheduled = established && peak.expected >= params.factor * Math.max(history.p95, 1);
    const factor = scheduled ? params.established_factor : params.factor;
    // What this destination already took in one window: a 5 GB checkpoint every few hours to
    // the bucket that took one before is its habit, at whatever hour; a spike is well above that.
    const destinationPeak = main?.peakBytesOut ?? 0;
    const usual = Math.max(history.p95, hourMean, peak.expected);
    if (z < params.min_score || observed < factor * usual || observed <= params.destination_peak_factor * destinationPeak) return [];
    const staged = stagingLink(ctx, window.start);
    return [finding(this, window, {
      peer: top.peer,
      technique: top.peer.includes('.') && /[a-z]/.test(top.peer) ? 'T1567' : 'T1041',
      severity: observed >= 10 * Math.max(history.p95, params.min_bytes) || staged !== undefined ? 'critical' : 'warning',
      score: Math.min(1, 0.5 + z / 40),
      summary: `${who(window)} sent ${bytes(observed)} outside the cluster in ${Math.round((window.end - window.start) / 60000)} min, mostly to ${top.peer} (usual busy window ${bytes(history.p95)}, median ${bytes(history.median)})`,
      evidence: { externalBytesOut: observed, topDestination: top.peer, topDestinationBytes: top.bytes, baselineMedian: history.median, baselineMad: history.mad, baselineP95: history.p95, baselineWindows: history.n, hourOfDayMean: Math.round(hourMean), hourOfDayPeak: Math.round(peak.hourOfDay), hourOfWeekPeak: Math.round(peak.hourOfWeek), weekSeen: peak.weekSeen, establishedDestination: established, scheduledHour: scheduled, destinationPeak: Math.round(destinationPeak), factor, robustZ: Math.round(z * 10) / 10, ...staged },
    })];
  },
};
