import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryAlertSink } from '../../../src/alerts/alert-sink.ts';
import { validatePipeline } from '../../../src/config/load-pipeline.ts';
import { buildPipeline } from '../../../src/pipeline/build-pipeline.ts';
import { MergedFilesSource } from '../../../src/sources/merged-files-source.ts';
import type { SourceBatch } from '../../../src/sources/types.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';

describe('MergedFilesSource', () => {
  it('a replay runs the live path: every record and every reject reaches Ingest.handle as a batch of its source', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'merged-'));
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"start_time": 1\n{"hello":"world"}\n');
    const files = ['datasets/sample/calico-flows.jsonl.gz', 'datasets/sample/calico-dns.jsonl.gz', 'datasets/sample/hubble-flows.jsonl.gz', bad];
    const config = validatePipeline({ name: 'r', cluster: 'prod-eu', sources: { files: { type: 'file', paths: files } } }, 'test');
    const pipeline = buildPipeline(config, { logger: silentLogger, alertSinks: [new MemoryAlertSink()], mergeFilesByEventTime: true, deadLetterFile: join(dir, 'dead.jsonl') });
    expect(pipeline.sources.map((s) => s instanceof MergedFilesSource)).toEqual([true]);
    const seen: SourceBatch[] = [];
    const handle = pipeline.ingest.handle.bind(pipeline.ingest);
    pipeline.ingest.handle = async (batch) => {
      seen.push(batch);
      await handle(batch);
    };
    await pipeline.run();
    const records = seen.reduce((n, b) => n + (b.decoded?.records.length ?? 0), 0);
    const letters = seen.reduce((n, b) => n + (b.decoded?.letters.length ?? 0), 0);
    expect(records).toBe(40_328);
    expect(letters).toBe(2);
    expect(pipeline.ingest.stats.deadLettered).toBe(2);
    expect(new Set(seen.map((b) => b.source))).toEqual(new Set(['files']));
    // In event time across the files: no record of a batch is older than the previous batch's newest window.
    expect(pipeline.detection.stats.late).toBe(0);
  });
});
