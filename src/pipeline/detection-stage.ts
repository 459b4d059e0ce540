import type { DnsCorrelator } from '../enrich/dns-correlator.ts';
import type { WorkloadIdentity, WorkloadResolver } from '../enrich/workload-resolver.ts';
import type { AlertLifecycle, AlertLifecycleOptions } from '../alerts/alert-lifecycle.ts';
import type { AlertSink } from '../alerts/alert-sink.ts';
import type { LruMap } from '../baseline/bounded.ts';
import { PeerGroups, type PeerView } from '../baseline/peer-groups.ts';
import { addDns, addIncoming, addOutgoing, type PeerIdentity } from '../baseline/window-accumulator.ts';
import { emptyWindow, type WindowStats } from '../baseline/window-stats.ts';
import { baselineBytes, createBaseline, updateBaseline, type WorkloadBaseline } from '../baseline/workload-baseline.ts';
import { DetectionState } from './detection-state.ts';
import type { Detector } from '../detectors/types.ts';
import type { DetectionSettings } from '../detectors/settings.ts';
import type { Alert, Finding } from '../model/alert.ts';
import type { DnsRecord } from '../model/dns-record.ts';
import type { Endpoint, EndpointKind } from '../model/endpoint.ts';
import type { FlowRecord } from '../model/flow-record.ts';
import { eventTime as eventTimeOf, type NormalizedRecord } from '../model/normalized-record.ts';
import { isAddress, UNIT_KINDS, unitKey, unitKind, workloadKey, type UnitKind } from '../model/workload.ts';
import type { RecordStage } from './record-stage.ts';
import { connectionsOf, type EdgeBurstConfig } from '../scoring/flow-burst-scoring.ts';
import { hashString } from '../baseline/hash.ts';

export interface EnabledDetector {
  detector: Detector<object>;
  params: object;
}

export interface DetectionStageOptions {
  detectors: EnabledDetector[];
  settings: DetectionSettings;
  resolver: WorkloadResolver;
  lifecycle: AlertLifecycleOptions;
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
  /**
   * Called with every workload window as it closes, judged and learned (metrics read volumes
   * from it): its baseline (if kept) and how far that is through learning (0..1).
   */
  onWindow?: (window: WindowStats, baseline: WorkloadBaseline | undefined, learning: number) => void;
  /** Called with every batch of findings (metrics keep the current anomaly scores). */
  onFindings?: (findings: Finding[]) => void;
  /**
   * Per-record edge-burst scoring (MIDAS-R) with the thresholds at which a record counts as a
   * burst in its initiator's window; absent: flows are not scored.
   */
  edgeBurst?: EdgeBurstConfig & { burst_score: number; burst_count: number };
  /** Called with every flow record this stage scores (once per record: on its initiator's side), and its score. */
  onScore?: (flow: FlowRecord, score: number) => void;
  /** A lane silent for this long (wall clock) no longer holds the watermark back. */
  idleLaneMs?: number;
  /** Wall clock, only for lane idleness. */
  clock?: () => number;
  /** The role view shared by every detection task of the process (default: this stage's own). */
  peerGroups?: PeerGroups;
  /** This task's part of the role view (its repartition partition; 0 alone). */
  part?: number;
  /** Track what changed for checkpoints (durable tasks only). */
  trackChanges?: boolean;
  /**
   * Whether every other task has closed its windows before `asOf` (absent: alone). A window
   * is judged against the role view of the windows before `asOf` (ROLE_VIEW_DELAY_WINDOWS before
   * it), so it waits until they are all in.
   */
  mayClose?: (asOf: number) => boolean;
}

/**
 * A window is judged against the role view of the windows that closed at least this many
 * windows before it (1 = every earlier window). More than 1 lets tasks on different members
 * run that many windows apart without waiting for each other (see mayClose), at the price of
 * a role view that is that much older.
 */
export const ROLE_VIEW_DELAY_WINDOWS = 6;

const WORKLOADS_ONLY: readonly UnitKind[] = ['workload'];

