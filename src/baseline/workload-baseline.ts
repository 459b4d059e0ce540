import type { Workload } from '../model/workload.ts';
import { LongHorizon, type LongHorizonSnapshot } from './long-horizon.ts';
import { BULK_PULLS_BYTES, BulkPulls, type BulkPullsSnapshot } from './bulk-pulls.ts';
import { SeasonalProfile, type SeasonalProfileSnapshot } from './seasonal-profile.ts';
import { DEFAULT_HALF_LIFE, SketchSet, TYPED_ARRAY_OVERHEAD } from './quantile-sketch.ts';
import { PeerTable, type PeerTableSnapshot } from './peer-table.ts';
import { pushSeries, type Series } from './series.ts';
import { externalNxdomain, fanOut, type WindowStats } from './window-stats.ts';

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
export class WorkloadBaseline {
  key: string;
  workload: Workload;
  firstSeen: number;
  lastSeen: number;
  /** Windows with any activity. */
  windows = 0;
  /** Edge (`peer|port|protocol`) → memory. */
  peers: PeerTable;
  /** Registered domain → first/last seen and lookups. */
  domains: PeerTable;
  /** The sketches behind the series (`SERIES` order). */
  sketches: SketchSet;
  /** External bytes out per hour of day (UTC), then windows per hour: a time-of-day profile. */
  hourly: Float64Array;
  /** The busiest external-upload window at each hour of the day and of the week: daily and weekly rhythm. */
  seasonal = new SeasonalProfile();
  /** Running excess of external bytes over the baseline median, for slow exfiltration. */
  slowExcess: { bytes: number; since: number; windows: number };
  /** External destination → recurrence, for beaconing. */
  recurring = new Map<string, Recurrence>();
  /** Hours-to-a-day memory of new destinations and tunnel-like domains, for slow attacks. */
  horizon = new LongHorizon();
  /** How much it pulls from data sources, and the last pull far above that (data staging). */
  pulls = new BulkPulls();

  constructor(key: string, workload: Workload, at: number, parts?: { peers: PeerTable; domains: PeerTable; sketches: SketchSet; hourly: Float64Array }) {
    this.key = key;
    this.workload = workload;
    this.firstSeen = at;
    this.lastSeen = at;
    this.peers = parts?.peers ?? new PeerTable(BASELINE_LIMITS.peers);
    this.domains = parts?.domains ?? new PeerTable(BASELINE_LIMITS.domains);
    this.sketches = parts?.sketches ?? new SketchSet(SERIES.length, BASELINE_LIMITS.halfLifeWindows, BASELINE_LIMITS.historyWindows);
    this.hourly = parts?.hourly ?? new Float64Array(48);
    this.slowExcess = { bytes: 0, since: at, windows: 0 };
  }

  /** Mean external bytes out of active windows in this hour of day (UTC), and how many there were. */
  hourOfDay(hour: number): { mean: number; windows: number } {
    const windows = this.hourly[24 + hour]!;
    return { mean: windows > 0 ? this.hourly[hour]! / windows : 0, windows };
  }

  // Per-window histories, only of windows active in that direction. Handles are made on
  // demand so a baseline holds none.
  get externalBytesOut(): Series { return this.series(0); }
  get internalBytesOut(): Series { return this.series(1); }
  get connections(): Series { return this.series(2); }
  get fanOut(): Series { return this.series(3); }
  get denied(): Series { return this.series(4); }
  get inboundConnections(): Series { return this.series(5); }
  get inboundBytes(): Series { return this.series(6); }
  get externalClients(): Series { return this.series(7); }
  /** Inbound connections straight from outside (not through an ingress gateway). */
  get inboundExternalDirect(): Series { return this.series(8); }
  get dnsQueries(): Series { return this.series(9); }
  get dnsNxdomain(): Series { return this.series(10); }

  private series(index: number): Series {
    return { set: this.sketches, index };
  }
}

const RECURRENCE_BYTES = 600;
/** The object and its small fields, the recurrence Map and the hour-of-day array. */
const FIXED_BYTES = 200 + 180 + 48 * 8 + TYPED_ARRAY_OVERHEAD;

export function createBaseline(key: string, workload: Workload, at: number): WorkloadBaseline {
  return new WorkloadBaseline(key, workload, at);
}

