/**
 * A labelled run through the real broker with `flowhound run` members as real processes: the
 * shipped sample into three unkeyed 3-partition topics (as shippers send it), pipeline files
 * with durable state, members started, stopped and awaited, and the alerts they committed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect } from 'vitest';
import type { Alert } from '../../src/model/alert.ts';
import { eventTime } from '../../src/model/normalized-record.ts';
import { decodeMessage } from '../../src/parsers/record-decoder.ts';
import { FlowhoundMember, groupLag, tickLine } from './flowhound-member.ts';
import { createTopics, produceWithKcat } from './kcat.ts';
import { SAMPLE_FILES, sampleDataEnd } from './sample.ts';

const decodeContext = { cluster: 'prod-eu', now: Date.now(), maxFutureSkewMs: 3600_000 };
const eventTimeOf = (line: string): number => {
  const decoded = decodeMessage(line, 'auto', decodeContext, 1 << 20);
  return decoded.status === 'ok' ? eventTime(decoded.record) : Number.POSITIVE_INFINITY;
};
export const KINDS = ['flows', 'dns', 'hubble'] as const;

/** The sample's three files into three unkeyed 3-partition topics, then a tick in every partition. */
export async function feed(brokers: string, id: string, after = Number.NEGATIVE_INFINITY): Promise<{ topics: Record<(typeof KINDS)[number], string>; dataEnd: number }> {
  const topics = { flows: `${id}-flows`, dns: `${id}-dns`, hubble: `${id}-hubble` };
  await createTopics(brokers, Object.values(topics), 3);
  const dataEnd = sampleDataEnd();
  const tick = tickLine(dataEnd + 3_600_000);
  for (const [i, kind] of KINDS.entries()) {
    const lines = gunzipSync(readFileSync(SAMPLE_FILES[i]!)).toString('utf8').split('\n').filter((l) => l !== '' && eventTimeOf(l) > after);
    await produceWithKcat(brokers, topics[kind], lines);
    for (let p = 0; p < 3; p++) await produceWithKcat(brokers, topics[kind], [tick], { partition: p });
  }
  return { topics, dataEnd };
}

export function pipelineFile(brokers: string, dir: string, name: string, topics: Record<string, string>, alertsTopic: string, archive: string, extraSinks = ''): string {
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
${extraSinks}`);
  return file;
}

/** Starts a member and resolves with its metrics URL once it serves them. */
export async function start(file: string): Promise<{ member: FlowhoundMember; metrics: string }> {
  const member = new FlowhoundMember(file, ['--metrics-port', '0']);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const match = /metrics at (http\S+)/.exec(member.stderr);
    if (match !== null) return { member, metrics: match[1]! };
    if (!member.running || Date.now() > deadline) throw new Error(`member did not start: ${member.stderr.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function metric(url: string, name: string): Promise<number | undefined> {
  const text = await fetch(url).then((r) => r.text()).catch(() => '');
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** Waits until the inputs are consumed and every live member's watermark is past the data, then stops them. */
export async function finish(brokers: string, members: { member: FlowhoundMember; metrics: string }[], name: string, topics: Record<string, string>, dataEnd: number, options: { boundedExit?: boolean } = {}): Promise<void> {
  const deadline = Date.now() + 240_000;
  for (;;) {
    let lag = 0;
    // A broker that just started may not answer for its coordinators yet: not caught up.
    for (const kind of KINDS) lag += await groupLag(brokers, `flowhound-${name}-${kind}`, [topics[kind]!]).catch(() => Number.POSITIVE_INFINITY);
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
    // After a broker restart a consumer may still be re-joining when SIGTERM comes: then the
    // member leaves at its shutdown deadline (exit 1, logged), which is what Kubernetes needs.
    if (options.boundedExit === true && exit.code === 1 && member.stderr.includes('still pending')) continue;
    expect(exit.code, member.stderr.slice(-3000)).toBe(0);
  }
}

export const alertsOf = (messages: { value: string }[]): Alert[] => messages.map((m) => JSON.parse(m.value) as Alert);
export const fingerprints = (alerts: Alert[]) => [...new Set(alerts.map((a) => a.fingerprint))].sort();
/** Emissions that say the same thing twice (same alert, status, count and end). */
export const repeated = (alerts: Alert[]) => {
  const seen = new Set<string>();
  return alerts.filter((a) => {
    const key = `${a.id}|${a.status}|${a.count}|${a.endsAt}|${a.severity}`;
    if (seen.has(key)) return true;
    seen.add(key);
    return false;
  });
};

