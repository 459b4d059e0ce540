import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageHeader, MessageReader } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ArrowRecordWriter } from '../../../src/arrow/record-writer.ts';
import { COLUMNS } from '../../../src/arrow/record-schema.ts';
import { decodeMessage } from '../../../src/parsers/record-decoder.ts';
import { fixture } from '../fixture.ts';

const ctx = { cluster: 'prod-eu', now: Date.parse('2026-11-23T00:00:00Z'), maxFutureSkewMs: 3600_000 };

describe('ArrowRecordWriter', () => {
  it('writes a dictionary delta only when a batch brings new strings (no empty delta per batch and column)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'flowhound-writer-')), 'same.arrows');
    const writer = new ArrowRecordWriter(path, { format: 'stream', batchSize: 4 });
    const result = decodeMessage(fixture('calico-flow/doc-example-reporter-dst.json'), 'auto', ctx, 1 << 20);
    if (result.status !== 'ok') throw new Error('fixture');
    // 100 batches of the same record: every string is known after the first batch.
    for (let i = 0; i < 400; i++) await writer.write(result.record, null, 'line');
    await writer.close();
    const counts = { dictionaries: 0, batches: 0 };
    const reader = new MessageReader(readFileSync(path));
    for (let message = reader.readMessage(); message !== null; message = reader.readMessage()) {
      if (message.headerType === MessageHeader.DictionaryBatch) counts.dictionaries++;
      if (message.headerType === MessageHeader.RecordBatch) counts.batches++;
      reader.readMessageBody(message.bodyLength);
    }
    expect(counts.batches).toBe(100);
    expect(counts.dictionaries).toBe(COLUMNS.filter(([, type]) => type.typeId === -1).length);
  });
});