/** Approximate bytes a baseline holds (what `detection.max_state_mb` counts). */
export function baselineBytes(b: WorkloadBaseline): number {
  return FIXED_BYTES + b.sketches.byteLength + b.peers.byteLength + b.domains.byteLength + b.recurring.size * RECURRENCE_BYTES + b.horizon.byteLength + BULK_PULLS_BYTES + b.seasonal.byteLength;
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
    b.hourly[hour]! += w.externalBytesOut;
    b.hourly[24 + hour]! += 1;
    b.seasonal.observe(w.start, w.externalBytesOut);
  }
  if (w.activeIn) {
    pushSeries(b.inboundConnections, w.inboundConnections);
    pushSeries(b.inboundBytes, w.inboundBytes);
    pushSeries(b.externalClients, w.externalClients.size + w.externalClientOverflow);
    pushSeries(b.inboundExternalDirect, w.inboundExternalDirect);
  }
  if (w.dnsQueries > 0) {
    pushSeries(b.dnsQueries, w.dnsQueries);
    // Search-path misses are every ndots:5 client's noise: the series counts the others.
    pushSeries(b.dnsNxdomain, externalNxdomain(w).nxdomain);
  }
  // Before the peers learn the window: the horizon tracks only destinations they did not know.
  b.horizon.update(w, b.firstSeen, b.peers);
  b.pulls.update(w, (edgeKey) => b.peers.has(edgeKey));
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
  let perDestination: Map<string, { connections: number; bytes: number }> | undefined;
  for (const edge of w.edges.values()) {
    if (edge.peerKind !== 'public' || edge.denied === edge.connections) continue;
    perDestination ??= new Map();
    const seen = perDestination.get(edge.peer) ?? { connections: 0, bytes: 0 };
    seen.connections += edge.connections;
    seen.bytes += edge.bytesOut;
    perDestination.set(edge.peer, seen);
  }
  if (perDestination === undefined) return;
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
  /** The sketches' Float32Array as numbers (base64 of the bytes is read too). */
  sketches: string | number[];
  /** The hourly profile's Float64Array as numbers (or base64 of its bytes). */
  hourly: string | number[];
  /** Absent in snapshots taken before it existed. */
  seasonal?: SeasonalProfileSnapshot;
  slowExcess: { bytes: number; since: number; windows: number };
  recurring: Record<string, Recurrence>;
  /** Absent in snapshots taken before it existed. */
  horizon?: LongHorizonSnapshot;
  /** Absent in snapshots taken before it existed. */
  pulls?: BulkPullsSnapshot;
}

/** Plain-JSON snapshot (for checkpoints and hand-over between consumers). */
export function snapshotBaseline(b: WorkloadBaseline): BaselineSnapshot {
  return {
    key: b.key, workload: b.workload, firstSeen: b.firstSeen, lastSeen: b.lastSeen, windows: b.windows,
    peers: b.peers.snapshot(), domains: b.domains.snapshot(),
    // As numbers: the sketches are mostly empty bins, and "0," is shorter than base64 of 4 bytes.
    sketches: Array.from(b.sketches.bins), hourly: Array.from(b.hourly), seasonal: b.seasonal.snapshot(),
    slowExcess: { ...b.slowExcess },
    recurring: Object.fromEntries([...b.recurring].map(([k, r]) => [k, { ...r, counts: [...r.counts] }])),
    horizon: b.horizon.snapshot(),
    pulls: b.pulls.snapshot(),
  };
}

export function restoreBaseline(snapshot: unknown): WorkloadBaseline {
  const s = snapshot as BaselineSnapshot;
  const b = new WorkloadBaseline(s.key, s.workload, s.firstSeen, {
    peers: PeerTable.restore(s.peers, BASELINE_LIMITS.peers),
    domains: PeerTable.restore(s.domains, BASELINE_LIMITS.domains),
    sketches: new SketchSet(SERIES.length, BASELINE_LIMITS.halfLifeWindows, BASELINE_LIMITS.historyWindows, typeof s.sketches === 'string' ? floats(s.sketches, Float32Array) : s.sketches),
    hourly: typeof s.hourly === 'string' ? floats(s.hourly, Float64Array) : Float64Array.from(s.hourly),
  });
  b.lastSeen = s.lastSeen;
  b.windows = s.windows;
  b.slowExcess = { ...s.slowExcess };
  if (s.seasonal !== undefined) b.seasonal = SeasonalProfile.restore(s.seasonal);
  b.recurring = new Map(Object.entries(s.recurring));
  if (s.horizon !== undefined) b.horizon = LongHorizon.restore(s.horizon);
  if (s.pulls !== undefined) b.pulls = BulkPulls.restore(s.pulls);
  return b;
}

function floats<T extends Float32Array | Float64Array>(text: string, type: { new (buffer: ArrayBuffer): T; BYTES_PER_ELEMENT: number }): T {
  const bytes = Buffer.from(text, 'base64');
  // A copy into a buffer of its own: the decoded bytes may sit at any offset of a shared pool.
  const copy = new ArrayBuffer(bytes.length - (bytes.length % type.BYTES_PER_ELEMENT));
  new Uint8Array(copy).set(bytes.subarray(0, copy.byteLength));
  return new type(copy);
}
