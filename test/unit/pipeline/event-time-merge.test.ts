import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayMerged } from '../../../src/pipeline/event-time-merge.ts';
import { Ingest } from '../../../src/pipeline/ingest.ts';
import { MemoryStage } from '../../../src/pipeline/record-stage.ts';
import { MemoryDeadLetter } from '../../../src/sinks/dead-letter-memory.ts';
import { eventTime } from '../../../src/model/normalized-record.ts';
import { fixtureObject } from '../fixture.ts';

describe('replayMerged', () => {
  it('interleaves files in event time, whatever their order on the command line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowhound-merge-'));
    const flowBase = fixtureObject('calico-flow/aggregated-egress-public.json');
    const dnsBase = fixtureObject('calico-dns/txt-aggregated.json');
    const t0 = 1_735_689_600;
    const flows = Array.from({ length: 50 }, (_, i) => JSON.stringify({ ...flowBase, start_time: t0 + i * 300, end_time: t0 + (i + 1) * 300 }));
    const dns = Array.from({ length: 50 }, (_, i) => JSON.stringify({ ...dnsBase, start_time: t0 + i * 300 + 100, end_time: t0 + (i + 1) * 300 + 100 }));
    writeFileSync(join(dir, 'flows.jsonl'), flows.join('\n') + '\n{"bad"\n');
    writeFileSync(join(dir, 'dns.jsonl'), dns.join('\n'));
    const stage = new MemoryStage();
    const deadLetter = new MemoryDeadLetter();
    const ingest = new Ingest({ deadLetter, stages: [stage], maxRecordBytes: 1 << 20, maxFutureSkewMs: 3600_000 });
    await replayMerged(ingest, [
      { path: join(dir, 'flows.jsonl'), format: 'auto', cluster: 'c', source: 'files' },
      { path: join(dir, 'dns.jsonl'), format: 'auto', cluster: 'c', source: 'files' },
    ], 7);
    const times = stage.records.map(eventTime);
    expect(stage.records).toHaveLength(100);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(stage.records.slice(0, 4).map((r) => r.kind)).toEqual(['flow', 'dns', 'flow', 'dns']);
    expect(deadLetter.letters.map((l) => l.reason)).toEqual(['malformed-json']);
  });
});
