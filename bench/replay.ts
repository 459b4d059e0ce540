/**
 * Replay throughput, each figure beside its baseline in the same run:
 *   1. Arrow batches decoded column-wise (flowhound's reader) vs row by row (Arrow's row proxies).
 *   2. The full in-process pipeline (parsers, detection) over the JSON-lines sample and the Arrow
 *      sample, each vs JSON.parse alone over the same lines.
 *   3. `replay --to kafka`, from JSON lines and from the Arrow dataset of the same records, vs
 *      kcat producing the same lines into the same broker (both started here; kcat is
 *      installed as the tests do it; skipped when Java or Maven are missing).
 *   4. Live consumption: flowhound consuming three topics (as kcat produced them, unkeyed)
 *      through the whole pipeline vs kcat's raw consume of the same topics (liveBench).
 *
 *   BENCH_ONLY=kafka node bench/replay.ts     only part 3;  BENCH_ONLY=live: only part 4
 */
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordBatchReader } from 'apache-arrow';
import { createGunzip, gunzipSync } from 'node:zlib';
import { recordsOf } from '../src/arrow/record-reader.ts';
import { validatePipeline } from '../src/config/load-pipeline.ts';
import { buildPipeline } from '../src/pipeline/build-pipeline.ts';
import { replayIntoKafka } from '../src/replay/kafka-replay.ts';
import { createKafka } from '../src/sources/kafka-client.ts';
import { silentLogger } from '../src/telemetry/logger.ts';
import { ensureSystemPackages, hasBinary } from '../test/harness/system-packages.ts';

const JSONL = ['datasets/sample/calico-flows.jsonl.gz', 'datasets/sample/calico-dns.jsonl.gz', 'datasets/sample/hubble-flows.jsonl.gz'];
const ARROW = 'datasets/sample/records.arrow.gz';
const rate = (n: number, ms: number) => Math.round((n * 1000) / ms);
const fmt = (n: number) => n.toLocaleString('en');

async function arrowBatches() {
  const reader = await RecordBatchReader.from(createReadStream(ARROW).pipe(createGunzip()));
  const batches = [];
  for await (const batch of reader) batches.push(batch);
  return batches;
}

async function decodeBench(): Promise<void> {
  const batches = await arrowBatches();
  const rows = batches.reduce((n, b) => n + b.numRows, 0);
  const time = (fn: () => number) => {
    fn();
    const start = performance.now();
    let n = 0;
    for (let i = 0; i < 5; i++) n += fn();
    return rate(n, performance.now() - start);
  };
  const columnWise = time(() => batches.reduce((n, b) => n + recordsOf(b).length, 0));
  const rowWise = time(() => {
    let n = 0;
    for (const batch of batches) for (const row of batch) if (row !== null && row.toJSON() !== null) n++;
    return n;
  });
  console.log(`arrow decode (${fmt(rows)} rows): column-wise ${fmt(columnWise)} rows/s, row proxies ${fmt(rowWise)} rows/s, ratio ${(columnWise / rowWise).toFixed(2)}`);
}

/**
 * The whole pipeline in-process (file source, parsers or Arrow reader, every detector), beside
 * JSON.parse alone over the same records' original lines: the floor of any JSON-lines reader,
 * which the Arrow path should beat (it parses no JSON) and the JSON path should approach.
 * Best of 3 runs each, interleaved (the machine is noisy).
 */
async function inProcessBench(): Promise<void> {
  // BENCH_JSONL=a.jsonl,b.jsonl: other JSON-lines files (a larger generated set, so start-up vanishes); Arrow then skipped.
  const jsonl = process.env.BENCH_JSONL ? process.env.BENCH_JSONL.split(',') : JSONL;
  const withArrow = jsonl === JSONL;
  const run = async (paths: string[]) => {
    const config = validatePipeline({ name: 'bench', cluster: 'prod-eu', sources: { files: { type: 'file', paths } } }, 'bench');
    const pipeline = buildPipeline(config, { logger: silentLogger, mergeFilesByEventTime: true, deadLetterFile: '/dev/null' });
    const start = performance.now();
    await pipeline.run();
    return rate(pipeline.ingest.stats.total(pipeline.ingest.stats.received), performance.now() - start);
  };
  const lines = jsonl.flatMap((path) => (path.endsWith('.gz') ? gunzipSync(readFileSync(path)) : readFileSync(path)).toString('utf8').split('\n').filter((line) => line !== ''));
  const parse = () => {
    const start = performance.now();
    let n = 0;
    for (const line of lines) if (JSON.parse(line) !== null) n++;
    return rate(n, performance.now() - start);
  };
  if (withArrow) await run([ARROW]); // warm-up
  await run(jsonl);
  parse();
  let [parsed, json, arrow] = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    parsed = Math.max(parsed, parse());
    json = Math.max(json, await run(jsonl));
    if (withArrow) arrow = Math.max(arrow, await run([ARROW]));
  }
  console.log(`in-process replay with detection (${fmt(lines.length)} records, best of 3): JSON.parse alone ${fmt(parsed)} lines/s; JSON lines ${fmt(json)}/s, ratio to JSON.parse ${(json / parsed).toFixed(2)}; Arrow ${fmt(arrow)}/s, ratio to JSON.parse ${(arrow / parsed).toFixed(2)}, to JSON lines ${(arrow / json).toFixed(2)}`);
}

