import type { Kafka, ProducerRecord } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { OrderedProducer } from '../../../src/replay/ordered-producer.ts';

/** A kafkajs stand-in whose requests take a random time, so concurrent ones finish in any order. */
function fakeKafka(options: { failOn?: number } = {}) {
  const delivered: { partition: number; value: string }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let requests = 0;
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const producer = {
    connect: async () => {},
    disconnect: async () => {},
    send: async (record: ProducerRecord) => {
      const n = ++requests;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, random() * 5));
      inFlight--;
      if (n === options.failOn) throw new Error('broker said no');
      for (const m of record.messages) delivered.push({ partition: m.partition!, value: String(m.value) });
      return [];
    },
  };
  return { kafka: { producer: () => producer } as unknown as Kafka, delivered, stats: () => ({ maxInFlight, requests }) };
}

describe('OrderedProducer', () => {
  it('keeps each partition in send order while partitions are sent concurrently, within the in-flight bound', async () => {
    const fake = fakeKafka();
    const producer = new OrderedProducer(fake.kafka, { batchSize: 7, maxInFlight: 4, partitions: new Map([['t', 3]]) });
    const keys = Array.from({ length: 12 }, (_, i) => `prod/ns/w${i}`);
    for (let i = 0; i < 600; i++) {
      const key = keys[i % keys.length]!;
      const pending = producer.send('t', producer.partition('t', key), key, `${i % keys.length}:${i}`);
      if (pending !== undefined) await pending;
    }
    await producer.flush();
    expect(fake.delivered).toHaveLength(600);
    expect(producer.sent).toBe(600);
    // One partition per key (murmur2, like Java's producer), and per partition the order given.
    const partitionOfKey = new Map<string, number>();
    const lastIndex = new Map<number, number>();
    for (const { partition, value } of fake.delivered) {
      const [key, index] = value.split(':').map(Number) as [number, number];
      expect(partitionOfKey.get(String(key)) ?? partition).toBe(partition);
      partitionOfKey.set(String(key), partition);
      expect(index).toBeGreaterThan(lastIndex.get(partition) ?? -1);
      lastIndex.set(partition, index);
    }
    expect(new Set(partitionOfKey.values()).size).toBeGreaterThan(1);
    expect(fake.stats().maxInFlight).toBeGreaterThan(1);
    expect(fake.stats().maxInFlight).toBeLessThanOrEqual(3); // one per partition at a time
  });

  it('spreads unkeyed messages over the partitions', async () => {
    const fake = fakeKafka();
    const producer = new OrderedProducer(fake.kafka, { batchSize: 5, maxInFlight: 2, partitions: new Map([['t', 2]]) });
    for (let i = 0; i < 20; i++) await producer.send('t', producer.partition('t', null), null, `x${i}`);
    await producer.flush();
    expect(fake.delivered.filter((d) => d.partition === 0)).toHaveLength(10);
    expect(fake.delivered.filter((d) => d.partition === 1)).toHaveLength(10);
  });

  it('reports a failed request instead of losing it silently, and sends nothing after it', async () => {
    const fake = fakeKafka({ failOn: 2 });
    const producer = new OrderedProducer(fake.kafka, { batchSize: 5, maxInFlight: 1, partitions: new Map([['t', 1]]) });
    const send = async () => {
      for (let i = 0; i < 100; i++) await producer.send('t', 0, 'prod/ns/w', `x${i}`);
      await producer.flush();
    };
    await expect(send()).rejects.toThrow('broker said no');
    expect(producer.sent).toBe(5);
    expect(fake.delivered.map((d) => d.value)).toEqual(['x0', 'x1', 'x2', 'x3', 'x4']);
  });
});
