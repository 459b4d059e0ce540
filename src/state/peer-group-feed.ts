import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { PeerGroups } from '../baseline/peer-groups.ts';
import type { Logger } from '../telemetry/logger.ts';
import { MARKER_KEY } from './changelog-reader.ts';

/** The key under which a task writes how far it has closed its windows (epoch ms, or null). */
export const PROGRESS_KEY = '\u0000progress';

interface RemoteProgress {
  closedUpTo: number;
  /** Wall clock of the last update: a silent task stops holding the others back. */
  seenAt: number;
}

/**
 * Every member reads every task's part of the role view (the peer-groups topic, read
 * committed, from the beginning) into the shared PeerGroups — except the parts of the tasks it
 * runs itself, which are live. It also learns how far each remote task has closed its windows,
 * which the close gate waits on.
 */
export class PeerGroupFeed {
  private readonly consumer: Consumer;
  private readonly options: { kafka: Kafka; topic: string; groupPrefix: string; peerGroups: PeerGroups; logger: Logger; onProgress: () => void };
  /** Partitions whose part is live in this process. */
  private readonly owned = new Set<number>();
  private readonly progress = new Map<number, RemoteProgress>();
  private readonly groupId: string;

  constructor(options: PeerGroupFeed['options']) {
    this.options = options;
    this.groupId = `${options.groupPrefix}-peers-${randomUUID()}`;
    this.consumer = options.kafka.consumer({ groupId: this.groupId, maxBytesPerPartition: 16 * 1024 * 1024, readUncommitted: false, retry: { retries: 8 } });
  }

  async start(): Promise<void> {
    const { consumer, options } = this;
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        const partition = batch.partition;
        let progressed = false;
        for (const message of batch.messages) {
          resolveOffset(message.offset);
          const key = message.key?.toString('utf8') ?? '';
          const value = message.value === null ? null : message.value.toString('utf8');
          // A live part is ahead of its own changelog.
          if (key === MARKER_KEY || this.owned.has(partition) || value === null) continue;
          try {
            if (key === PROGRESS_KEY) {
              const closedUpTo = JSON.parse(value) as number | null;
              this.progress.set(partition, { closedUpTo: closedUpTo ?? Number.NEGATIVE_INFINITY, seenAt: Date.now() });
              progressed = true;
            } else {
              options.peerGroups.part(partition).apply(key, JSON.parse(value));
            }
          } catch (error) {
            options.logger.warn(`peer groups: skipping a bad record of partition ${partition}: ${(error as Error).message}`);
          }
        }
        if (progressed) options.onProgress();
      },
    });
  }

  /** The partition's part is live here from now on (its task restores it): not fed. */
  own(partition: number): void {
    this.owned.add(partition);
    this.progress.delete(partition);
  }

  /** The partition's part is no longer live here: fed again, from its new owner's writes. */
  release(partition: number): void {
    this.owned.delete(partition);
  }

  /** How far a remote task has closed its windows, if it said so within `freshMs`. */
  closedUpTo(partition: number, freshMs: number, now = Date.now()): number | undefined {
    const progress = this.progress.get(partition);
    return progress !== undefined && now - progress.seenAt <= freshMs ? progress.closedUpTo : undefined;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => {});
    const admin = this.options.kafka.admin();
    await admin.connect().then(() => admin.deleteGroups([this.groupId])).catch(() => {}).finally(() => admin.disconnect().catch(() => {}));
  }
}
