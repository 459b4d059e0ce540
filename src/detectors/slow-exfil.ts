import { bytes, finding, who } from './finding.ts';
import type { Finding } from '../model/alert.ts';
import { knownPeer } from './new-external-upload.ts';
import type { Detector } from './types.ts';

const defaults = {
  /** Cumulative bytes to one new destination over consecutive windows. */
  min_total_bytes: 1_000_000_000,
  /** Consecutive windows (24 × 5 min = 2 h): slow means sustained. */
  min_windows: 24,
};

/**
 * Slow exfiltration (T1030 / T1029): modest chunks to a destination the workload did not use
 * before it was learned, sustained for hours, adding up to a lot, while no single window looks
 * like a spike. Uses the per-destination recurrence the baseline keeps.
 */
export const slowExfil: Detector<typeof defaults> = {
  name: 'slow-exfil',
  category: 'exfiltration',
  techniques: ['T1030', 'T1029'],
  defaults,
  evaluate(window, ctx, params) {
    if (!ctx.learned) return [];
    const out: Finding[] = [];
    const sent = new Map<string, number>();
    for (const edge of window.edges.values()) if (edge.peerKind === 'public') sent.set(edge.peer, (sent.get(edge.peer) ?? 0) + edge.bytesOut);
    for (const [destination, now] of sent) {
      const r = ctx.baseline.recurring.get(destination);
      if (r === undefined || window.start - r.lastWindow > window.end - window.start) continue;
      const streak = r.streak + 1;
      const total = r.bytesOut + now;
      if (streak < params.min_windows || total < params.min_total_bytes) continue;
      // A destination it already used when its baseline was formed is its business as usual.
      if (r.firstSeen - ctx.baseline.firstSeen < 3_600_000 && knownPeer(ctx.baseline, destination)) continue;
      out.push(finding(this, window, {
        peer: destination,
        severity: total >= 5 * params.min_total_bytes ? 'critical' : 'warning',
        score: Math.min(1, 0.6 + total / (20 * params.min_total_bytes)),
        startsAt: r.firstSeen,
        summary: `${who(window)} has sent ${bytes(total)} to ${destination} over the last ${streak} windows (${bytes(Math.round(total / streak))} per window, never a spike)`,
        evidence: { destination, totalBytes: total, consecutiveWindows: streak, bytesPerWindow: Math.round(total / streak), firstSeen: new Date(r.firstSeen).toISOString() },
      }));
    }
    return out;
  },
};
