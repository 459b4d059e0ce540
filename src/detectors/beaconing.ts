import { mean, standardDeviation } from 'simple-statistics';
import type { Finding } from '../model/alert.ts';
import { finding, who } from './finding.ts';
import type { Detector } from './types.ts';

const defaults = {
  /** Consecutive windows with contact (12 × 5 min = 1 h). */
  min_windows: 12,
  /** Coefficient of variation of connections per window: low = clockwork. */
  max_jitter: 0.25,
  /** Average bytes per connection: beacons are small. */
  max_bytes_per_connection: 20_000,
  common_share: 0.3,
  min_group: 3,
  /** The destination must have appeared at least this long after the workload was first seen. */
  min_age_minutes: 60,
};

/**
 * Beaconing (T1071.001 / T1573): a new external destination contacted window after window with
 * clockwork regularity and small payloads, as implants call home. Works on Calico's 5-minute
 * aggregates (regular counts) and on Hubble's per-event records alike.
 */
export const beaconing: Detector<typeof defaults> = {
  name: 'beaconing',
  category: 'command-and-control',
  techniques: ['T1071.001', 'T1573'],
  defaults,
  evaluate(window, ctx, params) {
    if (window.workload.role === 'gateway') return [];
    let current: Map<string, { connections: number; bytes: number; edgeKey: string; port: number }> | undefined;
    for (const [edgeKey, edge] of window.edges) {
      if (edge.peerKind !== 'public' || edge.denied === edge.connections) continue;
      current ??= new Map();
      const seen = current.get(edge.peer) ?? { connections: 0, bytes: 0, edgeKey, port: edge.port };
      seen.connections += edge.connections;
      seen.bytes += edge.bytesOut + edge.bytesIn;
      current.set(edge.peer, seen);
    }
    if (current === undefined) return [];
    const out: Finding[] = [];
    for (const [destination, now] of current) {
      const r = ctx.baseline.recurring.get(destination);
      if (r === undefined || window.start - r.lastWindow > window.end - window.start) continue;
      const streak = r.streak + 1;
      if (streak < params.min_windows) continue;
      if (r.firstSeen - ctx.baseline.firstSeen < params.min_age_minutes * 60_000) continue;
      const counts = [...r.counts.slice(-(params.min_windows - 1)), now.connections];
      const average = mean(counts);
      const jitter = average === 0 ? 1 : standardDeviation(counts) / average;
      const connections = counts.reduce((a, b) => a + b, 0);
      const bytesPerConnection = (r.bytesOut + now.bytes) / Math.max(1, r.counts.reduce((a, b) => a + b, 0) + now.connections);
      if (jitter > params.max_jitter || bytesPerConnection > params.max_bytes_per_connection) continue;
      const { share, members } = ctx.peerGroups.share(window.workload.role, now.edgeKey, window.key);
      if (members >= params.min_group && share >= params.common_share) continue;
      out.push(finding(this, window, {
        peer: destination,
        severity: jitter <= params.max_jitter / 2 ? 'critical' : 'warning',
        score: Math.min(1, 0.6 + (params.max_jitter - jitter)),
        startsAt: r.firstSeen,
        summary: `${who(window)} has contacted ${destination}:${now.port} in every one of the last ${streak} windows, ${average.toFixed(1)} connections each (jitter ${(jitter * 100).toFixed(0)}%), ${Math.round(bytesPerConnection)} bytes per connection`,
        evidence: { destination, port: now.port, consecutiveWindows: streak, connectionsPerWindow: Math.round(average * 10) / 10, jitter: Math.round(jitter * 1000) / 1000, bytesPerConnection: Math.round(bytesPerConnection), connections, firstSeen: new Date(r.firstSeen).toISOString(), roleShare: share },
      }));
    }
    return out;
  },
};
