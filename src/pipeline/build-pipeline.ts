import type { Readable } from 'node:stream';
import type { Kafka } from 'kafkajs';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { AlertsFile } from '../alerts/alerts-file.ts';
import type { AlertSink } from '../alerts/alert-sink.ts';
import { ConsoleAlerts } from '../alerts/console-alerts.ts';
import type { DeadLetter, DeadLetterSink } from '../sinks/dead-letter.ts';
import { eventTime } from '../model/normalized-record.ts';
import { DeadLetterFile } from '../sinks/dead-letter-file.ts';
import { DeadLetterTopic } from '../sinks/dead-letter-kafka.ts';
import { AlertmanagerSink } from '../sinks/alertmanager.ts';
import { FaroSink } from '../sinks/faro.ts';
import { KafkaAlertSink } from '../sinks/kafka-alerts.ts';
import { ensureTopic } from '../sinks/kafka-topic.ts';
import type { WindowStats } from '../baseline/window-stats.ts';
import type { WorkloadBaseline } from '../baseline/workload-baseline.ts';
import type { Finding } from '../model/alert.ts';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import { RecordsFile } from '../sinks/records-file.ts';
import { FileSource } from '../sources/file-source.ts';
import { createKafka } from '../sources/kafka-client.ts';
import { KafkaSource } from '../sources/kafka-source.ts';
import type { Source } from '../sources/types.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { MeteredSink, PipelineMetrics } from '../telemetry/pipeline-metrics.ts';
import { buildDetection } from './build-detection.ts';
import type { DetectionStage, DetectionView } from './detection-stage.ts';
import { DetectionTasks } from '../state/detection-tasks.ts';
import { RepartitionWriter } from '../state/repartition-writer.ts';
import { ensureStateTopics, stateTopics } from '../state/state-topics.ts';
import { defaultStateBudgetMb } from '../baseline/state-budget.ts';
import { replayMerged } from './event-time-merge.ts';
import { Ingest } from './ingest.ts';
import type { RecordStage } from './record-stage.ts';

export const DEFAULT_DEAD_LETTER_TOPIC = 'flowhound-dead-letter';
export const DEFAULT_DEAD_LETTER_FILE = 'flowhound-dead-letter.jsonl';

export interface BuildOptions {
  logger: Logger;
  /** `--dead-letter FILE`: wins over the config's dead_letter section. */
  deadLetterFile?: string;
  /** `--records-out FILE`: normalised records as JSON lines. */
  recordsOut?: string;
  /** Extra stages (tests use a MemoryStage). */
  stages?: RecordStage[];
  clock?: () => number;
  stdin?: Readable;
  /** `--alerts-out FILE`: alerts as JSON lines. */
  alertsOut?: string;
  /** Print readable alerts on stdout. */
  printAlerts?: boolean;
  /** Extra alert sinks (tests use a MemoryAlertSink). */
  alertSinks?: AlertSink[];
  /** Replay: read all file sources as one stream merged in event time. */
  mergeFilesByEventTime?: boolean;
  /** Replay: passes over the files (`--loop`); 0 = until stopped. */
  loops?: number;
  /** Replay: only records with event time in [from, until] (epoch ms). */
  eventTimeRange?: { from: number; until: number };
  /** Metrics to feed (the CLI creates them when /metrics is served). */
  metrics?: PipelineMetrics;
}

/** A pipeline built from its config: sources feeding one Ingest, which owns the sinks. */
export interface BuiltPipeline {
  readonly ingest: Ingest;
  readonly sources: Source[];
  readonly deadLetter: DeadLetterSink;
  /** What metrics and summaries read: the in-process stage, or this member's detection tasks. */
  readonly detection: DetectionView;
  /** The detection tier, when state is durable on Kafka (`state.enabled` with Kafka sources). */
  readonly tasks: DetectionTasks | undefined;
  /** The in-process detection stage, otherwise (replays). */
  readonly stage: DetectionStage | undefined;
  /** Runs every source until its input ends (files) or `stop()` (Kafka), then closes the sinks. */
  run(): Promise<void>;
  stop(): Promise<void>;
  /** For /readyz: true once every source is consuming and its state is restored. */
  ready(): boolean;
}

