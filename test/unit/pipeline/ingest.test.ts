import { describe, expect, it } from 'vitest';
import { Ingest } from '../../../src/pipeline/ingest.ts';
import { MemoryStage } from '../../../src/pipeline/record-stage.ts';
import { MemoryDeadLetter } from '../../../src/sinks/dead-letter-memory.ts';
import type { RawMessage } from '../../../src/sources/types.ts';
import { fixture } from '../fixture.ts';

const now = Date.parse('2026-11-23T00:00:00Z');

function messages(lines: string[]): RawMessage[] {
  return lines.map((value, i) => ({ value: Buffer.from(value), origin: { kind: 'kafka', topic: 't', partition: 0, offset: String(i) } }));
}

function makeIngest() {
  const deadLetter = new MemoryDeadLetter();
  const stage = new MemoryStage();
  const ingest = new Ingest({ deadLetter, stages: [stage], maxRecordBytes: 4096, maxFutureSkewMs: 3600_000, clock: () => now });
  return { ingest, deadLetter, stage };
}

describe('Ingest', () => {
  it('processes every valid record around bad ones and dead-letters each bad one with its original bytes', async () => {
    const { ingest, deadLetter, stage } = makeIngest();
    const good = [fixture('calico-flow/doc-example-reporter-dst.json'), fixture('hubble/full-dropped-egress.json'), fixture('calico-dns/txt-aggregated.json')];
    const huge = JSON.stringify({ qname: 'x', pad: 'a'.repeat(5000) });
    const lines = [good[0]!, '{"broken', good[1]!, huge, '{"hello":1}', good[2]!, fixture('hubble/dns-request.json')];
    await ingest.handle({ source: 'kafka_in', format: 'auto', cluster: 'c1', messages: messages(lines) });

    expect(stage.records.map((r) => `${r.format}/${r.kind}`)).toEqual(['calico-flow/flow', 'hubble/flow', 'calico-dns/dns']);
    expect(deadLetter.letters.map((l) => [l.reason, l.origin])).toEqual([
      ['malformed-json', { kind: 'kafka', topic: 't', partition: 0, offset: '1' }],
      ['oversized', { kind: 'kafka', topic: 't', partition: 0, offset: '3' }],
      ['unknown-format', { kind: 'kafka', topic: 't', partition: 0, offset: '4' }],
    ]);
    expect(deadLetter.letters[0]!.raw.toString()).toBe('{"broken');
    expect(deadLetter.letters[1]!.raw.toString()).toBe(huge);
    expect(ingest.stats.toJSON()).toEqual({
      received: { kafka_in: 7 },
      records: { 'calico-flow/flow': 1, 'hubble/flow': 1, 'calico-dns/dns': 1 },
      invalid: { 'malformed-json': 1, oversized: 1, 'unknown-format': 1 },
      skipped: { 'hubble-dns-request': 1 },
      deadLettered: 3,
    });
  });

  it('fails the batch (so the source will not acknowledge it) when the dead-letter sink cannot write', async () => {
    const { ingest, deadLetter, stage } = makeIngest();
    deadLetter.failNext = 1;
    await expect(ingest.handle({ source: 's', format: 'auto', cluster: 'c', messages: messages(['nope']) })).rejects.toThrow('unavailable');
    expect(stage.records).toHaveLength(0);
    await ingest.handle({ source: 's', format: 'auto', cluster: 'c', messages: messages(['nope']) });
    expect(deadLetter.letters).toHaveLength(1);
  });
});
