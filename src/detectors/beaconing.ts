import { mean, standardDeviation } from 'simple-statistics';
import { externalContacts, type ContactSample, type DestinationHistory } from '../baseline/long-horizon.ts';
import type { WindowStats } from '../baseline/window-stats.ts';
import type { Finding } from '../model/alert.ts';
import { finding, who } from './finding.ts';
import type { Detector, DetectorContext } from './types.ts';

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
  /**
   * Long horizon (jittered, with missed windows): a new destination contacted for at least this
   * long, this many connections, over at least this many contacted windows…
   */
  long_min_span_minutes: 180,
  long_min_contacts: 36,
  long_min_windows: 12,
  /** …whose RITA-style score (timing and size regularity, coverage, smallness; 0..1) reaches this… */
  long_min_score: 0.8,
  /** …and whose timing score alone reaches this. */
  long_min_timing_score: 0.7,
};

/**
 * Beaconing (T1071.001 / T1573): a new external destination contacted window after window with
 * clockwork regularity and small payloads, as implants call home. Works on Calico's 5-minute
 * aggregates (regular counts) and on Hubble's per-event records alike. Two paths: an unbroken
 * hour of windows with steady counts, and — for jittered implants whose windows have 0, 1 or 2
 * calls — a RITA-style score over the hours of contact the long-horizon state keeps. Well-known
 * services whose clients report on a timer (`detection.known_services`) are not judged.
 */
export const beaconing: Detector<typeof defaults> = {
  name: 'beaconing',
  category: 'command-and-control',
  techniques: ['T1071.001', 'T1573'],
  defaults,
  units: ['workload', 'host', 'networkset', 'ip'],
  evaluate(window, ctx, params) {
    if (window.workload.role === 'gateway') return [];
    let current: Map<string, { connections: number; bytes: number; edgeKey: string; port: number }> | undefined;
    for (const [edgeKey, edge] of window.edges) {
      if (edge.peerKind !== 'public' || edge.denied === edge.connections) continue;
      if (edge.fqdn !== undefined && ctx.settings.isKnownService(edge.fqdn)) continue;
      current ??= new Map();
      const seen = current.get(edge.peer) ?? { connections: 0, bytes: 0, edgeKey, port: edge.port };
      seen.connections += edge.connections;
      seen.bytes += edge.bytesOut + edge.bytesIn;
      current.set(edge.peer, seen);
    }
    if (current === undefined) return [];
    const out: Finding[] = [];
    for (const [destination, now] of current) {
      const found = streakPath(this, window, ctx, params, destination, now) ?? longHorizon(this, window, ctx, params, destination);
      if (found !== undefined) out.push(found);
    }
    return out;
  },
};

type Params = typeof defaults;
type Beaconing = Pick<Detector<Params>, 'name' | 'category' | 'techniques'>;

/** The first path: every window of the last hour, with clockwork connection counts. */
function streakPath(detector: Beaconing, window: WindowStats, ctx: DetectorContext, params: Params, destination: string, now: { connections: number; bytes: number; edgeKey: string; port: number }): Finding | undefined {
  const r = ctx.baseline.recurring.get(destination);
  if (r === undefined || window.start - r.lastWindow > window.end - window.start) return undefined;
  const streakWindows = r.streak + 1;
  if (streakWindows < params.min_windows) return undefined;
  if (r.firstSeen - ctx.baseline.firstSeen < params.min_age_minutes * 60_000) return undefined;
  const counts = [...r.counts.slice(-(params.min_windows - 1)), now.connections];
  const average = mean(counts);
  const jitter = average === 0 ? 1 : standardDeviation(counts) / average;
  const connections = counts.reduce((a, b) => a + b, 0);
  const bytesPerConnection = (r.bytesOut + now.bytes) / Math.max(1, r.counts.reduce((a, b) => a + b, 0) + now.connections);
  if (jitter > params.max_jitter || bytesPerConnection > params.max_bytes_per_connection) return undefined;
  const { share, members } = ctx.peerGroups.share(window.workload.role, now.edgeKey, window.key);
  if (members >= params.min_group && share >= params.common_share) return undefined;
  return finding(detector, window, {
    peer: destination,
    severity: jitter <= params.max_jitter / 2 ? 'critical' : 'warning',
    score: Math.min(1, 0.6 + (params.max_jitter - jitter)),
    startsAt: r.firstSeen,
    summary: `${who(window)} has contacted ${destination}:${now.port} in every one of the last ${streakWindows} windows, ${average.toFixed(1)} connections each (jitter ${(jitter * 100).toFixed(0)}%), ${Math.round(bytesPerConnection)} bytes per connection`,
    evidence: { destination, port: now.port, consecutiveWindows: streakWindows, connectionsPerWindow: Math.round(average * 10) / 10, jitter: Math.round(jitter * 1000) / 1000, bytesPerConnection: Math.round(bytesPerConnection), connections, firstSeen: new Date(r.firstSeen).toISOString(), roleShare: share },
  });
}

