import type { Kafka, Message, Producer } from 'kafkajs';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import { eventTime } from '../model/normalized-record.ts';
import { unitKey } from '../model/workload.ts';
import { flowUnitSides, SIDE } from '../pipeline/detection-stage.ts';
import type { RecordStage } from '../pipeline/record-stage.ts';
import type { Logger } from '../telemetry/logger.ts';
import { encodeProgress, encodeRecord, partitionOf } from './repartition-message.ts';
import { isFenced, sendChunked } from './transactions.ts';

export interface RepartitionWriterOptions {
  kafka: Kafka;
  /** The internal repartition topic and its partition count (= detection tasks). */
  topic: string;
  partitions: number;
  /** Prefix of the transactional ids (`<prefix>-ingest-<topic>-<partition>`). */
  transactionalIdPrefix: string;
  logger: Logger;
}

interface LaneOutput {
  messages: Message[];
  /** Newest event time of the lane's records so far, and the one last told to every task. */
  newest: number;
  told: number;
}

/**
 * The ingest tier's last stage: re-keys normalised records by workload into the repartition
 * topic, whatever partitioning the shippers used. A flow between two workloads goes to each
 * one's partition with the side that task counts; a DNS lookup to its client's, and its answers
 * to every other task's shared DNS table.
 *
 * Exactly once: the records of one input chunk and that chunk's input offsets are committed in
 * one Kafka transaction (`commit`), by a producer whose transactional id belongs to the input
 * partition, so a member that takes the partition over fences the one that had it.
 */
export class RepartitionWriter implements RecordStage {
  private readonly options: RepartitionWriterOptions;
  private readonly lanes = new Map<string, LaneOutput>();
  private readonly producers = new Map<string, Promise<Producer>>();
  /** Lanes another member fenced us out of: left alone until an assignment gives them back. */
  private readonly lost = new Set<string>();
  /** Messages written to the repartition topic (records and progress marks). */
  written = 0;

  constructor(options: RepartitionWriterOptions) {
    this.options = options;
  }

  async process(records: NormalizedRecord[], lane = 'default'): Promise<void> {
    const out = this.output(lane);
    // One chunk, one process() and one commit(): what an aborted chunk left is redone from its offset.
    out.messages = [];
    const count = this.options.partitions;
    const laneJson = JSON.stringify(lane);
    for (const record of records) {
      const time = eventTime(record);
      if (time > out.newest) out.newest = time;
      if (record.kind === 'dns') {
        const client = unitKey(record.client);
        if (client === undefined) continue;
        const own = partitionOf(client, count);
        const json = JSON.stringify(record);
        out.messages.push({ partition: own, value: encodeRecord(laneJson, SIDE.both, json) });
        if (record.answers.some((a) => a.type === 'A' || a.type === 'AAAA')) {
          const global = encodeRecord(laneJson, SIDE.dnsGlobal, json);
          for (let p = 0; p < count; p++) if (p !== own) out.messages.push({ partition: p, value: global });
        }
        continue;
      }
      // Each side to its unit's task (DetectionStage decides from the reporter what it counts).
      const { srcKey, dstKey } = flowUnitSides(record);
      const srcPartition = srcKey === undefined ? -1 : partitionOf(srcKey, count);
      const dstPartition = dstKey === undefined ? -1 : partitionOf(dstKey, count);
      if (srcPartition < 0 && dstPartition < 0) continue;
      const json = JSON.stringify(record);
      if (srcPartition >= 0 && srcPartition === dstPartition) {
        out.messages.push({ partition: srcPartition, value: encodeRecord(laneJson, SIDE.both, json) });
        continue;
      }
      if (srcPartition >= 0) out.messages.push({ partition: srcPartition, value: encodeRecord(laneJson, SIDE.src, json) });
      if (dstPartition >= 0) out.messages.push({ partition: dstPartition, value: encodeRecord(laneJson, SIDE.dst, json) });
    }
  }

  /**
   * Commits what `process` produced for the lane `topic|partition` together with the input
   * offset (`nextOffset`, for `groupId`), in one transaction. False when another member has
   * taken the partition over (fenced): nothing was committed, the new owner redoes it.
   */
  async commit(groupId: string, topic: string, partition: number, nextOffset: string): Promise<boolean> {
    const lane = `${topic}|${partition}`;
    // A new producer would fence the member that owns the lane now.
    if (this.lost.has(lane)) return false;
    const out = this.output(lane);
    const messages = out.messages;
    out.messages = [];
    if (out.newest > out.told) {
      const mark = encodeProgress(lane, out.newest);
      for (let p = 0; p < this.options.partitions; p++) messages.push({ partition: p, value: mark });
    }
    const producer = await this.producer(lane);
    const transaction = await producer.transaction();
    try {
      await sendChunked(transaction, this.options.topic, messages);
      await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition, offset: nextOffset }] }] });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => {});
      if (isFenced(error)) {
        this.options.logger.warn(`repartition: input ${lane} was taken over by another member; leaving it`);
        await this.release(lane);
        this.lost.add(lane);
        this.lanes.delete(lane);
        return false;
      }
      throw error;
    }
    out.told = out.newest;
    this.written += messages.length;
    return true;
  }

  /** Lanes this member was assigned: the producers of the others are closed. */
  async assigned(lanes: string[]): Promise<void> {
    const keep = new Set(lanes);
    this.lost.clear();
    for (const lane of [...this.producers.keys()]) if (!keep.has(lane)) await this.release(lane);
    // A new owner restarts the lane's output from its committed offset.
    for (const lane of [...this.lanes.keys()]) if (!keep.has(lane)) this.lanes.delete(lane);
  }

  async close(): Promise<void> {
    for (const lane of [...this.producers.keys()]) await this.release(lane);
  }

  private output(lane: string): LaneOutput {
    let out = this.lanes.get(lane);
    if (out === undefined) this.lanes.set(lane, (out = { messages: [], newest: Number.NEGATIVE_INFINITY, told: Number.NEGATIVE_INFINITY }));
    return out;
  }

  private producer(lane: string): Promise<Producer> {
    let producer = this.producers.get(lane);
    if (producer === undefined) {
      const transactionalId = `${this.options.transactionalIdPrefix}-ingest-${lane.replace('|', '-')}`;
      const created = this.options.kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 60_000, allowAutoTopicCreation: false });
      producer = created.connect().then(() => created);
      this.producers.set(lane, producer);
      producer.catch(() => this.producers.delete(lane));
    }
    return producer;
  }

  private async release(lane: string): Promise<void> {
    const producer = this.producers.get(lane);
    this.producers.delete(lane);
    if (producer !== undefined) await (await producer.catch(() => undefined))?.disconnect().catch(() => {});
  }
}
