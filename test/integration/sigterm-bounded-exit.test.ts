/**
 * `flowhound run` under Kubernetes: a SIGTERM must end the process within a bounded time in every
 * state (here: consumers joining a group that waits for a killed member's session, a broker that
 * no longer answers), with the summary; and /healthz and /readyz answer beside /metrics. Each
 * flowhound is a real child process (`node src/cli/main.ts run --pipeline FILE`).
 *
 * The bounds asserted (30 s: Kubernetes' default terminationGracePeriodSeconds) are liveness
 * bounds, not performance figures; the measured times are printed for the record.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type GroupDescription } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startKafka, waitForKafka, type KafkaBroker } from '../harness/kafka-broker.ts';
import { createTopics, produceWithKcat } from '../harness/kcat.ts';
import { fixture } from '../unit/fixture.ts';

/** Kubernetes' default terminationGracePeriodSeconds: the SIGKILL comes after it. */
const GRACE_MS = 30_000;
const dir = mkdtempSync(join(tmpdir(), 'flowhound-sigterm-'));
const record = () => fixture('hubble/full-dropped-egress.json');
const note = (line: string) => process.stderr.write(`[sigterm-bounded-exit] ${line}\n`);

const children = new Set<ChildProcess>();
afterAll(() => {
  // A test that failed half-way must not leave flowhound processes behind.
  for (const child of children) child.kill('SIGKILL');
});

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From the first signal sent by `terminate` to the process's exit. */
  seconds: number;
}

/** A `flowhound run` child process. */
class Flowhound {
  readonly name: string;
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private signalledAt = Number.NaN;
  private hasExited = false;

  constructor(name: string, pipeline: Record<string, unknown>, args: string[] = []) {
    this.name = name;
    const file = join(dir, `${name}-${randomUUID().slice(0, 6)}.yaml`);
    // JSON is YAML.
    writeFileSync(file, JSON.stringify(pipeline, null, 2));
    this.child = spawn(process.execPath, ['src/cli/main.ts', 'run', '--pipeline', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(this.child);
    this.child.stdout!.on('data', (chunk) => { this.stdout += chunk; });
    this.child.stderr!.on('data', (chunk) => { this.stderr += chunk; });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => {
      this.hasExited = true;
      children.delete(this.child);
      resolve({ code, signal });
    }));
  }

  /** The metrics server's `http://host:port`, from the `metrics at …` log line. */
  async baseUrl(): Promise<string> {
    await this.until(() => /metrics at (http:\/\/\S+)\/metrics/.test(this.stderr), 'its metrics URL');
    return /metrics at (http:\/\/\S+)\/metrics/.exec(this.stderr)![1]!;
  }

