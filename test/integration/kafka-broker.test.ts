/** The test environment itself: kafkajs and kcat against the real broker, and the Debian tools. */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { consumeWithKcat, createTopics, produceWithKcat } from '../harness/kcat.ts';

const brokers = inject('kafkaBrokers');

describe('the Kafka test broker', () => {
  it('takes kcat-produced messages into a kafkajs consumer group, with committed offsets', async () => {
    const topic = `broker-check-${randomUUID().slice(0, 8)}`;
    await createTopics(brokers, [topic], 2);
    await produceWithKcat(brokers, topic, ['{"n":1}', '{"n":2}', '{"n":3}'], { keys: ['a', 'b', 'a'] });
    const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `g-${topic}` });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          seen.push(`${message.key}:${message.value}`);
          await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
          if (seen.length === 3) resolve();
        },
      }).catch(reject);
    });
    await consumer.disconnect();
    expect(seen.sort()).toEqual(['a:{"n":1}', 'a:{"n":3}', 'b:{"n":2}']);
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: `g-${topic}`, topics: [topic] });
    await admin.disconnect();
    // A partition that received nothing reports -1 (no commit).
    const total = offsets[0]!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    expect(total).toBe(3);
  });

  it('lets kcat read what kafkajs produced, headers included', async () => {
    const topic = `broker-check-${randomUUID().slice(0, 8)}`;
    await createTopics(brokers, [topic]);
    const producer = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k', value: 'hello', headers: { reason: 'test' } }] });
    await producer.disconnect();
    expect(await consumeWithKcat(brokers, topic, { count: 1 })).toMatchObject([{ key: 'k', value: 'hello', headers: { reason: 'test' } }]);
  });

  it('has Prometheus, promtool, Alertmanager and amtool installed', () => {
    for (const binary of ['prometheus', 'promtool', 'prometheus-alertmanager', 'amtool']) {
      expect(execFileSync(binary, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).toMatch(/version/i);
    }
  });
});
