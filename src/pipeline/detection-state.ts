import { AlertLifecycle, type AlertLifecycleOptions } from '../alerts/alert-lifecycle.ts';
import { LruMap } from '../baseline/bounded.ts';
import type { PeerGroupPart } from '../baseline/peer-groups.ts';
import type { WindowStats } from '../baseline/window-stats.ts';
import { restoreWindow, snapshotWindow } from '../baseline/window-snapshot.ts';
import { baselineBytes, restoreBaseline, snapshotBaseline, type WorkloadBaseline } from '../baseline/workload-baseline.ts';
import { DnsCorrelator } from '../enrich/dns-correlator.ts';
import type { EdgeBurstSnapshot } from '../scoring/edge-burst-scorer.ts';
import { FlowBurstScoring, type EdgeBurstConfig } from '../scoring/flow-burst-scoring.ts';
import type { Alert } from '../model/alert.ts';
import { isAddress, unitKind } from '../model/workload.ts';

/** Event-time progress of one input lane (a raw topic partition, a file). */
export interface LaneProgress {
  newest: number;
  /** Wall clock of the lane's last record (idle lanes stop holding the watermark back). */
  seenAt: number;
}

/**
 * One key of a task's changelog and its value (`null`: deleted). Keys: `b\0<workload>` a
 * baseline, `o\0<workload>` the workload's open windows, `meta` the rest (watermarks, lanes,
 * alert lifecycle, DNS cache, the input offset the state corresponds to).
 */
export interface ChangelogRecord {
  key: string;
  value: unknown;
}

const SEP = '\u0000';
export const META_KEY = 'meta';
/** The edge-burst scorer's counters (written when they changed). */
export const BURST_KEY = 'burst';
const STATE_VERSION = 1;

interface MetaSnapshot {
  version: number;
  /** Next input offset the state corresponds to (the repartition partition's), if any. */
  offset: string | null;
  closedUpTo: number | null;
  newest: number | null;
  lanes: [string, number | null][];
  lifecycle: unknown;
  dns: unknown;
  /** Alerts committed with this state but perhaps not yet handed to the sinks (emission batches): re-sent on restore. */
  undelivered: Alert[][];
  /** Host units seen reporting their own flows (absent: none). */
  reportingHosts?: string[];
}

/** Hosts remembered as reporting their own flows; past it the least recently seen is forgotten. */
const MAX_REPORTING_HOSTS = 4_096;

/** What a restore found besides the state itself. */
export interface Restored {
  /** The input offset the state corresponds to (null: none recorded). */
  offset: string | null;
  undelivered: Alert[][];
}

const finite = (n: number): number | null => (Number.isFinite(n) ? n : null);
const orMinusInfinity = (n: number | null): number => n ?? Number.NEGATIVE_INFINITY;

/**
 * Everything a detection task knows, and nothing it does: open windows per event-time bucket,
 * baselines (LRU, bounded in bytes), its part of the role view, the DNS cache, the alert
 * lifecycle, lane progress and the watermark. The unit a checkpoint writes and a restore
 * reads; changes since the last checkpoint are tracked per workload so a checkpoint writes
 * only what changed.
 */
export class DetectionState {
  readonly open = new Map<number, Map<string, WindowStats>>();
  openWindows = 0;
  readonly baselines: LruMap<string, WorkloadBaseline>;
  readonly lanes = new Map<string, LaneProgress>();
  dns = new DnsCorrelator();
  /**
   * Host units seen as the reporter of a record (Calico host endpoints with HEP reporting, Hubble
   * with the host firewall): their flows are counted from their own reports only. Bounded.
   */
  reportingHosts = new LruMap<string, true>(MAX_REPORTING_HOSTS);
  lifecycle: AlertLifecycle;
  /** This task's part of the role view (replaced by a restore). */
  peers: PeerGroupPart;
  newest = Number.NEGATIVE_INFINITY;
  /** End of the latest closed window: records that start before it are late. */
  closedUpTo = Number.NEGATIVE_INFINITY;
  /** Per-record edge-burst scoring, when enabled. */
  readonly burst: FlowBurstScoring | undefined;
  /** Whether `burst` scored a record since the last checkpoint. */
  burstChanged = false;
  /**
   * Keys of the baselines that are bare addresses (external and ip units), least recently
   * active first: a new address evicts the oldest of these, never a workload's (DetectionStage).
   */
  private readonly addresses = new Set<string>();
  private changedBaselines = new Set<string>();
  private changedOpen = new Set<string>();
  /** The alert lifecycle's settings (from config; a restore rebuilds the lifecycle with them). */
  readonly lifecycleOptions: AlertLifecycleOptions;

