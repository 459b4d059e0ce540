import type { Attributes, Meter } from '@opentelemetry/api';
import type { AlertSink } from '../alerts/alert-sink.ts';
import type { WindowStats } from '../baseline/window-stats.ts';
import { DETECTOR_NAMES } from '../detectors/registry.ts';
import { CATEGORIES, SEVERITIES, isNewAlert, type Alert, type Finding } from '../model/alert.ts';
import type { WorkloadBaseline } from '../baseline/workload-baseline.ts';
import { namedByAddress } from '../model/workload.ts';
import { robust } from '../baseline/series.ts';
import type { DetectionView } from '../pipeline/detection-stage.ts';
import type { DetectionTasks } from '../state/detection-tasks.ts';
import type { Ingest } from '../pipeline/ingest.ts';
import type { KafkaSource } from '../sources/kafka-source.ts';
import { OTHER, TopWorkloads } from './top-workloads.ts';

/** What a sink reports about its deliveries, for `flowhound_sink_*`. */
export interface DeliveryStats {
  delivered: number;
  failed: number;
  dropped: number;
  buffered: number;
}

export interface MeteredSink {
  readonly name: string;
  readonly stats: DeliveryStats;
}

/**
 * Every flowhound metric (names and labels are documented in the README). Pipeline counters are
 * read from the stages' own counts at scrape time, so the hot path pays nothing; per-workload
 * series are bounded by TopWorkloads. Labels never carry pods, IPs, FQDNs or ports.
 */
export class PipelineMetrics {
  private readonly meter: Meter;
  private readonly top: TopWorkloads;
  private readonly workloadBytes;
  private readonly workloadConnections;
  private readonly findings;
  private readonly workloadFindings;
  private readonly alerts;
  /** Observed vs baseline external bytes of the last window, and known peers, per top-N workload. */
  private readonly windows = new Map<string, { attributes: Attributes; observed: number; median: number; p95: number; peers: number; learning: number }>();
  private readonly batchDuration;
  /** Current anomaly score of firing alerts, per `workload key|detector`. */
  private readonly scores = new Map<string, { attributes: Attributes; score: number }>();

