import { RecordBatchReader } from 'apache-arrow';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readColumnBatches, utf8Strings } from '../../../src/arrow/ipc-columns.ts';

const SAMPLE = 'datasets/sample/records.arrow.gz';

/** Every value of `names` columns, read by apache-arrow's own reader. */
async function byApacheArrow(names: string[]): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = Object.fromEntries(names.map((n) => [n, []]));
  const reader = await RecordBatchReader.from(createReadStream(SAMPLE).pipe(createGunzip()));
  for await (const batch of reader) for (const n of names) for (const v of batch.getChild(n)!) out[n]!.push(typeof v === 'bigint' ? Number(v) : (v ?? null));
  return out;
}

describe('readColumnBatches', () => {
  it('reads the same values as apache-arrow when buffers straddle or misalign with the inflated chunks', async () => {
    const names = ['original', 'src_pod', 'dst_ip', 'qname'];
    const want = await byApacheArrow(names);
    // Odd chunk sizes put buffers across chunk boundaries and at unaligned offsets.
    for (const inflateChunkBytes of [1001, 4093, 65_537]) {
      const got: Record<string, unknown[]> = Object.fromEntries(names.map((n) => [n, []]));
      for await (const batch of readColumnBatches(SAMPLE, { columns: new Set(names), onSchema: () => {}, inflateChunkBytes })) {
        for (const n of names) got[n]!.push(...utf8Strings(batch.column(n)!).slice(0, batch.rows));
      }
      for (const n of names) expect({ chunk: inflateChunkBytes, column: n, equal: JSON.stringify(got[n]) === JSON.stringify(want[n]), rows: got[n]!.length }).toEqual({ chunk: inflateChunkBytes, column: n, equal: true, rows: want[n]!.length });
    }
  });
});
