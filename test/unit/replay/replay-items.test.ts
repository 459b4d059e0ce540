import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayItems, type ReplayItem } from '../../../src/replay/replay-items.ts';
import { ReplayReader } from '../../../src/replay/replay-reader.ts';
import { sampleLinesInEventTime, SAMPLE_FILES } from '../../harness/sample.ts';
import { fixture } from '../fixture.ts';

const all = async (gen: AsyncGenerator<ReplayItem[]>) => {
  const out: ReplayItem[] = [];
  for await (const batch of gen) out.push(...batch);
  return out;
};

describe('replay items', () => {
  it('merges the files in event time, keyed by workload, with bad lines first and unkeyed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowhound-items-'));
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, 'not json\n{"neither":"a flow"}\n');
    const items = await all(replayItems({ files: [...SAMPLE_FILES, bad], cluster: 'prod-eu', from: -Infinity, until: Infinity, batchSize: 1_000 }));
    expect(items).toHaveLength(40_328 + 2);
    expect(items.slice(0, 2).map((i) => [i.key, i.time])).toEqual([[null, 0], [null, 0]]);
    for (let i = 1; i < items.length; i++) expect(items[i]!.time).toBeGreaterThanOrEqual(items[i - 1]!.time);
    expect(new Set(items.slice(2).map((i) => i.key!.split('/')[0]))).toEqual(new Set(['prod-eu', 'dev-us']));
    // Lines travel as they are.
    expect(items.map((i) => i.value).slice(2).sort()).toEqual(sampleLinesInEventTime().sort());
  });

  it('keeps a line without a record (a Hubble DNS request) in its place, unkeyed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowhound-items-'));
    const file = join(dir, 'hubble.jsonl');
    writeFileSync(file, [fixture('hubble/dns-response.json'), fixture('hubble/dns-request.json')].join('\n') + '\n');
    const [response, request] = await all(replayItems({ files: [file], cluster: 'dev-us', from: -Infinity, until: Infinity, batchSize: 10 }));
    expect(response!.key).not.toBeNull();
    expect(request).toMatchObject({ key: null, format: 'hubble', time: response!.time });
    expect(request!.time).toBeGreaterThan(0);
  });

  it('keeps only --from/--until and counts the rest', async () => {
    const counts = { skipped: 0 };
    const from = Date.parse('2026-11-01T08:00:00Z');
    const until = Date.parse('2026-11-01T09:00:00Z');
    const items = await all(replayItems({ files: SAMPLE_FILES, cluster: 'prod-eu', from, until, batchSize: 1_000 }, counts));
    expect(items.length).toBeGreaterThan(500);
    expect(items.every((i) => i.time >= from && i.time <= until)).toBe(true);
    expect(items.length + counts.skipped).toBe(40_328);
  });

  it('arrive the same through the worker thread, in bounded chunks', async () => {
    const reader = new ReplayReader({ files: SAMPLE_FILES, cluster: 'prod-eu', from: -Infinity, until: Infinity, batchSize: 1_000, chunkSize: 3_000 });
    const values: string[] = [];
    const chunks = reader.chunks();
    for (;;) {
      const step = await chunks.next();
      if (step.done) {
        expect(step.value).toBe(0);
        break;
      }
      const { bytes, ends } = step.value;
      expect(ends.length).toBeLessThanOrEqual(3_000 + 5_000);
      let start = 0;
      for (const end of ends) {
        values.push(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8'));
        start = end;
      }
    }
    await reader.close();
    expect(values).toEqual((await all(replayItems({ files: SAMPLE_FILES, cluster: 'prod-eu', from: -Infinity, until: Infinity, batchSize: 1_000 }))).map((i) => i.value));
  });
});
