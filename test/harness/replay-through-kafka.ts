import { randomUUID } from 'node:crypto';
import { MemoryAlertSink } from '../../src/alerts/alert-sink.ts';
import { validatePipeline } from '../../src/config/load-pipeline.ts';
import type { PipelineConfig } from '../../src/config/pipeline-schema.ts';
import { buildPipeline } from '../../src/pipeline/build-pipeline.ts';
import { replayIntoKafka } from '../../src/replay/kafka-replay.ts';
import { createKafka } from '../../src/sources/kafka-client.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { createTopics, produceWithKcat } from './kcat.ts';
import { tickLine } from './flowhound-member.ts';
import { sampleDataEnd } from './sample.ts';

/** A pipeline reading one topic of the test broker (any format), dead letters to `<topic>-dead`. */
export function kafkaPipeline(brokers: string, topic: string): PipelineConfig {
  return validatePipeline({
    name: 'replay-it', cluster: 'prod-eu',
    kafka: { brokers: [brokers] },
    sources: { all: { type: 'kafka', topics: [topic], format: 'auto', group_id: `g-${topic}` } },
    dead_letter: { topic: `${topic}-dead` },
    state: { topic_prefix: `fh-${topic}` },
  }, 'replay test');
}

export const fingerprints = (sink: MemoryAlertSink) => [...new Set(sink.alerts.map((a) => a.fingerprint))].sort();

/** The files replayed in-process through the full pipeline, merged in event time. */
export async function inProcess(brokers: string, files: string[]): Promise<MemoryAlertSink> {
  const sink = new MemoryAlertSink();
  const config: PipelineConfig = { ...kafkaPipeline(brokers, 'unused'), sources: { files: { type: 'file', paths: files, format: 'auto', max_batch_records: 2000 } } };
  await buildPipeline(config, { logger: silentLogger, alertSinks: [sink], mergeFilesByEventTime: true, deadLetterFile: '/dev/null' }).run();
  return sink;
}

/**
 * The files replayed into a new three-partition topic with `replayIntoKafka` while the full
 * pipeline consumes it as a consumer group; returns once every produced message was consumed.
 */
export async function throughKafka(brokers: string, files: string[], options: { speed: number }): Promise<{ sink: MemoryAlertSink; late: number; sent: number; seconds: number; topic: string }> {
  const topic = `replay-${randomUUID().slice(0, 8)}`;
  // The topic exists (three partitions, leaders elected) before the consumer subscribes.
  await createTopics(brokers, [topic], 3);
  const cfg = kafkaPipeline(brokers, topic);
  const sink = new MemoryAlertSink();
  const pipeline = buildPipeline(cfg, { logger: silentLogger, alertSinks: [sink] });
  const running = pipeline.run();
  const produced = await replayIntoKafka({ kafka: createKafka(cfg.kafka!, silentLogger), config: cfg, files, rate: 0, speed: options.speed, from: -Infinity, until: Infinity, logger: silentLogger });
  // A live stream never ends: a later record in every partition moves event time past the data.
  const dataEnd = sampleDataEnd();
  for (let partition = 0; partition < 3; partition++) await produceWithKcat(brokers, topic, [tickLine(dataEnd + 3_600_000)], { partition });
  const deadline = Date.now() + 120_000;
  while (pipeline.detection.watermark < dataEnd) {
    if (Date.now() > deadline) throw new Error(`not all replayed records were judged (watermark ${pipeline.detection.watermark})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await pipeline.stop();
  await running;
  return { sink, late: pipeline.detection.stats.late, sent: produced.sent, seconds: produced.seconds, topic };
}
