import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { AlertSink } from '../alerts/alert-sink.ts';
import type { Alert } from '../model/alert.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { DeliveryStats, MeteredSink } from '../telemetry/pipeline-metrics.ts';
import { ensureTopic } from './kafka-topic.ts';

/**
 * Alerts as JSON on a Kafka topic, keyed by fingerprint so every update of one alert lands in
 * the same partition, in order: for SIEMs and scripts. A failed send is counted and retried
 * with the next write (at most `maxBuffered` alerts wait), never thrown into the pipeline.
 */
export class KafkaAlertSink implements AlertSink, MeteredSink {
  readonly name: string;
  readonly stats: DeliveryStats = { delivered: 0, failed: 0, dropped: 0, buffered: 0 };
  private readonly producer: Producer;
  private readonly options: { kafka: Kafka; topic: string; partitions: number; replicationFactor: number; logger: Logger; maxBuffered: number };
  private connected: Promise<void> | undefined;
  private waiting: Alert[] = [];

  constructor(name: string, options: KafkaAlertSink['options']) {
    this.name = name;
    this.options = options;
    this.producer = options.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  }

  async write(alerts: Alert[]): Promise<void> {
    this.waiting.push(...alerts);
    if (this.waiting.length > this.options.maxBuffered) {
      this.stats.dropped += this.waiting.length - this.options.maxBuffered;
      this.waiting = this.waiting.slice(-this.options.maxBuffered);
    }
    const batch = this.waiting;
    try {
      this.connected ??= (async () => {
        const { kafka, topic, partitions, replicationFactor, logger } = this.options;
        await ensureTopic(kafka, topic, partitions, replicationFactor, logger);
        await this.producer.connect();
      })();
      await this.connected;
      await this.producer.send({ topic: this.options.topic, acks: -1, messages: batch.map((a) => ({ key: a.fingerprint, value: JSON.stringify(a), headers: { status: a.status, detector: a.detector } })) });
      this.stats.delivered += batch.length;
      this.waiting = [];
    } catch (error) {
      this.connected = undefined;
      this.stats.failed += batch.length;
      this.options.logger.warn(`kafka alert sink ${this.options.topic}: ${(error as Error).message}; ${batch.length} alert(s) will be retried`);
    }
    this.stats.buffered = this.waiting.length;
  }

  async close(): Promise<void> {
    if (this.waiting.length > 0) await this.write([]);
    this.stats.dropped += this.waiting.length;
    if (this.connected !== undefined) await this.producer.disconnect().catch(() => {});
  }
}
