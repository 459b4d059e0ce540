import type { Workload } from '../model/workload.ts';
import { createSeries, pushSeries, type Series } from './series.ts';
import { fanOut, type WindowStats } from './window-stats.ts';

/** Caps on one workload's memory, whatever an attacker invents. */
export const BASELINE_LIMITS = { peers: 1_024, domains: 1_024, recurring: 128, historyWindows: 2_016 /* 7 days of 5-minute windows */ };

export interface PeerMemory {
  first: number;
  last: number;
  /** Windows in which the edge was used. */
  windows: number;
  bytesOut: number;
}

/** A destination seen window after window: the raw material of beaconing detection. */
export interface Recurrence {
  /** Consecutive windows (ending at `lastWindow`) in which it was contacted. */
  streak: number;
  lastWindow: number;
  /** Connections per window over the streak (capped), to judge regularity. */
  counts: number[];
  bytesOut: number;
  firstSeen: number;
}

/**
 * Everything flowhound knows about one workload's normal behaviour, in event time. A plain
 * value scoped to one workload key (Maps snapshot to objects), so it can be checkpointed
 * and moved to whichever consumer owns the key.
 */
export interface WorkloadBaseline {
  key: string;
  workload: Workload;
  firstSeen: number;
  lastSeen: number;
  /** Windows with any activity. */
  windows: number;
  /** Edge (`peer|port|protocol`) → memory. */
  peers: Map<string, PeerMemory>;
  /** Registered domain → first/last seen and lookups. */
  domains: Map<string, PeerMemory>;
  /** Per-window histories, only of windows active in that direction. */
  externalBytesOut: Series;
  internalBytesOut: Series;
  connections: Series;
  fanOut: Series;
  denied: Series;
  inboundConnections: Series;
  inboundBytes: Series;
  externalClients: Series;
  /** Inbound connections straight from outside (not through an ingress gateway), per window. */
  inboundExternalDirect: Series;
  dnsQueries: Series;
  dnsNxdomain: Series;
  /** External bytes out per hour of day (UTC): sums and window counts, for a time-of-day profile. */
  hourlyExternalBytes: number[];
  hourlyWindows: number[];
  /** Running excess of external bytes over the baseline median, for slow exfiltration. */
  slowExcess: { bytes: number; since: number; windows: number };
  /** External destination → recurrence, for beaconing. */
  recurring: Map<string, Recurrence>;
}

export function createBaseline(key: string, workload: Workload, at: number): WorkloadBaseline {
  const cap = BASELINE_LIMITS.historyWindows;
  return {
    key, workload, firstSeen: at, lastSeen: at, windows: 0,
    peers: new Map(), domains: new Map(),
    externalBytesOut: createSeries(cap), internalBytesOut: createSeries(cap), connections: createSeries(cap),
    fanOut: createSeries(cap), denied: createSeries(cap), inboundConnections: createSeries(cap), inboundBytes: createSeries(cap),
    externalClients: createSeries(cap), inboundExternalDirect: createSeries(cap), dnsQueries: createSeries(cap), dnsNxdomain: createSeries(cap),
    hourlyExternalBytes: new Array<number>(24).fill(0), hourlyWindows: new Array<number>(24).fill(0),
    slowExcess: { bytes: 0, since: at, windows: 0 },
    recurring: new Map(),
  };
}

