import type { Kafka } from 'kafkajs';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { FlowhoundError } from '../errors.ts';
import type { RecordFormat } from '../model/record-format.ts';
import { eventTime } from '../model/normalized-record.ts';
import { workloadKey } from '../model/workload.ts';
import { decodeMessage } from '../parsers/record-decoder.ts';
import { isArrowFile } from '../arrow/record-reader.ts';
import { readLineBatches } from '../sources/file-source.ts';
import { ensureTopic } from '../sinks/kafka-topic.ts';
import type { Logger } from '../telemetry/logger.ts';
import { OrderedProducer } from './ordered-producer.ts';

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
  onProgress?: (sent: number, eventTime: number) => void;
  /** Messages per produce request and partition (default 1,000). */
  batchSize?: number;
  /** Produce requests in flight across partitions (default 8). */
  maxInFlight?: number;
}

interface Item {
  value: string;
  key: string | null;
  topic: string;
  time: number;
}

/**
 * Produces files into the pipeline's Kafka topics in their original format (the lines as
 * they are), merged in event time, keyed by the initiating workload so each workload's
 * records stay in one partition, batched and gzip-compressed as a shipper would. Lines that
 * do not parse are produced too (unkeyed): the consumer's dead-letter path is part of what a
 * replay rehearses.
 */
export async function replayIntoKafka(options: KafkaReplayOptions): Promise<{ sent: number; skipped: number; seconds: number }> {
  const topicFor = topicRouter(options.config);
  for (const file of options.files) {
    if (await isArrowFile(file)) throw new FlowhoundError('FH_USAGE', `${file}: Arrow datasets hold normalised records, not the original Calico/Hubble lines; replay their JSON-lines originals into Kafka`);
  }
  const topics = [...new Set(Object.values(options.config.sources).flatMap((s) => (s.type === 'kafka' ? s.topics : [])))];
  for (const topic of topics) await ensureTopic(options.kafka, topic, 3, 1, options.logger);
  const producer = new OrderedProducer(options.kafka, {
    batchSize: options.batchSize ?? 1_000,
    maxInFlight: options.maxInFlight ?? 8,
    partitions: await partitionCounts(options.kafka, topics),
  });
  await producer.connect();
  const ctx = { cluster: options.config.cluster, now: Date.now(), maxFutureSkewMs: Number.MAX_SAFE_INTEGER };
  const lanes = options.files.map((path) => ({ batches: readLineBatches(path, 5_000), buffer: [] as Item[], done: false }));
  const started = Date.now();
  let sent = 0;
  let skipped = 0;
  let firstEventTime: number | undefined;

  const wait = async (due: number) => {
    if (due <= Date.now() + 5) return;
    // Paced: what is queued goes out now rather than when a request fills.
    await producer.flush();
    await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
  };
  const pace = async (item: Item) => {
    if (options.speed > 0 && item.time > 0) {
      firstEventTime ??= item.time;
      await wait(started + (item.time - firstEventTime) / options.speed);
    }
    if (options.rate > 0) await wait(started + (sent * 1000) / options.rate);
  };

  try {
    for (;;) {
      for (const lane of lanes) {
        while (!lane.done && lane.buffer.length === 0) {
          const step = await lane.batches.next();
          if (step.done) {
            lane.done = true;
            break;
          }
          for (const message of step.value) {
            const line = typeof message.value === 'string' ? message.value : message.value.toString('utf8');
            const decoded = decodeMessage(line, 'auto', ctx, Number.MAX_SAFE_INTEGER);
            const format = decoded.format;
            if (decoded.status === 'ok') {
              const time = eventTime(decoded.record);
              if (time < options.from || time > options.until) {
                skipped++;
                continue;
              }
              const r = decoded.record;
              // The pod side: an internet client's flow belongs with the workload it reached.
              const who = r.kind === 'dns' ? r.client : r.src.kind === 'pod' || r.dst.kind !== 'pod' ? r.src : r.dst;
              lane.buffer.push({ value: line, key: workloadKey(who), topic: topicFor(format), time });
            } else {
              lane.buffer.push({ value: line, key: null, topic: topicFor(format), time: 0 });
            }
          }
          lane.buffer.sort((a, b) => a.time - b.time);
        }
      }
      const live = lanes.filter((lane) => lane.buffer.length > 0);
      if (live.length === 0) break;
      const safe = lanes.some((lane) => !lane.done && lane.buffer.length > 0)
        ? Math.min(...lanes.filter((lane) => !lane.done).map((lane) => lane.buffer[lane.buffer.length - 1]!.time))
        : Number.POSITIVE_INFINITY;
      const ready: Item[] = [];
      for (const lane of lanes) {
        let i = 0;
        while (i < lane.buffer.length && lane.buffer[i]!.time <= safe) i++;
        ready.push(...lane.buffer.splice(0, i));
      }
      ready.sort((a, b) => a.time - b.time);
      for (const item of ready) {
        await pace(item);
        await producer.send(item.topic, item.key, item.value);
        sent++;
        if (sent % 10_000 === 0) options.onProgress?.(sent, item.time);
      }
    }
    await producer.flush();
  } finally {
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