/** Which side(s) of a flow a task counts: a flow between two workloads goes to each one's task. */
export const SIDE = { src: 1, dst: 2, both: 3, dnsGlobal: 4 } as const;

/** Endpoint kinds whose end reports flows itself (Calico `wep` / `hep`, Hubble pods and hosts). */
const REPORTING_KINDS: Readonly<Record<EndpointKind, boolean>> = { pod: true, host: true, networkset: false, public: false, private: false, unknown: false };

/**
 * The sides of a flow whose unit may count it (SIDE bits), and the key of each unit: what the
 * ingest tier routes to the units' tasks; the task decides from the reporter what it counts
 * (DetectionStage.addFlow). A pod's side from the other end's report only when that end never
 * reports; a host, network set or address for what it initiates, and for what it receives from
 * another endpoint that is not a pod.
 */
export function flowUnitSides(flow: FlowRecord): { sides: number; srcKey: string | undefined; dstKey: string | undefined } {
  const { src, dst, reporter } = flow;
  let sides = 0;
  const srcKey = src.kind === 'pod' ? (reporter !== 'dst' || !REPORTING_KINDS[dst.kind] ? workloadKey(src) : undefined) : unitKey(src);
  if (srcKey !== undefined) sides |= SIDE.src;
  const dstKey = dst.kind === 'pod' ? (reporter !== 'src' || !REPORTING_KINDS[src.kind] ? workloadKey(dst) : undefined) : src.kind === 'pod' ? undefined : unitKey(dst);
  if (dstKey !== undefined) sides |= SIDE.dst;
  return { sides, srcKey, dstKey };
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

/** What metrics and summaries read of detection: one stage, or every task of a member. */
export interface DetectionView {
  readonly stats: DetectionStats;
  readonly baselines: { readonly size: number; readonly evictions: number };
  readonly stateBytes: number;
  readonly stateBudgetBytes: number;
  readonly newestEventTime: number;
  readonly watermark: number;
  readonly lifecycle: { readonly rolledUp: Map<string, number>; readonly damped: Map<string, number> };
  activeAlerts(): Alert[];
  /** Baselines held that are still learning (judged against their role, if it has learned). */
  learningBaselines(): number;
}

/**
 * State + detectors, in event time. Records are folded into per-workload tumbling windows;
 * when the watermark (newest event time − allowed lateness) passes a window's end, each
 * workload's window is judged by every detector against its baseline, then learned.
 */
export class DetectionStage implements RecordStage, DetectionView {
  readonly stats: DetectionStats = { late: 0, windowsClosed: 0, judgingMs: 0, droppedStateBudget: 0, baselinesNotKept: 0, findings: 0, alertsEmitted: 0 };
  readonly peerGroups: PeerGroups;
  readonly state: DetectionState;
  private readonly options: DetectionStageOptions;
  /** The enabled detectors that judge each kind of unit (Detector.units). */
  private readonly detectorsFor: Record<UnitKind, EnabledDetector[]>;
  private readonly maxOpenWindows: number;
  private readonly idleLaneMs: number;
  private readonly clock: () => number;

  constructor(options: DetectionStageOptions) {
    this.options = options;
    this.detectorsFor = Object.fromEntries(UNIT_KINDS.map((kind) => [kind, options.detectors.filter(({ detector }) => (detector.units ?? WORKLOADS_ONLY).includes(kind))])) as Record<UnitKind, EnabledDetector[]>;
    this.peerGroups = options.peerGroups ?? new PeerGroups();
    this.state = new DetectionState({ maxWorkloads: options.maxWorkloads, ...(options.maxStateBytes === undefined ? {} : { maxStateBytes: options.maxStateBytes }), lifecycle: options.lifecycle, peers: this.peerGroups.part(options.part ?? 0), trackChanges: options.trackChanges === true, ...(options.edgeBurst === undefined ? {} : { edgeBurst: options.edgeBurst }) });
    this.maxOpenWindows = options.maxOpenWindows ?? Number.POSITIVE_INFINITY;
    this.idleLaneMs = options.idleLaneMs ?? 30_000;
    this.clock = options.clock ?? Date.now;
  }

  get baselines(): LruMap<string, WorkloadBaseline> {
    return this.state.baselines;
  }

  get dns(): DnsCorrelator {
    return this.state.dns;
  }

  /** Event time up to which every window is closed. */
  get watermark(): number {
    return this.state.closedUpTo;
  }

  /** Newest event time seen, epoch ms (−∞ before the first record). */
  get newestEventTime(): number {
    return this.state.newest;
  }

  /** Bytes of workload baselines held (what `maxStateBytes` bounds). */
  get stateBytes(): number {
    return this.state.baselines.weight;
  }

  /** The bound on `stateBytes` (∞ when unbounded). */
  get stateBudgetBytes(): number {
    return this.options.maxStateBytes ?? Number.POSITIVE_INFINITY;
  }

  /** Alerts still firing. */
  activeAlerts(): Alert[] {
    return this.state.lifecycle.active();
  }

  learningBaselines(): number {
    let n = 0;
    for (const baseline of this.state.baselines.map.values()) if (this.learningProgress(baseline, baseline.lastSeen) < 1) n++;
    return n;
  }

  /** How far a baseline is through its learning period as of `at` (0..1; 1 = learned). */
  learningProgress(baseline: WorkloadBaseline, at: number): number {
    const { learningMs, learningWindows } = this.options;
    const byWindows = learningWindows === 0 ? 1 : baseline.windows / learningWindows;
    const byTime = learningMs === 0 ? 1 : (at - baseline.firstSeen) / learningMs;
    return Math.max(0, Math.min(1, byWindows, byTime));
  }

  /** The alert lifecycle, for its counts (metrics). */
  get lifecycle(): AlertLifecycle {
    return this.state.lifecycle;
  }

  async process(records: NormalizedRecord[], laneName = 'default', _originals?: unknown, sides?: Uint8Array): Promise<void> {
    const now = this.clock();
    const lane = this.lane(laneName, now);
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      this.add(record, sides === undefined ? SIDE.both : sides[i]!);
      const time = eventTimeOf(record);
      // Close windows as soon as the watermark passes them, not at the end of the batch:
      // the time to detect must not depend on how records were batched.
      if (time > lane.newest) await this.advanceLane(lane, time, now);
    }
  }

  /**
   * A lane reached `time` without a record for this task (the ingest tier says so to every
   * task, so a task whose workloads are quiet still closes its windows).
   */
  async progress(laneName: string, time: number): Promise<void> {
    const now = this.clock();
    const lane = this.lane(laneName, now);
    if (time > lane.newest) await this.advanceLane(lane, time, now);
  }

  /** Closes what other tasks held back (mayClose), once they have caught up. */
  async retryClose(): Promise<void> {
    // From the lanes (restored with the state), not from the last record: a restored task may get no more.
    const watermark = this.laneWatermark(this.clock()) - this.options.allowedLatenessMs;
    if (watermark >= this.state.closedUpTo + this.options.settings.windowMs) await this.emit(this.closeUpTo(watermark));
  }

  private lane(name: string, now: number): { newest: number; seenAt: number } {
    let lane = this.state.lanes.get(name);
    if (lane === undefined) this.state.lanes.set(name, (lane = { newest: Number.NEGATIVE_INFINITY, seenAt: now }));
    lane.seenAt = now;
    return lane;
  }

  private async advanceLane(lane: { newest: number }, time: number, now: number): Promise<void> {
    lane.newest = time;
    if (time > this.state.newest) this.state.newest = time;
    const watermark = this.laneWatermark(now) - this.options.allowedLatenessMs;
    if (watermark >= this.state.closedUpTo + this.options.settings.windowMs) await this.emit(this.closeUpTo(watermark));
  }

  /**
   * Lanes that will deliver records (a consumer's assigned partitions): until each has
   * delivered, the watermark waits for it rather than making its records late.
   */
  expectLanes(names: string[]): void {
    const now = this.clock();
    for (const name of names) if (!this.state.lanes.has(name)) this.state.lanes.set(name, { newest: Number.NEGATIVE_INFINITY, seenAt: now });
  }

  /**
   * Event time every active lane has reached: the slowest lane's newest record. Kafka
   * partitions are consumed one batch at a time, so a fast partition must not make a slow
   * one's records late. Lanes silent (wall clock) for idleLaneMs stop holding it back.
   */
  private laneWatermark(now: number): number {
    let slowest = Number.POSITIVE_INFINITY;
    for (const lane of this.state.lanes.values()) {
      if (now - lane.seenAt > this.idleLaneMs) continue;
      if (lane.newest < slowest) slowest = lane.newest;
    }
    return slowest === Number.POSITIVE_INFINITY ? this.state.newest : slowest;
  }

  /** Closes every open window (end of a replay) and flushes the sinks. */
  async close(): Promise<void> {
    await this.emit(this.closeUpTo(Number.POSITIVE_INFINITY));
    for (const sink of this.options.sinks) await sink.close();
  }

  private add(record: NormalizedRecord, side: number): void {
    const windowMs = this.options.settings.windowMs;
    // By event time (the end of an aggregation window): Calico's flush windows are not aligned
    // to ours, and a window must not close before the records that end inside it arrive.
    const time = record.kind === 'flow' ? record.windowEnd : record.time;
    const bucket = Math.floor((time - 1) / windowMs) * windowMs;
    if (bucket < this.state.closedUpTo) {
      // A DNS answer for other tasks' clients only feeds the shared table: not this task's to count.
      if (side === SIDE.dnsGlobal) return;
      this.stats.late++;
      this.options.onLate?.(record);
      return;
    }
    if (time > this.state.newest) this.state.newest = time;
    if (record.kind === 'flow') this.addFlow(record, bucket, side);
    else if (side === SIDE.dnsGlobal) this.state.dns.observeGlobal(record);
    else this.addDnsRecord(record, bucket);
  }

  /** The workload's open window of `bucket`; undefined (counted) past maxOpenWindows for a workload without a baseline. */
  private window(bucket: number, identity: WorkloadIdentity): WindowStats | undefined {
    const { state } = this;
    let windows = state.open.get(bucket);
    if (windows === undefined) state.open.set(bucket, (windows = new Map()));
    let window = windows.get(identity.key);
    if (window === undefined) {
      if (state.openWindows >= this.maxOpenWindows && state.baselines.peek(identity.key) === undefined) {
        this.stats.droppedStateBudget++;
        return undefined;
      }
      window = emptyWindow(identity.key, identity.workload, bucket, bucket + this.options.settings.windowMs);
      windows.set(identity.key, window);
      state.openWindows++;
    }
    state.openChanged(identity.key);
    return window;
  }

  private addFlow(flow: FlowRecord, bucket: number, side: number): void {
    const { src, dst, reporter } = flow;
    const { resolver } = this.options;
    // Each side's identity is looked up once per record, whichever windows it is used for.
    let srcIdentity: WorkloadIdentity | undefined;
    let dstIdentity: WorkloadIdentity | undefined;
    if ((side & SIDE.src) !== 0) {
      // Calico and Hubble report a flow from each end that is a pod or host: a pod's side is
      // counted from its own report, and from the other end's only when that end never reports.
      if (src.kind !== 'pod') srcIdentity = this.nonPodUnit(src, 'src', reporter);
      else if (reporter !== 'dst' || !REPORTING_KINDS[dst.kind]) srcIdentity = resolver.identify(src);
      if (srcIdentity !== undefined) dstIdentity = this.addInitiator(flow, bucket, srcIdentity);
    }
    if ((side & SIDE.dst) === 0) return;
    if (dst.kind === 'pod') {
      if (reporter === 'src' && REPORTING_KINDS[src.kind]) return;
      const viaGateway = src.kind === 'pod' && this.isIngressGateway(src, srcIdentity);
      const window = this.window(bucket, dstIdentity ?? resolver.identify(dst));
      if (window !== undefined) addIncoming(window, flow, viaGateway);
    } else if (src.kind !== 'pod') {
      // What a pod sends is judged at the pod: the hosts and addresses it reaches are units
      // for what they initiate, and for what they receive only from other such endpoints.
      const identity = this.nonPodUnit(dst, 'dst', reporter);
      const window = identity === undefined ? undefined : this.window(bucket, identity);
      if (window !== undefined) addIncoming(window, flow, false);
    }
  }

  /**
   * The initiator's side of a record, where it counts: scored once (the same records in one
   * process and in the detection task that holds the initiator), then folded into its window.
   * Returns the destination's identity when it is a pod (resolved once, reused by the caller).
   */
  private addInitiator(flow: FlowRecord, bucket: number, source: WorkloadIdentity): WorkloadIdentity | undefined {
    const { resolver } = this.options;
    const { dst } = flow;
    const destination = dst.kind === 'pod' ? resolver.identify(dst) : undefined;
    const scoring = this.state.burst;
    if (scoring !== undefined) {
      const score = scoring.scoreHashed(flow, (source.keyHash ??= hashString(source.key)), destination === undefined ? hashString(dst.ip ?? flow.dstFqdns[0] ?? dst.workload) : (destination.keyHash ??= hashString(destination.key)));
      this.state.burstChanged = true;
      this.options.onScore?.(flow, score);
    }
    const window = this.window(bucket, source);
    if (window === undefined) return destination;
    if (scoring !== undefined) this.noteBurst(window, flow, scoring.sourceSide);
    addOutgoing(window, flow, destination ?? this.peerOf(flow, window.key));
    return destination;
  }

  /** A scored record in its initiator's window: the highest source-side score, and the connections of burst records. */
  private noteBurst(window: WindowStats, flow: FlowRecord, side: { score: number; current: number }): void {
    if (side.score > window.burstMax) window.burstMax = side.score;
    const thresholds = this.options.edgeBurst!;
    if (side.score >= thresholds.burst_score && side.current >= thresholds.burst_count) window.burstConnections += connectionsOf(flow);
  }

  /**
   * The unit of a side that is not a pod, if this record counts for it: a host that reports its
   * own flows (seen as a record's reporter, remembered) is counted from its own reports only,
   * so a flow both ends report is counted once; any other endpoint from whichever end reported.
   */
  private nonPodUnit(endpoint: Endpoint, end: 'src' | 'dst', reporter: FlowRecord['reporter']): WorkloadIdentity | undefined {
    const identity = this.options.resolver.unit(endpoint);
    if (identity === undefined || endpoint.kind !== 'host' || reporter === 'unknown') return identity;
    if (reporter === end) {
      this.state.reportingHost(identity.key);
      return identity;
    }
    return this.state.reportsItself(identity.key) ? undefined : identity;
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
    if (fqdn === undefined && dst.ip !== undefined) fqdn = this.state.dns.lookup(srcKey, dst.ip, flow.windowEnd);
    const external = this.externalPeer;
    external.key = fqdn ?? dst.ip ?? dst.workload;
    external.fqdn = fqdn;
    return external;
  }

  private readonly externalPeer: { key: string; fqdn: string | undefined } = { key: '', fqdn: undefined };

  private addDnsRecord(dns: DnsRecord, bucket: number): void {
    const identity = this.options.resolver.unit(dns.client);
    if (identity === undefined) return;
    const window = this.window(bucket, identity);
    if (window === undefined) return;
    this.state.dns.observe(dns, window.key);
    addDns(window, dns);
  }

  private closeUpTo(watermark: number): Alert[] {
    const windowMs = this.options.settings.windowMs;
    const { state } = this;
    const ready = [...state.open.keys()].filter((bucket) => bucket + windowMs <= watermark).sort((a, b) => a - b);
    const alerts: Alert[] = [];
    const started = ready.length > 0 ? performance.now() : 0;
    let waiting = false;
    for (const bucket of ready) {
      const viewAsOf = bucket - (ROLE_VIEW_DELAY_WINDOWS - 1) * windowMs;
      if (this.options.mayClose !== undefined && !this.options.mayClose(viewAsOf)) {
        // Everything before this bucket is closed; it waits for the other tasks (retryClose).
        state.closedUpTo = Math.max(state.closedUpTo, bucket);
        waiting = true;
        break;
      }
      const windows = state.open.get(bucket)!;
      state.open.delete(bucket);
      state.openWindows -= windows.size;
      const findings: Finding[] = [];
      // Every workload of the window is as recent as any other: touched before judging, so the
      // evictions new workloads cause fall on workloads idle in this window.
      for (const key of windows.keys()) state.touchBaseline(key);
      // Judged against the role view of the windows before this one: the same however the
      // workloads are spread over tasks and in whatever order the tasks close this window.
      const peerGroups = this.peerGroups.at(viewAsOf);
      for (const window of windows.values()) {
        findings.push(...this.judge(window, windows, peerGroups));
        if (this.options.onWindow !== undefined) {
          const baseline = state.baselines.peek(window.key);
          this.options.onWindow(window, baseline, baseline === undefined ? 0 : this.learningProgress(baseline, window.end));
        }
        state.openChanged(window.key);
      }
      this.stats.findings += findings.length;
      if (findings.length > 0) this.options.onFindings?.(findings);
      alerts.push(...state.lifecycle.accept(findings));
      alerts.push(...state.lifecycle.advance(bucket + windowMs));
      state.closedUpTo = Math.max(state.closedUpTo, bucket + windowMs);
    }
    if (ready.length > 0) this.stats.judgingMs += performance.now() - started;
    if (!waiting && ready.length === 0 && Number.isFinite(watermark) && watermark > state.closedUpTo) {
      state.closedUpTo = Math.floor(watermark / windowMs) * windowMs;
    }
    return alerts;
  }

  private judge(window: WindowStats, bucket: Map<string, WindowStats>, peerGroups: PeerView): Finding[] {
    this.stats.windowsClosed++;
    const { state } = this;
    // Touched already, with the rest of its window (closeUpTo).
    let baseline = state.baselines.peek(window.key);
    const fresh = baseline === undefined;
    baseline ??= createBaseline(window.key, window.workload, window.start);
    const { learningMs, learningWindows, settings } = this.options;
    const learned = baseline.windows >= learningWindows && window.start - baseline.firstSeen >= learningMs;
    const roleSince = peerGroups.roleSince(window.workload.role);
    const roleLearned = roleSince !== undefined && window.start - roleSince >= learningMs;
    const ctx = { baseline, learned, roleLearned, peerGroups, settings };
    const findings: Finding[] = [];
    const kind = unitKind(window.workload);
    for (const { detector, params } of this.detectorsFor[kind]) findings.push(...detector.evaluate(window, ctx, params));
    // Internet addresses have no role to speak of: they stay out of the role view (and its topic).
    if (kind !== 'external') state.peers.update(window, baseline);
    updateBaseline(baseline, window);
    state.baselineChanged(window.key);
    if (!fresh) state.baselines.reweigh(window.key);
    else if (state.baselines.wouldEvict(baselineBytes(baseline)) && !this.makeRoomFor(kind, bucket)) this.stats.baselinesNotKept++;
    else {
      state.baselines.set(window.key, baseline);
      if (isAddress(kind)) state.keptAddress(window.key);
    }
    return findings;
  }

  /**
   * Whether a new unit's baseline may take the room of the least recently active one: not of one
   * active in the same window (a burst of newcomers must not evict each other's peers). A bare
   * address (a public endpoint's clients, an attacker inventing IPs) takes the room of the least
   * recently active address instead, evicted here, and never a workload's, host's or network
   * set's: addresses churn, and evicting a nightly job's baseline for one would make its next
   * run look new.
   */
  private makeRoomFor(kind: UnitKind, bucket: Map<string, WindowStats>): boolean {
    const { baselines } = this.state;
    const oldest = baselines.oldestKey()!;
    if (bucket.has(oldest)) return false;
    if (!isAddress(kind) || isAddress(unitKind(baselines.peek(oldest)!.workload))) return true;
    const address = this.state.oldestAddress();
    if (address === undefined || bucket.has(address)) return false;
    return baselines.evict(address);
  }

  private async emit(alerts: Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    this.stats.alertsEmitted += alerts.length;
    for (const sink of this.options.sinks) await sink.write(alerts);
  }
}