  async until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (this.hasExited) throw new Error(`${this.name} exited while waiting for ${what}:\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`${this.name}: timed out waiting for ${what}:\n${this.stderr}`);
      await sleep(100);
    }
  }

  /** Sends `signal` and waits for the exit (at most `GRACE_MS` + 10 s, then SIGKILL, which fails the test). */
  async terminate(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    this.signal(signal);
    return this.exit();
  }

  signal(signal: NodeJS.Signals): void {
    if (Number.isNaN(this.signalledAt)) this.signalledAt = Date.now();
    this.child.kill(signal);
  }

  async exit(): Promise<Exit> {
    const killer = setTimeout(() => this.child.kill('SIGKILL'), GRACE_MS + 10_000);
    const { code, signal } = await this.exited;
    clearTimeout(killer);
    const seconds = (Date.now() - this.signalledAt) / 1000;
    note(`${this.name}: exit code ${code}${signal === null ? '' : ` (signal ${signal})`} ${seconds.toFixed(2)} s after its first signal`);
    for (const line of this.stderr.split('\n').filter((l) => / shutdown: /.test(l))) note(`  ${line}`);
    return { code, signal, seconds };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await probe();
      if (accept(last)) return last;
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(200);
  }
}

/** Messages committed by a group on a topic (a partition with no commit reports -1). */
async function committed(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return offsets!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

async function group(admin: Admin, groupId: string): Promise<GroupDescription> {
  const { groups } = await admin.describeGroups([groupId]);
  return groups[0]!;
}

function pipeline(name: string, brokers: string, topic: string, groupId: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    cluster: 'prod-eu',
    kafka: { brokers: [brokers], client_id: `flowhound-${name}` },
    sources: { flows: { type: 'kafka', topics: [topic], format: 'hubble', group_id: groupId, session_timeout_ms: 30_000 } },
    dead_letter: { path: join(dir, `${name}-dead-letter.jsonl`) },
    metrics: { host: '127.0.0.1', port: 0 },
    ...extra,
  };
}

/**
 * Exit 0 after a graceful stop, or 1 at the deadline with the parts still pending named: which
 * one depends on how long kafkajs takes to leave the group in that state, not on flowhound.
 */
function expectGracefulOrCutShort(flowhound: Flowhound, exit: Exit): void {
  if (exit.code === 0) return;
  expect(exit.code).toBe(1);
  expect(flowhound.stderr).toMatch(/ERROR shutdown: the graceful stop did not finish within 20 s; still pending: .*stopping the consumers \(sources: flows\)/);
}

/** The summary `flowhound run` prints however it ends. */
const SUMMARY = /^flowhound: \d+ messages in \d+\.\d\d s .*\nrecords by format and kind:\n(?:.*\n)*detection: \d+ workloads baselined/m;

describe('flowhound run exits within a bounded time on SIGTERM', () => {
  const brokers = inject('kafkaBrokers');
  const run = randomUUID().slice(0, 8);
  let admin: Admin;

  beforeAll(async () => {
    admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
  });

  it('while its consumer group is rebalancing, waiting for the session of a member killed with SIGKILL', async () => {
    const topic = `rebalance-${run}`;
    const groupId = `g-rebalance-${run}`;
    await createTopics(brokers, [topic], 2);
    await produceWithKcat(brokers, topic, [record(), record(), record(), record()]);
    const config = (name: string) => pipeline(name, brokers, topic, groupId);

    const first = new Flowhound('member-1', config('member-1'));
    await eventually(() => group(admin, groupId), (g) => g.state === 'Stable' && g.members.length === 1, 'the first member in the group');
    const second = new Flowhound('member-2', config('member-2'));
    await eventually(() => group(admin, groupId), (g) => g.state === 'Stable' && g.members.length === 2, 'both members in the group');
    await eventually(() => committed(admin, groupId, topic), (n) => n === 4, 'the commit of every record');

    // The broker does not know the killed member is gone until its 30 s session expires, so the
    // next join waits for it: the third member and the second (re-joining) are stuck in the join.
    first.child.kill('SIGKILL');
    await first.exited;
    const third = new Flowhound('member-3', config('member-3'));
    await eventually(() => group(admin, groupId), (g) => g.state === 'PreparingRebalance', 'the rebalance the third member starts', 20_000);
    await sleep(1_000);
    expect((await group(admin, groupId)).state).toBe('PreparingRebalance');

    const joining = await third.terminate();
    expect(joining.signal).toBeNull();
    expect(joining.seconds).toBeLessThan(GRACE_MS / 1000);
    expect(third.stdout).toMatch(SUMMARY);
    // kafkajs's disconnect() waits for the JoinGroup in flight, which the broker answers only when
    // the killed member's session expires (~30 s after the kill): the deadline (20 s) ends it.
    expectGracefulOrCutShort(third, joining);

    // The second member was consuming and re-joins in the same rebalance; its stop waits for that join.
    const rejoining = await second.terminate();
    expect(rejoining.signal).toBeNull();
    expect(rejoining.seconds).toBeLessThan(GRACE_MS / 1000);
    expect(second.stdout).toMatch(SUMMARY);
    expectGracefulOrCutShort(second, rejoining);
    // What was committed before the kill stays committed.
    expect(await committed(admin, groupId, topic)).toBe(4);
  }, 120_000);

  it('serves /healthz and /readyz beside /metrics while running, and stops being ready on SIGTERM', async () => {
    const topic = `probes-${run}`;
    await createTopics(brokers, [topic], 1);
    await produceWithKcat(brokers, topic, [record(), '{"bad"']);
    const flowhound = new Flowhound('probes', pipeline('probes', brokers, topic, `g-probes-${run}`));
    const base = await flowhound.baseUrl();

    const ready = await eventually(() => fetch(`${base}/readyz`), (r) => r.status === 200, '/readyz to answer 200');
    // Consuming for real (the stop below then has a group to leave): both messages committed.
    await eventually(() => admin.fetchOffsets({ groupId: `g-probes-${run}`, topics: [topic] }), (t) => t[0]?.partitions[0]?.offset === '2', 'the commit of both messages');
    expect(await ready.text()).toBe('ready\n');
    const live = await fetch(`${base}/healthz`);
    expect([live.status, live.headers.get('content-type'), await live.text()]).toEqual([200, 'text/plain; charset=utf-8', 'ok\n']);
    // The same port still serves Prometheus, with the pipeline's metrics.
    const metrics = await eventually(async () => (await fetch(`${base}/metrics`)).text(), (text) => /^flowhound_\w+/m.test(text), 'flowhound metrics');
    expect(metrics).toMatch(/^flowhound_\w+/m);
    expect((await fetch(`${base}/nope`)).status).toBe(404);

    flowhound.signal('SIGTERM');
    await flowhound.until(() => flowhound.stderr.includes('SIGTERM: stopping'), 'the stop to begin', 10_000).catch(() => {});
    // While it stops (leaving the group takes a moment), it is no longer ready but still live;
    // a process that is already gone has nothing to answer.
    const [stopping, stillLive] = await Promise.all([fetch(`${base}/readyz`), fetch(`${base}/healthz`)]).catch(() => [undefined, undefined]);
    if (stopping !== undefined && stillLive !== undefined) {
      expect([stopping.status, await stopping.text()]).toEqual([503, 'stopping: SIGTERM received\n']);
      expect(stillLive.status).toBe(200);
    }
    const exit = await flowhound.exit();
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.seconds).toBeLessThan(GRACE_MS / 1000);
    expect(flowhound.stdout).toMatch(SUMMARY);
    expect(flowhound.stdout).toMatch(/malformed-json\s+1/);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  }, 120_000);
});

describe('flowhound run exits within a bounded time on SIGTERM while the broker does not answer', () => {
  // A broker of its own: pausing the shared one would stall the other test files' pipelines.
  let broker: KafkaBroker;
  let admin: Admin;
  const topic = 'unreachable';
  const groupId = 'g-unreachable';
  let produced = 0;

  beforeAll(async () => {
    broker = await startKafka({ log: note });
    await createTopics(broker.brokers, [topic], 1);
    admin = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING, retry: { retries: 1 } }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    broker?.resume();
    await admin?.disconnect().catch(() => {});
    await broker?.stop();
  });

  async function consumingMember(name: string, args: string[] = []): Promise<Flowhound> {
    await produceWithKcat(broker.brokers, topic, [record()]);
    produced += 1;
    const flowhound = new Flowhound(name, pipeline(name, broker.brokers, topic, groupId), args);
    // Consuming: its commit of everything produced so far is in.
    await eventually(() => admin.fetchOffsets({ groupId, topics: [topic] }), (t) => t[0]?.partitions[0]?.offset === String(produced), 'the commit of every record');
    return flowhound;
  }

  it('when the broker stops answering while it consumes: the deadline ends the stop, naming what was pending', async () => {
    const flowhound = await consumingMember('consuming');
    broker.pause();
    // Its fetch and heartbeat are now in flight to a broker that will not answer.
    await sleep(2_000);
    const exit = await flowhound.terminate();
    expect(exit.signal).toBeNull();
    expect(exit.seconds).toBeLessThan(GRACE_MS / 1000);
    expect(flowhound.stdout).toMatch(SUMMARY);
    expect(flowhound.stdout).toMatch(/^flowhound: 1 messages/m);
    // The default --shutdown-timeout, 20 s: kafkajs waits 30 s (its request timeout) for the fetch in flight.
    expect(exit.code).toBe(1);
    expect(exit.seconds).toBeGreaterThanOrEqual(19);
    const deadline = flowhound.stderr.split('\n').find((line) => line.includes('ERROR shutdown:'));
    expect(deadline).toMatch(/shutdown: the graceful stop did not finish within 20 s; still pending: .*; exiting with code 1$/);
    expect(deadline).toMatch(/stopping the consumers \(sources: flows\): leaving their groups, committing \(for 20\.\d s\)/);
    expect(deadline).toContain('draining the pipeline and closing its sinks');
  }, 120_000);

  it('when it starts while the broker does not answer, with --shutdown-timeout, and a second signal cuts the wait short', async () => {
    // broker paused by the previous test, or paused here when this one runs alone.
    broker.pause();
    const starting = new Flowhound('starting', pipeline('starting', broker.brokers, topic, groupId), ['--shutdown-timeout', '5']);
    await starting.until(() => starting.stderr.includes('pipeline starting: 1 source(s)'), 'the pipeline to start');
    await sleep(1_000);
    const exit = await starting.terminate();
    expect(exit.signal).toBeNull();
    expect(exit.seconds).toBeLessThan(10);
    expect([0, 1]).toContain(exit.code);
    expect(starting.stdout).toMatch(SUMMARY);

    const impatient = new Flowhound('impatient', pipeline('impatient', broker.brokers, topic, groupId));
    await impatient.until(() => impatient.stderr.includes('pipeline impatient: 1 source(s)'), 'the pipeline to start');
    await sleep(1_000);
    impatient.signal('SIGTERM');
    await sleep(500);
    impatient.signal('SIGINT');
    const cut = await impatient.exit();
    expect(cut).toMatchObject({ code: 1, signal: null });
    expect(cut.seconds).toBeLessThan(5);
    expect(impatient.stderr).toMatch(/WARN shutdown: second signal \(SIGINT\), exiting now/);
    expect(impatient.stdout).toMatch(SUMMARY);
  }, 120_000);

  it('consumes again, and stops gracefully, once the broker answers again', async () => {
    broker.resume();
    await waitForKafka(broker.brokers, 30_000);
    const flowhound = await consumingMember('recovered');
    const exit = await flowhound.terminate();
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.seconds).toBeLessThan(GRACE_MS / 1000);
    expect(flowhound.stdout).toMatch(/^flowhound: 1 messages/m);
    expect(flowhound.stderr).not.toContain('shutdown:');
  }, 120_000);
});
