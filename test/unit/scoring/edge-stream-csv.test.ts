/**
 * The edge-burst scorer end to end on CSV flows: the generated edge stream (floods, port scans,
 * host sweeps and a distributed flood mixed into steady traffic, datasets/generator/edge-stream.ts)
 * replayed with `--scores-out` and evaluated on its per-row labels, on seeds the defaults were
 * not tuned on (1–5 were).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';

function generate(seed: number, hours: number): string {
  const out = mkdtempSync(join(tmpdir(), `flowhound-edges-${seed}-`));
  execFileSync(process.execPath, ['datasets/generator/edge-stream.ts', '--seed', String(seed), '--hours', String(hours), '--clients', '80', '--attacks', '6', '--out', out], { stdio: 'ignore' });
  return out;
}

async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return await run();
  } finally {
    write.mockRestore();
  }
}

describe('edge-burst scores of a CSV edge stream', () => {
  it('writes one score per data row, each row once, higher for attack rows', async () => {
    const dir = generate(21, 6);
    const scores = join(dir, 'scores.csv');
    expect(await quietly(() => main(['replay', join(dir, 'flows.csv'), '--format', 'csv', '--quiet', '--scores-out', scores, '--dead-letter', join(dir, 'dl.jsonl')]))).toBe(0);
    const data = readFileSync(join(dir, 'flows.csv'), 'utf8').trimEnd().split('\n').slice(1);
    const lines = readFileSync(scores, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('row,score');
    const byRow = new Map(lines.slice(1).map((l) => l.split(',').map(Number) as [number, number]));
    expect(byRow.size).toBe(data.length);
    expect([...byRow.keys()].sort((a, b) => a - b)).toEqual(data.map((_, i) => i + 1));
    const mean = (attack: boolean) => {
      const picked = data.flatMap((line, i) => ((line.split(',').at(-1) !== 'benign') === attack ? [byRow.get(i + 1)!] : []));
      return picked.reduce((a, b) => a + b, 0) / picked.length;
    };
    expect(mean(true)).toBeGreaterThan(20 * mean(false));
  });

  it('ranks attack rows first: ROC-AUC ≥ 0.98 per record on held-out seeds, next to the per-scenario scoring', async () => {
    for (const seed of [31, 47]) {
      const dir = generate(seed, 12);
      const json = join(dir, 'evaluation.json');
      expect(await quietly(() => main(['evaluate', '--labels', join(dir, 'labels.jsonl'), join(dir, 'flows.csv'), '--format', 'csv', '--json', json, '--dead-letter', join(dir, 'dl.jsonl')]))).toBe(0);
      const evaluation = JSON.parse(readFileSync(json, 'utf8')) as { perRecord: { rocAuc: number; averagePrecision: number; labelledBy: string; attacks: number }; falseAlerts: number; scenarios: { detected: boolean }[] };
      expect(evaluation.perRecord.labelledBy).toBe('records');
      expect(evaluation.perRecord.attacks).toBeGreaterThan(0);
      expect(evaluation.perRecord.rocAuc).toBeGreaterThanOrEqual(0.98);
      expect(evaluation.perRecord.averagePrecision).toBeGreaterThan(0.8);
      expect(evaluation.falseAlerts).toBe(0);
    }
  }, 120_000);

  it('scores an edge stream in the processed form of the MIDAS datasets: no header, node ids, times that are tick numbers', async () => {
    const dir = generate(53, 12);
    // flows.csv → `src,dst,minute` (node ids from 1, minutes from 1) and a 0/1 label per row, as MIDAS ships DARPA.
    const ids = new Map<string, number>();
    const id = (ip: string) => ids.get(ip) ?? (ids.set(ip, ids.size + 1), ids.size);
    const rows = readFileSync(join(dir, 'flows.csv'), 'utf8').trimEnd().split('\n').slice(1).map((line) => line.split(','));
    const first = Number(rows[0]![0]);
    writeFileSync(join(dir, 'edges.csv'), rows.map((f) => `${id(f[1]!)},${id(f[2]!)},${1 + Math.floor((Number(f[0]) - first) / 60)},${f.at(-1) === 'benign' ? 0 : 1}`).join('\n') + '\n');
    writeFileSync(join(dir, 'none.jsonl'), '');
    const json = join(dir, 'evaluation.json');
    const run = ['evaluate', '--labels', join(dir, 'none.jsonl'), join(dir, 'edges.csv'), '--format', 'csv', '--csv-header', 'src_ip,dst_ip,time,label', '--json', json, '--dead-letter', join(dir, 'dl.jsonl')];
    expect(await quietly(() => main([...run, '--tick-seconds', '1']))).toBe(0);
    const perRecord = (JSON.parse(readFileSync(json, 'utf8')) as { perRecord: { records: number; rocAuc: number } }).perRecord;
    expect(perRecord.records).toBe(rows.length);
    expect(perRecord.rocAuc).toBeGreaterThanOrEqual(0.98);
  }, 60_000);
});
