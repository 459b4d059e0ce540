/**
 * Durable, partitioned detection state on the real broker. The shipped labelled sample goes
 * through kcat, unkeyed, into three 3-partition topics (as Fluent Bit, Vector and the
 * OpenTelemetry Collector send it); `flowhound run` members — real processes — consume it while
 * the test kills, restarts and scales them. Whatever happens to the members, the alerts must be
 * those of an uninterrupted run: every labelled scenario detected, no false alert, no alert
 * emitted as new twice.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { loadLabels } from '../../src/evaluation/labels.ts';
import { score } from '../../src/evaluation/score.ts';
import type { Alert } from '../../src/model/alert.ts';
import { FlowhoundMember, groupLag, readTopic, tickLine } from '../harness/flowhound-member.ts';
import { createTopics, produceWithKcat } from '../harness/kcat.ts';
import { SAMPLE_FILES, sampleLinesInEventTime } from '../harness/sample.ts';
import { gunzipSync } from 'node:zlib';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { eventTime } from '../../src/model/normalized-record.ts';
import { decodeMessage } from '../../src/parsers/record-decoder.ts';

const brokers = inject('kafkaBrokers');
const decodeContext = { cluster: 'prod-eu', now: Date.now(), maxFutureSkewMs: 3600_000 };
const eventTimeOf = (line: string): number => {
  const decoded = decodeMessage(line, 'auto', decodeContext, 1 << 20);
  return decoded.status === 'ok' ? eventTime(decoded.record) : Number.POSITIVE_INFINITY;
};
const KINDS = ['flows', 'dns', 'hubble'] as const;

/** The sample's three files into three unkeyed 3-partition topics, then a tick in every partition. */
async function feed(id: string, after = Number.NEGATIVE_INFINITY): Promise<{ topics: Record<(typeof KINDS)[number], string>; dataEnd: number }> {
  const topics = { flows: `${id}-flows`, dns: `${id}-dns`, hubble: `${id}-hubble` };
  await createTopics(brokers, Object.values(topics), 3);
  const last = Math.max(...sampleLinesInEventTime().slice(-50).map((line) => {
    const j = JSON.parse(line) as { end_time?: number; time?: string; flow?: { time?: string }; '@timestamp'?: number };
    return j.end_time !== undefined ? j.end_time * 1000 : Date.parse(j.flow?.time ?? j.time ?? '0');
  }));
  const dataEnd = Math.ceil(last / 300_000) * 300_000;
  const tick = tickLine(dataEnd + 3_600_000);
  for (const [i, kind] of KINDS.entries()) {
    const lines = gunzipSync(readFileSync(SAMPLE_FILES[i]!)).toString('utf8').split('\n').filter((l) => l !== '' && eventTimeOf(l) > after);
    await produceWithKcat(brokers, topics[kind], lines);
    for (let p = 0; p < 3; p++) await produceWithKcat(brokers, topics[kind], [tick], { partition: p });
  }
  return { topics, dataEnd };
}

function pipelineFile(dir: string, name: string, topics: Record<string, string>, alertsTopic: string, archive: string): string {
  const file = join(dir, `${name}.yaml`);
  const sources = KINDS.map((kind) => `  ${kind}:\n    type: kafka\n    topics: [${topics[kind]}]\n    format: auto\n    session_timeout_ms: 8000\n    max_batch_records: 500`).join('\n');
  writeFileSync(file, `name: ${name}
cluster: prod-eu
kafka:
  brokers: [${brokers}]
sources:
${sources}
dead_letter:
  topic: ${name}-dead
state:
  partitions: 3
  checkpoint_interval_ms: 300
sinks:
  archive: { type: file, path: ${archive} }
  siem: { type: kafka, topic: ${alertsTopic} }
`);
  return file;
}

