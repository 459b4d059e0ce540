import type { Consumer, Kafka } from 'kafkajs';
import type { FormatOption } from '../model/record-format.ts';
import type { CsvLayout } from '../parsers/csv-flow.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { RawMessage, Source, SourceBatch } from './types.ts';

export interface KafkaSourceOptions {
  name: string;
  kafka: Kafka;
  topics: string[];
  groupId: string;
  format: FormatOption;
  /** The rows' CSV header (`csv.header`), for CSV messages. */
  csv?: CsvLayout | undefined;
  cluster: string;
  fromBeginning: boolean;
  maxBatchRecords: number;
  sessionTimeoutMs: number;
  maxBytesPerPartition: number;
  logger: Logger;
  /** Told the `topic|partition` lanes this member was assigned, on every (re)join. */
  onAssignment?: (lanes: string[]) => void;
  /**
   * Commits a processed chunk's offset (`nextOffset` = last + 1) instead of the consumer's
   * plain offset commit: the durable-state ingest commits it in the transaction that writes the
   * chunk's records. False: the partition was taken over; the chunk is left to its new owner.
   */
  commit?: (groupId: string, topic: string, partition: number, nextOffset: string) => Promise<boolean>;
}

/**
 * A kafkajs consumer-group member. Each fetched batch is handed on in chunks; a chunk's offsets
 * are committed (offset + 1, explicitly, autoCommit off) only after the pipeline has processed
 * it and its sinks have accepted the results. A crash therefore re-delivers, never loses.
 */
export class KafkaSource implements Source {
  readonly name: string;
  private readonly options: KafkaSourceOptions;
  private consumer: Consumer;
  /** Messages behind the partition's high watermark after the last chunk, per `topic|partition`. */
  readonly lag = new Map<string, number>();
  private finished: (() => void) | undefined;
  private stopping = false;
  private failed: ((error: unknown) => void) | undefined;

  constructor(options: KafkaSourceOptions) {
    this.name = options.name;
    this.options = options;
    this.consumer = this.createConsumer();
  }

  private createConsumer(): Consumer {
    const { options } = this;
    return options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      maxBytesPerPartition: options.maxBytesPerPartition,
      // A consumer stopping must not be restarted by kafkajs after a failed join.
      retry: { retries: 8, restartOnFailure: async () => !this.stopping },
    });
  }

  async run(handle: (batch: SourceBatch) => Promise<void>): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.finished = resolve;
      this.failed = reject;
    });
    await this.session(handle, 0);
    return done;
  }

  private restart(handle: (batch: SourceBatch) => Promise<void>, attempt: number): void {
    setTimeout(() => {
      if (this.stopping) return;
      this.consumer = this.createConsumer();
      this.session(handle, attempt + 1).catch((error) => {
        this.options.logger.error(`source ${this.name}: ${(error as Error).message}; trying again`);
        void this.consumer.disconnect().catch(() => {});
        this.restart(handle, attempt + 1);
      });
    }, Math.min(30_000, 1_000 * 2 ** attempt));
  }

  /**
   * One consumer's life. kafkajs gives up on errors it deems not retriable (a coordinator not
   * found while the broker is loaded or restarting, say); a pod must not die of that, so a
   * fresh consumer takes over after a backoff, resuming from the committed offsets.
   */
  private async session(handle: (batch: SourceBatch) => Promise<void>, attempt: number): Promise<void> {
    const { consumer, options } = this;
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      options.logger.error(`source ${this.name}: consumer crashed${restart ? ', restarting' : this.stopping ? '' : ', starting a new one'}: ${error.message}`);
      if (restart || this.stopping) return;
      void consumer.disconnect().catch(() => {});
      this.restart(handle, attempt);
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      attempt = 0;
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const lanes = Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((p) => `${topic}|${p}`));
      options.onAssignment?.(lanes);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Durable state: each partition's chunk is its own transaction (its own producer), so
      // partitions can wait on their round trips side by side. In memory they share one stage.
      partitionsConsumedConcurrently: options.commit === undefined ? 1 : 3,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const { topic, partition } = batch;
        let chunk: RawMessage[] = [];
        const handOn = async (): Promise<boolean> => {
          if (chunk.length === 0) return true;
          const last = chunk[chunk.length - 1]!.origin;
          await handle({ source: this.name, format: options.format, cluster: options.cluster, messages: chunk, csv: options.csv });
          chunk = [];
          const offset = last.kind === 'kafka' ? last.offset : '0';
          const next = BigInt(offset) + 1n;
          if (options.commit !== undefined) {
            if (!(await options.commit(options.groupId, topic, partition, next.toString()))) return false;
            resolveOffset(offset);
          } else {
            resolveOffset(offset);
            await consumer.commitOffsets([{ topic, partition, offset: next.toString() }]);
          }
          this.lag.set(`${topic}|${partition}`, Math.max(0, Number(BigInt(batch.highWatermark) - next)));
          await heartbeat();
          return true;
        };
        for (const message of batch.messages) {
          // A rebalance took the partition away: stop, the new owner resumes from the last commit.
          if (!isRunning() || isStale()) return;
          chunk.push({
            value: message.value ?? Buffer.alloc(0),
            key: message.key,
            origin: { kind: 'kafka', topic, partition, offset: message.offset },
          });
          if (chunk.length >= options.maxBatchRecords && !(await handOn())) return;
        }
        if (isRunning() && !isStale()) await handOn();
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // disconnect() waits for the batch in flight, so its offsets are committed before we go.
    await this.consumer.disconnect();
    this.finished?.();
  }
}
