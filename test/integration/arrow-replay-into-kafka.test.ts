/**
 * The "done when": a JSON-lines dataset converted to Arrow (by the CLI), replayed
 * in-process and into the real broker, gives the alert fingerprints of the JSON-lines replay;
 * the topic holds the original lines, each workload in one partition, in event-time order.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { eventTime } from '../../src/model/normalized-record.ts';
import { decodeMessage } from '../../src/parsers/record-decoder.ts';
import { keyOf } from '../../src/model/workload.ts';
import { consumeWithKcat } from '../harness/kcat.ts';
import { fingerprints, inProcess, throughKafka } from '../harness/replay-through-kafka.ts';
import { SAMPLE_FILES, sampleLinesInEventTime } from '../harness/sample.ts';

const brokers = inject('kafkaBrokers');
const ctx = { cluster: 'prod-eu', now: Date.now(), maxFutureSkewMs: Number.MAX_SAFE_INTEGER };

describe('Arrow dataset replayed into Kafka', () => {
  it('converts, then gives the JSON-lines alert fingerprints in-process and through the broker, with the original lines', async () => {
    const arrow = join(mkdtempSync(join(tmpdir(), 'flowhound-arrow-kafka-')), 'records.arrow.gz');
    const { stdout } = await promisify(execFile)(process.execPath, ['src/cli/main.ts', 'convert', ...SAMPLE_FILES, '--cluster', 'prod-eu', '--to', arrow, '--dead-letter', '/dev/null']);
    const rows = Number(/wrote (\d+) rows/.exec(stdout)?.[1]);
    expect(rows).toBeGreaterThan(30_000);

    const json = fingerprints(await inProcess(brokers, SAMPLE_FILES));
    expect(json.length).toBeGreaterThan(10);
    expect(fingerprints(await inProcess(brokers, [arrow]))).toEqual(json);

    const viaKafka = await throughKafka(brokers, [arrow], { speed: 0 });
    expect(viaKafka.sent).toBe(rows);
    expect(viaKafka.late).toBe(0);
    expect(fingerprints(viaKafka.sink)).toEqual(json);

    // What reached the topic: the source lines byte for byte (those that make a record)...
    // (The harness adds a later record to every partition, to move event time past the data.)
    const messages = (await consumeWithKcat(brokers, viaKafka.topic, { count: rows + 3, timeoutMs: 60_000 })).filter((m) => !m.value!.includes('"flowhound-tick"'));
    const originals = sampleLinesInEventTime().filter((line) => decodeMessage(line, 'auto', ctx, 1 << 20).status === 'ok');
    expect(messages.map((m) => m.value).sort()).toEqual(originals.sort());
    // ...keyed by workload, each workload in one partition, each partition in event-time order.
    const partitionOf = new Map<string, number>();
    const lastTime = new Map<number, number>();
    for (const m of messages.sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
      const decoded = decodeMessage(m.value!, 'auto', ctx, 1 << 20);
      if (decoded.status !== 'ok') throw new Error(`unparsable message at ${m.partition}/${m.offset}`);
      expect(m.key).toBe(keyOf(decoded.record));
      expect(partitionOf.get(m.key!) ?? m.partition).toBe(m.partition);
      partitionOf.set(m.key!, m.partition);
      const time = eventTime(decoded.record);
      expect(time).toBeGreaterThanOrEqual(lastTime.get(m.partition) ?? 0);
      lastTime.set(m.partition, time);
    }
    expect(new Set(partitionOf.values()).size).toBe(3);
  });
});
