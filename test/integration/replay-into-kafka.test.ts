/**
 * Event-time correctness: one dataset gives the same alerts replayed in-process at full speed,
 * into Kafka at full speed (three partitions, keyed by workload) and into Kafka paced by event
 * time, because windows close on per-partition watermarks, never on the wall clock.
 */
import { describe, expect, inject, it } from 'vitest';
import { fingerprints, inProcess, throughKafka } from '../harness/replay-through-kafka.ts';
import { SAMPLE_FILES } from '../harness/sample.ts';

const brokers = inject('kafkaBrokers');

describe('replay into Kafka', () => {
  it('gives the alert fingerprints of the in-process replay, at full speed and paced by event time', async () => {
    const local = await inProcess(brokers, SAMPLE_FILES);
    expect(local.alerts.length).toBeGreaterThan(10);

    const full = await throughKafka(brokers, SAMPLE_FILES, { speed: 0 });
    expect(full.sent).toBe(40_328);
    expect(full.late).toBe(0);
    expect(fingerprints(full.sink)).toEqual(fingerprints(local));

    // 24 h of event time in about 12 s: records arrive paced, windows still close on event time.
    const paced = await throughKafka(brokers, SAMPLE_FILES, { speed: 7_200 });
    expect(paced.seconds).toBeGreaterThan(8);
    expect(paced.late).toBe(0);
    expect(fingerprints(paced.sink)).toEqual(fingerprints(local));
  });
});
