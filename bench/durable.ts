/**
 * The cost of durable state, each figure beside its baseline in the same run:
 *   1. Live throughput (three topics × three partitions, produced unkeyed by kcat, consumed by
 *      the whole pipeline until every window is judged): durable state with checkpoints every
 *      second vs the same with checkpoints only at the end (the cost of checkpointing), and vs
 *      the in-memory stage (`state.enabled: false`; the cost of the repartition hop).
 *   2. Checkpoint bytes per workload (the changelog records of one workload's state).
 *   3. Restore time of a detection task holding 10,000 workloads (~100 peers each).
 *
 *   node bench/durable.ts [--hours 72] [--runs 2] [--workloads 10000]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { validatePipeline } from '../src/config/load-pipeline.ts';
import type { PipelineConfig } from '../src/config/pipeline-schema.ts';
import { buildDetection } from '../src/pipeline/build-detection.ts';
import { buildPipeline } from '../src/pipeline/build-pipeline.ts';
import { eventTime } from '../src/model/normalized-record.ts';
import { decodeMessage } from '../src/parsers/record-decoder.ts';
import { createKafka } from '../src/sources/kafka-client.ts';
import { DetectionTask, PendingAlerts } from '../src/state/detection-task.ts';
import { ensureStateTopics, stateTopics } from '../src/state/state-topics.ts';
import { sendChunked } from '../src/state/transactions.ts';
import { silentLogger } from '../src/telemetry/logger.ts';
import { createBaseline, updateBaseline } from '../src/baseline/workload-baseline.ts';
import { emptyWindow } from '../src/baseline/window-stats.ts';
import { PeerGroups } from '../src/baseline/peer-groups.ts';
import { tickLine } from '../test/harness/flowhound-member.ts';
import { ensureSystemPackages, hasBinary } from '../test/harness/system-packages.ts';

const { values } = parseArgs({ options: { hours: { type: 'string', default: '72' }, runs: { type: 'string', default: '2' }, workloads: { type: 'string', default: '10000' } } });
const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function kcat(args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kcat ${args.join(' ')}: ${stderr}`))));
    if (input !== undefined) child.stdin!.end(input);
  });
}

async function throughput(brokers: string, files: string[]): Promise<number> {
  const { createTopics } = await import('../test/harness/kcat.ts');
  const suffix = Date.now().toString(36);
  const topics = [`dur-flows-${suffix}`, `dur-dns-${suffix}`, `dur-hubble-${suffix}`];
  await createTopics(brokers, topics, 3);
  let total = 0;
  let last = 0;
  const ctx = { cluster: 'prod-eu', now: Date.now(), maxFutureSkewMs: 3600_000 };
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line === '') continue;
      total++;
      const decoded = decodeMessage(line, 'auto', ctx, 1 << 20);
      if (decoded.status === 'ok') last = Math.max(last, eventTime(decoded.record));
    }
  }
  const dataEnd = Math.ceil(last / 300_000) * 300_000;
  await Promise.all(topics.map((topic, i) => kcat(['-P', '-b', brokers, '-t', topic, '-z', 'gzip', '-l', files[i]!])));
  for (const topic of topics) for (let p = 0; p < 3; p++) await kcat(['-P', '-b', brokers, '-t', topic, '-p', String(p)], tickLine(dataEnd + 3_600_000) + '\n');
  total += 9;

  const modes = [
    { name: 'durable, checkpoint every 1 s', state: { enabled: true, checkpoint_interval_ms: 1_000 } },
    { name: 'durable, checkpoints only at the end', state: { enabled: true, checkpoint_interval_ms: 600_000 } },
    { name: 'in memory (state.enabled: false)', state: { enabled: false } },
  ];
  // BENCH_MODES=0,2: only those modes (profiling one of them).
  const only = process.env.BENCH_MODES?.split(',').map(Number);
  const best = new Map<string, { rate: number; detail: string }>();
  for (let run = 1; run <= Number(values.runs); run++) {
    for (const mode of modes) {
      if (only !== undefined && !only.includes(modes.indexOf(mode))) continue;
      const id = `${suffix}-${run}-${modes.indexOf(mode)}`;
      const config: PipelineConfig = validatePipeline({
        name: `bench-${id}`, cluster: 'prod-eu', kafka: { brokers: [brokers] },
        sources: Object.fromEntries(['flows', 'dns', 'hubble'].map((kind, i) => [kind, { type: 'kafka', topics: [topics[i]], format: 'auto', from_beginning: true, max_batch_records: Number(process.env.BENCH_BATCH ?? 2000), max_bytes_per_partition: Number(process.env.BENCH_FETCH ?? 1048576) }])),
        state: { partitions: 3, ...mode.state },
      }, 'bench');
      let alerts = 0;
      const pipeline = buildPipeline(config, { logger: silentLogger, deadLetterFile: '/dev/null', alertSinks: [{ write: async (a) => { alerts += a.length; }, close: async () => {} }] });
      const started = performance.now();
      const running = pipeline.run();
      const deadline = Date.now() + 600_000;
      let ingested = 0;
      while (pipeline.detection.watermark < dataEnd) {
        if (Date.now() > deadline) throw new Error(`${mode.name}: not done in 600 s`);
        if (ingested === 0 && pipeline.ingest.stats.total(pipeline.ingest.stats.received) >= total) ingested = performance.now() - started;
        await new Promise((r) => setTimeout(r, 20));
      }
      const ms = performance.now() - started;
      await pipeline.stop();
      await running;
      const rate = (total * 1000) / ms;
      const checkpoints = pipeline.tasks?.checkpoints;
      const detail = `input consumed after ${fmt(ingested / 1000, 1)} s, judged after ${fmt(ms / 1000, 1)} s; ` + (checkpoints === undefined ? `${alerts} alerts` : `${alerts} alerts, ${fmt(checkpoints.checkpoints)} checkpoints, ${fmt(checkpoints.bytes / 1e6, 1)} MB written, ${fmt(checkpoints.ms / 1000, 1)} s in checkpoints`);
      if (rate > (best.get(mode.name)?.rate ?? 0)) best.set(mode.name, { rate, detail });
    }
  }
  console.log(`live with durable state (${fmt(total)} messages, 3 topics × 3 partitions unkeyed, every window judged; best of ${values.runs}):`);
  for (const mode of modes) {
    const b = best.get(mode.name);
    if (b !== undefined) console.log(`  ${mode.name.padEnd(40)} ${fmt(b.rate).padStart(8)} msg/s  (${b.detail})`);
  }
  if (only !== undefined) return total;
  const base = best.get(modes[1]!.name)!.rate;
  const memory = best.get(modes[2]!.name)!.rate;
  const ckpt = best.get(modes[0]!.name)!.rate;
  console.log(`  checkpointing every second ÷ checkpoints only at the end: ${(ckpt / base).toFixed(2)} (target ≥ 0.8); durable ÷ in memory: ${(ckpt / memory).toFixed(2)}`);
  return total;
}

/** A task with `workloads` workloads of ~100 peers each, checkpointed to a changelog, then restored. */
async function restoreBench(brokers: string): Promise<void> {
  const workloads = Number(values.workloads);
  const config = validatePipeline({ name: `restore-${Date.now().toString(36)}`, kafka: { brokers: [brokers] }, sources: { k: { type: 'kafka', topics: ['unused'] } }, state: { partitions: 1 } }, 'bench');
  const topics = stateTopics(config);
  const kafka = createKafka(config.kafka!, silentLogger);
  await ensureStateTopics(kafka, topics, silentLogger);
  const peerGroups = new PeerGroups();
  const build = () => buildDetection(config.detection, [new PendingAlerts()], { peerGroups, part: 0, maxStateMb: 4096, trackChanges: true });
  const stage = build();
  const t0 = Date.parse('2026-11-01T00:00:00Z');
  for (let w = 0; w < workloads; w++) {
    const key = `prod/ns-${w % 50}/wl-${w}`;
    const workload = { cluster: 'prod', namespace: `ns-${w % 50}`, name: `wl-${w}`, role: 'inference', env: 'prod' } as never;
    const baseline = createBaseline(key, workload, t0);
    for (let i = 0; i < 12; i++) {
      const window = emptyWindow(key, workload, t0 + i * 300_000, t0 + (i + 1) * 300_000);
      for (let p = 0; p < 100; p++) window.edges.set(`prod/peers/p-${(w + p) % 5000}|8080|tcp`, { peer: `prod/peers/p-${(w + p) % 5000}`, peerKind: 'pod', port: 8080, protocol: 'tcp', bytesOut: 1000 + p, bytesIn: 10, connections: 2, denied: 0, firstAt: window.start });
      window.connections = 200;
      window.bytesOut = 100_000 + i;
      window.activeOut = true;
      updateBaseline(baseline, window);
    }
    stage.baselines.set(key, baseline);
  }
  const records = stage.state.allRecords('0');
  const producer = kafka.producer({ transactionalId: `${topics.prefix}-task-0`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const transaction = await producer.transaction();
  const messages = records.map(({ key, value }) => ({ partition: 0, key, value: value === null ? null : JSON.stringify(value) }));
  const bytes = messages.reduce((n, m) => n + (m.value?.length ?? 0), 0);
  await sendChunked(transaction, topics.changelog, messages);
  await transaction.commit();
  await producer.disconnect();
  const times: number[] = [];
  for (let run = 0; run < 3; run++) {
    const task = new DetectionTask({ kafka, topics, groupId: `${topics.prefix}-detection`, partition: 0, stage: build(), pending: new PendingAlerts(), peerGroups, logger: silentLogger });
    const started = performance.now();
    await task.restore();
    times.push(performance.now() - started);
    if (task.stage.baselines.size !== workloads) throw new Error(`restored ${task.stage.baselines.size} of ${workloads} baselines`);
    await task.close();
  }
  console.log(`checkpoint bytes per workload (~100 peers, baseline as JSON in the changelog): ${fmt(bytes / workloads)} B`);
  console.log(`restore of a task with ${fmt(workloads)} workloads (fence, marker, read ${fmt(bytes / 1e6, 1)} MB, rebuild): best ${fmt(Math.min(...times) / 1000, 2)} s of 3 (aim ≤ 10 s)`);
}

async function main(): Promise<void> {
  if (!hasBinary('java') || !hasBinary('mvn')) {
    console.log('durable state bench: skipped (needs java and mvn for the broker)');
    return;
  }
  if (!hasBinary('kcat')) ensureSystemPackages((line) => console.log(`bench: ${line}`));
  const dir = mkdtempSync(join(tmpdir(), 'flowhound-bench-durable-'));
  const { startKafka } = await import('../test/harness/kafka-broker.ts');
  const broker = process.env.FLOWHOUND_KAFKA_BROKERS ? undefined : await startKafka();
  const brokers = process.env.FLOWHOUND_KAFKA_BROKERS ?? broker!.brokers;
  try {
    execFileSync(process.execPath, ['datasets/generator/main.ts', '--seed', '11', '--hours', String(values.hours), '--out', dir], { stdio: 'ignore' });
    await throughput(brokers, ['calico-flows.jsonl', 'calico-dns.jsonl', 'hubble-flows.jsonl'].map((f) => join(dir, f)));
    if (process.env.BENCH_MODES === undefined) await restoreBench(brokers);
  } finally {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
