import type { Readable } from 'node:stream';
import type { Kafka } from 'kafkajs';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { AlertsFile } from '../alerts/alerts-file.ts';
import type { AlertSink } from '../alerts/alert-sink.ts';
import { ConsoleAlerts } from '../alerts/console-alerts.ts';
import { defaultStateBudgetMb } from '../baseline/state-budget.ts';
import { buildAlertSinks } from '../sinks/alert-sink-registry.ts';
import type { DeadLetterSink } from '../sinks/dead-letter.ts';
import { DeadLetterFile } from '../sinks/dead-letter-file.ts';
import { DeadLetterTopic } from '../sinks/dead-letter-kafka.ts';
import { ensureTopic } from '../sinks/kafka-topic.ts';
import { RecordsFile } from '../sinks/records-file.ts';
import { createKafka } from '../sources/kafka-client.ts';
import { KafkaSource } from '../sources/kafka-source.ts';
import { buildSource } from '../sources/source-registry.ts';
import type { Source } from '../sources/types.ts';
import { DetectionTasks } from '../state/detection-tasks.ts';
import { RepartitionWriter } from '../state/repartition-writer.ts';
import { ensureStateTopics, stateTopics } from '../state/state-topics.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { MeteredSink, PipelineMetrics } from '../telemetry/pipeline-metrics.ts';
import { buildDetection, type DetectionHooks } from './build-detection.ts';
import type { DetectionStage, DetectionView } from './detection-stage.ts';
import { MergedFilesSource } from '../sources/merged-files-source.ts';
import { Ingest } from './ingest.ts';
import { LateRecords } from './late-records.ts';
import { PipelineMeasurements } from './pipeline-measurements.ts';
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
  /** Replay: called with every flow record's edge-burst score (`--scores-out`, evaluate's ROC-AUC). */
  onScore?: DetectionHooks['onScore'];
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

/**
 * Builds what the config describes, each part after the parts it hands data to: the dead-letter
 * and alert sinks, detection (in process, or the repartition writer and the detection tasks),
 * the ingest that feeds detection, and last the sources that feed the ingest.
 */
