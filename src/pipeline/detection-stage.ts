import { DnsCorrelator } from '../enrich/dns-correlator.ts';
import type { WorkloadIdentity, WorkloadResolver } from '../enrich/workload-resolver.ts';
import type { AlertLifecycle } from '../alerts/alert-lifecycle.ts';
import type { AlertSink } from '../alerts/alert-sink.ts';
import { LruMap } from '../baseline/bounded.ts';
import { PeerGroups } from '../baseline/peer-groups.ts';
import { addDns, addIncoming, addOutgoing, type PeerIdentity } from '../baseline/window-accumulator.ts';
import { emptyWindow, type WindowStats } from '../baseline/window-stats.ts';
import { baselineBytes, createBaseline, updateBaseline, type WorkloadBaseline } from '../baseline/workload-baseline.ts';
import type { Detector } from '../detectors/types.ts';
import type { DetectionSettings } from '../detectors/settings.ts';
import type { Alert, Finding } from '../model/alert.ts';
import type { DnsRecord } from '../model/dns-record.ts';
import type { Endpoint } from '../model/endpoint.ts';
import type { FlowRecord } from '../model/flow-record.ts';
import { eventTime as eventTimeOf, type NormalizedRecord } from '../model/normalized-record.ts';
import { workloadKey } from '../model/workload.ts';
import type { RecordStage } from './record-stage.ts';

export interface EnabledDetector {
  detector: Detector<object>;
  params: object;
}

export interface DetectionStageOptions {
  detectors: EnabledDetector[];
  settings: DetectionSettings;
  resolver: WorkloadResolver;
  lifecycle: AlertLifecycle;
  sinks: AlertSink[];
  /** Records whose window closed longer ago than this are late: counted, not judged. */
  allowedLatenessMs: number;
  /** A workload is judged against its own baseline only after this much event time... */
  learningMs: number;
  /** ...and this many active windows. */
  learningWindows: number;
  /** Bound on workloads with a baseline; the least recently active is evicted past it. */
  maxWorkloads: number;
  /** Bound on the baselines' bytes (`detection.max_state_mb`); the least recently active go first past it. */
  maxStateBytes?: number;
  /**
   * Bound on open workload windows (all event-time buckets): past it, records of workloads
   * without a baseline are dropped (counted), so a burst of invented workloads inside one
   * window costs a fixed amount; workloads with a baseline are always admitted.
   */
  maxOpenWindows?: number;
  /** Called with every record that arrived after its window closed. */
  onLate?: (record: NormalizedRecord) => void;
  /** Called with every workload window as it closes (metrics read volumes from it). */
  onWindow?: (window: WindowStats, baseline: WorkloadBaseline | undefined) => void;
  /** Called with every batch of findings (metrics keep the current anomaly scores). */
  onFindings?: (findings: Finding[]) => void;
  /** A lane silent for this long (wall clock) no longer holds the watermark back. */
  idleLaneMs?: number;
  /** Wall clock, only for lane idleness. */
  clock?: () => number;
}

export interface DetectionStats {
  late: number;
  windowsClosed: number;
  /** Wall time spent judging and learning closed windows (ms; the judging rate's denominator). */
  judgingMs: number;
  /** Record sides (initiator or responder) not counted because maxOpenWindows was reached. */
  droppedStateBudget: number;
  /**
   * New workloads judged against a fresh baseline that was not kept: the budget was full of
   * workloads active in the same window, which a burst of newcomers must not evict.
   */
  baselinesNotKept: number;
  findings: number;
  alertsEmitted: number;
}

/**
 * State + detectors, in event time. Records are folded into per-workload tumbling windows;
 * when the watermark (newest event time − allowed lateness) passes a window's end, each
 * workload's window is judged by every detector against its baseline, then learned.
 */
export class DetectionStage implements RecordStage {
  readonly stats: DetectionStats = { late: 0, windowsClosed: 0, judgingMs: 0, droppedStateBudget: 0, baselinesNotKept: 0, findings: 0, alertsEmitted: 0 };
  readonly baselines: LruMap<string, WorkloadBaseline>;
  readonly peerGroups = new PeerGroups();
  readonly dns = new DnsCorrelator();
  private readonly options: DetectionStageOptions;
  private readonly open = new Map<number, Map<string, WindowStats>>();
  private openWindows = 0;
  private readonly maxOpenWindows: number;
  private newest = Number.NEGATIVE_INFINITY;
  private readonly lanes = new Map<string, { newest: number; seenAt: number }>();
  private readonly idleLaneMs: number;
  private readonly clock: () => number;
  /** End of the latest closed window: records that start before it are late. */
  private closedUpTo = Number.NEGATIVE_INFINITY;

  constructor(options: DetectionStageOptions) {
    this.options = options;
    this.baselines = new LruMap(options.maxWorkloads, undefined, { weigh: baselineBytes, maxWeight: options.maxStateBytes ?? Number.POSITIVE_INFINITY });
    this.maxOpenWindows = options.maxOpenWindows ?? Number.POSITIVE_INFINITY;
    this.idleLaneMs = options.idleLaneMs ?? 30_000;
    this.clock = options.clock ?? Date.now;
  }

