/**
 * Replay throughput, each figure beside its baseline in the same run:
 *   1. Arrow batches decoded column-wise (flowhound's reader) vs row by row (Arrow's row proxies).
 *   2. The full in-process pipeline (parsers, detection) over the JSON-lines sample vs the Arrow sample.
 *   3. `replay --to kafka`, from JSON lines and from the Arrow dataset of the same records, vs
 *      kcat producing the same lines into the same broker (both started here; kcat is
 *      installed as the tests do it; skipped when Java or Maven are missing).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordBatchReader } from 'apache-arrow';
import { createGunzip } from 'node:zlib';
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

async function inProcessBench(): Promise<void> {
  const run = async (paths: string[]) => {
    const config = validatePipeline({ name: 'bench', cluster: 'prod-eu', sources: { files: { type: 'file', paths } } }, 'bench');
    const pipeline = buildPipeline(config, { logger: silentLogger, mergeFilesByEventTime: true, deadLetterFile: '/dev/null' });
    const start = performance.now();
    await pipeline.run();
    return { records: pipeline.ingest.stats.total(pipeline.ingest.stats.received), ms: performance.now() - start };
  };
  await run([ARROW]); // warm-up
  const json = await run(JSONL);
  const arrow = await run([ARROW]);
  console.log(`in-process replay with detection (${fmt(json.records)} records): JSON lines ${fmt(rate(json.records, json.ms))}/s, Arrow ${fmt(rate(arrow.records, arrow.ms))}/s, ratio ${(rate(arrow.records, arrow.ms) / rate(json.records, json.ms)).toFixed(2)}`);
}

/**
 * 72 h of generated traffic (~110k records, ~120 MB of JSON lines): long enough that neither
 * side is measured on start-up or a cold JIT. Each side runs three times; the best run counts
 * (on 2 cores shared with the broker, single runs vary by ±20%).
 */
async function kafkaBench(): Promise<void> {
  if (!hasBinary('java') || !hasBinary('mvn')) {
    console.log('replay into Kafka: skipped (needs java and mvn for the broker)');
    return;
  }
  ensureSystemPackages((line) => console.log(`bench: ${line}`)); // kcat
  const dir = mkdtempSync(join(tmpdir(), 'flowhound-bench-'));
  execFileSync(process.execPath, ['datasets/generator/main.ts', '--seed', '11', '--hours', '72', '--out', dir], { stdio: 'ignore' });
  const files = ['calico-flows.jsonl', 'calico-dns.jsonl', 'hubble-flows.jsonl'].map((f) => join(dir, f));
  // kcat reads the same lines ready-made from one file.
  const input = join(dir, 'all-lines');
  writeFileSync(input, files.map((f) => readFileSync(f, 'utf8')).join(''));
  const lines = readFileSync(input, 'utf8').split('\n').filter((l) => l !== '').length;
  // The same records as an Arrow dataset (with their original lines), as `convert` makes it;
  // not gzipped, as kcat's input is not.
  const arrow = join(dir, 'records.arrow');
  execFileSync(process.execPath, ['src/cli/main.ts', 'convert', ...files, '--cluster', 'prod-eu', '--to', arrow, '--dead-letter', '/dev/null'], { stdio: 'ignore' });

  const { startKafka } = await import('../test/harness/kafka-broker.ts');
  const { createTopics } = await import('../test/harness/kcat.ts');
  const broker = await startKafka();
  try {
    const config = (topic: string) => validatePipeline({ name: 'bench', cluster: 'prod-eu', kafka: { brokers: [broker.brokers] }, sources: { t: { type: 'kafka', topics: [topic], format: 'auto' } } }, 'bench');
    const kafka = createKafka(config('x').kafka!, silentLogger);
    let ours = 0;
    let oursArrow = 0;
    let kcat = 0;
    for (let run = 1; run <= 3; run++) {
      // Topics of the same shape (3 partitions) made before either side produces.
      await createTopics(broker.brokers, [`bench-flowhound-${run}`, `bench-arrow-${run}`, `bench-kcat-${run}`], 3);
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
      await new Promise<void>((resolve, reject) => {
        const child = spawn('kcat', ['-P', '-b', broker.brokers, '-t', `bench-kcat-${run}`, '-z', 'gzip', '-X', 'acks=all', '-l', input], { stdio: 'ignore' });
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}`))));
      });
      kcat = Math.max(kcat, rate(lines, performance.now() - start));
    }
    console.log(`replay into Kafka (${fmt(lines)} messages, best of 3): kcat ${fmt(kcat)} msg/s; flowhound from JSON lines ${fmt(ours)} msg/s, ratio ${(ours / kcat).toFixed(2)}; from Arrow ${fmt(oursArrow)} msg/s, ratio ${(oursArrow / kcat).toFixed(2)}`);
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// BENCH_ONLY=kafka runs only the third part.
if (process.env.BENCH_ONLY !== 'kafka') await decodeBench();
if (process.env.BENCH_ONLY !== 'kafka') await inProcessBench();
await kafkaBench();
