import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FlowhoundError } from '../../../src/errors.ts';
import { FileSource, readLineBatches } from '../../../src/sources/file-source.ts';
import type { SourceBatch } from '../../../src/sources/types.ts';

async function collect(source: FileSource): Promise<SourceBatch[]> {
  const batches: SourceBatch[] = [];
  await source.run(async (batch) => { batches.push(batch); });
  return batches;
}

describe('FileSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowhound-file-source-'));

  it('reads plain and gzip JSON lines in batches, skipping blank lines and keeping line numbers', async () => {
    writeFileSync(join(dir, 'a.jsonl'), '{"a":1}\n\n{"a":2}\r\n{"a":3}');
    writeFileSync(join(dir, 'b.jsonl.gz'), gzipSync('{"b":1}\n{"b":2}\n'));
    const source = new FileSource({ name: 'f', paths: [join(dir, 'a.jsonl'), join(dir, 'b.jsonl.gz')], format: 'auto', cluster: 'c', maxBatchRecords: 2 });
    const batches = await collect(source);
    expect(batches.map((b) => b.messages.map((m) => m.value))).toEqual([['{"a":1}', '{"a":2}'], ['{"a":3}'], ['{"b":1}', '{"b":2}']]);
    expect(batches[0]!.messages[1]!.origin).toEqual({ kind: 'file', path: join(dir, 'a.jsonl'), line: 3 });
    expect(batches[0]).toMatchObject({ source: 'f', format: 'auto', cluster: 'c' });
  });

  it('reads stdin for -', async () => {
    const source = new FileSource({ name: 'f', paths: ['-'], format: 'hubble', cluster: 'c', maxBatchRecords: 10, stdin: Readable.from(['{"x":1}\n{"x"', ':2}\n']) });
    const batches = await collect(source);
    expect(batches[0]!.messages.map((m) => [m.value, m.origin])).toEqual([
      ['{"x":1}', { kind: 'file', path: 'stdin', line: 1 }],
      ['{"x":2}', { kind: 'file', path: 'stdin', line: 2 }],
    ]);
  });

  it('splits lines as node:readline does (LF, CRLF, a lone CR), wherever the chunks are cut', async () => {
    const text = '{"a":"é"}\r\n\n  \t\r\n{"b":"中"}\r{"c":1}\r\r\n{"d":2}\n\u00ff\n{"e":3}\r';
    const bytes = Buffer.from(text, 'utf8');
    const expected: [string, number][] = [];
    let n = 0;
    for await (const line of createInterface({ input: Readable.from([bytes]), crlfDelay: Infinity })) {
      n++;
      if (line.trim() !== '') expected.push([line, n]);
    }
    expect(expected.length).toBe(6);
    for (let cut = 0; cut <= bytes.length; cut++) {
      for (const second of [cut, Math.min(bytes.length, cut + 1), Math.min(bytes.length, cut + 7)]) {
        const chunks = [bytes.subarray(0, cut), bytes.subarray(cut, second), bytes.subarray(second)];
        const got: [string, number][] = [];
        for await (const batch of readLineBatches('-', 4, Readable.from(chunks))) {
          expect(batch.length).toBeLessThanOrEqual(4);
          for (const m of batch) got.push([m.value as string, (m.origin as { line: number }).line]);
        }
        expect(got, `cut at ${cut}, ${second}`).toEqual(expected);
      }
    }
  });

  it('keeps U+2028 and U+2029 inside a line (JSON allows them in strings)', async () => {
    const source = new FileSource({ name: 'f', paths: ['-'], format: 'auto', cluster: 'c', maxBatchRecords: 10, stdin: Readable.from([Buffer.from('{"x":"a\u2028b\u2029c"}\n{"y":1}', 'utf8')]) });
    const batches = await collect(source);
    expect(batches[0]!.messages.map((m) => [m.value, m.origin])).toEqual([
      ['{"x":"a\u2028b\u2029c"}', { kind: 'file', path: 'stdin', line: 1 }],
      ['{"y":1}', { kind: 'file', path: 'stdin', line: 2 }],
    ]);
  });

  it('fails with FH_INPUT_UNREADABLE for a missing file', async () => {
    const source = new FileSource({ name: 'f', paths: [join(dir, 'missing.jsonl')], format: 'auto', cluster: 'c', maxBatchRecords: 10 });
    await expect(collect(source)).rejects.toSatisfy((e) => e instanceof FlowhoundError && e.code === 'FH_INPUT_UNREADABLE');
  });

  it('fails with FH_INPUT_UNREADABLE for a corrupt gzip file', async () => {
    writeFileSync(join(dir, 'bad.gz'), Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not gzip at all')]));
    const source = new FileSource({ name: 'f', paths: [join(dir, 'bad.gz')], format: 'auto', cluster: 'c', maxBatchRecords: 10 });
    await expect(collect(source)).rejects.toSatisfy((e) => e instanceof FlowhoundError && e.code === 'FH_INPUT_UNREADABLE');
  });
});
