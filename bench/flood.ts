/**
 * A fresh-key flood: N Calico flow lines (default 1,000,000) whose source workloads and
 * destination domains are all fresh random names, with 5% garbage lines (malformed JSON,
 * missing or mistyped fields, records of no known format) spread evenly, and event time spread
 * over ~6 hours so that windows close as it goes. `flowhound replay - --cluster flood --quiet`
 * reads it on its standard input in a child process whose resident set is read from /proc;
 * the feeding stops at every tenth of the records (100k, 200k, … of 1M) until the child is
 * idle, so RSS is read with exactly that many records processed.
 *
 * Prints, beside the baseline of the same run (RSS after the first tenth):
 *   - RSS after 100k and after N records and their ratio (the issue's target: ≤ 1.1), and the
 *     RSS at every tenth between;
 *   - records/s (wall time of the child, pauses at the checkpoints excluded);
 *   - lines dead-lettered (lines of the dead-letter file) beside the garbage lines written
 *     (they must be equal);
 *   - alerts emitted (lines of the --alerts-out file), by detector and status (bounded, once
 *     alert storms are rolled up).
 *
 *   node bench/flood.ts                           1,000,000 lines (~1 GB in /tmp, kept and reused)
 *   node bench/flood.ts --records 200000          quick run
 *   node bench/flood.ts --namespaces random       a fresh namespace per line too (default: 8 namespaces)
 *
 * Half the lines come from namespaces whose role has an FQDN allowlist (training, inference,
 * data), so every such fresh workload's random domain trips fqdn-allowlist: an alert storm.
 *   node bench/flood.ts --state-mb 64             with a pipeline setting detection.max_state_mb: 64
 *   node bench/flood.ts --pipeline FILE           with this pipeline (replay swaps its sources for stdin)
 *   node bench/flood.ts --heap 256                V8 heap capped (--max-old-space-size)
 *
 * Not part of `npm run bench` (about 1 GB of input and several minutes).
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Random } from '../datasets/generator/random.ts';
import { measure } from './measure.ts';
import { fmt } from './proc.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    namespaces: { type: 'string', default: 'small' },
    garbage: { type: 'string', default: '0.05' },
    hours: { type: 'string', default: '6' },
    seed: { type: 'string', default: '1' },
    dir: { type: 'string', default: '/tmp/flowhound-flood' },
    pipeline: { type: 'string' },
    'state-mb': { type: 'string' },
    heap: { type: 'string' },
  },
});
const total = Number(values.records);
const garbageShare = Number(values.garbage);
const hours = Number(values.hours);
if (!Number.isInteger(total) || total < 20_000 || !(garbageShare >= 0 && garbageShare < 1) || !(hours > 0)) {
  process.stderr.write('bench/flood: --records must be an integer ≥ 20000, --garbage a share in [0, 1), --hours positive\n');
  process.exit(2);
}
if (values.namespaces !== 'small' && values.namespaces !== 'random') {
  process.stderr.write('bench/flood: --namespaces must be small or random\n');
  process.exit(2);
}
if (values.pipeline !== undefined && values['state-mb'] !== undefined) {
  process.stderr.write('bench/flood: give --pipeline or --state-mb, not both\n');
  process.exit(2);
}

// Half of them resolve to roles with an FQDN allowlist (training, inference, data: see
// src/detectors/settings.ts), so each fresh workload's random domain trips fqdn-allowlist: an alert storm.
const SMALL_NAMESPACES = ['ml-train', 'research-finetune', 'ml-serve', 'data', 'apps', 'web', 'batch', 'analytics'];
const RANDOM_NAMESPACE_PREFIXES = ['ml-train', 'ml-serve', 'data', 'apps'];
// Checkpoints at every tenth, rounded down to the replay's batch of 2,000 lines (see measure()).
const CHECKPOINTS = Array.from({ length: 10 }, (_, i) => Math.floor((total * (i + 1)) / 10 / 2_000) * 2_000).filter((n, i, all) => n > 0 && all.indexOf(n) === i);

/** The garbage kinds, in turn: each is rejected by the parsers (dead-lettered), none skipped. */
function garbage(random: Random, good: string, k: number): string {
  const record = JSON.parse(good) as Record<string, unknown>;
  switch (k % 8) {
    case 0: return good.slice(0, 40 + random.int(0, 200)); // truncated: malformed JSON
    case 1: return `${new Date().toISOString()} GET /healthz 200 ${random.token(12)}`; // not JSON
    case 2: delete record.end_time; return JSON.stringify(record); // missing field
    case 3: delete record.bytes_out; return JSON.stringify(record);
    case 4: delete record.action; return JSON.stringify(record);
    case 5: return JSON.stringify({ ...record, bytes_out: -random.int(1, 1000) }); // out of range
    case 6: return JSON.stringify({ ...record, bytes_in: 'lots' }); // mistyped
    default: return JSON.stringify({ hello: random.token(6), n: random.int(0, 99) }); // no known format
  }
}

