/**
 * Durable, partitioned detection state on the real broker. The shipped labelled sample goes
 * through kcat, unkeyed, into three 3-partition topics (as Fluent Bit, Vector and the
 * OpenTelemetry Collector send it); `flowhound run` members — real processes — consume it while
 * the test kills, restarts and scales them. Whatever happens to the members, the alerts must be
 * those of an uninterrupted run: every labelled scenario detected, no false alert, no alert
 * emitted as new twice.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { loadLabels } from '../../src/evaluation/labels.ts';
import { score } from '../../src/evaluation/score.ts';
import type { Alert } from '../../src/model/alert.ts';
import { readTopic } from '../harness/flowhound-member.ts';
import { alertsOf, feed, finish, fingerprints, metric, pipelineFile, repeated, start } from '../harness/durable-run.ts';
import { SAMPLE_FILES } from '../harness/sample.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const brokers = inject('kafkaBrokers');
describe('durable detection state on Kafka', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowhound-durable-'));
  const id = `d${randomUUID().slice(0, 6)}`;
  let topics: Record<string, string>;
  let dataEnd: number;
  let reference: Alert[];

  it('an uninterrupted member detects every labelled scenario of the sample, with no false alert', async () => {
    ({ topics, dataEnd } = await feed(brokers, id));
    const name = `${id}-ref`;
    const file = pipelineFile(brokers, dir, name, topics, `${name}-alerts`, join(dir, `${name}.jsonl`));
    const member = await start(file);
    await finish(brokers, [member], name, topics, dataEnd);
    reference = alertsOf(await readTopic(brokers, `${name}-alerts`));
    const labels = loadLabels('datasets/sample/labels.jsonl');
    const evaluation = score(labels, reference.map((alert) => ({ alert, raisedAt: Date.parse(alert.endsAt) })), 1);
    expect(evaluation.scenarios.filter((s) => !s.detected).map((s) => s.scenario)).toEqual([]);
    expect(evaluation.falseAlertSamples).toEqual([]);
    expect(repeated(reference)).toEqual([]);
  }, 300_000);

  it('kill -9 at five points spread over the stream, restarting each time, changes no alert', async () => {
    const name = `${id}-crash`;
    const archive = join(dir, `${name}.jsonl`);
    const file = pipelineFile(brokers, dir, name, topics, `${name}-alerts`, archive);
    let kills = 0;
    let member = await start(file);
    const killedAt: number[] = [];
    const readyAfter: number[] = [];
    // Kill points spread over the stream by detection's progress (its watermark, in event
    // time), each well before the end: about k/12 of the way, plus a random moment (once the
    // input is in the repartition topic, detection alone runs through the rest in a second or
    // two, and a busy member answers /metrics only between batches: the last point leaves over
    // half the stream so that a scrape that comes late still finds it mid-stream).
    const dataStart = Date.parse('2026-11-01T00:00:00Z');
    for (; kills < 5; kills++) {
      const target = dataStart + ((kills + 1) / 12) * (dataEnd - dataStart);
      let watermark = 0;
      const deadline = Date.now() + 120_000;
      while ((watermark = (await metric(member.metrics, 'flowhound_watermark_seconds')) ?? 0) * 1000 < target) {
        if (Date.now() > deadline || !member.member.running) throw new Error(`no progress to kill point ${kills + 1}: ${member.member.stderr.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, Math.random() * 100));
      if (!member.member.running) break;
      expect(watermark * 1000).toBeLessThan(dataEnd);
      await member.member.kill('SIGKILL');
      killedAt.push(Date.now());
      member = await start(file);
      // Ready = joined and every task restored (the killed member's session had to expire first).
      const probe = member.metrics.replace('/metrics', '/readyz');
      while ((await fetch(probe).then((r) => r.status).catch(() => 0)) !== 200) await new Promise((r) => setTimeout(r, 100));
      readyAfter.push(Date.now() - killedAt.at(-1)!);
    }
    await finish(brokers, [member], name, topics, dataEnd);
    const messages = await readTopic(brokers, `${name}-alerts`);
    const emitted = alertsOf(messages);
    // The figures the issue asks for: from kill -9 to ready, and to the next alert committed.
    const firstAlertAfter = killedAt.map((t) => Math.min(...messages.map((m) => m.timestamp).filter((ts) => ts > t)) - t);
    console.log(`kill -9 → restarted member ready: ${readyAfter.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s; → next alert committed: ${firstAlertAfter.map((ms) => Number.isFinite(ms) ? (ms / 1000).toFixed(1) : '-').join(', ')} s`);
    expect(kills).toBe(5);
    expect(fingerprints(emitted)).toEqual(fingerprints(reference));
    expect(repeated(emitted)).toEqual([]);
    // The file sink appends across restarts and gets every committed alert at least once.
    const archived = readFileSync(archive, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Alert);
    expect(fingerprints(archived)).toEqual(fingerprints(reference));
  }, 400_000);

  it('members scaled 1 → 3 → 2 mid-stream detect what one member detects', async () => {
    const name = `${id}-scale`;
    const file = pipelineFile(brokers, dir, name, topics, `${name}-alerts`, join(dir, `${name}.jsonl`));
    const members = [await start(file)];
    await new Promise((r) => setTimeout(r, 3_000));
    members.push(await start(file), await start(file));
    await new Promise((r) => setTimeout(r, 8_000));
    const leaving = members.pop()!;
    leaving.member.child.kill('SIGTERM');
    expect((await leaving.member.exited).code).toBe(0);
    await finish(brokers, members, name, topics, dataEnd);
    const emitted = alertsOf(await readTopic(brokers, `${name}-alerts`));
    expect(fingerprints(emitted)).toEqual(fingerprints(reference));
    expect(repeated(emitted)).toEqual([]);
  }, 400_000);

  it('a replay of the history warm-starts a live member: attacks right after go-live are caught, no learning period', async () => {
    // Go live at 17:00 of the sample's day: six hours of learning would miss everything after it.
    const goLive = Date.parse('2026-11-01T17:00:00Z');
    const { topics: live } = await feed(brokers, `${id}w`, goLive);
    const name = `${id}-warm`;
    const file = pipelineFile(brokers, dir, name, live, `${name}-alerts`, join(dir, `${name}.jsonl`));
    const { stdout } = await promisify(execFile)(process.execPath, ['src/cli/main.ts', 'replay', ...SAMPLE_FILES, '--pipeline', file, '--until', new Date(goLive).toISOString(), '--warm-start', '--quiet', '--dead-letter', '/dev/null']);
    expect(stdout).toMatch(/warm start: \d+ workload baselines/);
    const member = await start(file);
    await finish(brokers, [member], name, live, dataEnd);
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