  /** Whether changes are tracked for checkpoints (durable tasks); an in-memory stage keeps no sets that only grow. */
  private readonly tracking: boolean;

  constructor(options: { maxWorkloads: number; maxStateBytes?: number; lifecycle: AlertLifecycleOptions; peers: PeerGroupPart; trackChanges?: boolean; edgeBurst?: EdgeBurstConfig }) {
    this.tracking = options.trackChanges === true;
    this.burst = options.edgeBurst === undefined ? undefined : new FlowBurstScoring(options.edgeBurst);
    this.baselines = new LruMap(options.maxWorkloads, (key) => {
      this.addresses.delete(key);
      this.baselineChanged(key);
    }, { weigh: baselineBytes, maxWeight: options.maxStateBytes ?? Number.POSITIVE_INFINITY });
    this.lifecycleOptions = options.lifecycle;
    this.lifecycle = new AlertLifecycle(options.lifecycle);
    this.peers = options.peers;
  }

  /** A baseline is as recent as any (its unit is active): the LRU order, and the addresses' own. */
  touchBaseline(key: string): void {
    if (this.baselines.get(key) === undefined || !this.addresses.delete(key)) return;
    this.addresses.add(key);
  }

  /** Records that a baseline kept is a bare address's (see addresses). */
  keptAddress(key: string): void {
    this.addresses.delete(key);
    this.addresses.add(key);
  }

  /** The least recently active baseline of a bare address, if any is held. */
  oldestAddress(): string | undefined {
    for (const key of this.addresses) {
      if (this.baselines.peek(key) !== undefined) return key;
      this.addresses.delete(key);
    }
    return undefined;
  }

  /** A host unit reported a record of its own. */
  reportingHost(key: string): void {
    if (this.reportingHosts.get(key) === undefined) this.reportingHosts.set(key, true);
  }

  /** Whether a host unit has been seen reporting its own flows. */
  reportsItself(key: string): boolean {
    return this.reportingHosts.peek(key) !== undefined;
  }

  /** Marks a workload's baseline as changed (judged) for the next checkpoint. */
  baselineChanged(key: string): void {
    if (this.tracking) this.changedBaselines.add(key);
  }

  /** Marks a workload's open windows as changed (a record folded in, a window closed). */
  openChanged(key: string): void {
    if (this.tracking) this.changedOpen.add(key);
  }

  /**
   * What changed since the last call, as changelog records (baselines evicted or windows all
   * closed are `null`), then the meta record; forgets the changes.
   */
  takeChanges(offset: string | null, undelivered: Alert[][] = []): ChangelogRecord[] {
    const records: ChangelogRecord[] = [];
    for (const key of this.changedBaselines) {
      const baseline = this.baselines.peek(key);
      records.push({ key: `b${SEP}${key}`, value: baseline === undefined ? null : snapshotBaseline(baseline) });
    }
    for (const key of this.changedOpen) {
      const windows = [];
      for (const bucket of this.open.values()) {
        const window = bucket.get(key);
        if (window !== undefined) windows.push(snapshotWindow(window));
      }
      records.push({ key: `o${SEP}${key}`, value: windows.length === 0 ? null : windows });
    }
    this.changedBaselines = new Set();
    this.changedOpen = new Set();
    if (this.burst !== undefined && this.burstChanged) records.push({ key: BURST_KEY, value: this.burst.snapshot() });
    this.burstChanged = false;
    records.push({ key: META_KEY, value: this.meta(offset, undelivered) });
    return records;
  }

