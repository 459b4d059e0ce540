import { CompressionTypes, Partitioners, type Kafka, type Producer } from 'kafkajs';

export interface OrderedProducerOptions {
  /** Messages per produce request and partition. */
  batchSize: number;
  /** Produce requests in flight across all partitions (each partition has at most one). */
  maxInFlight: number;
  /** Partitions of each topic, from the broker's metadata. */
  partitions: ReadonlyMap<string, number>;
}

interface Lane {
  topic: string;
  partition: number;
  pending: { key: string | Buffer | null; value: string | Buffer; partition: number }[];
  /** The lane's last request: the next one starts only after it is acknowledged. */
  tail: Promise<void>;
}

/**
 * A producer that keeps every partition in the order messages were given to it while sending
 * to all partitions at once: one chain of requests per topic partition (a request starts when
 * the partition's previous one is acknowledged) and up to `maxInFlight` requests across them.
 *
 * Why not one `sendBatch` after another: kafkajs compresses each request asynchronously, so
 * two concurrent requests can reach the broker in either order; a single sequential chain then
 * leaves the broker, the gzip threads and this thread waiting on each other. Partitions are
 * chosen by the caller with partition(), kafkajs's Java-compatible murmur2 partitioner (the partition
 * a Java producer or Kafka Streams would pick), and kafkajs is handed requests of one partition
 * each, so its per-message partitioner call only reads the chosen partition back.
 */
export class OrderedProducer {
  readonly producer: Producer;
  private readonly options: OrderedProducerOptions;
  /** topic → its partitions' lanes, by partition number. */
  private readonly lanes = new Map<string, Lane[]>();
  private readonly murmur2 = Partitioners.DefaultPartitioner();
  private readonly roundRobin = new Map<string, number>();
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private failure: Error | undefined;
  sent = 0;

  constructor(kafka: Kafka, options: OrderedProducerOptions) {
    this.options = options;
    this.producer = kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: false,
      maxInFlightRequests: options.maxInFlight,
      // Every message arrives with its partition already chosen.
      createPartitioner: () => ({ message }) => message.partition!,
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  /**
   * Queues one message for a partition chosen by partition(). Returns a promise only when the
   * caller must wait (a request was due and too many are in flight: back-pressure); otherwise
   * nothing, so the hot loop awaits rarely.
   */
  send(topic: string, partition: number, key: string | Buffer | null, value: string | Buffer): Promise<void> | undefined {
    if (this.failure !== undefined) throw this.failure;
    let lanes = this.lanes.get(topic);
    if (lanes === undefined) this.lanes.set(topic, (lanes = []));
    let lane = lanes[partition];
    if (lane === undefined) lanes[partition] = lane = { topic, partition, pending: [], tail: Promise.resolve() };
    lane.pending.push({ key, value, partition });
    return lane.pending.length >= this.options.batchSize ? this.dispatch(lane) : undefined;
  }

  /** Sends every queued message and waits until the broker has acknowledged all of them. */
  async flush(): Promise<void> {
    const lanes = [...this.lanes.values()].flat();
    for (const lane of lanes) if (lane.pending.length > 0) await this.dispatch(lane);
    await Promise.all(lanes.map((lane) => lane.tail));
    if (this.failure !== undefined) throw this.failure;
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
  }

  /**
   * The partition a message of this key goes to: murmur2 of the key, as Java clients pick it
   * (callers reuse it for the messages of one key); unkeyed, round robin.
   */
  partition(topic: string, key: string | null): number {
    const count = this.options.partitions.get(topic) ?? 1;
    if (key === null) {
      // Unkeyed messages (lines without a record) have no order to keep: spread them.
      const next = ((this.roundRobin.get(topic) ?? -1) + 1) % count;
      this.roundRobin.set(topic, next);
      return next;
    }
    const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    return this.murmur2({ topic, partitionMetadata, message: { key, value: null } });
  }

  private async dispatch(lane: Lane): Promise<void> {
    while (this.inFlight >= this.options.maxInFlight) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.failure !== undefined) throw this.failure;
    const messages = lane.pending;
    lane.pending = [];
    this.inFlight++;
    lane.tail = lane.tail
      .then(() => (this.failure === undefined ? this.producer.send({ topic: lane.topic, acks: -1, compression: CompressionTypes.GZIP, messages }) : undefined))
      .then(
        () => {
          if (this.failure === undefined) this.sent += messages.length;
        },
        (error: Error) => {
          this.failure ??= error;
        },
      )
      .finally(() => {
        this.inFlight--;
        this.waiting.shift()?.();
      });
  }
}