/** A Calico flow-log line (datasets/generator/calico-writer.ts's shape) from a fresh workload to a fresh domain. */
function flowLine(random: Random, end: number): string {
  const namespace = values.namespaces === 'random' ? `${random.pick(RANDOM_NAMESPACE_PREFIXES)}-${random.token(8)}` : random.pick(SMALL_NAMESPACES);
  // `<name>-<pod-template-hash>-*`: the workload is `<token>-<token>`, fresh on every line.
  const name = `${random.token(5)}-${random.token(6)}`;
  const hash = random.suffix(10);
  const domain = `${random.token(10)}.${random.token(6)}.${random.pick(['com', 'net', 'io', 'xyz'])}`;
  const ip = `${random.int(11, 223)}.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}`;
  const connections = random.int(1, 5);
  const sent = random.int(200, 200_000);
  const received = random.int(200, 50_000);
  const entry = `0|default|${namespace}/default.allow-egress|allow|0`;
  return JSON.stringify({
    start_time: end - 300, end_time: end,
    source_ip: null, source_name: '-', source_name_aggr: `${name}-${hash}-*`, source_namespace: namespace, source_type: 'wep',
    source_labels: { labels: [`app=${name}`, `pod-template-hash=${hash}`] },
    source_port: null,
    dest_ip: ip, dest_name: '-', dest_name_aggr: 'pub', dest_namespace: '-', dest_type: 'net', dest_labels: '-',
    dest_service_name: '-', dest_service_namespace: '-', dest_service_port: '-', dest_domains: [domain],
    dest_port: random.pick([443, 443, 443, 80, 8443]),
    proto: 'tcp', action: 'allow', reporter: 'src',
    policies: { all_policies: [entry], enforced_policies: [entry], pending_policies: [] },
    bytes_in: received, bytes_out: sent,
    packets_in: Math.ceil(received / 1400) + connections, packets_out: Math.ceil(sent / 1400) + connections,
    num_flows: connections, num_flows_started: connections, num_flows_completed: connections,
    host: `node-${random.int(0, 31)}`,
    '@timestamp': end * 1000,
  });
}

