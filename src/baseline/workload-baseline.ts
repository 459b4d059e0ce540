import type { Workload } from '../model/workload.ts';
import { DEFAULT_HALF_LIFE, SketchSet } from './quantile-sketch.ts';
import { PeerTable, type PeerTableSnapshot } from './peer-table.ts';
import { pushSeries, type Series } from './series.ts';
import { fanOut, type WindowStats } from './window-stats.ts';

export type { PeerMemory } from './peer-table.ts';

/**
 * Caps on one workload's memory, whatever an attacker invents. `historyWindows` caps the
 * windows a series reports as its size; `halfLifeWindows` is how fast old windows fade.
 */
export const BASELINE_LIMITS = { peers: 1_024, domains: 1_024, recurring: 128, historyWindows: 2_016 /* 7 days of 5-minute windows */, halfLifeWindows: DEFAULT_HALF_LIFE };

/** The per-window series of a baseline, in the order of their sketches. */
export const SERIES = [
  'externalBytesOut', 'internalBytesOut', 'connections', 'fanOut', 'denied',
  'inboundConnections', 'inboundBytes', 'externalClients', 'inboundExternalDirect',
  'dnsQueries', 'dnsNxdomain',
] as const;
export type SeriesName = (typeof SERIES)[number];

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
 * Everything flowhound knows about one workload's normal behaviour, in event time, in a fixed
 * number of bytes: per-window series as quantile sketches (one SketchSet), peers and domains
 * in bounded tables of typed columns, a bounded recurrence map. Scoped to one workload key and
 * snapshotted to plain JSON, so it can be checkpointed and moved to whichever consumer owns it.
 */
export type WorkloadBaseline = {
  key: string;
  workload: Workload;
  firstSeen: number;
  lastSeen: number;
  /** Windows with any activity. */
  windows: number;
  /** Edge (`peer|port|protocol`) → memory. */
  peers: PeerTable;
  /** Registered domain → first/last seen and lookups. */
  domains: PeerTable;
  /** The sketches behind the series below. */
  sketches: SketchSet;
  /** External bytes out per hour of day (UTC): sums and window counts, for a time-of-day profile. */
  hourlyExternalBytes: Float64Array;
  hourlyWindows: Float64Array;
  /** Running excess of external bytes over the baseline median, for slow exfiltration. */
  slowExcess: { bytes: number; since: number; windows: number };
  /** External destination → recurrence, for beaconing. */
  recurring: Map<string, Recurrence>;
} & {
  /**
   * Per-window histories, only of windows active in that direction: external and internal
   * bytes out, connections, fan-out, denials; inbound connections, bytes, external clients and
   * connections straight from outside (not through an ingress gateway); DNS lookups, NXDOMAINs.
   */
  readonly [name in SeriesName]: Series;
};

const RECURRENCE_BYTES = 600;
/** The object, its series handles, the slow-excess record and the maps' empty tables. */
const FIXED_BYTES = 1_200;

export function createBaseline(key: string, workload: Workload, at: number): WorkloadBaseline {
  return assemble({
    key, workload, firstSeen: at, lastSeen: at, windows: 0,
    peers: new PeerTable(BASELINE_LIMITS.peers), domains: new PeerTable(BASELINE_LIMITS.domains),
    sketches: new SketchSet(SERIES.length, BASELINE_LIMITS.halfLifeWindows, BASELINE_LIMITS.historyWindows),
    hourlyExternalBytes: new Float64Array(24), hourlyWindows: new Float64Array(24),
    slowExcess: { bytes: 0, since: at, windows: 0 },
    recurring: new Map(),
  });
}

type BaselineFields = Omit<WorkloadBaseline, SeriesName>;

function assemble(fields: BaselineFields): WorkloadBaseline {
  const b = fields as Record<string, unknown>;
  SERIES.forEach((name, index) => (b[name] = { set: fields.sketches, index }));
  return b as WorkloadBaseline;
}

/** Approximate bytes a baseline holds (what `detection.max_state_mb` counts). */
export function baselineBytes(b: WorkloadBaseline): number {
  return FIXED_BYTES + b.sketches.byteLength + b.hourlyExternalBytes.byteLength + b.hourlyWindows.byteLength + b.peers.byteLength + b.domains.byteLength + b.recurring.size * RECURRENCE_BYTES;
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
    b.peers.remember(edgeKey, w.start, w.end, edge.bytesOut);
  }
  for (const [domain, use] of w.domains) {
    if (use.nxdomain === use.queries) continue;
    b.domains.remember(domain, w.start, w.end, 0);
  }
  updateRecurrence(b, w);
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

interface BaselineSnapshot {
  key: string;
  workload: Workload;
  firstSeen: number;
  lastSeen: number;
  windows: number;
  peers: PeerTableSnapshot;
  domains: PeerTableSnapshot;
  sketches: { bins: number[]; meta: number[] };
  hourlyExternalBytes: number[];
  hourlyWindows: number[];
  slowExcess: { bytes: number; since: number; windows: number };
  recurring: Record<string, Recurrence>;
}

/** Plain-JSON snapshot (for checkpoints and hand-over between consumers). */
export function snapshotBaseline(b: WorkloadBaseline): BaselineSnapshot {
  return {
    key: b.key, workload: b.workload, firstSeen: b.firstSeen, lastSeen: b.lastSeen, windows: b.windows,
    peers: b.peers.snapshot(), domains: b.domains.snapshot(),
    sketches: { bins: Array.from(b.sketches.bins), meta: Array.from(b.sketches.meta) },
    hourlyExternalBytes: Array.from(b.hourlyExternalBytes), hourlyWindows: Array.from(b.hourlyWindows),
    slowExcess: { ...b.slowExcess },
    recurring: Object.fromEntries([...b.recurring].map(([k, r]) => [k, { ...r, counts: [...r.counts] }])),
  };
}

export function restoreBaseline(snapshot: unknown): WorkloadBaseline {
  const s = snapshot as BaselineSnapshot;
  return assemble({
    key: s.key, workload: s.workload, firstSeen: s.firstSeen, lastSeen: s.lastSeen, windows: s.windows,
    peers: PeerTable.restore(s.peers, BASELINE_LIMITS.peers), domains: PeerTable.restore(s.domains, BASELINE_LIMITS.domains),
    sketches: new SketchSet(SERIES.length, BASELINE_LIMITS.halfLifeWindows, BASELINE_LIMITS.historyWindows, s.sketches),
    hourlyExternalBytes: Float64Array.from(s.hourlyExternalBytes), hourlyWindows: Float64Array.from(s.hourlyWindows),
    slowExcess: { ...s.slowExcess },
    recurring: new Map(Object.entries(s.recurring)),
  });
}
