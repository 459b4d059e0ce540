import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLabels } from '../../../src/evaluation/labels.ts';
import { decodeMessage } from '../../../src/parsers/record-decoder.ts';

function generate(seed: number, hours = 10): string {
  const out = mkdtempSync(join(tmpdir(), 'flowhound-gen-'));
  execFileSync(process.execPath, ['datasets/generator/main.ts', '--seed', String(seed), '--hours', String(hours), '--out', out], { stdio: 'ignore' });
  return out;
}

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');

describe('dataset generator', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = generate(3);
    const b = generate(3);
    const c = generate(4);
    for (const file of ['calico-flows.jsonl', 'calico-dns.jsonl', 'hubble-flows.jsonl', 'labels.jsonl']) expect(read(a, file)).toBe(read(b, file));
    expect(read(a, 'calico-flows.jsonl')).not.toBe(read(c, 'calico-flows.jsonl'));
  });

  it('writes records every parser accepts, in event-time order, and valid labels', () => {
    const dir = generate(5);
    const ctx = { cluster: 'prod-eu', now: Date.now(), maxFutureSkewMs: 3600_000 };
    for (const [file, format] of [['calico-flows.jsonl', 'calico-flow'], ['calico-dns.jsonl', 'calico-dns'], ['hubble-flows.jsonl', 'hubble']] as const) {
      let last = 0;
      for (const line of read(dir, file).trim().split('\n')) {
        const result = decodeMessage(line, format, ctx, 1 << 20);
        expect(result.status, `${file}: ${line.slice(0, 200)}`).toBe('ok');
        if (result.status !== 'ok') continue;
        const time = result.record.windowStart;
        expect(time).toBeGreaterThanOrEqual(last);
        last = time;
      }
    }
    const labels = loadLabels(join(dir, 'labels.jsonl'));
    expect(labels.length).toBeGreaterThan(0);
    for (const label of labels) expect(label.endMs).toBeGreaterThan(label.startMs);
  });
});