export function buildPipeline(config: PipelineConfig, options: BuildOptions): BuiltPipeline {
  const { logger } = options;
  let kafka: Kafka | undefined;
  const kafkaClient = () => {
    if (config.kafka === undefined) throw new Error('unreachable: the schema requires kafka: for Kafka sources');
    kafka ??= createKafka(config.kafka, logger);
    return kafka;
  };

  let detectionStage: DetectionStage | undefined;
  // Durable, partitioned state: the ingest tier re-keys records into the repartition topic and
  // the detection tier (DetectionTasks) judges them, its state committed on Kafka.
  const durable = config.state.enabled && options.mergeFilesByEventTime !== true && Object.values(config.sources).some((s) => s.type === 'kafka');
  const topics = stateTopics(config);
  const writer = durable ? new RepartitionWriter({ kafka: kafkaClient(), topic: topics.repartition, partitions: topics.partitions, transactionalIdPrefix: topics.prefix, logger }) : undefined;
  const sources: Source[] = Object.entries(config.sources).map(([id, source]) => {
    const cluster = source.cluster ?? config.cluster;
    if (source.type === 'file') {
      const fileOptions = { name: id, paths: source.paths, format: source.format, cluster, maxBatchRecords: source.max_batch_records };
      return new FileSource(options.stdin === undefined ? fileOptions : { ...fileOptions, stdin: options.stdin });
    }
    return new KafkaSource({
      name: id,
      kafka: kafkaClient(),
      topics: source.topics,
      groupId: source.group_id ?? `flowhound-${config.name}-${id}`,
      format: source.format,
      cluster,
      fromBeginning: source.from_beginning,
      maxBatchRecords: source.max_batch_records,
      sessionTimeoutMs: source.session_timeout_ms,
      maxBytesPerPartition: source.max_bytes_per_partition,
      logger,
      // The detection stage is built below; partitions are assigned only once the source runs.
      onAssignment: (lanes) => {
        detectionStage?.expectLanes(lanes);
        void writer?.assigned(lanes);
      },
      ...(writer === undefined ? {} : { commit: (groupId: string, topic: string, partition: number, next: string) => writer.commit(groupId, topic, partition, next) }),
    });
  });

  const readsKafka = Object.values(config.sources).some((s) => s.type === 'kafka');
  const deadLetterPath = options.deadLetterFile ?? config.dead_letter.path;
  const deadLetterTopic = config.dead_letter.topic ?? (readsKafka ? DEFAULT_DEAD_LETTER_TOPIC : undefined);
  const deadLetter: DeadLetterSink =
    deadLetterPath === undefined && deadLetterTopic !== undefined
      ? new DeadLetterTopic({ kafka: kafkaClient(), topic: deadLetterTopic, partitions: config.dead_letter.partitions, replicationFactor: config.dead_letter.replication_factor, logger })
      : new DeadLetterFile(deadLetterPath ?? DEFAULT_DEAD_LETTER_FILE);

  const alertSinks: AlertSink[] = [...(options.alertSinks ?? [])];
  const faroSinks: { name: string; config: Extract<PipelineConfig['sinks'][string], { type: 'faro' }> }[] = [];
  let alertsTopic: { topic: string; partitions: number; replicationFactor: number } | undefined;
  for (const [name, sink] of Object.entries(config.sinks)) {
    if (sink.type === 'alertmanager') alertSinks.push(new AlertmanagerSink(name, sink, logger));
    // With durable state, alerts reach the Kafka topic in the transaction that commits them.
    else if (sink.type === 'kafka' && durable) alertsTopic = { topic: sink.topic, partitions: sink.partitions, replicationFactor: sink.replication_factor };
    else if (sink.type === 'kafka') alertSinks.push(new KafkaAlertSink(name, { kafka: kafkaClient(), topic: sink.topic, partitions: sink.partitions, replicationFactor: sink.replication_factor, logger, maxBuffered: 10_000 }));
    else if (sink.type === 'faro') faroSinks.push({ name, config: sink });
    else alertSinks.push(new AlertsFile(sink.path));
  }
  if (options.alertsOut !== undefined) alertSinks.push(new AlertsFile(options.alertsOut, { append: false }));
  if (options.printAlerts === true) alertSinks.push(new ConsoleAlerts());
  // Faro sinks report pipeline measurements, so they read the stages built below.
  let measure: () => Record<string, number> = () => ({});
  for (const { name, config: faro } of faroSinks) {
    alertSinks.push(new FaroSink(name, {
      url: faro.url, maxBuffered: faro.max_buffered, measureIntervalSeconds: faro.measure_interval_seconds, logger,
      measure: () => measure(), ...(faro.api_key === undefined ? {} : { apiKey: faro.api_key }),
    }));
  }
  const metrics = options.metrics;
  if (metrics !== undefined) alertSinks.push(metrics.alertSink());
  // Late records leave detection as dead letters (normalised JSON: their bytes are gone by then).
  let late: DeadLetter[] = [];
  const hooks = {
    onLate: (record: NormalizedRecord) => late.push({
      source: 'detection', origin: { kind: 'record', eventTime: new Date(eventTime(record)).toISOString() }, format: record.format, reason: 'late',
      detail: `event time ${new Date(eventTime(record)).toISOString()} is behind the watermark by more than detection.allowed_lateness_seconds (${config.detection.allowed_lateness_seconds} s)`,
      raw: JSON.stringify(record), rejectedAt: Date.now(),
    }),
    ...(metrics === undefined ? {} : {
      onWindow: (window: WindowStats, baseline: WorkloadBaseline | undefined) => metrics.onWindow(window, baseline),
      onFindings: (findings: Finding[]) => metrics.onFindings(findings),
    }),
  };
  const budgetMb = config.detection.max_state_mb ?? defaultStateBudgetMb();
  const tasks = durable ? new DetectionTasks({
    kafka: kafkaClient(),
    topics,
    groupId: `${topics.prefix}-detection`,
    // The member's budget, shared by the tasks it may run.
    buildStage: (task) => buildDetection(config.detection, [task.sink], { ...hooks, peerGroups: task.peerGroups, part: task.partition, mayClose: task.mayClose, maxStateMb: budgetMb / topics.partitions }),
    sinks: alertSinks,
    ...(alertsTopic === undefined ? {} : { alertsTopic: alertsTopic.topic }),
    checkpointIntervalMs: config.state.checkpoint_interval_ms,
    sessionTimeoutMs: Math.max(...Object.values(config.sources).map((s) => (s.type === 'kafka' ? s.session_timeout_ms : 0))),
    logger,
    afterBatch: () => lateLetters.process([]),
    inputTopics: Object.values(config.sources).flatMap((s) => (s.type === 'kafka' ? s.topics : [])),
  }) : undefined;
  const detection: DetectionStage | undefined = durable ? undefined : buildDetection(config.detection, alertSinks, hooks);
  detectionStage = detection;
  const lateLetters: RecordStage = {
    async process() {
      if (late.length === 0) return;
      const letters = late;
      late = [];
      await deadLetter.write(letters);
      ingest.stats.deadLettered += letters.length;
    },
    async close() {
      await this.process([]);
    },
  };
  const stages = [...(options.stages ?? [])];
  if (options.recordsOut !== undefined) stages.push(new RecordsFile(options.recordsOut));
  stages.push(writer ?? detection!, lateLetters);
  const view: DetectionView = tasks ?? detection!;
  const ingestOptions = {
    deadLetter,
    stages,
    maxRecordBytes: config.limits.max_record_bytes,
    maxFutureSkewMs: config.limits.max_future_skew_seconds * 1000,
  };
  const ingest = new Ingest({
    ...ingestOptions,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(metrics === undefined ? {} : { onBatch: (source: string, seconds: number) => metrics.onBatch(source, seconds) }),
  });
  let lastReceived = 0;
  let lastMeasured = Date.now();
  measure = () => {
    const received = ingest.stats.total(ingest.stats.received);
    const now = Date.now();
    const values = {
      records_per_second: Math.round(((received - lastReceived) * 1000) / Math.max(1, now - lastMeasured)),
      event_time_lag_seconds: Number.isFinite(view.newestEventTime) ? Math.round((now - view.newestEventTime) / 1000) : 0,
      alerts_active: view.activeAlerts().length,
      baselines: view.baselines.size,
    };
    lastReceived = received;
    lastMeasured = now;
    return values;
  };
  if (metrics !== undefined) {
    metrics.observeIngest(ingest, deadLetter instanceof DeadLetterTopic ? 'topic' : 'file');
    metrics.observeDetection(view);
    if (tasks !== undefined) metrics.observeState(tasks);
    metrics.observeKafka(sources.filter((s): s is KafkaSource => s instanceof KafkaSource));
    metrics.observeSinks(alertSinks.filter((s): s is AlertSink & MeteredSink => 'stats' in s && 'name' in s));
  }

  let closed: Promise<void> | undefined;
  let stopped = false;
  let running = false;
  const close = () => (closed ??= ingest.close());
  return {
    ingest,
    sources,
    deadLetter,
    detection: view,
    tasks,
    stage: detection,
    async run() {
      if (deadLetter instanceof DeadLetterTopic) await deadLetter.start();
      if (durable) {
        await ensureStateTopics(kafkaClient(), topics, logger);
        if (alertsTopic !== undefined) await ensureTopic(kafkaClient(), alertsTopic.topic, alertsTopic.partitions, alertsTopic.replicationFactor, logger);
      }
      const files = Object.entries(config.sources).flatMap(([id, source]) =>
        source.type === 'file' ? source.paths.map((path) => ({ path, format: source.format, cluster: source.cluster ?? config.cluster, source: id })) : []);
      running = true;
      try {
        if (options.mergeFilesByEventTime === true && Object.values(config.sources).every((s) => s.type === 'file')) {
          // --loop: the data again and again, each pass shifted past the previous one in event time.
          const loops = options.loops ?? 1;
          let shiftMs = 0;
          for (let pass = 0; (loops === 0 || pass < loops) && !stopped; pass++) {
            const span = await replayMerged(ingest, files, 2_000, { ...options.eventTimeRange, shiftMs });
            if (!Number.isFinite(span.first)) break;
            shiftMs += span.last - span.first + config.detection.window_seconds * 1000;
          }
        } else {
          await Promise.all([...sources.map((source) => source.run((batch) => ingest.handle(batch))), ...(tasks === undefined ? [] : [tasks.run()])]);
        }
      } finally {
        await Promise.all(sources.map((source) => source.stop()));
        await tasks?.stop();
        await writer?.close();
        await close();
      }
    },
    ready() {
      return running && (tasks === undefined || tasks.ready());
    },
    async stop() {
      stopped = true;
      await Promise.all(sources.map((source) => source.stop()));
      await tasks?.stop();
    },
  };
}
