import type { Kafka } from 'kafkajs';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { FlowhoundError } from '../errors.ts';
import { RECORD_FORMATS, type FormatOption, type RecordFormat } from '../model/record-format.ts';
import type { CsvOptions } from '../parsers/csv-flow.ts';
import { ensureTopic } from '../sinks/kafka-topic.ts';
import type { Logger } from '../telemetry/logger.ts';
import { OrderedProducer } from './ordered-producer.ts';
import { ReplayReader } from './replay-reader.ts';

export interface KafkaReplayOptions {
  kafka: Kafka;
  config: PipelineConfig;
  files: string[];
  /** Messages per second (0 = as fast as the broker takes them). */
  rate: number;
  /** Times event time (0 = not paced by event time). */
  speed: number;
  /** Event-time bounds, epoch ms. */
  from: number;
  until: number;
  logger: Logger;
  /** Every 1,000 messages: sent so far, the event time reached, input bytes read. */
  onProgress?: (sent: number, eventTime: number, bytesRead: number) => void;
  /** Messages per produce request and partition (default 2,000). */
  batchSize?: number;
  /** Produce requests in flight across partitions (default 8). */
  maxInFlight?: number;
  /** Format of the files (default auto) and CSV settings (`--format`, `--csv-columns`). */
  format?: FormatOption;
  csv?: CsvOptions | undefined;
}

/**
 * Produces files into the pipeline's Kafka topics in their original format (the lines as they
 * are; an Arrow dataset's stored original lines), merged in event time, keyed by the initiating
 * workload so each workload's records stay in one partition, batched and gzip-compressed as a
 * shipper would. Lines without a record are produced too (unkeyed): the consumer's dead-letter
 * path is part of what a replay rehearses. Reading and routing run on a worker thread.
 */
export async function replayIntoKafka(options: KafkaReplayOptions): Promise<{ sent: number; skipped: number; seconds: number }> {
  const topicFor = topicRouter(options.config);
  const topicOfCode = RECORD_FORMATS.map((format) => topicFor(format));
  const unknownTopic = topicFor(undefined);
  const topics = [...new Set(Object.values(options.config.sources).flatMap((s) => (s.type === 'kafka' ? s.topics : [])))];
  // The reader starts first: its worker loads and reads ahead while topics and the producer are set up.
  const reader = new ReplayReader({ files: options.files, cluster: options.config.cluster, from: options.from, until: options.until, batchSize: 5_000, format: options.format, csv: options.csv });
  let producer: OrderedProducer;
  try {
    for (const topic of topics) await ensureTopic(options.kafka, topic, 3, 1, options.logger);
    producer = new OrderedProducer(options.kafka, {
      batchSize: options.batchSize ?? 2_000,
      maxInFlight: options.maxInFlight ?? 8,
      partitions: await partitionCounts(options.kafka, topics),
    });
    await producer.connect();
  } catch (error) {
    await reader.close();
    throw error;
  }
  const started = Date.now();
  let sent = 0;
  let skipped = 0;
  let firstEventTime: number | undefined;

  const wait = async (due: number) => {
    if (due <= Date.now() + 5) return;
    // Paced: what is queued goes out now rather than when a request fills.
    await producer.flush();
    // The flush may have taken longer than was left to wait.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
  };

  try {
    const chunks = reader.chunks();
    for (;;) {
      const step = await chunks.next();
      if (step.done) {
        skipped = step.value;
        break;
      }
      const { bytes, ends, formats, times, keys, keyIndex, bytesRead } = step.value;
      const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      // Each distinct key of the chunk: encoded once, its partition chosen once per topic (murmur2 per chunk, not per line).
      const keyBytes = keys.map((key) => Buffer.from(key));
      const partitionOf = new Int32Array(keys.length * topicOfCode.length).fill(-1);
      let start = 0;
      for (let i = 0; i < ends.length; i++) {
        const time = times[i]!;
        if (options.speed > 0 && time > 0) {
          firstEventTime ??= time;
          await wait(started + (time - firstEventTime) / options.speed);
        }
        if (options.rate > 0) await wait(started + (sent * 1000) / options.rate);
        const code = formats[i]!;
        const topic = code < 0 ? unknownTopic : topicOfCode[code]!;
        const k = keyIndex[i]!;
        let partition: number;
        if (k < 0) partition = producer.partition(topic, null);
        else {
          // Keyed lines always have a known format (code >= 0): unknown ones are never keyed.
          const slot = k * topicOfCode.length + code;
          partition = partitionOf[slot]!;
          if (partition < 0) partitionOf[slot] = partition = producer.partition(topic, keys[k]!);
        }
        const pending = producer.send(topic, partition, k < 0 ? null : keyBytes[k]!, buffer.subarray(start, ends[i]!));
        if (pending !== undefined) await pending;
        start = ends[i]!;
        sent++;
        if (sent % 1_000 === 0) options.onProgress?.(sent, time, bytesRead);
      }
    }
    await producer.flush();
  } finally {
    await reader.close();
    await producer.disconnect();
  }
  return { sent, skipped, seconds: (Date.now() - started) / 1000 };
}

/** Partitions per topic, as the broker has them (the topics may have been made by an operator). */
async function partitionCounts(kafka: Kafka, topics: string[]): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const metadata = await admin.fetchTopicMetadata({ topics });
    return new Map(metadata.topics.map((t) => [t.name, Math.max(1, t.partitions.length)]));
  } finally {
    await admin.disconnect();
  }
}

/** format → topic: the first topic of the pipeline's Kafka source for that format, else of an `auto` source. */
function topicRouter(config: PipelineConfig): (format: RecordFormat | undefined) => string {
  const byFormat = new Map<string, string>();
  let fallback: string | undefined;
  for (const source of Object.values(config.sources)) {
    if (source.type !== 'kafka') continue;
    if (source.format === 'auto') fallback ??= source.topics[0];
    else if (!byFormat.has(source.format)) byFormat.set(source.format, source.topics[0]!);
  }
  fallback ??= byFormat.values().next().value;
  if (fallback === undefined) throw new FlowhoundError('FH_USAGE', 'replay --to kafka needs a pipeline with at least one Kafka source (its topics receive the records)');
  return (format) => (format !== undefined ? byFormat.get(format) : undefined) ?? fallback;
}