/** Folds a closed window into the baseline (after the detectors have judged it). */
export function updateBaseline(b: WorkloadBaseline, w: WindowStats): void {
  if (w.start < b.firstSeen) b.firstSeen = w.start;
  if (w.end > b.lastSeen) b.lastSeen = w.end;
  b.windows++;
  if (w.activeOut) {
    pushSeries(b.externalBytesOut, w.externalBytesOut);
    pushSeries(b.internalBytesOut, w.internalBytesOut);
    pushSeries(b.connections, w.connections);
    pushSeries(b.fanOut, fanOut(w));
    pushSeries(b.denied, w.denied);
    const hour = new Date(w.start).getUTCHours();
    b.hourlyExternalBytes[hour]! += w.externalBytesOut;
    b.hourlyWindows[hour]! += 1;
  }
  if (w.activeIn) {
    pushSeries(b.inboundConnections, w.inboundConnections);
    pushSeries(b.inboundBytes, w.inboundBytes);
    pushSeries(b.externalClients, w.externalClients.size + w.externalClientOverflow);
    pushSeries(b.inboundExternalDirect, w.inboundExternalDirect);
  }
  if (w.dnsQueries > 0) {
    pushSeries(b.dnsQueries, w.dnsQueries);
    pushSeries(b.dnsNxdomain, w.dnsNxdomain);
  }
  for (const [edgeKey, edge] of w.edges) {
    if (edge.denied === edge.connections) continue; // a denied attempt is not a learned peer
    remember(b.peers, edgeKey, w, edge.bytesOut, BASELINE_LIMITS.peers);
  }
  for (const [domain, use] of w.domains) {
    if (use.nxdomain === use.queries) continue;
    remember(b.domains, domain, w, 0, BASELINE_LIMITS.domains);
  }
  updateRecurrence(b, w);
}

function remember(map: Map<string, PeerMemory>, key: string, w: WindowStats, bytes: number, max: number): void {
  const memory = map.get(key);
  if (memory !== undefined) {
    memory.last = w.end;
    memory.windows++;
    memory.bytesOut += bytes;
    map.delete(key);
    map.set(key, memory); // keep Map order = recency, so eviction drops the stalest
    return;
  }
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, { first: w.start, last: w.end, windows: 1, bytesOut: bytes });
}

const MAX_RECURRENCE_COUNTS = 48;

function updateRecurrence(b: WorkloadBaseline, w: WindowStats): void {
  const windowMs = w.end - w.start;
  const perDestination = new Map<string, { connections: number; bytes: number }>();
  for (const edge of w.edges.values()) {
    if (edge.peerKind !== 'public' || edge.denied === edge.connections) continue;
    const seen = perDestination.get(edge.peer) ?? { connections: 0, bytes: 0 };
    seen.connections += edge.connections;
    seen.bytes += edge.bytesOut;
    perDestination.set(edge.peer, seen);
  }
  for (const [destination, use] of perDestination) {
    let r = b.recurring.get(destination);
    if (r === undefined) {
      if (b.recurring.size >= BASELINE_LIMITS.recurring) b.recurring.delete(b.recurring.keys().next().value!);
      r = { streak: 0, lastWindow: 0, counts: [], bytesOut: 0, firstSeen: w.start };
    } else b.recurring.delete(destination);
    const consecutive = w.start - r.lastWindow <= windowMs;
    r.streak = consecutive ? r.streak + 1 : 1;
    if (!consecutive) {
      r.counts = [];
      r.bytesOut = 0;
    }
    r.counts.push(use.connections);
    if (r.counts.length > MAX_RECURRENCE_COUNTS) r.counts.shift();
    r.bytesOut += use.bytes;
    r.lastWindow = w.start;
    b.recurring.set(destination, r);
  }
}

/** Plain-object snapshot (for checkpoints and hand-over between consumers). */
export function snapshotBaseline(b: WorkloadBaseline): unknown {
  return { ...b, peers: Object.fromEntries(b.peers), domains: Object.fromEntries(b.domains), recurring: Object.fromEntries(b.recurring) };
}

export function restoreBaseline(snapshot: unknown): WorkloadBaseline {
  const s = snapshot as WorkloadBaseline & { peers: Record<string, PeerMemory>; domains: Record<string, PeerMemory>; recurring: Record<string, Recurrence> };
  return { ...s, peers: new Map(Object.entries(s.peers)), domains: new Map(Object.entries(s.domains)), recurring: new Map(Object.entries(s.recurring)) };
}
