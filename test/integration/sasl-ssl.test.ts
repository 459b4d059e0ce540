/**
 * Broker security for real: `flowhound run` (a real process) through a SASL_SSL listener —
 * SCRAM-SHA-512 users seeded at storage format time, a CA and broker certificate made for this
 * run by the harness (nothing committed) — with the pipeline's `ssl:` and `sasl:` settings and
 * the credentials from an environment variable and a file, never in the pipeline text.
 *
 * This file starts a broker of its own (`startKafka({ saslSsl: true })`): the shared broker of
 * global-setup stays plaintext only. Its PLAINTEXT listener serves the test's own plumbing
 * (topics, ticks, group lag); flowhound itself only ever talks to the SASL_SSL one.
 *
 * The failures are counted in log lines, not seconds: one authentication attempt (the broker
 * logs each one it refuses), one TLS check and not a single kafkajs connection retry.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowhoundMember, groupLag, tickLine } from '../harness/flowhound-member.ts';
import { metric } from '../harness/durable-run.ts';
import { createTestCa, startKafka, type KafkaBroker, type SaslSslListener } from '../harness/kafka-broker.ts';
import { createTopics, produceWithKcat } from '../harness/kcat.ts';
import { SAMPLE_FILES } from '../harness/sample.ts';

const note = (line: string) => process.stderr.write(`[sasl-ssl] ${line}\n`);
const dir = mkdtempSync(join(tmpdir(), 'flowhound-sasl-ssl-'));
const id = `s${randomUUID().slice(0, 6)}`;
const topic = `${id}-in`;
// The sample up to its first labelled attack (an IP sweep at 08:30) and a little after: a few
// thousand records, past the 6 h of learning, so the runs compare alerts and not only counts.
const UNTIL = '2026-11-01T09:00:00Z';
const dataEnd = Date.parse(UNTIL);

let broker: KafkaBroker;
let secured: SaslSslListener;
let password: string;
let passwordFile: string;
let rogueCa: string;
const members = new Set<FlowhoundMember>();

beforeAll(async () => {
  const started = Date.now();
  broker = await startKafka({ saslSsl: true, log: note });
  secured = broker.saslSsl!;
  password = secured.users[0]!.password;
  note(`broker with SASL_SSL on ${secured.brokers} (PLAINTEXT ${broker.brokers}) up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  passwordFile = join(dir, 'kafka-password');
  // As `kubectl create secret` or `echo` leave it: with a trailing newline.
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  rogueCa = createTestCa(join(dir, 'rogue'), 'rogue-ca').certFile;
}, 240_000);

afterAll(async () => {
  for (const member of members) await member.kill();
  await broker?.stop();
  // The password file and the rogue CA's key; the broker's own CA went with its temp dir.
  rmSync(dir, { recursive: true, force: true });
});

interface PipelineOptions {
  /** The `kafka:` section's lines after `brokers:` (ssl, sasl), indented by two spaces. */
  security?: string;
  brokers: string;
}

function pipeline(name: string, options: PipelineOptions): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}
cluster: prod-eu
kafka:
  brokers: [${options.brokers}]
${options.security ?? ''}
sources:
  in:
    type: kafka
    topics: [${topic}]
    format: auto
    session_timeout_ms: 8000
    max_batch_records: 500
dead_letter:
  topic: ${name}-dead
state:
  partitions: 3
  checkpoint_interval_ms: 300
sinks:
  archive: { type: file, path: ${join(dir, `${name}-alerts.jsonl`)} }
