/**
 * The real thing: a Kafka broker (started by the global setup), records produced by kcat (a
 * client that is not ours), the pipeline consuming them as a consumer group.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { validatePipeline } from '../../src/config/load-pipeline.ts';
import type { NormalizedRecord } from '../../src/model/normalized-record.ts';
import { buildPipeline, type BuiltPipeline } from '../../src/pipeline/build-pipeline.ts';
import { MemoryStage } from '../../src/pipeline/record-stage.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { consumeWithKcat, createTopics, produceWithKcat } from '../harness/kcat.ts';
import { fixture } from '../unit/fixture.ts';

const brokers = inject('kafkaBrokers');
const run = randomUUID().slice(0, 8);
const topics = { flows: `calico-flows-${run}`, dns: `calico-dns-${run}`, hubble: `hubble-${run}`, dead: `dead-letter-${run}` };
const group = `flowhound-it-${run}`;

function pipelineConfig(groupSuffix = '') {
  return validatePipeline({
    name: 'it',
    cluster: 'prod-eu',
    kafka: { brokers: [brokers], client_id: 'flowhound-it' },
    sources: {
      calico_flows: { type: 'kafka', topics: [topics.flows], format: 'calico-flow', group_id: `${group}-flows${groupSuffix}` },
      calico_dns: { type: 'kafka', topics: [topics.dns], format: 'calico-dns', group_id: `${group}-dns${groupSuffix}` },
      hubble: { type: 'kafka', topics: [topics.hubble], format: 'auto', group_id: `${group}-hubble${groupSuffix}` },
    },
    dead_letter: { topic: topics.dead },
    limits: { max_record_bytes: 4096 },
    // The fixtures' event times are years apart: none of them may count as late here.
    detection: { allowed_lateness_seconds: 400_000_000 },
    state: { topic_prefix: `fh-${group}${groupSuffix}` },
  }, 'integration test');
}

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function startPipeline(): Promise<{ pipeline: BuiltPipeline; stage: MemoryStage; done: Promise<void> }> {
  const stage = new MemoryStage();
  const pipeline = buildPipeline(pipelineConfig(), { logger: silentLogger, stages: [stage] });
  const done = pipeline.run();
  return { pipeline, stage, done };
}

const oversized = JSON.stringify({ start_time: 1, pad: 'x'.repeat(5000) });
const negativeBytes = fixture('calico-flow/denied-to-service.json').replace('"bytes_in":0', '"bytes_in":-5');
const flowLines = [
  fixture('calico-flow/doc-example-reporter-dst.json'),
  '{"start_time": 1597166083, "end_time":',
  fixture('calico-flow/aggregated-egress-public.json'),
  negativeBytes,
  oversized,
  fixture('calico-flow/denied-to-service.json'),
];
const mistypedQname = JSON.stringify({ ...JSON.parse(fixture('calico-dns/txt-aggregated.json')), qname: 42 });
const dnsLines = [fixture('calico-dns/txt-aggregated.json'), mistypedQname, fixture('calico-dns/nxdomain.json')];
const hubbleLines = [fixture('hubble/full-dropped-egress.json'), fixture('hubble/dns-response.json'), fixture('hubble/dns-request.json'), '{"hello":"world"}', fixture('hubble/reply-from-world.json')];

describe('consuming Calico and Hubble records from Kafka', () => {
  let admin: ReturnType<Kafka['admin']>;

  beforeAll(async () => {
    await createTopics(brokers, [topics.flows, topics.dns, topics.hubble], 1);
    admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
  });

  it('normalises every valid record, dead-letters every bad one with its reason, and commits after processing', async () => {
    await produceWithKcat(brokers, topics.flows, flowLines);
    await produceWithKcat(brokers, topics.dns, dnsLines);
    await produceWithKcat(brokers, topics.hubble, hubbleLines);

    const { pipeline, stage, done } = await startPipeline();
    await until(() => stage.records.length === 8 && pipeline.ingest.stats.deadLettered === 5, 'all records');
    await pipeline.stop();
    await done;

    const byFormat = (format: string) => stage.records.filter((r) => r.format === format);
    const [docExample, egress, denied] = byFormat('calico-flow') as Extract<NormalizedRecord, { kind: 'flow' }>[];
    expect(docExample).toEqual({
      kind: 'flow', format: 'calico-flow', windowStart: 1597166083000, windowEnd: 1597166383000, node: 'bz-n8kf-kadm-node-1',
      src: { cluster: 'prod-eu', namespace: 'policy-demo', workload: 'access', pod: 'access-6b687c8dcb-zn5s2', ip: '192.168.47.9', labels: { 'pod-template-hash': '6b687c8dcb', app: 'access' }, kind: 'pod' },
      dst: { cluster: 'prod-eu', namespace: 'policy-demo', workload: 'nginx', pod: 'nginx-86c57db685-h6792', ip: '192.168.138.79', labels: { app: 'nginx' }, kind: 'pod' },
      srcPort: 42106, dstPort: 80, dstFqdns: [], protocol: 'tcp', action: 'allow', reporter: 'dst',
      bytesToDst: 388, bytesToSrc: 1113, packetsToDst: 6, packetsToSrc: 5, connections: 1, connectionsStarted: 1, connectionsCompleted: 1,
    });
    expect(egress).toMatchObject({ dst: { kind: 'public', ip: '34.117.59.81', workload: 'pub' }, dstFqdns: ['storage.googleapis.com'], bytesToDst: 7340032, connections: 3 });
    expect(denied).toMatchObject({ action: 'deny', denyReason: 'default/data/default.deny-notebooks', dstService: { name: 'postgres', namespace: 'data', port: 'pg' } });

    const dnsRecords = byFormat('calico-dns');
    expect(dnsRecords.map((r) => r.kind === 'dns' && [r.qname, r.rcode, r.count, r.client.workload])).toEqual([
      ['a1b2c3.exfil.example.com', 'NOERROR', 42, 'trainer-7d9f'],
      ['qx7k2mz9.example.org', 'NXDOMAIN', 3, 'llm-infer'],
    ]);
    const hubble = byFormat('hubble');
    expect(hubble.map((r) => r.kind)).toEqual(['flow', 'dns', 'flow']);
    expect(hubble[0]).toMatchObject({ src: { cluster: 'topgun', workload: 'traffic-generator', workloadKind: 'Deployment', labels: { app: 'traffic-generator' } }, action: 'deny', denyReason: 'POLICY_DENY', dstPort: 80 });
    expect(hubble[1]).toMatchObject({ kind: 'dns', qname: 'huggingface.co', client: { workload: 'jupyter-alice' }, answers: [{ data: '104.18.7.192', ttl: 60 }, { type: 'AAAA' }] });
    expect(hubble[2]).toMatchObject({ src: { workload: 'jupyter-alice' }, dst: { kind: 'public' }, dstFqdns: ['huggingface.co'], dstPort: 443 });
    expect(pipeline.ingest.stats.toJSON()).toMatchObject({
      received: { calico_flows: 6, calico_dns: 3, hubble: 5 },
      invalid: { 'malformed-json': 1, 'out-of-range': 1, oversized: 1, 'invalid-field': 1, 'unknown-format': 1 },
      skipped: { 'hubble-dns-request': 1 },
      deadLettered: 5,
    });

    // The dead-letter topic holds the original bytes, with the reason and origin in headers.
    const letters = await consumeWithKcat(brokers, topics.dead, { count: 5, timeoutMs: 30_000 });
    const byReason = new Map(letters.map((m) => [m.headers['flowhound.error.reason'], m]));
    expect([...byReason.keys()].sort()).toEqual(['invalid-field', 'malformed-json', 'out-of-range', 'oversized', 'unknown-format']);
    expect(byReason.get('malformed-json')).toMatchObject({ value: flowLines[1], headers: { 'flowhound.origin.topic': topics.flows, 'flowhound.origin.offset': '1', 'flowhound.source': 'calico_flows', 'flowhound.format': 'calico-flow' } });
    expect(byReason.get('out-of-range')!.value).toBe(negativeBytes);
    expect(byReason.get('out-of-range')!.headers['flowhound.error.detail']).toContain('bytes_in');
    expect(byReason.get('oversized')!.value).toBe(oversized);
    expect(byReason.get('invalid-field')).toMatchObject({ value: mistypedQname, headers: { 'flowhound.origin.topic': topics.dns } });
    expect(byReason.get('unknown-format')).toMatchObject({ value: '{"hello":"world"}', headers: { 'flowhound.origin.topic': topics.hubble, 'flowhound.origin.offset': '3' } });

    // Offsets are committed one past the last processed message of each partition.
    for (const [source, topic, count] of [['flows', topics.flows, 6], ['dns', topics.dns, 3], ['hubble', topics.hubble, 5]] as const) {
      const committed = await admin.fetchOffsets({ groupId: `${group}-${source}`, topics: [topic] });
      expect(committed[0]!.partitions).toEqual([{ partition: 0, offset: String(count), metadata: null }]);
    }
  });

  it('resumes after the last commit when restarted: nothing is read twice, nothing is lost', async () => {
    const more = [fixture('calico-flow/aggregated-egress-public.json'), 'not json'];
    await produceWithKcat(brokers, topics.flows, more);
    const { pipeline, stage, done } = await startPipeline();
    await until(() => stage.records.length === 1 && pipeline.ingest.stats.deadLettered === 1, 'the new records');
    // Give the consumer a moment to (wrongly) re-read older messages if it were going to.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await pipeline.stop();
    await done;
    expect(pipeline.ingest.stats.toJSON()).toMatchObject({ received: { calico_flows: 2 }, deadLettered: 1 });
    const committed = await admin.fetchOffsets({ groupId: `${group}-flows`, topics: [topics.flows] });
    expect(committed[0]!.partitions[0]!.offset).toBe('8');
  });

  it('runs as `flowhound run --pipeline`, stops cleanly on SIGTERM and prints the summary', async () => {
    const topic = `cli-${run}`;
    await createTopics(brokers, [topic], 1);
    await produceWithKcat(brokers, topic, [fixture('hubble/full-dropped-egress.json'), '{"bad"']);
    const child = spawn(process.execPath, ['bin/flowhound.js', 'run', '--pipeline', 'pipelines/hubble.yaml', '--log-level', 'warn'], {
      env: { ...process.env, KAFKA_BROKERS: brokers, HUBBLE_TOPIC: topic, FLOWHOUND_DEAD_LETTER_TOPIC: `cli-dead-${run}`, FLOWHOUND_METRICS_PORT: '0' },
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const dead = await consumeWithKcat(brokers, `cli-dead-${run}`, { count: 1, timeoutMs: 60_000 });
    expect(dead[0]).toMatchObject({ value: '{"bad"', headers: { 'flowhound.error.reason': 'malformed-json' } });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).not.toContain('ERROR');
    expect(code).toBe(0);
    expect(stdout).toContain('hubble/flow');
    expect(stdout).toMatch(/malformed-json\s+1/);
  });
});
