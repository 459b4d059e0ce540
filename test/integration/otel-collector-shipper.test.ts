/**
 * The OpenTelemetry Collector shipper of deploy/shippers/otel-collector, run for real: the
 * collector built from builder.yaml (test/harness/otel-collector.ts, once, cached outside the
 * repository), started with the shipped config.yaml and the shipped DaemonSet's flags, with the
 * brokers, file paths, topics and state directory set through the config's own environment
 * variables (nothing else in the config changes).
 *
 * The test writes the shipped sample as Calico (flow and DNS logs) and the Hubble exporter would
 * on a node: appended to three log files in chunks, in event-time order. The collector ships the
 * lines into three 3-partition topics while `flowhound run` (a real member process) consumes them.
 * Midway the collector is killed with SIGKILL, more lines are written while it is down, and it is
 * started again on the same state directory. In the end:
 * - every topic holds exactly the lines of its file, each once (the same JSON: the collector
 *   re-encodes each line, see config.yaml), in file order within each partition;
 * - the member raised the alerts of an in-process replay of the three files it wrote.
 *
 * The kill comes once the collector has shipped what was written so far and has had time to save
 * its positions (it saves them each time a poll has read its files to the end): that is when a
 * restart must neither lose nor repeat a line. A kill while it is still reading repeats what it
 * read since its last save (at-least-once; config.yaml says how much); that case is not asserted.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { MemoryAlertSink } from '../../src/alerts/alert-sink.ts';
import { loadPipelineFile } from '../../src/config/load-pipeline.ts';
import type { Alert } from '../../src/model/alert.ts';
import { buildPipeline } from '../../src/pipeline/build-pipeline.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { alertsOf, finish, KINDS, pipelineFile, start } from '../harness/durable-run.ts';
import { readTopic, tickLine, type FlowhoundMember } from '../harness/flowhound-member.ts';
import { freePort } from '../harness/free-port.ts';
import { consumeWithKcat, createTopics, produceWithKcat, topicMessageCount } from '../harness/kcat.ts';
import { Collector, otelcolBinary } from '../harness/otel-collector.ts';
import { sampleDataEnd, sampleLinesBySource } from '../harness/sample.ts';

const brokers = inject('kafkaBrokers');
const SHIPPER = 'deploy/shippers/otel-collector';
const PARTITIONS = 3;
const CHUNKS = 10;
/** Chunks written before the kill, and while the collector is down. */
const KILL_AFTER = 4;
const DOWN_CHUNKS = 2;

