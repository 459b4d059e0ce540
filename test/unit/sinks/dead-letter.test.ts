import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadLetterJson, type DeadLetter } from '../../../src/sinks/dead-letter.ts';
import { DeadLetterFile } from '../../../src/sinks/dead-letter-file.ts';

const letter: DeadLetter = {
  source: 'flows', origin: { kind: 'file', path: 'in.jsonl', line: 7 }, format: 'calico-flow',
  reason: 'out-of-range', detail: 'bytes_in must be an integer in [0, 2^50], got -5', raw: '{"bytes_in":-5}', rejectedAt: Date.parse('2026-11-23T00:00:00Z'),
};

describe('dead letters', () => {
  it('serialise as one JSON line with the reason and the original text', () => {
    expect(JSON.parse(deadLetterJson(letter))).toEqual({
      rejected_at: '2026-11-23T00:00:00.000Z', source: 'flows', format: 'calico-flow', reason: 'out-of-range',
      detail: 'bytes_in must be an integer in [0, 2^50], got -5', origin: { kind: 'file', path: 'in.jsonl', line: 7 }, raw: '{"bytes_in":-5}',
    });
  });

  it('keep bytes that are not UTF-8 exactly, as base64', () => {
    const bytes = Buffer.from([0xff, 0x00, 0x7b]);
    const entry = JSON.parse(deadLetterJson({ ...letter, raw: bytes }));
    expect(entry.raw).toBeUndefined();
    expect(Buffer.from(entry.raw_base64, 'base64')).toEqual(bytes);
  });

  it('append to a file created on first use', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'flowhound-dl-')), 'dead.jsonl');
    const sink = new DeadLetterFile(path);
    await sink.write([letter]);
    await sink.write([{ ...letter, reason: 'malformed-json' }]);
    await sink.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.reason)).toEqual(['out-of-range', 'malformed-json']);
  });
});