  /** Every record of the state (a full snapshot: warm starts and tests). */
  allRecords(offset: string | null): ChangelogRecord[] {
    for (const key of this.baselines.map.keys()) this.changedBaselines.add(key);
    for (const bucket of this.open.values()) for (const key of bucket.keys()) this.changedOpen.add(key);
    this.burstChanged = true;
    return this.takeChanges(offset);
  }

  private meta(offset: string | null, undelivered: Alert[][]): MetaSnapshot {
    return {
      version: STATE_VERSION,
      offset,
      closedUpTo: finite(this.closedUpTo),
      newest: finite(this.newest),
      lanes: [...this.lanes].map(([name, lane]) => [name, finite(lane.newest)]),
      lifecycle: this.lifecycle.snapshot(),
      dns: this.dns.snapshot(),
      undelivered,
      ...(this.reportingHosts.size === 0 ? {} : { reportingHosts: [...this.reportingHosts.map.keys()] }),
    };
  }

  /**
   * Applies the latest value of every changelog key (read to the end, in any order of keys):
   * the state as the last committed checkpoint left it. Baselines come back in changelog order, which is
   * the order they were last judged in: the LRU order, as near as it was written.
   */
  restore(records: Iterable<ChangelogRecord>, now: number): Restored {
    let offset: string | null = null;
    let undelivered: Alert[][] = [];
    for (const { key, value } of records) {
      if (value === null) continue;
      if (key === META_KEY) {
        const meta = value as MetaSnapshot;
        if (meta.version !== STATE_VERSION) throw new Error(`state version ${meta.version} is not ${STATE_VERSION}: written by another flowhound version`);
        offset = meta.offset;
        undelivered = meta.undelivered ?? [];
        this.closedUpTo = orMinusInfinity(meta.closedUpTo);
        this.newest = orMinusInfinity(meta.newest);
        this.lanes.clear();
        for (const [name, newest] of meta.lanes) this.lanes.set(name, { newest: orMinusInfinity(newest), seenAt: now });
        this.lifecycle = AlertLifecycle.restore(meta.lifecycle, this.lifecycleOptions);
        this.dns = DnsCorrelator.restore(meta.dns);
        this.reportingHosts = new LruMap(MAX_REPORTING_HOSTS);
        for (const host of meta.reportingHosts ?? []) this.reportingHosts.set(host, true);
      } else if (key === BURST_KEY) {
        // Sketches of another size (the config changed) start over.
        this.burst?.restore(value as EdgeBurstSnapshot);
      } else if (key.startsWith(`b${SEP}`)) {
        const baseline = restoreBaseline(value);
        this.baselines.set(baseline.key, baseline);
        if (isAddress(unitKind(baseline.workload))) this.keptAddress(baseline.key);
      } else if (key.startsWith(`o${SEP}`)) {
        for (const snapshot of value as unknown[]) {
          const window = restoreWindow(snapshot);
          let bucket = this.open.get(window.start);
          if (bucket === undefined) this.open.set(window.start, (bucket = new Map()));
          if (!bucket.has(window.key)) this.openWindows++;
          bucket.set(window.key, window);
        }
      } else {
        throw new Error(`state changelog: unknown key ${JSON.stringify(key)}`);
      }
    }
    this.changedBaselines = new Set();
    this.changedOpen = new Set();
    this.burstChanged = false;
    return { offset, undelivered };
  }
}

/** The latest value per key of a changelog read in order (what compaction would keep). */
export function latestPerKey(records: Iterable<ChangelogRecord>): ChangelogRecord[] {
  const latest = new Map<string, unknown>();
  for (const { key, value } of records) {
    latest.delete(key);
    latest.set(key, value);
  }
  return [...latest].map(([key, value]) => ({ key, value }));
}
