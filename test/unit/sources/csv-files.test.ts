/**
 * CSV flow files through the readers a pipeline uses: FileSource (files, gzip, stdin), the
 * replay's merged files (Ingest: records with their rows, bad rows dead-lettered with theirs),
 * and the routing of a replay into Kafka (data rows only, keyed).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../../src/config/load-pipeline.ts';
import { FlowhoundError } from '../../../src/errors.ts';
import { isAttackLabel, type FlowRecord } from '../../../src/model/flow-record.ts';
import { replayMerged } from '../../../src/pipeline/event-time-merge.ts';
import { Ingest } from '../../../src/pipeline/ingest.ts';
import { MemoryStage } from '../../../src/pipeline/record-stage.ts';
import { configuredCsvLayout } from '../../../src/parsers/formats.ts';
import { replayItems, type ReplayItem } from '../../../src/replay/replay-items.ts';
import { MemoryDeadLetter } from '../../../src/sinks/dead-letter-memory.ts';
import { FileSource } from '../../../src/sources/file-source.ts';
import type { SourceBatch } from '../../../src/sources/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'flowhound-csv-'));
const EXAMPLE = join(import.meta.dirname, '../../../datasets/csv/example-flows.csv');
const ROWS = ['1700000000,10.0.0.1,10.0.0.2,443', '1700000060,10.0.0.1,10.0.0.3,80', '1700000120,10.0.0.4,"10.0.0.2",22'];
const TEXT = `time,src_ip,dst_ip,dst_port\n${ROWS.join('\n')}\n`;

async function collect(source: FileSource): Promise<SourceBatch[]> {
  const batches: SourceBatch[] = [];
  await source.run(async (batch) => { batches.push(batch); });
  return batches;
}

async function decodedThrough(ingestFiles: { path: string; format: 'auto' | 'csv'; csv?: { columns?: Record<string, string>; header?: string[] } }[]) {
  const stage = new MemoryStage();
  const deadLetter = new MemoryDeadLetter();
  const ingest = new Ingest({ deadLetter, stages: [stage], maxRecordBytes: 1 << 20, maxFutureSkewMs: 3600_000 });
  await replayMerged(ingest, ingestFiles.map((f) => ({ ...f, cluster: 'c1', source: 'files' })), 2);
  return { records: stage.records as FlowRecord[], letters: deadLetter.letters, stats: ingest.stats };
}

describe('CSV files', () => {
  it('a file source takes the header off and hands every batch its layout, the rows keeping their lines', async () => {
    writeFileSync(join(dir, 'a.csv'), `\n${TEXT}`);
    const batches = await collect(new FileSource({ name: 'f', paths: [join(dir, 'a.csv')], format: 'auto', cluster: 'c', maxBatchRecords: 2 }));
    // The header leaves the first batch one short.
    expect(batches.map((b) => b.messages.map((m) => m.value))).toEqual([ROWS.slice(0, 1), ROWS.slice(1)]);
    expect(batches.map((b) => [b.format, b.csv?.headerLine])).toEqual([['csv', 2], ['csv', 2]]);
    expect(batches[0]!.messages[0]!.origin).toEqual({ kind: 'file', path: join(dir, 'a.csv'), line: 3 });
  });

  it('reads gzip files and stdin (plain or gzip) alike', async () => {
    writeFileSync(join(dir, 'b.csv.gz'), gzipSync(TEXT));
    const gz = await collect(new FileSource({ name: 'f', paths: [join(dir, 'b.csv.gz')], format: 'csv', cluster: 'c', maxBatchRecords: 10 }));
    expect(gz[0]!.messages.map((m) => m.value)).toEqual(ROWS);
    for (const bytes of [Buffer.from(TEXT), gzipSync(TEXT)]) {
      const chunks = [bytes.subarray(0, 1), bytes.subarray(1, 9), bytes.subarray(9)];
      const stdin = await collect(new FileSource({ name: 'f', paths: ['-'], format: 'auto', cluster: 'c', maxBatchRecords: 10, stdin: Readable.from(chunks) }));
      expect(stdin.map((b) => [b.format, b.messages.map((m) => m.value)])).toEqual([['csv', ROWS]]);
      expect(stdin[0]!.messages[0]!.origin).toEqual({ kind: 'file', path: 'stdin', line: 2 });
    }
  });

  it('stops a file whose header cannot be read, naming the file and what it lacks', async () => {
    writeFileSync(join(dir, 'c.csv'), 'when,src_ip,dst_ip\n1,10.0.0.1,10.0.0.2\n');
    const error = await collect(new FileSource({ name: 'f', paths: [join(dir, 'c.csv')], format: 'csv', cluster: 'c', maxBatchRecords: 10 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowhoundError);
    expect((error as FlowhoundError).code).toBe('FH_INPUT_UNREADABLE');
    expect((error as Error).message).toMatch(/c\.csv: the header \(line 1\): the header \("when","src_ip","dst_ip"\) has no time column/);
  });

  it('decodes rows into records with their row numbers; bad rows are dead-lettered with theirs', async () => {
    writeFileSync(join(dir, 'd.csv'), `${TEXT}1700000180,10.0.0.1\n1700000240,10.0.0.1,10.0.0.2,abc\n`);
    const { records, letters, stats } = await decodedThrough([{ path: join(dir, 'd.csv'), format: 'auto' }]);
    expect(records.map((r) => [r.row, r.dst.ip, r.dstPort])).toEqual([[1, '10.0.0.2', 443], [2, '10.0.0.3', 80], [3, '10.0.0.2', 22]]);
    expect(letters.map((l) => [l.reason, l.detail, l.format, l.raw])).toEqual([
      ['malformed-csv', 'csv row 4: 2 fields, the header has 4', 'csv', '1700000180,10.0.0.1'],
      ['invalid-field', 'csv row 5: dst_port "abc" is not a port', 'csv', '1700000240,10.0.0.1,10.0.0.2,abc'],
    ]);
    expect(stats.toJSON()).toMatchObject({ received: { files: 5 } });
  });

  it('maps columns and reads headerless files with a configured header', async () => {
    writeFileSync(join(dir, 'e.csv'), 'ts,sa,da,extra\n1700000000,10.0.0.1,10.0.0.2,x\n');
    writeFileSync(join(dir, 'f.csv'), '1700000000,10.0.0.5,10.0.0.6,y\n');
    const columns = { time: 'ts', src_ip: 'sa', dst_ip: 'da' };
    const mapped = await decodedThrough([{ path: join(dir, 'e.csv'), format: 'auto', csv: { columns } }]);
    expect(mapped.records.map((r) => [r.src.workload, r.row])).toEqual([['10.0.0.1', 1]]);
    const headerless = await decodedThrough([{ path: join(dir, 'f.csv'), format: 'csv', csv: { columns, header: ['ts', 'sa', 'da', 'extra'] } }]);
    expect(headerless.records.map((r) => [r.src.workload, r.row])).toEqual([['10.0.0.5', 1]]);
  });

  it('replays the shipped 1998 example with its labels', async () => {
    const { records, letters } = await decodedThrough([{ path: EXAMPLE, format: 'auto' }]);
    expect(letters).toEqual([]);
    expect(records.length).toBe(readFileSync(EXAMPLE, 'utf8').trimEnd().split('\n').length - 1);
    expect(new Date(records[0]!.windowStart).getUTCFullYear()).toBe(1998);
    expect(new Set(records.filter((r) => isAttackLabel(r.label)).map((r) => r.label))).toEqual(new Set(['portsweep', 'neptune', 'guess_passwd']));
    expect(records.some((r) => r.label === 'normal')).toBe(true);
  });

  it('a replay into Kafka routes the data rows only, keyed and timed, the header left out', async () => {
    writeFileSync(join(dir, 'g.csv'), `${TEXT}not,a,row\n`);
    const items: ReplayItem[] = [];
    for await (const batch of replayItems({ files: [join(dir, 'g.csv')], cluster: 'c1', from: -Infinity, until: Infinity, batchSize: 2 })) items.push(...batch);
    expect(items.map((i) => [i.value, i.format, i.key, i.time])).toEqual([
      [ROWS[0], 'csv', '//10.0.0.1', 1_700_000_000_000],
      [ROWS[1], 'csv', '//10.0.0.1', 1_700_000_060_000],
      [ROWS[2], 'csv', '//10.0.0.4', 1_700_000_120_000],
      ['not,a,row', 'csv', null, 1_700_000_120_000],
    ]);
  });
});

describe('CSV from Kafka', () => {
  it('decodes rows with the source’s configured header, JSON lines beside them under auto', async () => {
    const stage = new MemoryStage();
    const deadLetter = new MemoryDeadLetter();
    const ingest = new Ingest({ deadLetter, stages: [stage], maxRecordBytes: 1 << 20, maxFutureSkewMs: 3600_000 });
    const csv = configuredCsvLayout({ header: ['ts', 'sa', 'da', 'dp'], columns: { time: 'ts', src_ip: 'sa', dst_ip: 'da', dst_port: 'dp' } });
    const values = ['1700000000,10.0.0.1,10.0.0.2,443', '1700000000,10.0.0.1,10.0.0.2', readFileSync(join(import.meta.dirname, '../../fixtures/hubble/full-dropped-egress.json'), 'utf8').trim()];
    const messages = values.map((value, i) => ({ value: Buffer.from(value), origin: { kind: 'kafka' as const, topic: 't', partition: 0, offset: String(i) } }));
    await ingest.handle({ source: 'k', format: 'auto', cluster: 'c1', messages, csv });
    expect(stage.records.map((r) => [r.format, r.row])).toEqual([['csv', undefined], ['hubble', undefined]]);
    expect(deadLetter.letters.map((l) => [l.reason, l.detail, l.origin])).toEqual([['malformed-csv', 'csv: 3 fields, the header has 4', { kind: 'kafka', topic: 't', partition: 0, offset: '1' }]]);
  });
});

describe('CSV in pipeline config', () => {
  const kafka = 'kafka: { brokers: ["127.0.0.1:9092"] }\n';
  it('takes csv.columns and csv.header on file and Kafka sources', () => {
    const config = parsePipeline(`name: p\n${kafka}sources:\n  k:\n    type: kafka\n    topics: [flows]\n    format: csv\n    csv: { header: [ts, sa, da], columns: { time: ts, src_ip: sa, dst_ip: da } }\n  f:\n    type: file\n    paths: [a.csv]\n    csv: { columns: { src_ip: sa } }\n`, 'p.yaml', {});
    expect(config.sources.k).toMatchObject({ format: 'csv', csv: { header: ['ts', 'sa', 'da'] } });
    expect(config.sources.f).toMatchObject({ format: 'auto', csv: { columns: { src_ip: 'sa' } } });
  });

  it('needs csv.header for a Kafka source of format csv, and a header it can read', () => {
    expect(() => parsePipeline(`name: p\n${kafka}sources:\n  k:\n    type: kafka\n    topics: [flows]\n    format: csv\n`, 'p.yaml', {})).toThrow(/sources\.k\.csv\.header: expected the CSV header/);
    expect(() => parsePipeline(`name: p\n${kafka}sources:\n  k:\n    type: kafka\n    topics: [flows]\n    csv: { header: [ts, sa, da] }\n`, 'p.yaml', {})).toThrow(/sources\.k\.csv: the header .* has no time column/);
    expect(() => parsePipeline(`name: p\nsources:\n  f:\n    type: file\n    paths: [a.csv]\n    csv: { columns: { source: sa } }\n`, 'p.yaml', {})).toThrow(/sources\.f\.csv\.columns/);
  });
});
