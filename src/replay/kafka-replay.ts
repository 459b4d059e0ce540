import { CompressionTypes, Partitioners, type Kafka } from 'kafkajs';
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
  const producer = options.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner, idempotent: false, maxInFlightRequests: 1 });
  await producer.connect();
  for (const topic of new Set(Object.values(options.config.sources).flatMap((s) => (s.type === 'kafka' ? s.topics : [])))) {
    await ensureTopic(options.kafka, topic, 3, 1, options.logger);
  }
  const ctx = { cluster: options.config.cluster, now: Date.now(), maxFutureSkewMs: Number.MAX_SAFE_INTEGER };
  const lanes = options.files.map((path) => ({ batches: readLineBatches(path, 5_000), buffer: [] as Item[], done: false }));
  const started = Date.now();
  let sent = 0;
  let skipped = 0;
  let firstEventTime: number | undefined;
  let outgoing: Item[] = [];
  const inFlight: Promise<void>[] = [];

  const flush = async () => {
    if (outgoing.length === 0) return;
    const byTopic = new Map<string, { key: string | null; value: string }[]>();
    for (const item of outgoing) {
      let list = byTopic.get(item.topic);
      if (list === undefined) byTopic.set(item.topic, (list = []));
      list.push({ key: item.key, value: item.value });
    }
    outgoing = [];
    // Requests go one after another (concurrent ones are compressed concurrently and can reach
    // the broker out of order; each partition must stay in event-time order), but the next
    // batch is read and parsed while the previous one is compressed and sent.
    const request = { acks: -1, compression: CompressionTypes.GZIP, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) };
    const previous = inFlight[inFlight.length - 1] ?? Promise.resolve();
    const sending = previous.then(() => producer.sendBatch(request)).then(() => undefined);
    sending.catch(() => {}); // observed here, surfaced where awaited
    inFlight.push(sending);
    if (inFlight.length > 3) await inFlight.shift();
  };

  const pace = async (item: Item) => {
    if (options.speed > 0 && item.time > 0) {
      firstEventTime ??= item.time;
      const due = started + (item.time - firstEventTime) / options.speed;
      if (due > Date.now() + 5) {
        await flush();
        await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      }
    }
    if (options.rate > 0) {
      const due = started + (sent * 1000) / options.rate;
      if (due > Date.now() + 5) {
        await flush();
        await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      }
    }
  };

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
      outgoing.push(item);
      sent++;
      if (outgoing.length >= 5_000) await flush();
      if (sent % 10_000 === 0) options.onProgress?.(sent, item.time);
    }
  }
  await flush();
  await Promise.all(inFlight);
  await producer.disconnect();
  return { sent, skipped, seconds: (Date.now() - started) / 1000 };
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
