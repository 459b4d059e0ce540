/**
 * Replay throughput, each figure beside its baseline in the same run:
 *   1. Arrow batches decoded column-wise (flowhound's reader) vs row by row (Arrow's row proxies).
 *   2. The full in-process pipeline (parsers, detection) over the JSON-lines sample vs the Arrow sample.
 *   3. `replay --to kafka` vs kcat producing the same lines into the same broker (started here;
 *      skipped when Java, Maven or kcat are missing).
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
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
import { hasBinary } from '../test/harness/system-packages.ts';

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

async function kafkaBench(): Promise<void> {
  if (!hasBinary('kcat') || !hasBinary('java') || !hasBinary('mvn')) {
    console.log('replay into Kafka: skipped (needs kcat, java and mvn; `npm test` installs kcat)');
    return;
  }
  const { startKafka } = await import('../test/harness/kafka-broker.ts');
  const broker = await startKafka();
  try {
    const config = (topic: string) => validatePipeline({ name: 'bench', cluster: 'prod-eu', kafka: { brokers: [broker.brokers] }, sources: { t: { type: 'kafka', topics: [topic], format: 'auto' } } }, 'bench');
    const kafka = createKafka(config('x').kafka!, silentLogger);
    // flowhound: merge, parse for keys and event time, batch, gzip, produce.
    const ours = await replayIntoKafka({ kafka, config: config('bench-flowhound'), files: JSONL, rate: 0, speed: 0, from: -Infinity, until: Infinity, logger: silentLogger });
    // kcat: the same lines, gzip, acks=all, into a topic of the same shape (kcat reads them ready-made).
    const { gunzipSync } = await import('node:zlib');
    const { readFileSync } = await import('node:fs');
    const lines = JSONL.flatMap((f) => gunzipSync(readFileSync(f)).toString('utf8').split('\n').filter((l) => l !== ''));
    const dir = mkdtempSync(join(tmpdir(), 'flowhound-bench-'));
    const input = join(dir, 'lines');
    writeFileSync(input, lines.join('\n') + '\n');
    const { createTopics } = await import('../test/harness/kcat.ts');
    await createTopics(broker.brokers, ['bench-kcat'], 3);
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn('kcat', ['-P', '-b', broker.brokers, '-t', 'bench-kcat', '-z', 'gzip', '-X', 'acks=all', '-l', input], { stdio: 'ignore' });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}`))));
    });
    const kcatRate = rate(lines.length, performance.now() - start);
    const oursRate = Math.round(ours.sent / ours.seconds);
    console.log(`replay into Kafka (${fmt(ours.sent)} messages): flowhound ${fmt(oursRate)} msg/s, kcat ${fmt(kcatRate)} msg/s, ratio ${(oursRate / kcatRate).toFixed(2)}`);
  } finally {
    await broker.stop();
  }
}

await decodeBench();
await inProcessBench();
await kafkaBench();