  constructor(meter: Meter, options: { topWorkloads: number }) {
    this.meter = meter;
    this.top = new TopWorkloads(options.topWorkloads);
    this.workloadBytes = meter.createCounter('flowhound_workload_bytes', { unit: 'By', description: 'Bytes sent by a workload, by direction (egress = outside the cluster, east_west = inside); top-N workloads, the rest as workload="other"' });
    this.workloadConnections = meter.createCounter('flowhound_workload_connections', { description: 'Connections of a workload by direction (outbound, inbound); top-N workloads, the rest as workload="other"' });
    this.findings = meter.createCounter('flowhound_findings', { description: 'Detector findings, before deduplication into alerts' });
    this.workloadFindings = meter.createCounter('flowhound_workload_findings', { description: 'Detector findings per workload; top-N workloads, the rest as workload="other"' });
    this.alerts = meter.createCounter('flowhound_alerts', { description: 'New alerts raised' });
    const egressWindow = meter.createObservableGauge('flowhound_workload_egress_window_bytes', { description: 'External bytes out in the last closed window, observed and the workload\'s baseline (stat=observed|median|p95); top-N workloads' });
    egressWindow.addCallback((result) => {
      for (const w of this.windows.values()) {
        result.observe(w.observed, { ...w.attributes, stat: 'observed' });
        result.observe(w.median, { ...w.attributes, stat: 'median' });
        result.observe(w.p95, { ...w.attributes, stat: 'p95' });
      }
    });
    const peers = meter.createObservableGauge('flowhound_workload_known_peers', { description: 'Edges (peer, port, protocol) in the workload\'s baseline; top-N workloads' });
    peers.addCallback((result) => {
      for (const w of this.windows.values()) result.observe(w.peers, w.attributes);
    });
    const learning = meter.createObservableGauge('flowhound_workload_learning_progress', { description: 'How far the workload\'s baseline is through its learning period (0..1; 1 = learned: "never seen" findings are judged against it); top-N workloads' });
    learning.addCallback((result) => {
      for (const w of this.windows.values()) result.observe(w.learning, w.attributes);
    });
    this.batchDuration = meter.createHistogram('flowhound_batch_duration_seconds', {
      unit: 's', description: 'Time to process one batch end to end (decode, dead letters, detection, sinks)',
      advice: { explicitBucketBoundaries: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
    });
    const scores = meter.createObservableGauge('flowhound_anomaly_score', { description: 'Score (0..1) of the firing alert per workload and detector; top-N workloads only' });
    scores.addCallback((result) => {
      for (const { attributes, score } of this.scores.values()) result.observe(score, attributes);
    });
  }

  /** Ingest counters, read at scrape time. */
  observeIngest(ingest: Ingest, deadLetterDestination: 'topic' | 'file'): void {
    const stats = ingest.stats;
    this.counterFrom('flowhound_records_received', 'Messages received from sources', () => [...stats.received].map(([source, n]) => [n, { source }]));
    this.counterFrom('flowhound_records_parsed', 'Messages parsed into normalised records', () =>
      [...stats.parsed].map(([key, n]) => { const [source, format, kind] = key.split('|'); return [n, { source, format, kind }]; }));
    this.counterFrom('flowhound_records_invalid', 'Messages rejected, by reason (each is dead-lettered)', () =>
      [...stats.rejected].map(([key, n]) => { const [source, format, reason] = key.split('|'); return [n, { source, format, reason }]; }));
    this.counterFrom('flowhound_records_skipped', 'Well-formed messages deliberately not turned into records', () =>
      [...stats.skippedBySource].map(([key, n]) => { const [source, reason] = key.split('|'); return [n, { source, reason }]; }));
    this.counterFrom('flowhound_records_dead_lettered', 'Rejected messages written to the dead-letter destination', () => [[stats.deadLettered, { destination: deadLetterDestination }]]);
  }

  onBatch(source: string, seconds: number): void {
    this.batchDuration.record(seconds, { source });
  }

  observeKafka(sources: KafkaSource[]): void {
    const lag = this.meter.createObservableGauge('flowhound_consumer_lag_messages', { description: 'Messages between the last committed offset and the partition high watermark' });
    lag.addCallback((result) => {
      for (const source of sources) for (const [key, n] of source.lag) {
        const [topic, partition] = key.split('|');
        result.observe(n, { source: source.name, topic, partition });
      }
    });
  }

  observeDetection(detection: DetectionView, clock: () => number = Date.now): void {
    this.counterFrom('flowhound_records_late', 'Records that arrived after their window closed (not judged)', () => [[detection.stats.late, {}]]);
    this.counterFrom('flowhound_records_dropped', 'Record sides not counted, by reason (state_budget: too many workload windows open for detection.max_state_mb; workloads with a baseline are always counted)', () => [[detection.stats.droppedStateBudget, { reason: 'state_budget' }]]);
    this.counterFrom('flowhound_windows_judged', 'Workload windows judged by the detectors', () => [[detection.stats.windowsClosed, {}]]);
    this.counterFrom('flowhound_baseline_evictions', 'Workload baselines evicted (least recently active first) to stay within detection.max_state_mb and detection.max_workloads', () => [[detection.baselines.evictions, {}]]);
    this.gaugeFrom('flowhound_state_bytes', 'Bytes of detection state held by workload baselines (estimate), bounded by detection.max_state_mb', () => [[detection.stateBytes, {}]]);
    this.gaugeFrom('flowhound_state_budget_bytes', 'detection.max_state_mb in bytes: baselines are evicted, least recently active first, past it', () =>
      Number.isFinite(detection.stateBudgetBytes) ? [[detection.stateBudgetBytes, {}]] : []);
    this.gaugeFrom('flowhound_baselines', 'Workload baselines held', () => [[detection.baselines.size, {}]]);
    this.gaugeFrom('flowhound_baselines_learning', 'Workload baselines held that are still in their learning period (judged against their role once it has learned)', () => [[detection.learningBaselines(), {}]]);
    this.counterFrom('flowhound_baselines_not_kept', 'New workloads judged on a fresh baseline that was not kept: detection.max_state_mb was full of workloads active in the same window', () => [[detection.stats.baselinesNotKept, {}]]);
    this.gaugeFrom('flowhound_event_time_lag_seconds', 'Wall clock minus the newest event time seen', () =>
      Number.isFinite(detection.newestEventTime) ? [[(clock() - detection.newestEventTime) / 1000, {}]] : []);
    this.gaugeFrom('flowhound_watermark_seconds', 'Event time up to which every window is closed (UNIX seconds)', () =>
      Number.isFinite(detection.watermark) ? [[detection.watermark / 1000, {}]] : []);
    this.counterFrom('flowhound_alerts_rolled_up', 'Findings held back into roll-up alerts during alert storms (detection.alerts.storm)', () => {
      // Every detector, zero included, so a storm shows as a rise rather than a new series.
      const rolledUp = detection.lifecycle.rolledUp;
      return [...new Set([...DETECTOR_NAMES, ...rolledUp.keys()])].map((detector) => [rolledUp.get(detector) ?? 0, { detector }]);
    });
    this.counterFrom('flowhound_alerts_damped', 'Alert re-openings and escalations not sent because the alert flapped past detection.alerts.flap_damping.max_emissions_per_hour', () => {
      const damped = detection.lifecycle.damped;
      return [...new Set([...DETECTOR_NAMES, ...damped.keys()])].map((detector) => [damped.get(detector) ?? 0, { detector }]);
    });
    this.gaugeFrom('flowhound_alerts_active', 'Alerts currently firing', () => {
      // Every category × severity, zero included, so dashboards show 0 rather than "no data".
      const counts = new Map<string, number>();
      for (const category of CATEGORIES) for (const severity of SEVERITIES) counts.set(`${category}|${severity}`, 0);
      for (const alert of detection.activeAlerts()) counts.set(`${alert.category}|${alert.severity}`, (counts.get(`${alert.category}|${alert.severity}`) ?? 0) + 1);
      return [...counts].map(([key, n]) => { const [category, severity] = key.split('|'); return [n, { category, severity }]; });
    });
  }

  /** Durable state: checkpoints (each one Kafka transaction per task), restores, tasks held. */
  observeState(tasks: DetectionTasks): void {
    this.counterFrom('flowhound_state_checkpoints', 'Detection task checkpoints committed (state, input offsets and alerts in one Kafka transaction)', () => [[tasks.checkpoints.checkpoints, {}]]);
    this.counterFrom('flowhound_state_checkpoint_bytes', 'Bytes of state written to the changelog and peer-groups topics by checkpoints', () => [[tasks.checkpoints.bytes, {}]]);
    this.counterFrom('flowhound_state_checkpoint_seconds', 'Time spent in checkpoints (serialising and committing)', () => [[tasks.checkpoints.ms / 1000, {}]]);
    this.counterFrom('flowhound_state_restores', 'Detection tasks restored from their changelog (startup, rebalance, failed checkpoint)', () => [[tasks.restores.tasks, {}]]);
    this.counterFrom('flowhound_state_restore_seconds', 'Time spent restoring detection tasks', () => [[tasks.restores.ms / 1000, {}]]);
    this.gaugeFrom('flowhound_detection_tasks', 'Detection tasks (repartition partitions) this member runs', () => [[tasks.tasks.size, {}]]);
  }

  observeSinks(sinks: MeteredSink[]): void {
    this.counterFrom('flowhound_sink_deliveries', 'Alert deliveries by sink and result', () =>
      sinks.flatMap((s) => [[s.stats.delivered, { sink: s.name, result: 'ok' }], [s.stats.failed, { sink: s.name, result: 'error' }]] as [number, Attributes][]));
    this.counterFrom('flowhound_sink_dropped', 'Alerts a sink dropped because its buffer was full', () => sinks.map((s) => [s.stats.dropped, { sink: s.name }]));
    this.gaugeFrom('flowhound_sink_buffered', 'Alerts waiting in a sink buffer for delivery', () => sinks.map((s) => [s.stats.buffered, { sink: s.name }]));
  }

  /**
   * Per-window volumes, labelled by workload for the top-N and `other` for the rest. Units named
   * by an IP (bare addresses) are never named: no metric is labelled by IP.
   */
  onWindow(window: WindowStats, baseline?: WorkloadBaseline, learning = 1): void {
    const label = namedByAddress(window.workload) ? OTHER : this.top.observe(window.key, window.bytesOut + window.inboundBytes);
    const attributes = this.workloadAttributes(label, window);
    if (label !== OTHER && baseline !== undefined) {
      const history = robust(baseline.externalBytesOut);
      this.windows.set(window.key, { attributes, observed: window.externalBytesOut, median: history.median, p95: history.p95, peers: baseline.peers.size, learning });
    }
    // Workloads that lost their slot stop being reported one by one; the map never outgrows top-N + recent evictions.
    if (this.windows.size > 2 * this.top.limitOfNamed) for (const key of this.windows.keys()) if (this.top.label(key) === OTHER) this.windows.delete(key);
    if (window.externalBytesOut > 0) this.workloadBytes.add(window.externalBytesOut, { ...attributes, direction: 'egress' });
    if (window.internalBytesOut > 0) this.workloadBytes.add(window.internalBytesOut, { ...attributes, direction: 'east_west' });
    if (window.connections > 0) this.workloadConnections.add(window.connections, { ...attributes, direction: 'outbound' });
    if (window.inboundConnections > 0) this.workloadConnections.add(window.inboundConnections, { ...attributes, direction: 'inbound' });
  }

  onFindings(findings: Finding[]): void {
    for (const f of findings) {
      this.findings.add(1, { detector: f.detector });
      const label = this.top.label(`${f.workload.cluster}/${f.workload.namespace}/${f.workload.name}`);
      const attributes = label === OTHER ? { cluster: OTHER, namespace: OTHER, workload: OTHER } : { cluster: f.workload.cluster, namespace: f.workload.namespace, workload: f.workload.name };
      this.workloadFindings.add(1, { ...attributes, detector: f.detector });
    }
  }

  /** An alert sink that counts new alerts and keeps the anomaly-score gauge current. */
  alertSink(): AlertSink {
    return {
      write: async (alerts: Alert[]) => {
        for (const alert of alerts) {
          const key = `${alert.workload.cluster}/${alert.workload.namespace}/${alert.workload.name}|${alert.detector}`;
          if (alert.status === 'resolved') {
            // Kept at 0 (not deleted) so the series shows the alert ended; bounded by top-N × detectors.
            const held = this.scores.get(key);
            if (held !== undefined) held.score = 0;
            continue;
          }
          if (isNewAlert(alert)) this.alerts.add(1, { detector: alert.detector, category: alert.category, technique: alert.technique, severity: alert.severity });
          const label = this.top.label(`${alert.workload.cluster}/${alert.workload.namespace}/${alert.workload.name}`);
          if (label === OTHER) continue;
          this.scores.set(key, { score: alert.score, attributes: { cluster: alert.workload.cluster, namespace: alert.workload.namespace, workload: alert.workload.name, detector: alert.detector } });
        }
      },
      close: async () => {},
    };
  }

  private workloadAttributes(label: string, window: WindowStats): Attributes {
    if (label === OTHER) return { cluster: OTHER, namespace: OTHER, workload: OTHER };
    return { cluster: window.workload.cluster, namespace: window.workload.namespace, workload: window.workload.name };
  }

  private counterFrom(name: string, description: string, read: () => [number, Attributes][]): void {
    this.meter.createObservableCounter(name, { description }).addCallback((result) => {
      for (const [value, attributes] of read()) result.observe(value, attributes);
    });
  }

  private gaugeFrom(name: string, description: string, read: () => [number, Attributes][]): void {
    this.meter.createObservableGauge(name, { description }).addCallback((result) => {
      for (const [value, attributes] of read()) result.observe(value, attributes);
    });
  }
}