  /** Event time up to which every window is closed. */
  get watermark(): number {
    return this.closedUpTo;
  }

  /** Newest event time seen, epoch ms (−∞ before the first record). */
  get newestEventTime(): number {
    return this.newest;
  }

  /** Bytes of workload baselines held (what `maxStateBytes` bounds). */
  get stateBytes(): number {
    return this.baselines.weight;
  }

  /** The bound on `stateBytes` (∞ when unbounded). */
  get stateBudgetBytes(): number {
    return this.options.maxStateBytes ?? Number.POSITIVE_INFINITY;
  }

  /** Alerts still firing. */
  activeAlerts(): Alert[] {
    return this.options.lifecycle.active();
  }

  /** The alert lifecycle, for its counts (metrics). */
  get lifecycle(): AlertLifecycle {
    return this.options.lifecycle;
  }

  async process(records: NormalizedRecord[], laneName = 'default'): Promise<void> {
    const { allowedLatenessMs } = this.options;
    const windowMs = this.options.settings.windowMs;
    const now = this.clock();
    let lane = this.lanes.get(laneName);
    if (lane === undefined) this.lanes.set(laneName, (lane = { newest: Number.NEGATIVE_INFINITY, seenAt: now }));
    lane.seenAt = now;
    for (const record of records) {
      this.add(record);
      const time = eventTimeOf(record);
      if (time > lane.newest) {
        lane.newest = time;
        // Close windows as soon as the watermark passes them, not at the end of the batch:
        // the time to detect must not depend on how records were batched.
        const watermark = this.laneWatermark(now) - allowedLatenessMs;
        if (watermark >= this.closedUpTo + windowMs) await this.emit(this.closeUpTo(watermark));
      }
    }
  }

  /**
   * Lanes that will deliver records (a consumer's assigned partitions): until each has
   * delivered, the watermark waits for it rather than making its records late.
   */
  expectLanes(names: string[]): void {
    const now = this.clock();
    for (const name of names) if (!this.lanes.has(name)) this.lanes.set(name, { newest: Number.NEGATIVE_INFINITY, seenAt: now });
  }

  /**
   * Event time every active lane has reached: the slowest lane's newest record. Kafka
   * partitions are consumed one batch at a time, so a fast partition must not make a slow
   * one's records late. Lanes silent (wall clock) for idleLaneMs stop holding it back.
   */
  private laneWatermark(now: number): number {
    let slowest = Number.POSITIVE_INFINITY;
    for (const lane of this.lanes.values()) {
      if (now - lane.seenAt > this.idleLaneMs) continue;
      if (lane.newest < slowest) slowest = lane.newest;
    }
    return slowest === Number.POSITIVE_INFINITY ? this.newest : slowest;
  }

  /** Closes every open window (end of a replay) and flushes the sinks. */
  async close(): Promise<void> {
    await this.emit(this.closeUpTo(Number.POSITIVE_INFINITY));
    for (const sink of this.options.sinks) await sink.close();
  }

  private add(record: NormalizedRecord): void {
    const windowMs = this.options.settings.windowMs;
    // By event time (the end of an aggregation window): Calico's flush windows are not aligned
    // to ours, and a window must not close before the records that end inside it arrive.
    const time = record.kind === 'flow' ? record.windowEnd : record.time;
    const bucket = Math.floor((time - 1) / windowMs) * windowMs;
    if (bucket < this.closedUpTo) {
      this.stats.late++;
      this.options.onLate?.(record);
      return;
    }
    if (time > this.newest) this.newest = time;
    if (record.kind === 'flow') this.addFlow(record, bucket);
    else this.addDnsRecord(record, bucket);
  }

  /** The workload's open window of `bucket`; undefined (counted) past maxOpenWindows for a workload without a baseline. */
  private window(bucket: number, identity: WorkloadIdentity): WindowStats | undefined {
    let windows = this.open.get(bucket);
    if (windows === undefined) this.open.set(bucket, (windows = new Map()));
    let window = windows.get(identity.key);
    if (window === undefined) {
      if (this.openWindows >= this.maxOpenWindows && this.baselines.peek(identity.key) === undefined) {
        this.stats.droppedStateBudget++;
        return undefined;
      }
      window = emptyWindow(identity.key, identity.workload, bucket, bucket + this.options.settings.windowMs);
      windows.set(identity.key, window);
      this.openWindows++;
    }
    return window;
  }

