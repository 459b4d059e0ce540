import { spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';

/** Produces one message per line with kcat (librdkafka: a client that is not ours). `keys`: one key per line. */
export function produceWithKcat(brokers: string, topic: string, lines: string[], options: { keys?: string[] } = {}): Promise<void> {
  const keyed = options.keys !== undefined;
  // A delimiter that never occurs in JSON text: the unit separator.
  const args = ['-P', '-b', brokers, '-t', topic, '-z', 'lz4', ...(keyed ? ['-K', '\u001f'] : [])];
  const input = lines.map((line, i) => (keyed ? `${options.keys![i]}\u001f${line}` : line)).join('\n') + '\n';
  return run(args, input).then(() => undefined);
}

export interface KcatMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Reads `count` messages from the start of a topic with kcat (-J: one JSON envelope per message). */
export async function consumeWithKcat(brokers: string, topic: string, options: { count: number; timeoutMs?: number }): Promise<KcatMessage[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    try {
      const output = await run(['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-c', String(options.count), '-J', '-e', '-q'], '');
      const messages = output.split('\n').filter((l) => l.trim() !== '').map(parseEnvelope);
      if (messages.length >= options.count) return messages;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`kcat: fewer than ${options.count} messages in ${topic} after ${options.timeoutMs ?? 30_000} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function parseEnvelope(line: string): KcatMessage {
  const e = JSON.parse(line) as { topic: string; partition: number; offset: number; key: string | null; payload: string | null; headers?: string[] };
  const headers: Record<string, string> = {};
  const list = e.headers ?? [];
  for (let i = 0; i + 1 < list.length; i += 2) headers[list[i]!] = list[i + 1]!;
  return { topic: e.topic, partition: e.partition, offset: e.offset, key: e.key, value: e.payload, headers };
}

function run(args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${stderr.trim()}`))));
    child.stdin.end(input);
  });
}

/** Creates topics (idempotent) with the kafkajs admin client and waits for their leaders. */
export async function createTopics(brokers: string, topics: string[], partitions = 1): Promise<void> {
  const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) });
  } finally {
    await admin.disconnect();
  }
}