`);
  // The point of password_env and password_file: the secret is never in the pipeline's text.
  expect(readFileSync(file, 'utf8')).not.toContain(password);
  return file;
}

const securitySection = (sasl: string, caFile = secured.caFile) => `  ssl: { ca_file: ${caFile} }\n  sasl: { mechanism: scram-sha-512, ${sasl} }`;

/** A member, with the environment given, once it serves /metrics. */
async function startMember(file: string, env: Record<string, string | undefined> = {}): Promise<{ member: FlowhoundMember; metrics: string }> {
  const member = new FlowhoundMember(file, ['--metrics-port', '0'], { FLOWHOUND_KAFKA_PASSWORD: undefined, ...env });
  members.add(member);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const match = /metrics at (http\S+)/.exec(member.stderr);
    if (match !== null) return { member, metrics: match[1]! };
    if (!member.running || Date.now() > deadline) throw new Error(`member did not start: ${member.stderr.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the member consumed the topic and judged every window of the data, then stops it (exit 0). */
async function finish(name: string, run: { member: FlowhoundMember; metrics: string }): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const lag = await groupLag(broker.brokers, `flowhound-${name}-in`, [topic]).catch(() => Number.POSITIVE_INFINITY);
    const watermark = await metric(run.metrics, 'flowhound_watermark_seconds');
    const tasks = await metric(run.metrics, 'flowhound_detection_tasks');
    if (lag === 0 && tasks === 3 && watermark !== undefined && watermark * 1000 >= dataEnd) break;
    if (!run.member.running || Date.now() > deadline) throw new Error(`${name}: not caught up (lag ${lag}, tasks ${tasks}, watermark ${watermark}): ${run.member.stderr.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  // The windows close once every task has got there; give the last checkpoints time.
  await new Promise((r) => setTimeout(r, 3_000));
  run.member.child.kill('SIGTERM');
  const exit = await run.member.exited;
  expect(exit.code, run.member.stderr.slice(-3000)).toBe(0);
}

/** The end-of-run summary without what differs between two runs of the same data (time, names). */
const summaryOf = (member: FlowhoundMember, name: string) => {
  const from = member.stdout.lastIndexOf('flowhound: ');
  return member.stdout.slice(from).replace(/ in [\d.]+ s \(\d+\/s\)/, '').replaceAll(name, 'NAME');
};

const alertsOf = (name: string) => readFileSync(join(dir, `${name}-alerts.jsonl`), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { fingerprint: string; status: string; detector: string });

/** How many times the broker has refused a client's authentication so far (it logs each at INFO). */
const refusals = () => readFileSync(broker.logFile, 'utf8').split('\n').filter((l) => l.includes('Failed authentication with')).length;

/** `flowhound run` that should fail at once: its exit and output, at --log-level debug so that every attempt shows. */
async function failingRun(file: string, env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string; errorLines: string[] }> {
  const member = new FlowhoundMember(file, ['--metrics-port', '0', '--log-level', 'debug'], { FLOWHOUND_KAFKA_PASSWORD: undefined, ...env });
  members.add(member);
  const timer = setTimeout(() => void member.kill(), 60_000);
  const { code } = await member.exited;
  clearTimeout(timer);
  const lines = member.stderr.split('\n').filter((l) => l !== '');
  // Log lines are `TIME LEVEL message`; everything else on stderr is the CLI's final `flowhound: ` line.
  const errorLines = lines.filter((l) => !/^\S+ (DEBUG|INFO) /.test(l));
  return { code, stdout: member.stdout, stderr: member.stderr, errorLines };
}

describe('flowhound through a SASL_SSL listener (SCRAM-SHA-512, TLS with a CA made for the run)', () => {
  it('consumes the records and raises the alerts of a plaintext run, the password from an environment variable and a file', async () => {
    await createTopics(broker.brokers, [topic], 3);
    // The records go in through flowhound itself, over SASL_SSL: `replay --to kafka` (kafkajs),
    // the password from an environment variable and the user name interpolated from another.
    const producer = pipeline(`${id}-producer`, { brokers: secured.brokers, security: securitySection('username: "${FLOWHOUND_KAFKA_USER}", password_env: FLOWHOUND_KAFKA_PASSWORD') });
    const replay = await promisify(execFile)(process.execPath, ['src/cli/main.ts', 'replay', ...SAMPLE_FILES, '--to', 'kafka', '--pipeline', producer, '--until', UNTIL], {
      env: { ...process.env, FLOWHOUND_KAFKA_USER: secured.users[0]!.name, FLOWHOUND_KAFKA_PASSWORD: password },
      maxBuffer: 16 * 1024 * 1024,
    });
    const produced = Number(/produced (\d+) messages/.exec(replay.stdout)?.[1]);
    note(`replay --to kafka over SASL_SSL: ${replay.stdout.trim()}`);
    expect(produced).toBeGreaterThan(1_000);
    expect(replay.stdout + replay.stderr).not.toContain(password);
    // A live stream never ends: a later record in every partition closes the data's last windows.
    for (let p = 0; p < 3; p++) await produceWithKcat(broker.brokers, topic, [tickLine(dataEnd + 3_600_000)], { partition: p });

    // The same topic, consumed over PLAINTEXT and over SASL_SSL (password from a file), side by side.
    const plainName = `${id}-plain`;
    const securedName = `${id}-secured`;
    const started = Date.now();
    const plain = await startMember(pipeline(plainName, { brokers: broker.brokers }));
    const viaSaslSsl = await startMember(pipeline(securedName, { brokers: secured.brokers, security: securitySection(`username: ${secured.users[0]!.name}, password_file: ${passwordFile}`) }));
    await Promise.all([finish(plainName, plain), finish(securedName, viaSaslSsl)]);
    note(`both members caught up and stopped in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const summary = summaryOf(viaSaslSsl.member, securedName);
    note(`summary over SASL_SSL:\n${summary}`);
    expect(summary).toMatch(new RegExp(`^flowhound: ${produced + 3} messages`));
    expect(summary).toBe(summaryOf(plain.member, plainName));
    const alerts = alertsOf(securedName);
    const reference = alertsOf(plainName);
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.some((a) => a.detector === 'ip-sweep')).toBe(true);
    expect(alerts.length).toBe(reference.length);
    expect([...new Set(alerts.map((a) => a.fingerprint))].sort()).toEqual([...new Set(reference.map((a) => a.fingerprint))].sort());
    for (const { member } of [plain, viaSaslSsl]) expect(member.stdout + member.stderr).not.toContain(password);
  }, 300_000);

  it('a wrong password: one error line naming the user and broker, exit 1, one authentication attempt, the password in no output', async () => {
    const wrong = `not-${password}`;
    const file = pipeline(`${id}-wrong-password`, { brokers: secured.brokers, security: securitySection(`username: ${secured.users[0]!.name}, password_env: FLOWHOUND_KAFKA_PASSWORD`) });
    const before = refusals();
    const run = await failingRun(file, { FLOWHOUND_KAFKA_PASSWORD: wrong });
    note(`wrong password: exit ${run.code}: ${run.errorLines.join(' | ')}`);
    expect(run.code, run.stderr).toBe(1);
    expect(run.errorLines).toEqual([
      `flowhound: kafka: SASL authentication failed for user "flowhound" (SCRAM-SHA-512, password from $FLOWHOUND_KAFKA_PASSWORD) at ${secured.brokers}: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512`,
    ]);
    // One attempt, seen from both ends: the broker refused one authentication, and the client
    // logged (at debug) one refused SaslAuthenticate and no retry.
    let refused = refusals() - before;
    for (let i = 0; i < 20 && refused === 0; i++, refused = refusals() - before) await new Promise((r) => setTimeout(r, 100));
    expect(refused).toBe(1);
    expect(run.stderr.match(/Response SaslAuthenticate/g)?.length).toBe(1);
    expect(run.stderr).not.toMatch(/Restarting|retrying|trying again|Failed to connect/i);
    for (const secret of [wrong, password]) expect(run.stdout + run.stderr).not.toContain(secret);
  }, 120_000);

  it('a CA that did not sign the broker certificate: one error line naming the broker and the CA file, exit 1, one TLS check, no connection retried', async () => {
    const file = pipeline(`${id}-rogue-ca`, { brokers: secured.brokers, security: securitySection(`username: ${secured.users[0]!.name}, password_file: ${passwordFile}`, rogueCa) });
    const run = await failingRun(file, {});
    note(`unknown CA: exit ${run.code}: ${run.errorLines.join(' | ')}`);
    expect(run.code, run.stderr).toBe(1);
    expect(run.errorLines).toEqual([`flowhound: kafka: TLS: certificate of ${secured.brokers} is not signed by the CA in ${rogueCa} (unable to verify the first certificate)`]);
    expect(run.stderr.match(/TLS check of /g)?.length).toBe(1);
    // kafkajs never got to try (and so never to retry): no connection error of its own.
    expect(run.stderr).not.toMatch(/Connection error|Failed to connect|Restarting|trying again/);
    expect(run.stdout + run.stderr).not.toContain(password);
  }, 120_000);
});
