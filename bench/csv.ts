/**
 * `node bench/csv.ts [--rows N] [--runs K]`: the CSV flow path end to end (the file's lines
 * read in batches as a file source reads them, each row parsed into a FlowRecord by the
 * decoder), in rows/s, beside a baseline in the same run over the same lines: each line split
 * on ',' and its numeric fields Number()-parsed, no record built. Then the same two over rows
 * held in memory, the parse alone (the target: 1 M rows/s). Best of K runs each, interleaved. The input (~1 M rows, nfdump-like: two columns flowhound ignores) is generated
 * once into os.tmpdir() and reused.
 */
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ParseContext } from '../src/parsers/parse-context.ts';
import { decodeMessage } from '../src/parsers/record-decoder.ts';
import { FlowBurstScoring } from '../src/scoring/flow-burst-scoring.ts';
import { readFileBatches, readLineBatches } from '../src/sources/file-source.ts';
import { validatePipeline } from '../src/config/load-pipeline.ts';

/** The scorer as a pipeline with no `detection.edge_burst` section gets it. */
const EDGE_BURST = validatePipeline({ name: 'bench', sources: { f: { type: 'file', paths: ['-'] } } }, 'bench').detection.edge_burst;

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '3' } } });
const ROWS = Number(values.rows);
const RUNS = Number(values.runs);
const HEADER = 'time,duration,src_ip,dst_ip,src_port,dst_port,protocol,flags,bytes_out,bytes_in,packets_out,packets_in,action,label';
/** Numeric fields the baseline parses: time, duration, ports, bytes and packets. */
const NUMERIC = [0, 1, 4, 5, 8, 9, 10, 11];

/** A deterministic file of `rows` rows: a few hundred hosts, epoch-second times, some quoted fields. */
function generate(path: string, rows: number): void {
  let seed = 42;
  const random = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
  const hosts = Array.from({ length: 400 }, (_, i) => (i % 5 === 0 ? `34.${(i * 7) % 250}.${i % 200}.${(i * 13) % 250}` : `10.${i % 8}.${(i >> 3) % 250}.${(i * 11) % 250}`));
  const protocols = ['tcp', 'tcp', 'tcp', 'udp', '6', '17', 'icmp'];
  const chunks: string[] = [HEADER];
  let time = 1_700_000_000;
  for (let i = 0; i < rows; i++) {
    if (random() < 0.01) time++;
    const proto = protocols[(random() * protocols.length) | 0]!;
    const bytesOut = (random() * 100_000) | 0;
    const label = random() < 0.02 ? '"scan, slow"' : 'benign';
    chunks.push(`${time},${(random() * 60).toFixed(3)},${hosts[(random() * 400) | 0]},${hosts[(random() * 400) | 0]},${1024 + ((random() * 60_000) | 0)},${[443, 80, 53, 22, 5432][(random() * 5) | 0]},${proto},.AP.SF,${bytesOut},${(bytesOut / 3) | 0},${1 + ((bytesOut / 1400) | 0)},${1 + ((bytesOut / 4200) | 0)},${random() < 0.05 ? 'deny' : 'allow'},${label}`);
  }
  const partial = `${path}.partial`;
  writeFileSync(partial, chunks.join('\n') + '\n');
  renameSync(partial, path);
}

