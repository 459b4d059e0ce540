import { createReadStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import { Dictionary, Field, Int32, Message, MessageHeader, RecordBatch, RecordBatchFileWriter, Schema, Struct, Utf8, makeData, vectorFromArray, type Data } from 'apache-arrow';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ArrowStage } from '../../../src/arrow/arrow-stage.ts';
import { readArrowBatches } from '../../../src/arrow/arrow-input.ts';
import { readArrowOriginals, readArrowRecords } from '../../../src/arrow/record-reader.ts';
import { keyOf } from '../../../src/model/workload.ts';
import { main } from '../../../src/cli/main.ts';
import { FlowhoundError } from '../../../src/errors.ts';
import type { NormalizedRecord } from '../../../src/model/normalized-record.ts';
import { replayMerged } from '../../../src/pipeline/event-time-merge.ts';
import { Ingest } from '../../../src/pipeline/ingest.ts';
import { MemoryDeadLetter } from '../../../src/sinks/dead-letter-memory.ts';
import { fixture } from '../fixture.ts';

const FIXTURES = ['calico-flow/doc-example-reporter-dst.json', 'calico-flow/aggregated-egress-public.json', 'calico-flow/denied-to-service.json', 'calico-dns/txt-aggregated.json', 'calico-dns/nxdomain.json', 'hubble/full-dropped-egress.json', 'hubble/reply-from-world.json', 'hubble/dns-response.json', 'hubble/export-doc-dropped.json'];
const SAMPLE = ['calico-flows.jsonl.gz', 'calico-dns.jsonl.gz', 'hubble-flows.jsonl.gz'].map((f) => new URL(`../../../datasets/sample/${f}`, import.meta.url).pathname);
const now = Date.parse('2026-11-23T00:00:00Z');

const dir = mkdtempSync(join(tmpdir(), 'flowhound-originals-'));

function ingestInto(path: string, options: { keepOriginals: boolean; batchSize?: number }): { ingest: Ingest; stage: ArrowStage } {
  const stage = new ArrowStage(path, options.batchSize === undefined ? {} : { batchSize: options.batchSize });
  const ingest = new Ingest({ deadLetter: new MemoryDeadLetter(), stages: [stage], maxRecordBytes: 1 << 20, maxFutureSkewMs: 1e12, clock: () => now, keepOriginals: options.keepOriginals });
  return { ingest, stage };
}

async function collect<T>(batches: AsyncGenerator<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const batch of batches) out.push(...batch);
  return out;
}

/** The first `n` lines of a sample file, written out uncompressed. */
async function sampleSlice(path: string, n: number, to: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity })) {
    lines.push(line);
    if (lines.length >= n) break;
  }
  writeFileSync(to, lines.join('\n') + '\n');
  return lines;
}

const text = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');

