/**
 * kcat (librdkafka, a client that is not ours) for putting messages into and reading them out of
 * the test broker, and topic creation with the kafkajs admin client.
 */
import { spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';

export interface ProduceOptions {
  /** One key per line. */
  keys?: string[];
  /**
   * kcat's `-K`: each line is `key<delimiter>value`. Ignored when `keys` is given (then the unit
   * separator U+001F, which never occurs in JSON text, joins them).
   */
  keyDelimiter?: string;
  /** Headers for every message (`-H name=value`). */
  headers?: Record<string, string>;
  /** librdkafka sends a batch uncompressed when compressing does not make it smaller. Default lz4. */
  compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  /** A fixed partition (`-p`); by default librdkafka's partitioner (by key). */
  partition?: number;
}

/** Produces one message per line with `kcat -P` (lines must not contain a newline). */
export async function produceWithKcat(brokers: string, topic: string, lines: string[], options: ProduceOptions = {}): Promise<void> {
  if (lines.length === 0) return;
  if (lines.some((line) => line.includes('\n'))) throw new Error('produceWithKcat: a line contains a newline (kcat splits messages on it)');
  const { keys } = options;
  if (keys !== undefined && keys.length !== lines.length) throw new Error(`produceWithKcat: ${keys.length} keys for ${lines.length} lines`);
  const delimiter = keys !== undefined ? '\u001f' : options.keyDelimiter;
  const args = ['-P', '-b', brokers, '-t', topic, '-z', options.compression ?? 'lz4'];
  if (delimiter !== undefined) args.push('-K', delimiter);
  if (options.partition !== undefined) args.push('-p', String(options.partition));
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}=${value}`);
  const input = lines.map((line, i) => (keys !== undefined ? `${keys[i]}${delimiter}${line}` : line)).join('\n') + '\n';
  // kcat -P flushes and waits for the acks of everything before it exits 0.
  await runKcat(args, input, 60_000);
}

export interface KcatMessage {
  topic: string;
  partition: number;
  offset: number;
  /** Epoch ms (producer's CreateTime unless the topic says LogAppendTime). */
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/**
 * Reads the first `count` messages of a topic (all partitions, from the beginning) with
 * `kcat -C -J -e`, retrying until that many are there or `timeoutMs` (30 s) passes.
 */
export async function consumeWithKcat(brokers: string, topic: string, options: { count: number; timeoutMs?: number }): Promise<KcatMessage[]> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const output = await runKcat(['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-c', String(options.count), '-J', '-e', '-q'], '', Math.max(1_000, deadline - Date.now()));
      const messages = output.split('\n').filter((l) => l.trim() !== '').map(parseEnvelope);
      if (messages.length >= options.count) return messages;
      last = `only ${messages.length} so far`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`kcat: fewer than ${options.count} messages in ${topic} after ${timeoutMs} ms (${last})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function parseEnvelope(line: string): KcatMessage {
  // kcat -J: {"topic","partition","offset","tstype","ts","broker","headers":[k,v,…],"key","payload"}
  const e = JSON.parse(line) as { topic: string; partition: number; offset: number; ts?: number; key: string | null; payload: string | null; headers?: string[] };
  const headers: Record<string, string> = {};
  const list = e.headers ?? [];
  for (let i = 0; i + 1 < list.length; i += 2) headers[list[i]!] = list[i + 1]!;
  return { topic: e.topic, partition: e.partition, offset: e.offset, timestamp: e.ts ?? -1, key: e.key, value: e.payload, headers };
}

function runKcat(args: string[], input: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    // librdkafka retries an unreachable broker forever: bound every run.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`kcat ${args.join(' ')} ${signal !== null ? `killed by ${signal} after ${timeoutMs} ms` : `exited ${code}`}: ${stderr.trim()}`));
    });
    child.stdin.on('error', () => {}); // EPIPE when kcat fails early: reported through 'close'
    child.stdin.end(input);
  });
}

/** Creates topics (existing ones are left as they are) with the kafkajs admin client and waits for their leaders. */
export async function createTopics(brokers: string, topics: string[], partitions = 1): Promise<void> {
  const admin = new Kafka({ clientId: 'flowhound-test-admin', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) });
  } finally {
    await admin.disconnect();
  }
}

/**
 * How many records a topic holds: the sum over its partitions of the end offset (the high
 * watermark) minus the start offset, with the kafkajs admin client. Exact for a topic that has
 * no transaction markers and has lost nothing to retention or compaction (a test's own topic).
 */
export async function topicMessageCount(brokers: string, topic: string): Promise<number> {
  const admin = new Kafka({ clientId: 'flowhound-test-count', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}