/**
 * The second path, over hours (RITA-style): a destination first seen after the workload learned
 * (the long-horizon state tracks no other), contacted for hours at regular intervals — jitter
 * and missed windows allowed — with small, regular payloads, and not common in the role.
 */
function longHorizon(detector: Beaconing, window: WindowStats, ctx: DetectorContext, params: Params, destination: string): Finding | undefined {
  if (!ctx.learned) return undefined;
  const h = ctx.baseline.horizon.destinationWith(destination, window);
  // Tracked only if first seen 6 h after the workload; a longer learning period is waited for too.
  if (h === undefined || h.firstSeen - ctx.baseline.firstSeen < ctx.settings.learningMs) return undefined;
  const span = window.end - h.firstSeen;
  if (span < params.long_min_span_minutes * 60_000 || h.connections < params.long_min_contacts || h.windows < params.long_min_windows) return undefined;
  const bytesPerConnection = (h.bytesOut + h.bytesIn) / Math.max(1, h.connections);
  if (bytesPerConnection > params.max_bytes_per_connection) return undefined;
  const r = regularity(h, window.end - window.start, span, params.max_bytes_per_connection);
  if (r.score < params.long_min_score || r.timing < params.long_min_timing_score) return undefined;
  const edgeKey = externalContacts(window).get(destination)?.edgeKeys[0];
  const { share, members } = edgeKey === undefined ? { share: 0, members: 0 } : ctx.peerGroups.share(window.workload.role, edgeKey, window.key);
  if (members >= params.min_group && share >= params.common_share) return undefined;
  const hours = span / 3_600_000;
  const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
  return finding(detector, window, {
    peer: destination,
    severity: r.score >= 0.9 && span >= 2 * params.long_min_span_minutes * 60_000 ? 'critical' : 'warning',
    score: r.score,
    startsAt: h.firstSeen,
    summary: `${who(window)} has contacted ${destination}:${h.port} ${h.connections} times over ${hours.toFixed(1)} h, about every ${Math.round(r.intervalMedian)} s (MAD ${Math.round(r.intervalMad)} s, skew ${r.intervalSkew.toFixed(2)}), ${Math.round(bytesPerConnection)} bytes per connection: regularity score ${r.score.toFixed(2)}, a destination it never used before it was learned`,
    evidence: {
      destination, port: h.port, path: 'long-horizon', firstSeen: new Date(h.firstSeen).toISOString(), spanMinutes: Math.round(span / 60_000),
      contacts: h.connections, contactedWindows: h.windows, windowsAnalysed: r.windows, connectionsPerWindow: round(r.rate), dispersionIndex: round(r.dispersion),
      intervalMedianSeconds: round(r.intervalMedian, 1), intervalMadSeconds: round(r.intervalMad, 1), intervalSkew: round(r.intervalSkew),
      bytesPerConnection: Math.round(bytesPerConnection), sizeMedian: Math.round(r.sizeMedian), sizeMad: Math.round(r.sizeMad), sizeSkew: round(r.sizeSkew),
      score: round(r.score), scores: { timing: round(r.timing), intervalSkew: round(r.skewScore), intervalDispersion: round(r.madScore), coverage: round(r.coverage), connectionCounts: round(r.countScore), size: round(r.size), sizeSkew: round(r.sizeSkewScore), sizeDispersion: round(r.sizeMadScore), smallness: round(r.smallness) },
      thresholds: { minScore: params.long_min_score, minTimingScore: params.long_min_timing_score, minSpanMinutes: params.long_min_span_minutes, minContacts: params.long_min_contacts, maxBytesPerConnection: params.max_bytes_per_connection },
      roleShare: share, roleGroupSize: members,
    },
  });
}

export interface Regularity {
  rate: number;
  dispersion: number;
  countScore: number;
  windows: number;
  intervalMedian: number;
  intervalMad: number;
  intervalSkew: number;
  skewScore: number;
  madScore: number;
  coverage: number;
  timing: number;
  sizeMedian: number;
  sizeMad: number;
  sizeSkew: number;
  sizeSkewScore: number;
  sizeMadScore: number;
  smallness: number;
  size: number;
  score: number;
}

/**
 * RITA's beacon score over a destination's last contacted windows. The contacts are laid out in
 * time — a window's first at its first record (the event itself for per-event sources, the
 * window start for 5-minute aggregates), the rest evenly over the rest of the window — and the
 * intervals between them scored: symmetric (Bowley skew near 0; 0 when a quartile equals the
 * median, as RITA has it, which discrete aggregates often make so), tight (1 − MAD/median), and
 * covering the span (the share of the time in intervals under 3× the median, and contacted
 * windows against those the median interval predicts over the whole span) — and, since
 * 5-minute aggregates hide the intervals of anything calling more often than every window, with
 * connections per window less dispersed than random (Poisson) calls. Payloads likewise: bytes
 * per connection symmetric, tight and small. Score = mean of the timing and size scores.
 */
