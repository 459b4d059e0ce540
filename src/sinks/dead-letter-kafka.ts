import { Partitioners, type IHeaders, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Logger } from '../telemetry/logger.ts';
import type { DeadLetter, DeadLetterSink } from './dead-letter.ts';
import { ensureTopic } from './kafka-topic.ts';

export interface DeadLetterTopicOptions {
  kafka: Kafka;
  topic: string;
  partitions: number;
  replicationFactor: number;
  logger: Logger;
}

/**
 * Kafka Connect's dead-letter convention: the original bytes (and key) as the message, the
 * reason and origin in headers, so the same consumers and tools can read and re-drive them.
 *   flowhound.error.reason   closed code, e.g. malformed-json
 *   flowhound.error.detail   one readable line
 *   flowhound.source / flowhound.format / flowhound.origin.topic / .partition / .offset
 */
export class DeadLetterTopic implements DeadLetterSink {
  readonly description: string;
  private readonly options: DeadLetterTopicOptions;
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(options: DeadLetterTopicOptions) {
    this.options = options;
    this.description = `topic ${options.topic}`;
    // The Java-compatible partitioner: a key lands where Java clients would put it.
    this.producer = options.kafka.producer({ allowAutoTopicCreation: false, idempotent: false, createPartitioner: Partitioners.DefaultPartitioner });
  }

  /** Connects and creates the topic when it is missing (as Connect does for its DLQ). */
  async start(): Promise<void> {
    this.connected ??= (async () => {
      const { kafka, topic, partitions, replicationFactor, logger } = this.options;
      await ensureTopic(kafka, topic, partitions, replicationFactor, logger);
      await this.producer.connect();
    })();
    return this.connected;
  }

  async write(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.start();
    // Requests stay well under the broker's default 1 MB message.max.bytes.
    let messages: Message[] = [];
    let bytes = 0;
    const send = async () => {
      if (messages.length === 0) return;
      await this.producer.send({ topic: this.options.topic, acks: -1, messages });
      messages = [];
      bytes = 0;
    };
    for (const letter of letters) {
      const value = typeof letter.raw === 'string' ? Buffer.from(letter.raw) : letter.raw;
      if (bytes + value.byteLength > 512 * 1024) await send();
      messages.push({ key: letter.key ?? null, value, headers: headers(letter) });
      bytes += value.byteLength + 256;
    }
    await send();
  }

  async close(): Promise<void> {
    if (this.connected !== undefined) await this.producer.disconnect();
  }
}

function headers(letter: DeadLetter): IHeaders {
  const h: IHeaders = {
    'flowhound.error.reason': letter.reason,
    'flowhound.error.detail': letter.detail,
    'flowhound.source': letter.source,
    'flowhound.rejected_at': new Date(letter.rejectedAt).toISOString(),
  };
  if (letter.format !== undefined) h['flowhound.format'] = letter.format;
  const origin = letter.origin;
  if (origin.kind === 'kafka') {
    h['flowhound.origin.topic'] = origin.topic;
    h['flowhound.origin.partition'] = String(origin.partition);
    h['flowhound.origin.offset'] = origin.offset;
  } else if (origin.kind === 'file') {
    h['flowhound.origin.file'] = origin.path;
    h['flowhound.origin.line'] = String(origin.line);
  } else {
    h['flowhound.origin.event_time'] = origin.eventTime;
  }
  return h;
}