const log = (line: string) => process.stderr.write(`[otelcol] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The shipped DaemonSet's collector arguments, less --config (the test names its own file). */
function daemonSetFlags(): string[] {
  const docs = parseAllDocuments(readFileSync(join(SHIPPER, 'daemonset.yaml'), 'utf8')).map((d) => d.toJS() as { kind?: string; spec?: { template: { spec: { containers: { args: string[] }[] } } } });
  const args = docs.find((d) => d.kind === 'DaemonSet')!.spec!.template.spec.containers[0]!.args;
  return args.filter((a) => !a.startsWith('--config'));
}

/** JSON text with object keys sorted at every level: equal for equal JSON values. */
function canonical(text: string): string {
  const sort = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sort);
    if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sort((value as Record<string, unknown>)[k])]));
    return value;
  };
  return JSON.stringify(sort(JSON.parse(text)));
}

const firing = (alerts: Alert[]) => [...new Set(alerts.filter((a) => a.status === 'firing').map((a) => a.fingerprint))].sort();

describe('OpenTelemetry Collector shipper (deploy/shippers/otel-collector), for real', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowhound-otelcol-'));
  let binary = '';
  let collector: Collector | undefined;
  let member: FlowhoundMember | undefined;

  beforeAll(async () => {
    const started = Date.now();
    binary = await otelcolBinary(log);
    log(`collector binary ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${binary}`);
  }, 30 * 60_000);

  afterAll(async () => {
    await collector?.stop('SIGKILL');
    await member?.kill('SIGKILL');
    if (process.env.FLOWHOUND_KEEP_OTELCOL !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('ships each line once into its topic across a SIGKILL and restart, and flowhound run raises the alerts of a replay of the files', async () => {
    const id = `otel-${randomUUID().slice(0, 8)}`;
    // Index i: SAMPLE_FILES[i] (Calico flows, Calico DNS, Hubble) = KINDS[i] (flows, dns, hubble).
    const files = [join(dir, 'calico', 'flowlogs', 'flows.log'), join(dir, 'calico', 'dnslogs', 'dns.log'), join(dir, 'cilium', 'hubble', 'events.log')];
    for (const file of files) mkdirSync(join(file, '..'), { recursive: true });
    const topics = Object.fromEntries(KINDS.map((kind) => [kind, `${id}-${kind}`])) as Record<(typeof KINDS)[number], string>;
    const topicOf = KINDS.map((kind) => topics[kind]);
    await createTopics(brokers, topicOf, PARTITIONS);

    const env = {
      KAFKA_BROKERS: brokers,
      KAFKA_CLIENT_ID: `${id}-shipper`,
      CALICO_FLOW_LOG: files[0]!,
      CALICO_DNS_LOG: files[1]!,
      HUBBLE_EXPORT_LOG: files[2]!,
      CALICO_FLOW_TOPIC: topics.flows,
      CALICO_DNS_TOPIC: topics.dns,
      HUBBLE_TOPIC: topics.hubble,
      OTELCOL_STATE_DIR: join(dir, 'state'),
      OTELCOL_METRICS_HOST: '127.0.0.1',
      OTELCOL_METRICS_PORT: String(await freePort()),
    };
    const flags = daemonSetFlags();
    expect(flags).toContain('--feature-gates=stanza.synchronousLogEmitter');
    const logFile = join(dir, 'otelcol.log');
    const startCollector = async () => {
      const c = new Collector(binary, { config: join(SHIPPER, 'config.yaml'), args: flags, env, logFile });
      await c.ready(60_000);
      return c;
    };

    // flowhound run consumes the three topics from the start, as in a cluster.
    const name = `${id}-run`;
    const pipeline = pipelineFile(brokers, dir, name, topics, `${name}-alerts`, join(dir, `${name}.jsonl`));
    const running = await start(pipeline);
    member = running.member;

    // The sample in event-time order, in chunks appended to the file of each line's source.
    const lines = sampleLinesBySource();
    const written = [0, 0, 0];
    const perFile: string[][] = [[], [], []];
    const writeChunk = (k: number) => {
      const chunk = lines.slice(Math.floor((k * lines.length) / CHUNKS), Math.floor(((k + 1) * lines.length) / CHUNKS));
      const bySource: string[][] = [[], [], []];
      for (const { source, line } of chunk) bySource[source]!.push(line);
      for (const [source, batch] of bySource.entries()) {
        if (batch.length === 0) continue;
        appendFileSync(files[source]!, batch.join('\n') + '\n');
        written[source]! += batch.length;
        perFile[source]!.push(...batch);
      }
    };
    const counts = () => Promise.all(topicOf.map((t) => topicMessageCount(brokers, t)));
    /** Waits until every topic holds what its file has; fails at once on a topic that holds more. */
    const caughtUp = async (timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const now = await counts();
        now.forEach((n, i) => expect(n, `${topicOf[i]} holds more records than ${files[i]} has lines`).toBeLessThanOrEqual(written[i]!));
        if (now.every((n, i) => n === written[i])) return;
        if (Date.now() > deadline) throw new Error(`the collector shipped ${now.join('/')} of ${written.join('/')} lines in ${timeoutMs} ms; its log:\n${collector?.output.slice(-4000)}`);
        await sleep(200);
      }
    };

    writeChunk(0);
    collector = await startCollector();
    for (let k = 1; k < KILL_AFTER; k++) {
      await sleep(300);
      writeChunk(k);
    }
    await caughtUp(180_000);
    // A few polls, so that the positions of the last lines shipped are saved.
    await sleep(2_000);
    expect(await counts()).toEqual(written);
    const exit = await collector.stop('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    const shippedBeforeKill = [...written];
    log(`SIGKILL after ${shippedBeforeKill.join('/')} lines shipped (flows/dns/hubble) of ${lines.length}`);

    // Lines keep coming while the collector is down.
    for (let k = KILL_AFTER; k < KILL_AFTER + DOWN_CHUNKS; k++) writeChunk(k);
    expect(await counts()).toEqual(shippedBeforeKill);
    log(`written while the collector was down: ${written.map((n, i) => n - shippedBeforeKill[i]!).join('/')}`);

    collector = await startCollector();
    for (let k = KILL_AFTER + DOWN_CHUNKS; k < CHUNKS; k++) {
      await sleep(300);
      writeChunk(k);
    }
    expect(written.reduce((a, b) => a + b, 0)).toBe(lines.length);
    await caughtUp(300_000);
    // Nothing more comes later (a repeat would show as a surplus).
    await sleep(3_000);
    expect(await counts()).toEqual(written);
    const stopped = await collector.stop('SIGTERM');
    expect(stopped.code, collector.output.slice(-3000)).toBe(0);
    collector = undefined;

    // Each topic holds exactly its file's lines, each once, in file order within each partition.
    for (const [i, topic] of topicOf.entries()) {
      const messages = await consumeWithKcat(brokers, topic, { count: written[i]!, timeoutMs: 120_000 });
      expect(messages).toHaveLength(written[i]!);
      expect(messages.every((m) => m.key === null)).toBe(true);
      const expected = perFile[i]!.map(canonical);
      const got = messages.map((m) => canonical(m.value!));
      expect([...got].sort()).toEqual([...expected].sort());
      // Order, on the lines that occur once in the file (the sample repeats some Calico records).
      const indexOf = new Map<string, number>();
      const repeatedLines = new Set<string>();
      expected.forEach((c, at) => (indexOf.has(c) ? repeatedLines.add(c) : indexOf.set(c, at)));
      for (let p = 0; p < PARTITIONS; p++) {
        const sequence = messages.filter((m) => m.partition === p).sort((a, b) => a.offset - b.offset)
          .map((m) => canonical(m.value!)).filter((c) => !repeatedLines.has(c)).map((c) => indexOf.get(c)!);
        const outOfOrder = sequence.findIndex((at, j) => j > 0 && at < sequence[j - 1]!);
        expect(outOfOrder, `${topic}[${p}]: line ${sequence[outOfOrder]} after line ${sequence[outOfOrder - 1]}`).toBe(-1);
      }
    }

    // A later record in every partition closes the last windows (a live stream never ends).
    const tick = tickLine(sampleDataEnd() + 3_600_000);
    for (const topic of topicOf) for (let p = 0; p < PARTITIONS; p++) await produceWithKcat(brokers, topic, [tick], { partition: p });
    await finish(brokers, [running], name, topics, sampleDataEnd());
    member = undefined;
    const viaShipper = alertsOf(await readTopic(brokers, `${name}-alerts`));

    // The same files, replayed in process with the member's pipeline settings.
    const config = loadPipelineFile(pipeline, {});
    const replayed = new MemoryAlertSink();
    const replay = buildPipeline(
      { ...config, sources: { files: { type: 'file', paths: files, format: 'auto', max_batch_records: 2000 } }, sinks: {} } as typeof config,
      { logger: silentLogger, alertSinks: [replayed], mergeFilesByEventTime: true, deadLetterFile: '/dev/null' },
    );
    await replay.run();
    expect(firing(replayed.alerts).length).toBeGreaterThan(0);
    expect(firing(viaShipper)).toEqual(firing(replayed.alerts));
    log(`${written.join('/')} lines shipped, each once; ${firing(viaShipper).length} alerts, the replay's`);
  }, 900_000);
});