describe('Arrow dataset originals (schema version 2)', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each(['fixtures.arrow', 'fixtures.arrow.gz'])('keeps every fixture line byte for byte with its record (%s)', async (name) => {
    const path = join(dir, name);
    const { ingest } = ingestInto(path, { keepOriginals: true });
    const lines = FIXTURES.map((f) => fixture(f));
    await ingest.handle({ source: 'test', format: 'auto', cluster: 'prod-eu', messages: lines.map((value, line) => ({ value, origin: { kind: 'file', path: 'fixtures', line } })) });
    await ingest.close();
    const originals = await collect(readArrowOriginals(path));
    expect(originals.map((o) => text(o.value))).toEqual(lines);
    const records = await collect(readArrowRecords(path));
    // What routing needs, read from the columns alone, agrees with the whole records.
    expect(originals.map((o) => o.format)).toEqual(records.map((r) => r.format));
    expect(originals.map((o) => o.time)).toEqual(records.map((r) => (r.kind === 'flow' ? r.windowEnd : r.time)));
    expect(originals.map((o) => o.key)).toEqual(records.map((r) => keyOf(r)));
  });

  it('keeps the original of every record of a slice of the sample, merged in event time and over several batches', async () => {
    const inputs = await Promise.all(SAMPLE.map((p, i) => sampleSlice(p, 1_500, join(dir, `slice-${i}.jsonl`))));
    const path = join(dir, 'slice.arrow.gz');
    const { ingest, stage } = ingestInto(path, { keepOriginals: true, batchSize: 500 });
    await replayMerged(ingest, inputs.map((_, i) => ({ path: join(dir, `slice-${i}.jsonl`), format: 'auto' as const, cluster: 'prod-eu', source: 'files' })), 200);
    await ingest.close();
    const originals = await collect(readArrowOriginals(path));
    expect(originals.length).toBe(stage.writer.rows.written);
    // Every line made a record here (the slice has no skipped or rejected lines), each stored once.
    expect(originals.map((o) => text(o.value)).sort()).toEqual(inputs.flat().sort());
    // Each original is the line its record was parsed from, and in event-time order.
    for (const o of originals.slice(0, 200)) expect(JSON.parse(text(o.value))).toBeTypeOf('object');
    const times = originals.map((o) => o.time);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('carries the originals on when a dataset is converted again', async () => {
    const first = join(dir, 'again-1.arrow');
    const { ingest } = ingestInto(first, { keepOriginals: true });
    const lines = FIXTURES.map((f) => fixture(f));
    await ingest.handle({ source: 'test', format: 'auto', cluster: 'prod-eu', messages: lines.map((value, line) => ({ value, origin: { kind: 'file', path: 'fixtures', line } })) });
    await ingest.close();
    const second = join(dir, 'again-2.arrow.gz');
    const again = ingestInto(second, { keepOriginals: true });
    await replayMerged(again.ingest, [{ path: first, format: 'auto', cluster: 'prod-eu', source: 'files' }], 100);
    await again.ingest.close();
    expect((await collect(readArrowOriginals(second))).map((o) => text(o.value)).sort()).toEqual([...lines].sort());
  });

  it('convert --no-original leaves the column empty: records read, originals refused with a clear error', async () => {
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, FIXTURES.map((f) => fixture(f)).join('\n') + '\n');
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const kept = join(dir, 'kept.arrow');
    const dropped = join(dir, 'dropped.arrow');
    expect(await main(['convert', input, '--cluster', 'prod-eu', '--to', kept, '--dead-letter', join(dir, 'dl.jsonl')])).toBe(0);
    expect(await main(['convert', input, '--cluster', 'prod-eu', '--no-original', '--to', dropped, '--dead-letter', join(dir, 'dl.jsonl')])).toBe(0);
    vi.restoreAllMocks();
    expect(await collect(readArrowRecords(dropped))).toEqual(await collect(readArrowRecords(kept)));
    expect((await collect(readArrowOriginals(kept))).length).toBe(FIXTURES.length);
    await expect(collect(readArrowOriginals(dropped))).rejects.toSatisfy((e) => e instanceof FlowhoundError && e.code === 'FH_USAGE' && /no original lines \(converted with --no-original\).*convert the JSON lines again.*without --no-original/.test(e.message));
    expect(readFileSync(kept).length).toBeGreaterThan(readFileSync(dropped).length);
  });

  it('writes the schema message at the head of the file format, so a gzip file reads as a stream', async () => {
    const path = join(dir, 'layout.arrow');
    const { ingest } = ingestInto(path, { keepOriginals: true });
    await ingest.handle({ source: 'test', format: 'auto', cluster: 'prod-eu', messages: [{ value: fixture(FIXTURES[0]!), origin: { kind: 'file', path: 'f', line: 1 } }] });
    await ingest.close();
    const bytes = readFileSync(path);
    expect(bytes.toString('latin1', 0, 6)).toBe('ARROW1');
    expect(bytes.readInt32LE(8)).toBe(-1);
    const length = bytes.readInt32LE(12);
    expect(Message.decode(bytes.subarray(16, 16 + length)).headerType).toBe(MessageHeader.Schema);
    writeFileSync(path + '.gz', gzipSync(bytes));
    expect((await collect(readArrowOriginals(path + '.gz'))).map((o) => text(o.value))).toEqual([fixture(FIXTURES[0]!)]);
  });

  describe('version 1 datasets', () => {
    /** A version-1 dataset of the records: no original column, qname and dst_fqdns dictionaries, apache-arrow's own file layout. */
    async function writeV1(records: string, to: string): Promise<void> {
      const batches: RecordBatch[] = [];
      let schema: Schema | undefined;
      for await (const batch of readArrowBatches(records, () => {})) {
        const fields: Field[] = [];
        const children: Data[] = [];
        for (const field of batch.schema.fields) {
          if (field.name === 'original') continue;
          const child = batch.getChild(field.name)!;
          if (field.name === 'qname' || field.name === 'dst_fqdns') {
            const values = child.toArray() as (string | null)[];
            const distinct = [...new Set(values.filter((v): v is string => v !== null))];
            const type = new Dictionary(new Utf8(), new Int32(), 1000 + fields.length);
            const keys = Int32Array.from(values.map((v) => (v === null ? 0 : distinct.indexOf(v))));
            const nullBitmap = new Uint8Array(Math.ceil(values.length / 8));
            values.forEach((v, i) => { if (v !== null) nullBitmap[i >> 3]! |= 1 << (i & 7); });
            const dictionary = vectorFromArray(distinct.length === 0 ? [''] : distinct, new Utf8());
            fields.push(new Field(field.name, type, true));
            children.push(makeData({ type, length: values.length, nullCount: values.filter((v) => v === null).length, nullBitmap, data: keys, dictionary }));
          } else {
            fields.push(field);
            children.push(child.data[0]!);
          }
        }
        schema ??= new Schema(fields, new Map([['flowhound.schema', 'flowhound.records'], ['flowhound.schema_version', '1']]));
        batches.push(new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: batch.numRows, nullCount: 0, children })));
      }
      const bytes = RecordBatchFileWriter.writeAll(batches).toUint8Array(true);
      writeFileSync(to, to.endsWith('.gz') ? gzipSync(bytes) : bytes);
    }

    it.each(['v1.arrow', 'v1.arrow.gz'])('are still read (%s), and refused for originals with a clear error', async (name) => {
      const source = join(dir, `v2-for-${name}.arrow`);
      const { ingest } = ingestInto(source, { keepOriginals: true });
      await ingest.handle({ source: 'test', format: 'auto', cluster: 'prod-eu', messages: FIXTURES.map((f, line) => ({ value: fixture(f), origin: { kind: 'file', path: 'f', line } })) });
      await ingest.close();
      const v1 = join(dir, name);
      await writeV1(source, v1);
      const bytes = name.endsWith('.gz') ? gunzipSync(readFileSync(v1)) : readFileSync(v1);
      // apache-arrow's layout: no schema message after the magic.
      expect(Message.decode(bytes.subarray(16, 16 + bytes.readInt32LE(12))).headerType).not.toBe(MessageHeader.Schema);
      const expected: NormalizedRecord[] = await collect(readArrowRecords(source));
      expect(await collect(readArrowRecords(v1))).toEqual(expected);
      await expect(collect(readArrowOriginals(v1))).rejects.toSatisfy((e) => e instanceof FlowhoundError && e.code === 'FH_USAGE' && /schema version 1.*not their original lines.*without --no-original/.test(e.message));
    });
  });

  it('refuses an unknown schema version for originals too', async () => {
    const path = join(dir, 'v9.arrow');
    const schema = new Schema([new Field('kind', new Utf8())], new Map([['flowhound.schema', 'flowhound.records'], ['flowhound.schema_version', '9']]));
    writeFileSync(path, RecordBatchFileWriter.writeAll([new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 1, nullCount: 0, children: [vectorFromArray(['flow'], new Utf8()).data[0]!] }))]).toUint8Array(true));
    await expect(collect(readArrowOriginals(path))).rejects.toThrow(/schema version "9" is not supported by this flowhound \(it reads versions 1 and 2\)/);
  });
});
