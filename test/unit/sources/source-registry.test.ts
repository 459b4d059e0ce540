import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { sourceSchema } from '../../../src/config/pipeline-schema.ts';
import { FileSource } from '../../../src/sources/file-source.ts';
import { KafkaSource } from '../../../src/sources/kafka-source.ts';
import { buildSource, SOURCES, type SourceContext } from '../../../src/sources/source-registry.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';

/** A Kafka client that only records the consumers asked of it (building a source connects nothing). */
function fakeKafka() {
  const consumers: { groupId: string }[] = [];
  let created = 0;
  const client = { consumer: (config: { groupId: string }) => (consumers.push(config), {}) } as unknown as Kafka;
  return { consumers, created: () => created, kafka: () => (created++, client) };
}

function context(kafka: () => Kafka): SourceContext {
  return { pipeline: 'demo', kafka, cluster: 'prod-eu', logger: silentLogger, onAssignment: () => {} };
}

describe('source registry', () => {
  it('has a builder for every source type of the pipeline schema, and nothing else', () => {
    const types = sourceSchema.options.map((option) => option.shape.type.value);
    expect(Object.keys(SOURCES).sort()).toEqual([...types].sort());
  });

  it('builds a file source without creating a Kafka client', () => {
    const kafka = fakeKafka();
    const source = buildSource('files', sourceSchema.parse({ type: 'file', paths: ['-'] }), context(kafka.kafka));
    expect(source).toBeInstanceOf(FileSource);
    expect(source.name).toBe('files');
    expect(kafka.created()).toBe(0);
  });

  it('builds a Kafka source in the consumer group flowhound-<pipeline>-<source> unless the config names one', () => {
    const kafka = fakeKafka();
    const named = buildSource('flows', sourceSchema.parse({ type: 'kafka', topics: ['t'], group_id: 'mine' }), context(kafka.kafka));
    const defaulted = buildSource('flows', sourceSchema.parse({ type: 'kafka', topics: ['t'] }), context(kafka.kafka));
    expect(named).toBeInstanceOf(KafkaSource);
    expect(defaulted).toBeInstanceOf(KafkaSource);
    expect(kafka.consumers.map((c) => c.groupId)).toEqual(['mine', 'flowhound-demo-flows']);
  });
});
