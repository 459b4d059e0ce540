import { externalContacts } from '../baseline/long-horizon.ts';
import { robust } from '../baseline/series.ts';
import type { WindowStats } from '../baseline/window-stats.ts';
import type { Finding } from '../model/alert.ts';
import { bytes, finding, who } from './finding.ts';
import { firstUse, knownPeer } from './new-external-upload.ts';
import type { Detector, DetectorContext } from './types.ts';

const defaults = {
  /** Cumulative bytes to one new destination over consecutive windows. */
  min_total_bytes: 1_000_000_000,
  /** Consecutive windows (24 × 5 min = 2 h): slow means sustained. */
  min_windows: 24,
  /**
   * Long horizon (windows need not be consecutive): bytes sent in the last 24 hours to one
   * destination first seen after the workload learned, at least this many…
   */
  long_min_bytes: 150_000_000,
  /** …and this share of what the workload sends outside on an average day… */
  long_daily_external_factor: 0.1,
  /** …and this multiple of what it usually sends to new destinations in a day… */
  long_new_destination_factor: 2,
  /** …since its first byte this many hours ago at least (slow means sustained)… */
  long_min_hours: 2,
  /** …mostly uploads (sent ÷ received)… */
  long_min_upload_ratio: 3,
  /** …to a destination its role does not commonly use. */
  common_share: 0.3,
  min_group: 3,
};

type Params = typeof defaults;

/**
 * Slow exfiltration (T1030 / T1029): modest chunks to a destination the workload did not use
 * before it was learned, sustained for hours, adding up to a lot, while no single window looks
 * like a spike. Two paths: an unbroken streak of windows (the baseline's per-destination
 * recurrence), and the bytes of the last 24 hours per new destination (the long-horizon state,
 * hourly buckets, gaps allowed) judged against the workload's own daily volumes.
 */
export const slowExfil: Detector<Params> = {
  name: 'slow-exfil',
  category: 'exfiltration',
  techniques: ['T1030', 'T1029'],
  defaults,
  units: ['workload', 'host', 'networkset', 'ip'],
  evaluate(window, ctx, params) {
    if (!ctx.learned) return [];
    const out: Finding[] = [];
    const sent = new Map<string, number>();
    for (const edge of window.edges.values()) if (edge.peerKind === 'public') sent.set(edge.peer, (sent.get(edge.peer) ?? 0) + edge.bytesOut);
    for (const [destination, now] of sent) {
      const found = streakPath(this, window, ctx, params, destination, now) ?? longHorizon(this, window, ctx, params, destination);
      if (found !== undefined) out.push(found);
    }
    return out;
  },
};

type SlowExfil = Pick<Detector<Params>, 'name' | 'category' | 'techniques'>;

