import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validatePipeline } from '../../../src/config/load-pipeline.ts';
import { buildPipeline } from '../../../src/pipeline/build-pipeline.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';
import { fixtureObject } from '../fixture.ts';

describe('late records', () => {
  it('are counted and dead-lettered with reason late, while everything in time is processed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowhound-late-'));
    const base = fixtureObject('calico-flow/aggregated-egress-public.json');
    const at = (start: number) => JSON.stringify({ ...base, start_time: start, end_time: start + 300 });
    const t0 = 1_735_689_600;
    // In file order: two hours of windows, then one from the first hour (far behind the watermark).
    const lines = [...Array.from({ length: 24 }, (_, i) => at(t0 + i * 300)), at(t0 + 300)];
    writeFileSync(join(dir, 'flows.jsonl'), lines.join('\n'));
    const deadLetterFile = join(dir, 'dead.jsonl');
    const config = validatePipeline({ name: 'late', cluster: 'c', sources: { f: { type: 'file', paths: [join(dir, 'flows.jsonl')], max_batch_records: 5 } } }, 'test');
    const pipeline = buildPipeline(config, { logger: silentLogger, deadLetterFile });
    await pipeline.run();
    expect(pipeline.detection.stats.late).toBe(1);
    const letters = readFileSync(deadLetterFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ reason: 'late', source: 'detection', format: 'calico-flow', origin: { kind: 'record', eventTime: new Date((t0 + 600) * 1000).toISOString() } });
    expect(letters[0].detail).toContain('allowed_lateness_seconds (60 s)');
    expect(pipeline.ingest.stats.deadLettered).toBe(1);
  });
});

describe('replay --loop', () => {
  it('replays the data again, shifted past the previous pass, without late records', async () => {
    const config = validatePipeline({ name: 'loop', cluster: 'prod-eu', sources: { f: { type: 'file', paths: ['datasets/sample/records.arrow.gz'] } } }, 'test');
    const pipeline = buildPipeline(config, { logger: silentLogger, mergeFilesByEventTime: true, loops: 2, deadLetterFile: '/dev/null' });
    await pipeline.run();
    expect(pipeline.ingest.stats.total(pipeline.ingest.stats.received)).toBe(2 * 40_328);
    expect(pipeline.detection.stats.late).toBe(0);
    expect(new Date(pipeline.detection.newestEventTime).toISOString() > '2026-11-02T23:00:00.000Z').toBe(true);
    // Two passes over the whole sample (80k records through detection): seconds on a busy 2-core machine.
  }, 20_000);
});
