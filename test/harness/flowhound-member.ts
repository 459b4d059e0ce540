/**
 * `flowhound run` as a real child process (a consumer-group member, as a pod runs it), for
 * tests that kill, restart and scale members.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';

export class FlowhoundMember {
  readonly child: ChildProcess;
  stderr = '';
  stdout = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** `env`: variables to set (or, as undefined, unset) on top of this process's environment. */
  constructor(pipelineFile: string, args: string[] = [], env: Record<string, string | undefined> = {}) {
    this.child = spawn(process.execPath, ['src/cli/main.ts', 'run', '--pipeline', pipelineFile, '--log-level', 'info', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.running) this.child.kill(signal);
    await this.exited;
  }
}

/** Sum of a consumer group's lag on `topics` (committed offsets behind the end), via the admin client. */
export async function groupLag(brokers: string, groupId: string, topics: string[]): Promise<number> {
  const admin = new Kafka({ clientId: 'flowhound-test-lag', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    let lag = 0;
    const committed = await admin.fetchOffsets({ groupId, topics });
    for (const { topic, partitions } of committed) {
      const ends = await admin.fetchTopicOffsets(topic);
      for (const end of ends) {
        const at = partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
        // Transaction markers take offsets too: the end of a transactional topic is past its last record.
        lag += Math.max(0, Number(end.high) - Math.max(0, Number(at)));
      }
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

/** Every message of `topic` (read committed) from the beginning, until none came for `quietMs`. */
export async function readTopic(brokers: string, topic: string, quietMs = 3_000): Promise<{ key: string | null; value: string; timestamp: number }[]> {
  const kafka = new Kafka({ clientId: 'flowhound-test-read', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `read-${topic}-${Math.random().toString(36).slice(2)}`, readUncommitted: false });
  const out: { key: string | null; value: string; timestamp: number }[] = [];
  let last = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => {
    out.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? '', timestamp: Number(message.timestamp) });
    last = Date.now();
  } });
  const started = Date.now();
  while (Date.now() - last < quietMs || Date.now() - started < quietMs * 2) await new Promise((r) => setTimeout(r, 200));
  await consumer.disconnect();
  return out;
}

/**
 * A Calico flow line at `endTime` (epoch ms) between two pods of a namespace no one else uses:
 * produced into every input partition after the data, it moves every lane's event time past
 * the data's last window, so those windows close (a live stream never ends; a test's does).
 */
export function tickLine(endTime: number): string {
  const end = Math.floor(endTime / 1000);
  return JSON.stringify({
    start_time: end - 300, end_time: end, source_ip: null, source_name: '-', source_name_aggr: 'tick-a-*', source_namespace: 'flowhound-tick', source_type: 'wep', source_labels: '-', source_port: null,
    dest_ip: null, dest_name: '-', dest_name_aggr: 'tick-b-*', dest_namespace: 'flowhound-tick', dest_type: 'wep', dest_labels: '-', dest_service_name: '-', dest_service_namespace: '-', dest_service_port: '-',
    dest_port: 8080, proto: 'tcp', action: 'allow', reporter: 'src', policies: { all_policies: [] }, bytes_in: 1, bytes_out: 1, packets_in: 1, packets_out: 1,
    num_flows: 1, num_flows_started: 1, num_flows_completed: 1, host: 'tick-node', '@timestamp': endTime,
  });
}