function streakPath(detector: SlowExfil, window: WindowStats, ctx: DetectorContext, params: Params, destination: string, now: number): Finding | undefined {
  const r = ctx.baseline.recurring.get(destination);
  if (r === undefined || window.start - r.lastWindow > window.end - window.start) return undefined;
  const streak = r.streak + 1;
  const total = r.bytesOut + now;
  if (streak < params.min_windows || total < params.min_total_bytes) return undefined;
  // A destination it already used when its baseline was formed is its business as usual.
  if (r.firstSeen - ctx.baseline.firstSeen < 3_600_000 && knownPeer(ctx.baseline, destination)) return undefined;
  // So is one it has used for a day before this streak began (the bucket of the nightly
  // backups, getting the Sunday full one).
  const streakStart = window.start - (streak - 1) * (window.end - window.start);
  if (streakStart - firstUse(ctx.baseline, destination) >= 86_400_000) return undefined;
  return finding(detector, window, {
    peer: destination,
    severity: total >= 5 * params.min_total_bytes ? 'critical' : 'warning',
    score: Math.min(1, 0.6 + total / (20 * params.min_total_bytes)),
    // The streak's start: the destination may have been met long before (its firstSeen).
    startsAt: streakStart,
    summary: `${who(window)} has sent ${bytes(total)} to ${destination} over the last ${streak} windows (${bytes(Math.round(total / streak))} per window, never a spike)`,
    evidence: { destination, totalBytes: total, consecutiveWindows: streak, bytesPerWindow: Math.round(total / streak), firstSeen: new Date(r.firstSeen).toISOString() },
  });
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** What the workload sends outside on an average day: its hour-of-day profile over the days it was seen (at least a quarter day). */
export function dailyExternalBytes(ctx: DetectorContext): number {
  let total = 0;
  for (let hour = 0; hour < 24; hour++) total += ctx.baseline.hourly[hour]!;
  const days = Math.max(0.25, (ctx.baseline.lastSeen - ctx.baseline.firstSeen) / DAY);
  return total / days;
}

function longHorizon(detector: SlowExfil, window: WindowStats, ctx: DetectorContext, params: Params, destination: string): Finding | undefined {
  const h = ctx.baseline.horizon.destinationWith(destination, window);
  if (h === undefined || h.bytesOut24h < params.long_min_bytes || h.firstHourWithBytes < 0) return undefined;
  // Tracked only if first seen 6 h after the workload; a longer learning period is waited for too.
  if (h.firstSeen - ctx.baseline.firstSeen < ctx.settings.learningMs) return undefined;
  const sustainedMs = window.end - h.firstHourWithBytes * HOUR;
  if (window.end - h.firstSeen < params.long_min_hours * HOUR || sustainedMs < params.long_min_hours * HOUR) return undefined;
  if (h.bytesOut < params.long_min_upload_ratio * Math.max(1, h.bytesIn)) return undefined;
  const dailyExternal = dailyExternalBytes(ctx);
  const norm = ctx.baseline.horizon.newDestinationNorm(destination, window.start, ctx.baseline.firstSeen);
  const usualNew = Math.max(norm.dailyMedian, norm.others24h);
  const threshold = Math.max(params.long_min_bytes, params.long_daily_external_factor * dailyExternal, params.long_new_destination_factor * usualNew);
  if (h.bytesOut24h < threshold) return undefined;
  const edgeKey = externalContacts(window).get(destination)?.edgeKeys[0];
  const { share, members } = edgeKey === undefined ? { share: 0, members: 0 } : ctx.peerGroups.share(window.workload.role, edgeKey, window.key);
  if (members >= params.min_group && share >= params.common_share) return undefined;
  const perWindow = robust(ctx.baseline.externalBytesOut);
  const ratio = h.bytesOut24h / threshold;
  return finding(detector, window, {
    peer: destination,
    severity: ratio >= 4 ? 'critical' : 'warning',
    score: Math.min(1, 0.6 + 0.1 * ratio),
    startsAt: h.firstSeen,
    summary: `${who(window)} has sent ${bytes(Math.round(h.bytesOut24h))} to ${destination} in the last 24 h over ${h.windows} windows since ${new Date(h.firstSeen).toISOString()}, a destination it never used before it was learned (threshold ${bytes(Math.round(threshold))}: it sends ${bytes(Math.round(dailyExternal))} outside on an average day, ${bytes(Math.round(usualNew))} a day to new destinations)`,
    evidence: {
      destination, port: h.port, path: 'long-horizon', firstSeen: new Date(h.firstSeen).toISOString(),
      bytesOut24h: Math.round(h.bytesOut24h), bytesOutTotal: Math.round(h.bytesOut), bytesInTotal: Math.round(h.bytesIn), contactedWindows: h.windows, connections: h.connections,
      sustainedHours: Math.round(sustainedMs / HOUR * 10) / 10, threshold: Math.round(threshold),
      baseline: { dailyExternalBytes: Math.round(dailyExternal), externalBytesPerWindowMedian: perWindow.median, externalBytesPerWindowP95: perWindow.p95, newDestinationsDailyMedian: Math.round(norm.dailyMedian), newDestinationsDays: norm.days, otherNewDestinations24h: Math.round(norm.others24h), hourOfDayMean: Math.round(ctx.baseline.hourOfDay(new Date(window.start).getUTCHours()).mean) },
      factors: { minBytes: params.long_min_bytes, dailyExternal: params.long_daily_external_factor, newDestination: params.long_new_destination_factor },
      roleShare: share, roleGroupSize: members,
    },
  });
}
