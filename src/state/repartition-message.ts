import { Partitioners } from 'kafkajs';
import type { NormalizedRecord } from '../model/normalized-record.ts';

/**
 * What the ingest tier writes to the repartition topic, keyed by workload (so a workload's
 * records meet in one partition, and one detection task): a normalised record with the input
 * lane it came from and the side(s) of it the task counts, or a lane's progress in event time
 * (written to every partition, so a task whose workloads are quiet still closes windows).
 *
 * `{"l":"flows|2","s":1,"r":{…FlowRecord…}}` · `{"l":"flows|2","p":1767225600000}`
 */
export type RepartitionMessage =
  | { l: string; s: number; r: NormalizedRecord }
  | { l: string; p: number };

/** `laneJson` and `recordJson` are JSON text already: a record going to several tasks is stringified once. */
export function encodeRecord(laneJson: string, side: number, recordJson: string): string {
  return `{"l":${laneJson},"s":${side},"r":${recordJson}}`;
}

export function encodeProgress(lane: string, time: number): string {
  return `{"l":${JSON.stringify(lane)},"p":${time}}`;
}

/** Decodes one message; throws on anything flowhound did not write. */
export function decodeRepartition(value: Buffer | null): RepartitionMessage {
  if (value === null) throw new Error('empty repartition message');
  const message = JSON.parse(value.toString('utf8')) as RepartitionMessage;
  if (typeof message?.l !== 'string' || !('p' in message || ('s' in message && typeof message.r === 'object'))) throw new Error('not a flowhound repartition message');
  return message;
}

const murmur2 = Partitioners.DefaultPartitioner();
const metadataCache = new Map<number, { partitionId: number; leader: number; partitionErrorCode: number; replicas: number[]; isr: number[] }[]>();

/** The partition of a workload key among `count`: murmur2, as Java clients and kafkajs pick it. */
export function partitionOf(key: string, count: number): number {
  let partitionMetadata = metadataCache.get(count);
  if (partitionMetadata === undefined) {
    partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    metadataCache.set(count, partitionMetadata);
  }
  return murmur2({ topic: '', partitionMetadata, message: { key, value: null } });
}