const path = join(tmpdir(), `flowhound-bench-csv-${ROWS}.csv`);
if (!existsSync(path)) {
  const started = Date.now();
  generate(path, ROWS);
  console.log(`generated ${path} (${(statSync(path).size / 1e6).toFixed(0)} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** The CSV path: file lines in batches, each row decoded into a record (and, `scored`, given its edge-burst score). */
async function csvPath(scored = false): Promise<number> {
  const ctx: ParseContext = { cluster: 'bench', now: Date.now(), maxFutureSkewMs: 3_600_000, csv: undefined, line: undefined };
  const scoring = scored ? new FlowBurstScoring(EDGE_BURST) : undefined;
  let ok = 0;
  let sum = 0;
  for await (const batch of readFileBatches(path, 2_000, 'csv', undefined)) {
    ctx.csv = batch.csv;
    for (const message of batch.messages) {
      ctx.line = message.origin.kind === 'file' ? message.origin.line : undefined;
      const decoded = decodeMessage(message.value, batch.format, ctx, 1 << 20);
      if (decoded.status !== 'ok') continue;
      ok++;
      const record = decoded.record;
      // The keys the detection stage scores address units by (their IPs).
      if (scoring !== undefined && record.kind === 'flow') sum += scoring.score(record, record.src.ip ?? record.src.workload, record.dst.ip ?? record.dst.workload);
    }
  }
  if (ok !== ROWS || Number.isNaN(sum)) throw new Error(`bench: ${ROWS - ok} rows not parsed`);
  return ok;
}

/** The baseline: the same lines, split on ',' and their numeric fields Number()-parsed. */
async function splitPath(): Promise<number> {
  let rows = 0;
  let sum = 0;
  let header = true;
  for await (const batch of readLineBatches(path, 2_000)) {
    for (const message of batch) {
      if (header) {
        header = false;
        continue;
      }
      const fields = (message.value as string).split(',');
      for (const i of NUMERIC) sum += Number(fields[i]);
      rows++;
    }
  }
  if (Number.isNaN(sum) || rows !== ROWS) throw new Error('bench: baseline read the file wrong');
  return rows;
}

/** The parse alone: the first 200,000 rows held in memory, decoded (and, for the baseline, split). */
const held: { lines: string[]; csv: ParseContext['csv'] } = { lines: [], csv: undefined };
for await (const batch of readFileBatches(path, 2_000, 'csv', undefined)) {
  held.csv = batch.csv;
  for (const message of batch.messages) held.lines.push(message.value as string);
  if (held.lines.length >= 200_000) break;
}
function parseOnly(): number {
  const ctx: ParseContext = { cluster: 'bench', now: Date.now(), maxFutureSkewMs: 3_600_000, csv: held.csv, line: 2 };
  let ok = 0;
  for (const line of held.lines) if (decodeMessage(line, 'csv', ctx, 1 << 20).status === 'ok') ok++;
  return ok;
}
function splitOnly(): number {
  let sum = 0;
  for (const line of held.lines) {
    const fields = line.split(',');
    for (const i of NUMERIC) sum += Number(fields[i]);
  }
  return Number.isNaN(sum) ? 0 : held.lines.length;
}

async function timed(pass: () => Promise<number> | number): Promise<number> {
  const started = process.hrtime.bigint();
  const rows = await pass();
  return rows / (Number(process.hrtime.bigint() - started) / 1e9);
}

await splitPath(); // warm-up: the file in the page cache, the JIT settled
await csvPath();
const best = { csv: 0, scored: 0, split: 0, parse: 0, splitOnly: 0 };
for (let run = 0; run < RUNS; run++) {
  best.split = Math.max(best.split, await timed(splitPath));
  best.csv = Math.max(best.csv, await timed(() => csvPath()));
  best.scored = Math.max(best.scored, await timed(() => csvPath(true)));
  // The in-memory passes are short: several per run.
  for (let k = 0; k < 3; k++) {
    best.splitOnly = Math.max(best.splitOnly, await timed(splitOnly));
    best.parse = Math.max(best.parse, await timed(parseOnly));
  }
}
const fmt = (n: number) => Math.round(n).toLocaleString('en').padStart(11);
const target = (n: number) => (n < 1_000_000 ? '   (below 1 M rows/s)' : '');
console.log(`CSV flows, ${ROWS.toLocaleString('en')} rows (${(statSync(path).size / 1e6).toFixed(0)} MB), best of ${RUNS}, Node ${process.version}`);
console.log('  end to end (file lines read in batches, then each row):');
console.log(`    split on ',' + Number() (baseline)  ${fmt(best.split)} rows/s`);
console.log(`    CSV rows → FlowRecords              ${fmt(best.csv)} rows/s   ${(best.csv / best.split).toFixed(2)} × baseline${target(best.csv)}`);
console.log(`    … + edge-burst score per row        ${fmt(best.scored)} rows/s   ${(best.scored / best.split).toFixed(2)} × baseline${target(best.scored)}`);
console.log(`  parse alone (${held.lines.length.toLocaleString('en')} rows in memory):`);
console.log(`    split on ',' + Number() (baseline)  ${fmt(best.splitOnly)} rows/s`);
console.log(`    CSV rows → FlowRecords              ${fmt(best.parse)} rows/s   ${(best.parse / best.splitOnly).toFixed(2)} × baseline${target(best.parse)}`);