/** The generated 72 h dataset (seed 11) and a broker, shared by the Kafka parts. */
interface KafkaWorld {
  dir: string;
  /** calico-flows.jsonl, calico-dns.jsonl, hubble-flows.jsonl */
  files: string[];
  brokers: string;
}

/**
 * 72 h of generated traffic (~110k records, ~120 MB of JSON lines): long enough that neither
 * side is measured on start-up or a cold JIT. Each side runs three times; the best run counts
 * (on 2 cores shared with the broker, single runs vary by ±20%).
 */
async function withKafkaWorld(run: (world: KafkaWorld) => Promise<void>): Promise<void> {
  if (!hasBinary('java') || !hasBinary('mvn')) {
    console.log('Kafka parts: skipped (need java and mvn for the broker)');
    return;
  }
  if (!hasBinary('kcat')) ensureSystemPackages((line) => console.log(`bench: ${line}`));
  const dir = mkdtempSync(join(tmpdir(), 'flowhound-bench-'));
  const { startKafka } = await import('../test/harness/kafka-broker.ts');
  let broker: Awaited<ReturnType<typeof startKafka>> | undefined;
  try {
    execFileSync(process.execPath, ['datasets/generator/main.ts', '--seed', '11', '--hours', '72', '--out', dir], { stdio: 'ignore' });
    const files = ['calico-flows.jsonl', 'calico-dns.jsonl', 'hubble-flows.jsonl'].map((f) => join(dir, f));
    broker = await startKafka();
    await run({ dir, files, brokers: broker.brokers });
  } finally {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function kafkaBench({ dir, files, brokers }: KafkaWorld): Promise<void> {
  // kcat reads the same lines ready-made from one file.
  const input = join(dir, 'all-lines');
  writeFileSync(input, files.map((f) => readFileSync(f, 'utf8')).join(''));
  const lines = readFileSync(input, 'utf8').split('\n').filter((l) => l !== '').length;
  // The same records as an Arrow dataset (with their original lines), as `convert` makes it;
  // not gzipped, as kcat's input is not.
  const arrow = join(dir, 'records.arrow');
  execFileSync(process.execPath, ['src/cli/main.ts', 'convert', ...files, '--cluster', 'prod-eu', '--to', arrow, '--dead-letter', '/dev/null'], { stdio: 'ignore' });

  const { createTopics } = await import('../test/harness/kcat.ts');
  const config = (topic: string) => validatePipeline({ name: 'bench', cluster: 'prod-eu', kafka: { brokers: [brokers] }, sources: { t: { type: 'kafka', topics: [topic], format: 'auto' } } }, 'bench');
  const kafka = createKafka(config('x').kafka!, silentLogger);
  let ours = 0;
  let oursArrow = 0;
  let kcat = 0;
  for (let run = 1; run <= 3; run++) {
    // Topics of the same shape (3 partitions) made before either side produces.
    await createTopics(brokers, [`bench-flowhound-${run}`, `bench-arrow-${run}`, `bench-kcat-${run}`], 3);
    // flowhound: read, route (key and event time), merge, batch per partition, gzip, acks=all.
    // Timed from the call, connecting included, as kcat's whole run is.
    let start = performance.now();
    const replayed = await replayIntoKafka({ kafka, config: config(`bench-flowhound-${run}`), files, rate: 0, speed: 0, from: -Infinity, until: Infinity, logger: silentLogger });
    ours = Math.max(ours, rate(replayed.sent, performance.now() - start));
    // flowhound from the Arrow dataset: keys and event times from its columns, no JSON parsing.
    start = performance.now();
    const fromArrow = await replayIntoKafka({ kafka, config: config(`bench-arrow-${run}`), files: [arrow], rate: 0, speed: 0, from: -Infinity, until: Infinity, logger: silentLogger });
    if (fromArrow.sent !== lines) throw new Error(`Arrow replay sent ${fromArrow.sent} of ${lines} records`);
    oursArrow = Math.max(oursArrow, rate(fromArrow.sent, performance.now() - start));
    // kcat (librdkafka): the same lines, gzip, acks=all; the whole process.
    start = performance.now();
    await runKcat(['-P', '-b', brokers, '-t', `bench-kcat-${run}`, '-z', 'gzip', '-X', 'acks=all', '-l', input]);
    kcat = Math.max(kcat, rate(lines, performance.now() - start));
  }
  console.log(`replay into Kafka (${fmt(lines)} messages, best of 3): kcat ${fmt(kcat)} msg/s; flowhound from JSON lines ${fmt(ours)} msg/s, ratio ${(ours / kcat).toFixed(2)}; from Arrow ${fmt(oursArrow)} msg/s, ratio ${(oursArrow / kcat).toFixed(2)}`);
}

/** Runs kcat to its end; resolves with its stderr (stdout goes to /dev/null). */
function runKcat(args: string[]): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stderr) : reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${stderr.slice(-1000)}`))));
  });
}

/** Messages kcat read, from its end-of-partition lines (`% Reached end of topic T [P] at offset N`): offsets from 0. */
function kcatConsumed(stderr: string): number {
  const ends = new Map<string, number>();
  for (const match of stderr.matchAll(/Reached end of topic (\S+) \[(\d+)\] at offset (\d+)/g)) {
    const lane = `${match[1]}|${match[2]}`;
    ends.set(lane, Math.max(ends.get(lane) ?? 0, Number(match[3])));
  }
  let n = 0;
  for (const offset of ends.values()) n += offset;
  return n;
}

/**
 * Live consumption through the real broker: the three generated files produced by kcat,
 * unkeyed, into three 3-partition topics (calico-flows → A, calico-dns → B, hubble-flows →
 * C), then read from the beginning (1) by kcat, its raw consume without parsing, output to
 * /dev/null: one `kcat -C -t T -o beginning -e` per topic in parallel, and one balanced
 * consumer `kcat -G GROUP A B C -o beginning -e`; the faster is the baseline; (2) by flowhound
 * as `flowhound run` would: one consumer-group source per topic with its format, the whole
 * pipeline with detection, /metrics on (run's default), alerts counted; a fresh group per
 * run, timed from building the pipeline to the last message processed (its offsets committed).
 * Best of 3 each.
 */
async function liveBench({ files, brokers }: KafkaWorld): Promise<void> {
  const { createTopics } = await import('../test/harness/kcat.ts');
  const suffix = Date.now().toString(36);
  const topics = { flows: `live-calico-flows-${suffix}`, dns: `live-calico-dns-${suffix}`, hubble: `live-hubble-${suffix}` };
  await createTopics(brokers, Object.values(topics), 3);
  const counts = files.map((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l !== '').length);
  const total = counts.reduce((a, b) => a + b, 0);
  const produceStarted = performance.now();
  // Unkeyed (librdkafka's partitioner spreads them), gzip, as a shipper without keys would.
  await Promise.all([topics.flows, topics.dns, topics.hubble].map((topic, i) => runKcat(['-P', '-b', brokers, '-t', topic, '-z', 'gzip', '-l', files[i]!])));
  const produceMs = performance.now() - produceStarted;

  const { startTelemetry } = await import('../src/telemetry/otel.ts');
  const { PipelineMetrics } = await import('../src/telemetry/pipeline-metrics.ts');
  const telemetry = await startTelemetry({ host: '127.0.0.1', port: 0 });
  let kcatParallel = 0;
  let kcatGroup = 0;
  let ours = 0;
  let details = '';
  try {
    for (let run = 1; run <= 3; run++) {
      // (1a) kcat, one simple consumer per topic, in parallel.
      let started = performance.now();
      const perTopic = await Promise.all(Object.values(topics).map((topic) => runKcat(['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-e'])));
      let ms = performance.now() - started;
      const readParallel = perTopic.reduce((n, stderr) => n + kcatConsumed(stderr), 0);
      if (readParallel !== total) throw new Error(`kcat -C read ${readParallel} of ${total} messages`);
      kcatParallel = Math.max(kcatParallel, rate(total, ms));
      // (1b) kcat, one balanced consumer (a fresh group) of the three topics.
      started = performance.now();
      const grouped = await runKcat(['-G', `bench-live-kcat-${suffix}-${run}`, '-b', brokers, '-o', 'beginning', '-e', ...Object.values(topics)]);
      ms = performance.now() - started;
      const readGroup = kcatConsumed(grouped);
      if (readGroup !== total) throw new Error(`kcat -G read ${readGroup} of ${total} messages`);
      kcatGroup = Math.max(kcatGroup, rate(total, ms));

      // (2) flowhound: `flowhound run` on a pipeline of three Kafka sources.
      const group = `bench-live-${suffix}-${run}`;
      const config = validatePipeline({
        name: 'bench-live', cluster: 'prod-eu', kafka: { brokers: [brokers] },
        sources: {
          calico_flows: { type: 'kafka', topics: [topics.flows], format: 'calico-flow', group_id: `${group}-flows`, from_beginning: true },
          calico_dns: { type: 'kafka', topics: [topics.dns], format: 'calico-dns', group_id: `${group}-dns`, from_beginning: true },
          hubble: { type: 'kafka', topics: [topics.hubble], format: 'hubble', group_id: `${group}-hubble`, from_beginning: true },
        },
      }, 'bench');
      let alerts = 0;
      started = performance.now();
      const pipeline = buildPipeline(config, {
        logger: silentLogger, deadLetterFile: '/dev/null',
        alertSinks: [{ write: async (a) => { alerts += a.length; }, close: async () => {} }],
        metrics: new PipelineMetrics(telemetry.meter, { topWorkloads: config.metrics.top_workloads }),
      });
      // Messages fully handled (decoded, through detection; the source commits right after).
      let handled = 0;
      let allHandled = 0;
      const handle = pipeline.ingest.handle.bind(pipeline.ingest);
      pipeline.ingest.handle = async (batch) => {
        await handle(batch);
        handled += batch.messages.length;
        if (handled >= total && allHandled === 0) allHandled = performance.now();
      };
      const running = pipeline.run();
      const deadline = Date.now() + 300_000;
      while (allHandled === 0) {
        if (Date.now() > deadline) throw new Error(`flowhound consumed only ${handled} of ${total} messages in 300 s`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      ms = allHandled - started;
      await pipeline.stop();
      await running;
      const stoppedMs = performance.now() - started;
      ours = Math.max(ours, rate(total, ms));
      const stats = pipeline.ingest.stats;
      details = `${fmt(stats.total(stats.records))} records, ${fmt(stats.total(stats.invalid))} invalid, ${fmt(pipeline.detection.stats.windowsClosed)} workload-windows judged, ${fmt(pipeline.detection.stats.late)} late, ${fmt(alerts)} alerts; stopped and last windows closed ${((stoppedMs - ms) / 1000).toFixed(1)} s after the last message`;
    }
  } finally {
    await telemetry.shutdown();
  }
  const kcat = Math.max(kcatParallel, kcatGroup);
  console.log(`live from Kafka (${fmt(total)} messages in 3 topics × 3 partitions, produced unkeyed by kcat in ${(produceMs / 1000).toFixed(1)} s; best of 3): kcat raw consume ${fmt(kcat)} msg/s (-C per topic in parallel ${fmt(kcatParallel)}, -G one group ${fmt(kcatGroup)}); flowhound run (3 consumer groups, parse, detect, /metrics) ${fmt(ours)} msg/s, ratio ${(ours / kcat).toFixed(2)}`);
  console.log(`  flowhound's last run: ${details}`);
}

// BENCH_ONLY=kafka runs only the replay into Kafka, BENCH_ONLY=live only the live consumption,
// BENCH_ONLY=inprocess only the in-process replay.
const only = process.env.BENCH_ONLY;
if (only === undefined || only === '') await decodeBench();
if (only === undefined || only === '' || only === 'inprocess') await inProcessBench();
if (only === undefined || only === '' || only === 'kafka' || only === 'live') {
  await withKafkaWorld(async (world) => {
    if (only !== 'live') await kafkaBench(world);
    if (only !== 'kafka') await liveBench(world);
  });
}