/** Starts a member and resolves with its metrics URL once it serves them. */
async function start(file: string): Promise<{ member: FlowhoundMember; metrics: string }> {
  const member = new FlowhoundMember(file, ['--metrics-port', '0']);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const match = /metrics at (http\S+)/.exec(member.stderr);
    if (match !== null) return { member, metrics: match[1]! };
    if (!member.running || Date.now() > deadline) throw new Error(`member did not start: ${member.stderr.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function metric(url: string, name: string): Promise<number | undefined> {
  const text = await fetch(url).then((r) => r.text()).catch(() => '');
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** Waits until the inputs are consumed and every live member's watermark is past the data, then stops them. */
async function finish(members: { member: FlowhoundMember; metrics: string }[], name: string, topics: Record<string, string>, dataEnd: number): Promise<void> {
  const deadline = Date.now() + 240_000;
  for (;;) {
    let lag = 0;
    for (const kind of KINDS) lag += await groupLag(brokers, `flowhound-${name}-${kind}`, [topics[kind]!]);
    const watermarks = await Promise.all(members.map((m) => metric(m.metrics, 'flowhound_watermark_seconds')));
    const tasks = await Promise.all(members.map((m) => metric(m.metrics, 'flowhound_detection_tasks')));
    const caughtUp = lag === 0 && tasks.reduce<number>((a, b) => a + (b ?? 0), 0) === 3 && watermarks.every((w) => w !== undefined && w * 1000 >= dataEnd);
    if (caughtUp) break;
    if (Date.now() > deadline) throw new Error(`not caught up: lag ${lag}, tasks ${tasks}, watermarks ${watermarks}; ${members.map((m) => m.member.stderr.slice(-1500)).join('\n---\n')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  // Windows close once every task has got there; give the gate and the last checkpoints time.
  await new Promise((r) => setTimeout(r, 3_000));
  for (const { member } of members) member.child.kill('SIGTERM');
  for (const { member } of members) {
    const exit = await member.exited;
    expect(exit.code, member.stderr.slice(-3000)).toBe(0);
  }
}

const alertsOf = (messages: { value: string }[]): Alert[] => messages.map((m) => JSON.parse(m.value) as Alert);
const fingerprints = (alerts: Alert[]) => [...new Set(alerts.map((a) => a.fingerprint))].sort();
/** Emissions that say the same thing twice (same alert, status, count and end). */
const repeated = (alerts: Alert[]) => {
  const seen = new Set<string>();
  return alerts.filter((a) => {
    const key = `${a.id}|${a.status}|${a.count}|${a.endsAt}|${a.severity}`;
    if (seen.has(key)) return true;
    seen.add(key);
    return false;
  });
};

describe('durable detection state on Kafka', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowhound-durable-'));
  const id = `d${randomUUID().slice(0, 6)}`;
  let topics: Record<string, string>;
  let dataEnd: number;
  let reference: Alert[];

  it('an uninterrupted member detects every labelled scenario of the sample, with no false alert', async () => {
    ({ topics, dataEnd } = await feed(id));
    const name = `${id}-ref`;
    const file = pipelineFile(dir, name, topics, `${name}-alerts`, join(dir, `${name}.jsonl`));
    const member = await start(file);
    await finish([member], name, topics, dataEnd);
    reference = alertsOf(await readTopic(brokers, `${name}-alerts`));
    const labels = loadLabels('datasets/sample/labels.jsonl');
    const evaluation = score(labels, reference.map((alert) => ({ alert, raisedAt: Date.parse(alert.endsAt) })), 1);
    expect(evaluation.scenarios.filter((s) => !s.detected).map((s) => s.scenario)).toEqual([]);
    expect(evaluation.falseAlertSamples).toEqual([]);
    expect(repeated(reference)).toEqual([]);
  }, 300_000);

  it('kill -9 at five random points, restarting each time, changes no alert', async () => {
    const name = `${id}-crash`;
    const archive = join(dir, `${name}.jsonl`);
    const file = pipelineFile(dir, name, topics, `${name}-alerts`, archive);
    let kills = 0;
    let member = await start(file);
    for (; kills < 5; kills++) {
      await new Promise((r) => setTimeout(r, 1_500 + Math.random() * 4_000));
      if (!member.member.running) break;
      await member.member.kill('SIGKILL');
      member = await start(file);
    }
    await finish([member], name, topics, dataEnd);
    const emitted = alertsOf(await readTopic(brokers, `${name}-alerts`));
    expect(kills).toBe(5);
    expect(fingerprints(emitted)).toEqual(fingerprints(reference));
    expect(repeated(emitted)).toEqual([]);
    // The file sink appends across restarts and gets every committed alert at least once.
    const archived = readFileSync(archive, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Alert);
    expect(fingerprints(archived)).toEqual(fingerprints(reference));
  }, 400_000);

  it('members scaled 1 → 3 → 2 mid-stream detect what one member detects', async () => {
    const name = `${id}-scale`;
    const file = pipelineFile(dir, name, topics, `${name}-alerts`, join(dir, `${name}.jsonl`));
    const members = [await start(file)];
    await new Promise((r) => setTimeout(r, 3_000));
    members.push(await start(file), await start(file));
    await new Promise((r) => setTimeout(r, 8_000));
    const leaving = members.pop()!;
    leaving.member.child.kill('SIGTERM');
    expect((await leaving.member.exited).code).toBe(0);
    await finish(members, name, topics, dataEnd);
    const emitted = alertsOf(await readTopic(brokers, `${name}-alerts`));
    expect(fingerprints(emitted)).toEqual(fingerprints(reference));
    expect(repeated(emitted)).toEqual([]);
  }, 400_000);

  it('a replay of the history warm-starts a live member: attacks right after go-live are caught, no learning period', async () => {
    // Go live at 17:00 of the sample's day: six hours of learning would miss everything after it.
    const goLive = Date.parse('2026-11-01T17:00:00Z');
    const { topics: live } = await feed(`${id}w`, goLive);
    const name = `${id}-warm`;
    const file = pipelineFile(dir, name, live, `${name}-alerts`, join(dir, `${name}.jsonl`));
    const { stdout } = await promisify(execFile)(process.execPath, ['src/cli/main.ts', 'replay', ...SAMPLE_FILES, '--pipeline', file, '--until', new Date(goLive).toISOString(), '--warm-start', '--quiet', '--dead-letter', '/dev/null']);
    expect(stdout).toMatch(/warm start: \d+ workload baselines/);
    const member = await start(file);
    await finish([member], name, live, dataEnd);
    const emitted = alertsOf(await readTopic(brokers, `${name}-alerts`));
    const labels = loadLabels('datasets/sample/labels.jsonl').filter((l) => Date.parse(l.start) >= goLive);
    expect(labels.length).toBe(7);
    const evaluation = score(labels, emitted.map((alert) => ({ alert, raisedAt: Date.parse(alert.endsAt) })), 1);
    expect(evaluation.scenarios.filter((s) => !s.detected).map((s) => s.scenario)).toEqual([]);
    // Alerts of attacks that began before go-live (beaconing, slow exfiltration) are theirs, not false.
    const before = loadLabels('datasets/sample/labels.jsonl').filter((l) => Date.parse(l.start) < goLive);
    const unexplained = evaluation.falseAlertSamples.filter((f) => !before.some((l) => f.workload === `${l.cluster}/${l.namespace}/${l.workload}`));
    expect(unexplained).toEqual([]);
  }, 300_000);
});
