/** `--format`, `--csv-columns` and `--csv-header` on replay and convert, through main(). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'flowhound-csv-cli-'));

async function quietly(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => { out += String(chunk); return true; });
  const error = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => { err += String(chunk); return true; });
  try {
    return { code: await run(), out, err };
  } finally {
    write.mockRestore();
    error.mockRestore();
  }
}

const records = (path: string) => readFileSync(path, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('CSV options', () => {
  it('replay --format csv --csv-columns maps an nfdump export onto the vocabulary', async () => {
    const file = join(dir, 'nfdump.csv');
    writeFileSync(file, 'ts,te,sa,da,sp,dp,pr,ibyt,obyt\n1998-06-01 08:00:00,1998-06-01 08:00:10,172.16.112.50,135.13.216.191,1024,80,TCP,300,9000\n');
    const out = join(dir, 'records.jsonl');
    const { code } = await quietly(() => main(['replay', file, '--quiet', '--format', 'csv', '--csv-columns', 'start_time=ts,end_time=te,src_ip=sa,dst_ip=da,src_port=sp,dst_port=dp,protocol=pr,bytes_out=ibyt,bytes_in=obyt', '--records-out', out, '--dead-letter', join(dir, 'dl.jsonl')]));
    expect(code).toBe(0);
    expect(records(out)).toEqual([expect.objectContaining({
      format: 'csv', windowStart: Date.parse('1998-06-01T08:00:00Z'), windowEnd: Date.parse('1998-06-01T08:00:10Z'),
      src: expect.objectContaining({ kind: 'private', workload: '172.16.112.50' }), dstPort: 80, protocol: 'tcp', bytesToDst: 300, bytesToSrc: 9000, row: 1,
    })]);
  });

  it('replay --csv-header reads a headerless file; convert writes CSV rows into an Arrow dataset', async () => {
    const file = join(dir, 'headerless.csv');
    writeFileSync(file, '896688000,10.0.0.1,10.0.0.2\n896688060,10.0.0.1,10.0.0.3\n');
    const out = join(dir, 'headerless.jsonl');
    expect((await quietly(() => main(['replay', file, '--quiet', '--format', 'csv', '--csv-header', 'time,src_ip,dst_ip', '--records-out', out]))).code).toBe(0);
    expect(records(out).map((r) => r.row)).toEqual([1, 2]);
    const arrow = join(dir, 'flows.arrow');
    const converted = await quietly(() => main(['convert', file, '--csv-header', 'time,src_ip,dst_ip', '--to', arrow]));
    expect(converted.code).toBe(0);
    expect(converted.out).toContain('wrote 2 rows');
  });

  it('refuses bad --format and --csv-columns values as usage errors', async () => {
    const file = join(dir, 'x.csv');
    writeFileSync(file, 'time,src_ip,dst_ip\n1,10.0.0.1,10.0.0.2\n');
    for (const args of [['--format', 'xml'], ['--csv-columns', 'source=sa'], ['--csv-columns', 'src_ip'], ['--format', 'hubble', '--csv-columns', 'src_ip=sa'], ['--csv-header', 'a,b']]) {
      const { code, err } = await quietly(() => main(['replay', file, '--quiet', ...args]));
      expect(code, args.join(' ')).toBe(2);
      expect(err).toMatch(/--format|--csv-columns|--csv-header/);
    }
  });
});
