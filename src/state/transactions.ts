import type { Message, Transaction } from 'kafkajs';

/**
 * Whether a Kafka error says this producer was fenced: another member initialised the same
 * transactional id (it took the partition over), so this one must stop writing for it.
 */
export function isFenced(error: unknown): boolean {
  for (let e = error as { type?: string; name?: string; message?: string; cause?: unknown } | undefined; e !== undefined && e !== null; e = e.cause as typeof e) {
    if (e.type === 'PRODUCER_FENCED' || e.type === 'INVALID_PRODUCER_EPOCH') return true;
    if (e.name === 'KafkaJSNonRetriableError' && /fenced|epoch/i.test(e.message ?? '')) return true;
  }
  return false;
}

/** What one produce request may carry per partition: under the 1 MB max.message.bytes a topic created with defaults has. */
const MAX_BATCH_BYTES = 800 * 1024;

/**
 * Sends `messages` in a transaction as several requests, none with a record batch larger than
 * MAX_BATCH_BYTES for one partition (a broker refuses a batch over its max.message.bytes).
 */
export async function sendChunked(transaction: Transaction, topic: string, messages: Message[]): Promise<void> {
  let chunk: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = (typeof message.value === 'string' ? Buffer.byteLength(message.value) : (message.value?.length ?? 0)) + (typeof message.key === 'string' ? message.key.length : 0) + 64;
    if (chunk.length > 0 && bytes + size > MAX_BATCH_BYTES) {
      await transaction.send({ topic, acks: -1, messages: chunk });
      chunk = [];
      bytes = 0;
    }
    chunk.push(message);
    bytes += size;
  }
  if (chunk.length > 0) await transaction.send({ topic, acks: -1, messages: chunk });
}