export function regularity(h: DestinationHistory, windowMs: number, span: number, maxBytesPerConnection: number): Regularity {
  const samples: ContactSample[] = h.samples();
  const values: number[] = [];
  const weights: number[] = [];
  let previousLast: number | undefined;
  for (const s of samples) {
    const n = Math.max(1, s.connections);
    const first = s.start + Math.min(windowMs - 1_000, s.offset);
    const gap = (s.start + windowMs - first) / n;
    if (previousLast !== undefined) {
      values.push(Math.max(1, (first - previousLast) / 1000));
      weights.push(1);
    }
    if (n > 1) {
      values.push(gap / 1000);
      weights.push(n - 1);
    }
    previousLast = first + (n - 1) * gap;
  }
  const [q1, q2, q3] = weightedQuartiles(values, weights);
  const intervalMad = weightedQuartiles(values.map((v) => Math.abs(v - q2)), weights)[1];
  const intervalSkew = bowley(q1, q2, q3);
  const skewScore = 1 - Math.abs(intervalSkew);
  const madScore = q2 > 0 ? Math.max(0, 1 - intervalMad / q2) : 0;
  let total = 0;
  let covered = 0;
  const longest = Math.max(3 * q2, (2 * windowMs) / 1000);
  values.forEach((v, i) => {
    total += v * weights[i]!;
    if (v <= longest) covered += v * weights[i]!;
  });
  const expectedWindows = span / Math.max(q2 * 1000, windowMs);
  const coverage = Math.min(total > 0 ? covered / total : 0, Math.min(1, h.windows / Math.max(1, expectedWindows)));
  // Connections per window since its first contact, zeros included: their index of dispersion
  // (variance ÷ mean) is 1 for random (Poisson) calls, above for bursts, below for clockwork —
  // down to what a perfectly periodic caller at that rate shows, where the score is 1.
  const spanWindows = Math.max(1, Math.round((h.lastWindow - h.firstSeen) / windowMs) + 1);
  const rate = h.connections / spanWindows;
  const dispersion = rate > 0 ? Math.max(0, h.connectionSquares / spanWindows - rate * rate) / rate : 1;
  const fraction = rate - Math.floor(rate);
  const periodicDispersion = rate > 0 ? (fraction * (1 - fraction)) / rate : 0;
  const countScore = Math.max(0, Math.min(1, (1 - dispersion) / Math.max(0.05, 1 - periodicDispersion)));
  const timing = (skewScore + madScore + coverage + countScore) / 4;
  const sizes = samples.map((s) => s.bytesPerConnection);
  const ones = sizes.map(() => 1);
  const [s1, s2, s3] = weightedQuartiles(sizes, ones);
  const sizeMad = weightedQuartiles(sizes.map((v) => Math.abs(v - s2)), ones)[1];
  const sizeSkew = bowley(s1, s2, s3);
  const sizeSkewScore = 1 - Math.abs(sizeSkew);
  const sizeMadScore = s2 > 0 ? Math.max(0, 1 - sizeMad / s2) : 1;
  const smallness = Math.max(0, Math.min(1, 1 - (h.bytesOut + h.bytesIn) / Math.max(1, h.connections) / maxBytesPerConnection));
  const size = (sizeSkewScore + sizeMadScore + smallness) / 3;
  return { rate, dispersion, countScore, windows: samples.length, intervalMedian: q2, intervalMad, intervalSkew, skewScore, madScore, coverage, timing, sizeMedian: s2, sizeMad, sizeSkew, sizeSkewScore, sizeMadScore, smallness, size, score: (timing + size) / 2 };
}

function bowley(q1: number, q2: number, q3: number): number {
  // Unreliable when the median sits on a quartile (RITA: 0 then).
  if (q3 === q1 || q2 === q1 || q2 === q3) return 0;
  return (q1 + q3 - 2 * q2) / (q3 - q1);
}

/** Quartiles of values repeated `weights` times, at RITA's positions round(p·(n−1)) of the sorted list. */
function weightedQuartiles(values: number[], weights: number[]): [number, number, number] {
  if (values.length === 0) return [0, 0, 0];
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const n = weights.reduce((a, b) => a + b, 0);
  const targets = [0.25, 0.5, 0.75].map((p) => Math.round(p * (n - 1)));
  const out: number[] = [];
  let cumulative = 0;
  let t = 0;
  for (const i of order) {
    cumulative += weights[i]!;
    while (t < targets.length && targets[t]! < cumulative) {
      out.push(values[i]!);
      t++;
    }
  }
  return [out[0]!, out[1]!, out[2]!];
}
