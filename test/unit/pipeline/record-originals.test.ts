import { describe, expect, it } from 'vitest';
import type { NormalizedRecord } from '../../../src/model/normalized-record.ts';
import { Ingest } from '../../../src/pipeline/ingest.ts';
import type { RecordOriginals } from '../../../src/pipeline/record-originals.ts';
import type { RecordStage } from '../../../src/pipeline/record-stage.ts';
import { MemoryDeadLetter } from '../../../src/sinks/dead-letter-memory.ts';
import { fixture } from '../fixture.ts';

const now = Date.parse('2026-11-23T00:00:00Z');

/** Notes what each record's original was when it reached the stage. */
class OriginalsStage implements RecordStage {
  readonly seen: (string | undefined)[] = [];
  given: RecordOriginals | undefined;
  async process(records: NormalizedRecord[], _lane?: string, originals?: RecordOriginals): Promise<void> {
    this.given = originals;
    for (const record of records) this.seen.push(originals?.take(record));
  }
  async close(): Promise<void> {}
}

async function run(keepOriginals: boolean): Promise<OriginalsStage> {
  const stage = new OriginalsStage();
  const ingest = new Ingest({ deadLetter: new MemoryDeadLetter(), stages: [stage], maxRecordBytes: 1 << 20, maxFutureSkewMs: 3600_000, clock: () => now, keepOriginals });
  const lines = [fixture('calico-flow/doc-example-reporter-dst.json'), '{"broken', fixture('hubble/dns-request.json'), fixture('hubble/dns-response.json')];
  // Kafka hands Buffers, files strings: both arrive as the same text.
  await ingest.handle({ source: 's', format: 'auto', cluster: 'c', messages: lines.map((value, i) => ({ value: i === 0 ? Buffer.from(value) : value, origin: { kind: 'file', path: 'f', line: i + 1 } })) });
  return stage;
}

describe('Ingest keepOriginals', () => {
  it('hands each record with the line it was parsed from (rejected and skipped lines have no record)', async () => {
    const stage = await run(true);
    expect(stage.seen).toEqual([fixture('calico-flow/doc-example-reporter-dst.json'), fixture('hubble/dns-response.json')]);
  });

  it('keeps nothing by default (the detection path)', async () => {
    const stage = await run(false);
    expect(stage.given).toBeUndefined();
    expect(stage.seen).toEqual([undefined, undefined]);
  });
});