  private addFlow(flow: FlowRecord, bucket: number): void {
    const { src, dst } = flow;
    const { resolver } = this.options;
    // Each side's identity is looked up once per record, whichever windows it is used for.
    let srcIdentity: WorkloadIdentity | undefined;
    let dstIdentity: WorkloadIdentity | undefined;
    // Calico and Hubble report a pod-to-pod flow from both ends: count each side once.
    if (src.kind === 'pod' && (flow.reporter !== 'dst' || dst.kind !== 'pod')) {
      srcIdentity = resolver.identify(src);
      const window = this.window(bucket, srcIdentity);
      if (window !== undefined) {
        if (dst.kind === 'pod') addOutgoing(window, flow, (dstIdentity = resolver.identify(dst)));
        else addOutgoing(window, flow, this.peerOf(flow, window.key));
      }
    }
    if (dst.kind === 'pod' && (flow.reporter !== 'src' || src.kind !== 'pod')) {
      const viaGateway = src.kind === 'pod' && this.isIngressGateway(src, srcIdentity);
      const window = this.window(bucket, dstIdentity ?? resolver.identify(dst));
      if (window !== undefined) addIncoming(window, flow, viaGateway);
    }
  }

  /** Whether a (pod) source is an ingress gateway; remembered per workload, without resolving one not met yet. */
  private isIngressGateway(src: Endpoint, identified?: WorkloadIdentity): boolean {
    const { resolver, settings } = this.options;
    const identity = identified ?? resolver.peek(src);
    if (identity === undefined) return settings.isIngressGateway(workloadKey(src));
    return (identity.ingressGateway ??= settings.isIngressGateway(identity.key));
  }

  /**
   * What the flow's destination is to its source: a workload's identity as it is, else the
   * FQDN or address in a scratch object (addOutgoing copies what it keeps): no object per record.
   */
  private peerOf(flow: FlowRecord, srcKey: string): PeerIdentity {
    const dst = flow.dst;
    if (dst.kind === 'pod' || dst.kind === 'host' || dst.kind === 'networkset') return this.options.resolver.identify(dst);
    let fqdn = flow.dstFqdns[0];
    if (fqdn === undefined && dst.ip !== undefined) fqdn = this.dns.lookup(srcKey, dst.ip, flow.windowEnd);
    const external = this.externalPeer;
    external.key = fqdn ?? dst.ip ?? dst.workload;
    external.fqdn = fqdn;
    return external;
  }

  private readonly externalPeer: { key: string; fqdn: string | undefined } = { key: '', fqdn: undefined };

  private addDnsRecord(dns: DnsRecord, bucket: number): void {
    if (dns.client.kind !== 'pod') return;
    const window = this.window(bucket, this.options.resolver.identify(dns.client));
    if (window === undefined) return;
    this.dns.observe(dns, window.key);
    addDns(window, dns);
  }

  private closeUpTo(watermark: number): Alert[] {
    const windowMs = this.options.settings.windowMs;
    const ready = [...this.open.keys()].filter((bucket) => bucket + windowMs <= watermark).sort((a, b) => a - b);
    const alerts: Alert[] = [];
    const started = ready.length > 0 ? performance.now() : 0;
    for (const bucket of ready) {
      const windows = this.open.get(bucket)!;
      this.open.delete(bucket);
      this.openWindows -= windows.size;
      const findings: Finding[] = [];
      // Every workload of the window is as recent as any other: touched before judging, so the
      // evictions new workloads cause fall on workloads idle in this window.
      for (const key of windows.keys()) this.baselines.get(key);
      for (const window of windows.values()) {
        findings.push(...this.judge(window, windows));
        this.options.onWindow?.(window, this.baselines.peek(window.key));
      }
      this.stats.findings += findings.length;
      if (findings.length > 0) this.options.onFindings?.(findings);
      alerts.push(...this.options.lifecycle.accept(findings));
      alerts.push(...this.options.lifecycle.advance(bucket + windowMs));
      this.closedUpTo = Math.max(this.closedUpTo, bucket + windowMs);
    }
    if (ready.length > 0) this.stats.judgingMs += performance.now() - started;
    if (ready.length === 0 && Number.isFinite(watermark) && watermark > this.closedUpTo) {
      this.closedUpTo = Math.floor(watermark / windowMs) * windowMs;
    }
    return alerts;
  }

  private judge(window: WindowStats, bucket: Map<string, WindowStats>): Finding[] {
    this.stats.windowsClosed++;
    // Touched already, with the rest of its window (closeUpTo).
    let baseline = this.baselines.peek(window.key);
    const fresh = baseline === undefined;
    baseline ??= createBaseline(window.key, window.workload, window.start);
    const { learningMs, learningWindows, settings } = this.options;
    const learned = baseline.windows >= learningWindows && window.start - baseline.firstSeen >= learningMs;
    const ctx = { baseline, learned, peerGroups: this.peerGroups, settings };
    const findings: Finding[] = [];
    for (const { detector, params } of this.options.detectors) findings.push(...detector.evaluate(window, ctx, params));
    this.peerGroups.update(window, baseline);
    updateBaseline(baseline, window);
    if (!fresh) this.baselines.reweigh(window.key);
    else if (this.baselines.wouldEvict(baselineBytes(baseline)) && bucket.has(this.baselines.oldestKey()!)) this.stats.baselinesNotKept++;
    else this.baselines.set(window.key, baseline);
    return findings;
  }

  private async emit(alerts: Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    this.stats.alertsEmitted += alerts.length;
    for (const sink of this.options.sinks) await sink.write(alerts);
  }
}
