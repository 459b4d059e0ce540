/**
 * The test environment itself: kafkajs 2.2.4 and kcat against the real Kafka 4.x broker that
 * test/harness/global-setup.ts starts, and the Debian Prometheus/Alertmanager tools.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { CompressionTypes, Kafka, logLevel, type Consumer } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { alertmanagerBinary } from '../harness/system-packages.ts';
import { consumeWithKcat, createTopics, produceWithKcat } from '../harness/kcat.ts';

const brokers = inject('kafkaBrokers');
const kafka = new Kafka({ clientId: 'broker-check', brokers: [brokers], logLevel: logLevel.NOTHING });
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Runs a consumer until `count` messages arrived, committing offset + 1 after each one. */
async function consumeAndCommit(consumer: Consumer, topic: string, count: number, timeoutMs = 60_000): Promise<{ partition: number; offset: string; key: string; value: string }[]> {
  const seen: { partition: number; offset: string; key: string; value: string }[] = [];
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${seen.length} of ${count} messages within ${timeoutMs} ms`)), timeoutMs);
    consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          seen.push({ partition, offset: message.offset, key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
          await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
          if (seen.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  return seen;
}

describe('the Kafka test broker', () => {
  it('takes kcat-produced (gzip) messages into a kafkajs consumer group whose committed offsets the admin reads back and a restarted member resumes from', async () => {
    const topic = unique('broker-check');
    const groupId = `g-${topic}`;
    await createTopics(brokers, [topic], 2);
    // Long, repetitive values so that librdkafka really compresses the batch (kafkajs has gzip built in).
    const filler = 'x'.repeat(2_000);
    const lines = [`a|{"n":1,"f":"${filler}"}`, `b|{"n":2,"f":"${filler}"}`, `a|{"n":3,"f":"${filler}"}`];
    await produceWithKcat(brokers, topic, lines, { keyDelimiter: '|', compression: 'gzip' });

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    let seen;
    try {
      seen = await consumeAndCommit(consumer, topic, 3);
    } finally {
      await consumer.disconnect();
    }
    expect(seen.map((m) => `${m.key}:${JSON.parse(m.value).n}`).sort()).toEqual(['a:1', 'a:3', 'b:2']);
    // Same key, same partition, in order.
    const aPartitions = new Set(seen.filter((m) => m.key === 'a').map((m) => m.partition));
    expect(aPartitions.size).toBe(1);

    const admin = kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const expected = new Map<number, string>();
      for (const m of seen) expected.set(m.partition, (BigInt(m.offset) + 1n).toString());
      for (const p of committed!.partitions) {
        // A partition that got nothing has no commit: -1.
        expect(p.offset).toBe(expected.get(p.partition) ?? '-1');
      }
      expect(committed!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)).toBe(3);
    } finally {
      await admin.disconnect();
    }

    // A new member of the same group starts at the committed offsets: only the new message arrives.
    await produceWithKcat(brokers, topic, ['{"n":4}'], { keys: ['b'], compression: 'none' });
    const again = kafka.consumer({ groupId });
    await again.connect();
    try {
      const resumed = await consumeAndCommit(again, topic, 1);
      expect(resumed.map((m) => `${m.key}:${m.value}`)).toEqual(['b:{"n":4}']);
    } finally {
      await again.disconnect();
    }
  });

  it('lets kcat read what kafkajs produced (gzip), keys and headers included', async () => {
    const topic = unique('broker-check');
    await createTopics(brokers, [topic]);
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic, compression: CompressionTypes.GZIP, messages: [{ key: 'k', value: 'hello', headers: { reason: 'test' } }, { key: null, value: 'second' }] });
    } finally {
      await producer.disconnect();
    }
    const messages = await consumeWithKcat(brokers, topic, { count: 2 });
    expect(messages).toMatchObject([
      { topic, partition: 0, offset: 0, key: 'k', value: 'hello', headers: { reason: 'test' } },
      { offset: 1, key: null, value: 'second', headers: {} },
    ]);
    expect(Math.abs(messages[0]!.timestamp - Date.now())).toBeLessThan(120_000);
  });

  it('refuses to auto-create topics (tests must create theirs)', async () => {
    await expect(produceToMissingTopic(unique('never-created'))).rejects.toThrow();
  });

  it('has Prometheus, promtool, Alertmanager and amtool installed', () => {
    const am = alertmanagerBinary();
    for (const binary of ['prometheus', 'promtool', am, 'amtool', 'kcat']) {
      const args = binary === 'kcat' ? ['-V'] : ['--version'];
      const out = execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out, binary).toMatch(/version/i);
    }
  });
});

/** A kafkajs producer (asking for auto-creation) against a missing topic: auto.create.topics.enable=false must refuse. */
async function produceToMissingTopic(topic: string): Promise<void> {
  const producer = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 100 } }).producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    await producer.send({ topic, messages: [{ value: 'x' }] });
  } finally {
    await producer.disconnect();
  }
}
