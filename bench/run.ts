/**
 * `npm run bench`: parser throughput on the shipped sample, next to JSON.parse alone on the
 * same bytes in the same process (the ceiling a JSON parser cannot beat). Figures are ratios
 * against that in-run baseline, so they compare across machines.
 */
import { readFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { decodeMessage } from '../src/parsers/record-decoder.ts';
import type { FormatOption } from '../src/model/record-format.ts';

const SAMPLES: { file: string; format: FormatOption }[] = [
  { file: 'datasets/sample/calico-flows.jsonl.gz', format: 'calico-flow' },
  { file: 'datasets/sample/calico-dns.jsonl.gz', format: 'calico-dns' },
  { file: 'datasets/sample/hubble-flows.jsonl.gz', format: 'hubble' },
];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
/** Lines per measured pass: small samples are repeated so each pass lasts long enough to time. */
const TARGET_LINES = Number(process.env.BENCH_LINES ?? 200_000);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timeRounds(pass: () => number): { perSecond: number; checksum: number } {
  pass(); // warm-up: let the JIT settle before measuring
  const rates: number[] = [];
  let checksum = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    const n = pass();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(n / seconds);
    checksum += n;
  }
  return { perSecond: median(rates), checksum };
}

const ctx = { cluster: 'bench', now: Date.now(), maxFutureSkewMs: 3600_000 };
const rows: string[][] = [['input', 'lines', 'JSON.parse/s', `${'parser'}/s`, 'auto/s', 'parser ÷ JSON.parse', 'MB/s (parser)']];
for (const { file, format } of SAMPLES) {
  if (!existsSync(file)) {
    console.error(`bench: ${file} is missing; run the dataset generator (see datasets/README.md)`);
    process.exitCode = 1;
    continue;
  }
  const all = gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter((l) => l.length > 0).map((l) => Buffer.from(l));
  const lines: Buffer[] = [];
  while (lines.length < TARGET_LINES) lines.push(...all.slice(0, TARGET_LINES - lines.length));
  const bytes = lines.reduce((sum, l) => sum + l.byteLength, 0);

  const ceiling = timeRounds(() => {
    let n = 0;
    for (const line of lines) if (JSON.parse(line.toString('utf8')) !== null) n++;
    return n;
  });
  let bad = 0;
  const parser = timeRounds(() => {
    let n = 0;
    for (const line of lines) {
      const result = decodeMessage(line, format, ctx, 1 << 20);
      if (result.status === 'invalid') bad++;
      n++;
    }
    return n;
  });
  const auto = timeRounds(() => {
    let n = 0;
    for (const line of lines) if (decodeMessage(line, 'auto', ctx, 1 << 20).status !== 'invalid') n++;
    return n;
  });
  if (bad > 0) console.error(`bench: ${file}: ${bad} invalid parses (the sample should be clean)`);
  rows.push([
    format, String(lines.length), Math.round(ceiling.perSecond).toLocaleString('en'), Math.round(parser.perSecond).toLocaleString('en'),
    Math.round(auto.perSecond).toLocaleString('en'), (parser.perSecond / ceiling.perSecond).toFixed(2), ((parser.perSecond * bytes) / lines.length / 1e6).toFixed(1),
  ]);
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
console.log(`parser throughput (median of ${ROUNDS} rounds, Node ${process.version})`);
for (const row of rows) console.log(row.map((cell, i) => cell.padStart(widths[i]!)).join('  '));