/** Writes the flood file (reused when one with the same options exists). Returns its garbage count. */
async function generate(path: string): Promise<number> {
  const every = garbageShare > 0 ? Math.round(1 / garbageShare) : 0;
  const garbageLines = every > 0 ? Math.floor(total / every) : 0;
  if (existsSync(path)) {
    console.log(`reusing ${path}`);
    return garbageLines;
  }
  const started = performance.now();
  const random = new Random(Number(values.seed));
  // Event time ends an hour in the past: far-future records are rejected (limits.max_future_skew_seconds).
  const spanSeconds = hours * 3600;
  const first = Math.floor((Date.now() / 1000 - spanSeconds - 3600) / 300) * 300 + 300;
  const partial = `${path}.partial`;
  const out = createWriteStream(partial);
  let chunk = '';
  let written = 0;
  for (let i = 0; i < total; i++) {
    const end = first + Math.floor((i * spanSeconds) / total);
    let line = flowLine(random, end);
    // Every `every`-th line is garbage: spread evenly, 1 in 20 at 5%.
    if (every > 0 && i % every === every - 1) line = garbage(random, line, written++);
    chunk += line + '\n';
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  renameSync(partial, path);
  if (written !== garbageLines) throw new Error(`bench/flood: wrote ${written} garbage lines, expected ${garbageLines}`);
  console.log(`generated ${fmt(total)} lines (${fmt(garbageLines)} garbage) in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return garbageLines;
}

async function countLines(path: string, each?: (line: string) => void): Promise<number> {
  if (!existsSync(path)) return 0;
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (line === '') continue;
    n++;
    each?.(line);
  }
  return n;
}

const dir = values.dir!;
mkdirSync(dir, { recursive: true });
const input = join(dir, `flood-v2-${total}-${values.namespaces}-g${garbageShare}-h${hours}-s${values.seed}.jsonl`);
const garbageLines = await generate(input);
const alertsOut = join(dir, 'alerts.jsonl');
const deadLetter = join(dir, 'dead-letter.jsonl');
rmSync(alertsOut, { force: true });
rmSync(deadLetter, { force: true }); // the dead-letter file is appended to

let pipeline = values.pipeline;
if (values['state-mb'] !== undefined) {
  pipeline = join(dir, 'flood-pipeline.yaml');
  // replay swaps the sources for its inputs; the schema needs one.
  writeFileSync(pipeline, `name: flood\nsources:\n  input:\n    type: file\n    paths: ["-"]\ndetection:\n  max_state_mb: ${Number(values['state-mb'])}\n`);
}
const args = [
  ...(values.heap !== undefined ? [`--max-old-space-size=${Number(values.heap)}`] : []),
  'src/cli/main.ts', 'replay', '-', '--cluster', 'flood', '--quiet', '--alerts-out', alertsOut, '--dead-letter', deadLetter,
  ...(pipeline !== undefined ? ['--pipeline', pipeline] : []),
];
console.log(`flowhound ${args.slice(args.indexOf('replay')).join(' ')} < ${input}`);
let run;
try {
  run = await measure('flood', args, total, { stdin: { path: input, checkpoints: CHECKPOINTS } });
} catch (error) {
  const message = (error as Error).message;
  if (values['state-mb'] !== undefined && /max_state_mb/.test(message)) {
    console.log(`flood: the pipeline schema rejects detection.max_state_mb (expected until the byte budget lands):\n${message.split('\n').slice(1).join('\n').trim()}`);
    process.exit(1);
  }
  throw error;
}

const byDetector = new Map<string, number>();
const byStatus = new Map<string, number>();
const alerts = await countLines(alertsOut, (line) => {
  const alert = JSON.parse(line) as { detector?: string; status?: string };
  byDetector.set(alert.detector ?? '?', (byDetector.get(alert.detector ?? '?') ?? 0) + 1);
  byStatus.set(alert.status ?? '?', (byStatus.get(alert.status ?? '?') ?? 0) + 1);
});
const deadLettered = await countLines(deadLetter);
const points = run.checkpoints ?? [];
const first = points[0];
const last = points[points.length - 1];
const activeSeconds = run.seconds - (run.pausedSeconds ?? 0);
const detection = /detection: (\d+) workloads baselined, (\d+) workload-windows judged, (\d+) late records, (\d+) alerts/.exec(run.output);

console.log(`\nfresh-key flood: ${fmt(total)} Calico flow lines, every source workload and destination domain new (${values.namespaces === 'random' ? 'random namespaces' : `${SMALL_NAMESPACES.length} namespaces`}), ${fmt(garbageLines)} garbage lines (${(garbageShare * 100).toFixed(0)}%), ${hours} h of event time${pipeline !== undefined ? `, pipeline ${pipeline}` : ''}${values.heap !== undefined ? `, heap ${values.heap} MB` : ''}`);
console.log(`  records/s              ${fmt(total / activeSeconds)} (${fmt(activeSeconds, 1)} s, excluding ${fmt(run.pausedSeconds ?? 0, 1)} s stopped at the checkpoints)`);
if (first !== undefined && last !== undefined) {
  console.log(`  RSS after ${fmt(first.records).padEnd(12)} ${fmt(first.rssMb)} MB`);
  console.log(`  RSS after ${fmt(last.records).padEnd(12)} ${fmt(last.rssMb)} MB`);
  console.log(`  ratio (target ≤ 1.10)  ${(last.rssMb / first.rssMb).toFixed(2)}`);
  console.log(`  RSS at each tenth      ${points.map((p) => `${fmt(p.records / 1000)}k ${fmt(p.rssMb)}`).join(', ')} MB; peak ${fmt(run.peakMb)} MB`);
}
console.log(`  dead-lettered          ${fmt(deadLettered)} lines, garbage written ${fmt(garbageLines)}: ${deadLettered === garbageLines ? 'equal' : `NOT EQUAL (${fmt(run.invalid)} invalid in the summary)`}`);
console.log(`  alerts emitted         ${fmt(alerts)} (${[...byStatus].map(([s, n]) => `${fmt(n)} ${s}`).join(', ') || 'none'})`);
for (const [detector, n] of [...byDetector].sort((a, b) => b[1] - a[1])) console.log(`    ${detector.padEnd(26)} ${fmt(n).padStart(9)}`);
if (detection !== null) console.log(`  detection              ${fmt(Number(detection[1]))} workloads baselined at the end, ${fmt(Number(detection[2]))} workload-windows judged, ${fmt(Number(detection[3]))} late`);
