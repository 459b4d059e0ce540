import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Field, RecordBatch, RecordBatchFileWriter, Schema, Utf8, tableFromArrays } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { isArrowFile, readArrowRecords } from '../../../src/arrow/record-reader.ts';
import { ArrowRecordWriter } from '../../../src/arrow/record-writer.ts';
import { FlowhoundError } from '../../../src/errors.ts';
import type { NormalizedRecord } from '../../../src/model/normalized-record.ts';
import { decodeMessage } from '../../../src/parsers/record-decoder.ts';
import { fixture } from '../fixture.ts';

const ctx = { cluster: 'prod-eu', now: Date.parse('2026-11-23T00:00:00Z'), maxFutureSkewMs: 3600_000 };
const FIXTURES = ['calico-flow/doc-example-reporter-dst.json', 'calico-flow/aggregated-egress-public.json', 'calico-flow/denied-to-service.json', 'calico-dns/txt-aggregated.json', 'calico-dns/nxdomain.json', 'hubble/full-dropped-egress.json', 'hubble/reply-from-world.json', 'hubble/dns-response.json', 'hubble/export-doc-dropped.json'];

function records(): NormalizedRecord[] {
  return FIXTURES.map((f) => {
    const result = decodeMessage(fixture(f), 'auto', ctx, 1 << 20);
    if (result.status !== 'ok') throw new Error(f);
    return result.record;
  });
}

async function readAll(path: string): Promise<NormalizedRecord[]> {
  const out: NormalizedRecord[] = [];
  for await (const batch of readArrowRecords(path)) out.push(...batch);
  return out;
}

describe('Arrow dataset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowhound-arrow-'));

  it.each([['file', 'r.arrow'], ['stream', 'r.arrows'], ['file', 'r.arrow.gz']] as const)('round-trips every kind of record exactly (%s format, %s)', async (format, name) => {
    const path = join(dir, name);
    // Small batches: several record batches, dictionaries growing by deltas.
    const writer = new ArrowRecordWriter(path, { format, batchSize: 2 });
    for (const record of records()) await writer.write(record);
    await writer.close();
    expect(await isArrowFile(path)).toBe(true);
    expect(await readAll(path)).toEqual(records());
  });

  it('refuses a file of a newer schema version, and Arrow files that are not flowhound datasets', async () => {
    const batch = tableFromArrays({ kind: ['flow'] }).batches[0]!;
    const write = (path: string, metadata: Map<string, string>) => {
      const schema = new Schema([new Field('kind', new Utf8())], metadata);
      writeFileSync(path, RecordBatchFileWriter.writeAll([new RecordBatch(schema, batch.data)]).toUint8Array(true));
    };
    const foreign = join(dir, 'foreign.arrow');
    write(foreign, new Map());
    await expect(readAll(foreign)).rejects.toSatisfy((e) => e instanceof FlowhoundError && /not a flowhound Arrow dataset/.test(e.message));
    const newer = join(dir, 'newer.arrow');
    write(newer, new Map([['flowhound.schema', 'flowhound.records'], ['flowhound.schema_version', '3']]));
    await expect(readAll(newer)).rejects.toThrow(/schema version "3" is not supported by this flowhound \(it reads versions 1 and 2\)/);
  });

  it('does not mistake JSON lines for Arrow', async () => {
    const path = join(dir, 'x.jsonl');
    writeFileSync(path, fixture('hubble/dns-response.json'));
    expect(await isArrowFile(path)).toBe(false);
  });
});
