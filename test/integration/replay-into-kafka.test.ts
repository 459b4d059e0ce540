/**
 * Event-time correctness: one dataset gives the same alerts replayed in-process at full speed,
 * into Kafka at full speed (three partitions, keyed by workload) and into Kafka paced by event
 * time, because windows close on per-partition watermarks, never on the wall clock.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { MemoryAlertSink } from '../../src/alerts/alert-sink.ts';
import { validatePipeline } from '../../src/config/load-pipeline.ts';
import type { PipelineConfig } from '../../src/config/pipeline-schema.ts';
import { buildPipeline } from '../../src/pipeline/build-pipeline.ts';
import { replayIntoKafka } from '../../src/replay/kafka-replay.ts';
import { createKafka } from '../../src/sources/kafka-client.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { createTopics } from '../harness/kcat.ts';
import { SAMPLE_FILES } from '../harness/sample.ts';

const brokers = inject('kafkaBrokers');

function config(topic: string): PipelineConfig {
  return validatePipeline({
    name: 'replay-it', cluster: 'prod-eu',
    kafka: { brokers: [brokers] },
    sources: { all: { type: 'kafka', topics: [topic], format: 'auto', group_id: `g-${topic}` } },
    dead_letter: { topic: `${topic}-dead` },
  }, 'replay test');
}

const fingerprints = (sink: MemoryAlertSink) => [...new Set(sink.alerts.map((a) => a.fingerprint))].sort();

async function throughKafka(options: { speed: number }): Promise<{ sink: MemoryAlertSink; late: number; sent: number; seconds: number }> {
  const topic = `replay-${randomUUID().slice(0, 8)}`;
  // The topic exists (three partitions, leaders elected) before the consumer subscribes.
  await createTopics(brokers, [topic], 3);
  const cfg = config(topic);
  const sink = new MemoryAlertSink();
  const pipeline = buildPipeline(cfg, { logger: silentLogger, alertSinks: [sink] });
  const running = pipeline.run();
  const produced = await replayIntoKafka({ kafka: createKafka(cfg.kafka!, silentLogger), config: cfg, files: SAMPLE_FILES, rate: 0, speed: options.speed, from: -Infinity, until: Infinity, logger: silentLogger });
  const deadline = Date.now() + 120_000;
  while (pipeline.ingest.stats.total(pipeline.ingest.stats.received) < produced.sent) {
    if (Date.now() > deadline) throw new Error('not all replayed records were consumed');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await pipeline.stop();
  await running;
  return { sink, late: pipeline.detection.stats.late, sent: produced.sent, seconds: produced.seconds };
}

describe('replay into Kafka', () => {
  it('gives the alert fingerprints of the in-process replay, at full speed and paced by event time', async () => {
    const inProcess = new MemoryAlertSink();
    const files: PipelineConfig = { ...config('unused'), sources: { files: { type: 'file', paths: SAMPLE_FILES, format: 'auto', max_batch_records: 2000 } } };
    await buildPipeline(files, { logger: silentLogger, alertSinks: [inProcess], mergeFilesByEventTime: true, deadLetterFile: '/dev/null' }).run();
    expect(inProcess.alerts.length).toBeGreaterThan(10);

    const full = await throughKafka({ speed: 0 });
    expect(full.sent).toBe(40_328);
    expect(full.late).toBe(0);
    expect(fingerprints(full.sink)).toEqual(fingerprints(inProcess));

    // 24 h of event time in about 12 s: records arrive paced, windows still close on event time.
    const paced = await throughKafka({ speed: 7_200 });
    expect(paced.seconds).toBeGreaterThan(8);
    expect(paced.late).toBe(0);
    expect(fingerprints(paced.sink)).toEqual(fingerprints(inProcess));
  });
});