export function buildPipeline(config: PipelineConfig, options: BuildOptions): BuiltPipeline {
  const { logger, metrics } = options;
  let kafka: Kafka | undefined;
  const kafkaClient = () => {
    if (config.kafka === undefined) throw new Error('unreachable: the schema requires kafka: for Kafka sources');
    kafka ??= createKafka(config.kafka, logger);
    return kafka;
  };
  const readsKafka = Object.values(config.sources).some((s) => s.type === 'kafka');
  // Durable, partitioned state: the ingest tier re-keys records into the repartition topic and
  // the detection tier (DetectionTasks) judges them, its state committed on Kafka.
  const durable = config.state.enabled && options.mergeFilesByEventTime !== true && readsKafka;
  const topics = stateTopics(config);

  const deadLetterPath = options.deadLetterFile ?? config.dead_letter.path;
  const deadLetterTopic = config.dead_letter.topic ?? (readsKafka ? DEFAULT_DEAD_LETTER_TOPIC : undefined);
  const deadLetter: DeadLetterSink =
    deadLetterPath === undefined && deadLetterTopic !== undefined
      ? new DeadLetterTopic({ kafka: kafkaClient(), topic: deadLetterTopic, partitions: config.dead_letter.partitions, replicationFactor: config.dead_letter.replication_factor, logger })
      : new DeadLetterFile(deadLetterPath ?? DEFAULT_DEAD_LETTER_FILE);

  // Alert sinks in the order detection hands alerts to them: the caller's, the pipeline's, the
  // command line's, then those that report on the pipeline (Faro, metrics).
  const measurements = new PipelineMeasurements();
  const configured = buildAlertSinks(config.sinks, { kafka: kafkaClient, logger, durable, measure: measurements.measure });
  const alertSinks: AlertSink[] = [
    ...(options.alertSinks ?? []),
    ...configured.delivery,
    ...(options.alertsOut === undefined ? [] : [new AlertsFile(options.alertsOut, { append: false })]),
    ...(options.printAlerts === true ? [new ConsoleAlerts()] : []),
    ...configured.telemetry,
    ...(metrics === undefined ? [] : [metrics.alertSink()]),
  ];
  const { alertsTopic } = configured;

  const late = new LateRecords(deadLetter, config.detection.allowed_lateness_seconds);
  const hooks: DetectionHooks = {
    onLate: (record) => late.push(record),
    ...(options.onScore === undefined ? {} : { onScore: options.onScore }),
    ...(metrics === undefined ? {} : {
      onWindow: (window, baseline, learning) => metrics.onWindow(window, baseline, learning),
      onFindings: (findings) => metrics.onFindings(findings),
    }),
  };
  // Detection in process, or (durable) the repartition writer whose topic this member's tasks judge.
  const writer = durable ? new RepartitionWriter({ kafka: kafkaClient(), topic: topics.repartition, partitions: topics.partitions, transactionalIdPrefix: topics.prefix, logger }) : undefined;
  const budgetMb = config.detection.max_state_mb ?? defaultStateBudgetMb();
  const tasks = durable ? new DetectionTasks({
    kafka: kafkaClient(),
    topics,
    groupId: `${topics.prefix}-detection`,
    // The member's budget, shared by the tasks it may run.
    buildStage: (task) => buildDetection(config.detection, [task.sink], { ...hooks, peerGroups: task.peerGroups, part: task.partition, mayClose: task.mayClose, trackChanges: true, maxStateMb: budgetMb / topics.partitions }),
    sinks: alertSinks,
    ...(alertsTopic === undefined ? {} : { alertsTopic: alertsTopic.topic }),
    checkpointIntervalMs: config.state.checkpoint_interval_ms,
    sessionTimeoutMs: Math.max(...Object.values(config.sources).map((s) => (s.type === 'kafka' ? s.session_timeout_ms : 0))),
    logger,
    afterBatch: () => late.process(),
    inputTopics: Object.values(config.sources).flatMap((s) => (s.type === 'kafka' ? s.topics : [])),
  }) : undefined;
  const detection: DetectionStage | undefined = durable ? undefined : buildDetection(config.detection, alertSinks, hooks);
  const view: DetectionView = tasks ?? detection!;

  const stages: RecordStage[] = [
    ...(options.stages ?? []),
    ...(options.recordsOut === undefined ? [] : [new RecordsFile(options.recordsOut)]),
    writer ?? detection!,
    late,
  ];
  const ingest = new Ingest({
    deadLetter,
    stages,
    maxRecordBytes: config.limits.max_record_bytes,
    maxFutureSkewMs: config.limits.max_future_skew_seconds * 1000,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(metrics === undefined ? {} : { onBatch: (source: string, seconds: number) => metrics.onBatch(source, seconds) }),
  });
  late.countIn(ingest.stats);
  measurements.observe(ingest, view);

  // A replay reads every file source as one stream merged in event time; otherwise each source is its own.
  const mergedFiles = options.mergeFilesByEventTime === true && Object.values(config.sources).every((s) => s.type === 'file');
  const files = Object.entries(config.sources).flatMap(([id, source]) =>
    source.type === 'file' ? source.paths.map((path) => ({ path, format: source.format, csv: source.csv, cluster: source.cluster ?? config.cluster, source: id })) : []);
  const sources: Source[] = mergedFiles ? [new MergedFilesSource({
    name: 'files', files, ingest, maxBatchRecords: 2_000,
    ...options.eventTimeRange, loops: options.loops ?? 1, windowMs: config.detection.window_seconds * 1000,
  })] : Object.entries(config.sources).map(([id, source]) => buildSource(id, source, {
    pipeline: config.name,
    kafka: kafkaClient,
    cluster: config.cluster,
    stdin: options.stdin,
    logger,
    onAssignment: (lanes) => {
      detection?.expectLanes(lanes);
      void writer?.assigned(lanes);
    },
    ...(writer === undefined ? {} : { commit: (groupId: string, topic: string, partition: number, next: string) => writer.commit(groupId, topic, partition, next) }),
  }));

  if (metrics !== undefined) {
    metrics.observeIngest(ingest, deadLetter instanceof DeadLetterTopic ? 'topic' : 'file');
    metrics.observeDetection(view);
    if (tasks !== undefined) metrics.observeState(tasks);
    metrics.observeKafka(sources.filter((s): s is KafkaSource => s instanceof KafkaSource));
    metrics.observeSinks(alertSinks.filter((s): s is AlertSink & MeteredSink => 'stats' in s && 'name' in s));
  }

  let closed: Promise<void> | undefined;
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
      running = true;
      try {
        await Promise.all([...sources.map((source) => source.run((batch) => ingest.handle(batch))), ...(tasks === undefined ? [] : [tasks.run()])]);
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
      await Promise.all(sources.map((source) => source.stop()));
      await tasks?.stop();
    },
  };
}
