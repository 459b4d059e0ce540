import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readArrowBatches } from '../../../src/arrow/arrow-input.ts';
import { ArrowRecordWriter } from '../../../src/arrow/record-writer.ts';
import { decodeMessage } from '../../../src/parsers/record-decoder.ts';
import { fixture } from '../fixture.ts';

const ctx = { cluster: 'prod-eu', now: Date.parse('2026-11-23T00:00:00Z'), maxFutureSkewMs: 3600_000 };
const FIXTURES = ['calico-flow/doc-example-reporter-dst.json', 'calico-flow/denied-to-service.json', 'calico-dns/nxdomain.json', 'hubble/full-dropped-egress.json', 'hubble/dns-response.json'];

describe('readArrowBatches', () => {
  it.each(['many.arrow.gz', 'many.arrows.gz'])('keeps no read buffer alive through the dictionaries, batch after batch (%s)', async (name) => {
    const path = join(mkdtempSync(join(tmpdir(), 'flowhound-input-')), name);
    const writer = new ArrowRecordWriter(path, { batchSize: 16, format: name.includes('.arrows') ? 'stream' : 'file' });
    for (let i = 0; i < 100; i++) {
      for (const f of FIXTURES) {
        const result = decodeMessage(fixture(f), 'auto', ctx, 1 << 20);
        if (result.status !== 'ok') throw new Error(f);
        await writer.write(result.record, `scenario-${i % 7}`, fixture(f));
      }
    }
    await writer.close();
    let batches = 0;
    let rows = 0;
    for await (const batch of readArrowBatches(path, () => {})) {
      rows += batch.numRows;
      // From the second batch on, the dictionary entries read before are copies that own their
      // bytes, not views into the (16-64 kB) chunks the file was read in.
      if (batches++ === 0) continue;
      for (const field of batch.schema.fields) {
        if (!DataType.isDictionary(field.type)) continue;
        const known = batch.getChild(field.name)!.data[0]!.dictionary!.data[0]!;
        expect(known.values.buffer.byteLength, field.name).toBeLessThan(4096);
      }
    }
    expect(rows).toBe(500);
    expect(batches).toBe(Math.ceil(500 / 16));
  });
});
