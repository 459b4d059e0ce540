/**
 * Memory and throughput at scale: generates N records (default 10 million; the generator's
 * scale 10 makes ~5,060 records per event-time hour), converts them to an Arrow dataset and
 * replays the Arrow file and the JSON lines in-process and into a local Kafka broker (`replay
 * --to kafka`, when Java and Maven are there), each run in its own process whose
 * resident set is sampled from /proc (Linux). Prints records/s, peak RSS, and RSS after about
 * a tenth of the records beside RSS at the end: flat means memory does not grow with the input.
 *
 *   node bench/large.ts [--records 10000000] [--dir /tmp/flowhound-large] [--heap 256]
 *   node bench/large.ts --records 200000            quick run (~1 minute)
 *
 * The generated JSON (about 1.1 kB per record, uncompressed: reading it is faster than
 * gunzip) is kept in DIR and reused by a later run with the same --records. Not part of
 * `npm test`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startKafka } from '../test/harness/kafka-broker.ts';
import { hasBinary } from '../test/harness/system-packages.ts';
import { measure, type Run } from './measure.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '10000000' },
    dir: { type: 'string' },
    heap: { type: 'string', default: '256' },
  },
});
const wanted = Number(values.records);
const heapMb = Number(values.heap);
if (!Number.isInteger(wanted) || wanted <= 0 || !Number.isInteger(heapMb) || heapMb <= 0) {
  process.stderr.write('bench/large: --records and --heap must be positive integers\n');
  process.exit(2);
}
const RECORDS_PER_HOUR = 5_060;
const hours = Math.max(1, Math.ceil(wanted / RECORDS_PER_HOUR));
const dir = values.dir ?? `/tmp/flowhound-large-${wanted}`;
// Event time must end in the past: records more than limits.max_future_skew_seconds ahead of
// the clock are rejected (future-time), and a long run from the generator's default start would be.
const start = new Date(Math.floor((Date.now() - (hours + 24) * 3_600_000) / 86_400_000) * 86_400_000).toISOString();
const jsonDir = join(dir, 'json');
const json = ['calico-flows.jsonl', 'calico-dns.jsonl', 'hubble-flows.jsonl'].map((f) => join(jsonDir, f));
const arrow = join(dir, 'records.arrow.gz');
const fmt = (n: number) => Math.round(n).toLocaleString('en');

async function generate(): Promise<number> {
  const manifest = join(jsonDir, 'manifest.json');
  const records = () => Object.values((JSON.parse(readFileSync(manifest, 'utf8')) as { records: Record<string, number> }).records).reduce((a, b) => a + b, 0);
  if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { options: { hours: number } }).options.hours === hours) {
    console.log(`reusing ${fmt(records())} generated records in ${jsonDir}`);
    return records();
  }
  mkdirSync(jsonDir, { recursive: true });
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['datasets/generator/main.ts', '--seed', '7', '--hours', String(hours), '--scale', '10', '--start', start, '--out', jsonDir], { stdio: 'inherit' });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`generator exited with ${code}`))));
  });
  const n = records();
  const seconds = (performance.now() - started) / 1000;
  console.log(`generated ${fmt(n)} records (${hours} h at scale 10) in ${seconds.toFixed(0)} s (${fmt(n / seconds)} records/s)`);
  return n;
}

const total = await generate();
const cli = 'src/cli/main.ts';
const replay = (input: string[], out: string) => [cli, 'replay', ...input, '--cluster', 'prod-eu', '--quiet', '--alerts-out', join(dir, out), '--dead-letter', join(dir, 'dead-letter.jsonl')];
const heap = `--max-old-space-size=${heapMb}`;
const runs: Run[] = [];
const plan: [string, string[]][] = [
  ['convert JSON → Arrow', [cli, 'convert', ...json, '--cluster', 'prod-eu', '--to', arrow, '--dead-letter', join(dir, 'dead-letter.jsonl')]],
  ['replay Arrow', replay([arrow], 'alerts-arrow.jsonl')],
  ['replay JSON', replay(json, 'alerts-json.jsonl')],
  [`replay Arrow, heap ${heapMb} MB`, [heap, ...replay([arrow], 'alerts-arrow-heap.jsonl')]],
  [`replay JSON, heap ${heapMb} MB`, [heap, ...replay(json, 'alerts-json-heap.jsonl')]],
];
for (const [name, args] of plan) {
  const run = await measure(name, args, total);
  runs.push(run);
  console.log(`${name}: ${fmt(run.records)} records (${fmt(run.invalid)} invalid) in ${run.seconds.toFixed(1)} s`);
}

// replay --to kafka into a real broker (started here, as the tests do; skipped without Java and Maven).
if (hasBinary('java') && hasBinary('mvn')) {
  const broker = await startKafka();
  try {
    for (const [name, input, topic] of [['replay Arrow → Kafka', [arrow], 'large-arrow'], ['replay JSON → Kafka', json, 'large-json']] as const) {
      const pipeline = join(dir, `${topic}.yaml`);
      writeFileSync(pipeline, `name: ${topic}\ncluster: prod-eu\nkafka:\n  brokers: ["${broker.brokers}"]\nsources:\n  all:\n    type: kafka\n    topics: [${topic}]\n    format: auto\n`);
      const run = await measure(name, [cli, 'replay', ...input, '--to', 'kafka', '--pipeline', pipeline], total);
      runs.push(run);
      console.log(`${name}: ${fmt(run.records)} messages in ${run.seconds.toFixed(1)} s`);
    }
  } finally {
    await broker.stop();
  }
} else {
  console.log('replay into Kafka: skipped (needs java and mvn for the broker)');
}

console.log(`\n${fmt(total)} records (${fmt(hours)} event-time hours)`);
console.log('run                               records/s   peak RSS   RSS at ~10% → at end');
for (const r of runs) {
  const trend = r.early !== undefined && r.late !== undefined ? `${fmt(r.early.rssMb)} MB @ ${fmt(r.early.records)} → ${fmt(r.late.rssMb)} MB @ ${fmt(r.late.records)}` : '(run too short for progress lines)';
  console.log(`${r.name.padEnd(32)} ${fmt(r.records / r.seconds).padStart(10)} ${`${fmt(r.peakMb)} MB`.padStart(10)}   ${trend}`);
}
