import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Logger } from '../telemetry/logger.ts';

/** The key of the marker a restoring task writes after fencing the previous owner. */
export const MARKER_KEY = '\u0000marker';

export interface ChangelogEntry {
  partition: number;
  key: string;
  /** Parsed JSON; null for a tombstone. */
  value: unknown;
}

/**
 * Reads partitions of a compacted topic from the beginning up to each one's marker (a record
 * the reader's owner wrote, committed, after fencing the previous owner: everything committed
 * before it is the state, nothing after it is). Markers make the end of a partition exact
 * whatever transaction markers and compaction did to its offsets.
 *
 * kafkajs consumers only join groups, so this one joins a group of its own (it is alone in it,
 * gets every partition, pauses those it does not need) and commits nothing.
 */
export async function readUntilMarkers(kafka: Kafka, topic: string, markers: Map<number, string>, onEntry: (entry: ChangelogEntry) => void, options: { groupPrefix: string; logger: Logger; timeoutMs?: number }): Promise<void> {
  if (markers.size === 0) return;
  const remaining = new Map(markers);
  const groupId = `${options.groupPrefix}-restore-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 16 * 1024 * 1024, readUncommitted: false, retry: { retries: 8 } });
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const timer = setTimeout(() => fail(new Error(`restore of ${topic} partitions ${[...remaining.keys()].join(',')} did not reach its marker in ${options.timeoutMs ?? 120_000} ms`)), options.timeoutMs ?? 120_000);
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) fail(event.payload.error);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        const nonce = remaining.get(batch.partition);
        if (nonce === undefined) {
          consumer.pause([{ topic, partitions: [batch.partition] }]);
          return;
        }
        for (const message of batch.messages) {
          resolveOffset(message.offset);
          const key = message.key?.toString('utf8') ?? '';
          if (key === MARKER_KEY) {
            if (message.value?.toString('utf8') === nonce) {
              remaining.delete(batch.partition);
              consumer.pause([{ topic, partitions: [batch.partition] }]);
              if (remaining.size === 0) finish();
              return;
            }
            continue;
          }
          onEntry({ partition: batch.partition, key, value: message.value === null ? null : JSON.parse(message.value.toString('utf8')) });
        }
      },
    });
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => {});
    const admin = kafka.admin();
    // The group never committed; deleting it keeps the broker's group list clean.
    await admin.connect().then(() => admin.deleteGroups([groupId])).catch(() => {}).finally(() => admin.disconnect().catch(() => {}));
  }
}
