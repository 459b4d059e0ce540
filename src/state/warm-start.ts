import type { Kafka, Message } from 'kafkajs';
import { PeerGroupPart, type PeerGroups } from '../baseline/peer-groups.ts';
import { DetectionState } from '../pipeline/detection-state.ts';
import type { DetectionStage } from '../pipeline/detection-stage.ts';
import type { Logger } from '../telemetry/logger.ts';
import { partitionOf } from './repartition-message.ts';
import { ensureStateTopics, type StateTopics } from './state-topics.ts';
import { sendChunked } from './transactions.ts';

export interface WarmStartResult {
  workloads: number;
  bytes: number;
}

/**
 * Writes what a replay learned — every workload's baseline and the role view — into a
 * pipeline's durable state on Kafka, each workload into its task's changelog partition, so
 * `flowhound run` starts from it with no learning period. Open windows, watermarks, the DNS
 * cache and alerts of the history are not carried: the live stream starts its own.
 *
 * It commits as each task's transactional id, which fences a member running that task: warm
 * start a pipeline before its members start (or with them scaled to zero).
 */
export async function writeWarmStart(kafka: Kafka, topics: StateTopics, stage: DetectionStage, logger: Logger): Promise<WarmStartResult> {
  await ensureStateTopics(kafka, topics, logger);
  const count = topics.partitions;
  const states = Array.from({ length: count }, () => new DetectionState({ maxWorkloads: Number.POSITIVE_INFINITY, lifecycle: stage.state.lifecycleOptions, peers: new PeerGroupPart(), trackChanges: true }));
  for (const [key, baseline] of stage.baselines.map) states[partitionOf(key, count)]!.baselines.set(key, baseline);
  const peers = splitPeers(stage.peerGroups, count);
  let bytes = 0;
  for (let partition = 0; partition < count; partition++) {
    const changelog: Message[] = states[partition]!.allRecords(null).map(({ key, value }) => ({ partition, key, value: value === null ? null : JSON.stringify(value) }));
    const peerRecords: Message[] = peers[partition]!.records().map(({ key, value }) => ({ partition, key, value: JSON.stringify(value) }));
    for (const m of [...changelog, ...peerRecords]) bytes += typeof m.value === 'string' ? Buffer.byteLength(m.value) : 0;
    const producer = kafka.producer({ transactionalId: `${topics.prefix}-task-${partition}`, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const transaction = await producer.transaction();
      try {
        await sendChunked(transaction, topics.changelog, changelog);
        await sendChunked(transaction, topics.peerGroups, peerRecords);
        await transaction.commit();
      } catch (error) {
        await transaction.abort().catch(() => {});
        throw error;
      }
    } finally {
      await producer.disconnect();
    }
  }
  return { workloads: stage.baselines.size, bytes };
}

/** The role view of one stage, split into the parts of the tasks its workloads belong to. */
function splitPeers(peerGroups: PeerGroups, count: number): PeerGroupPart[] {
  const parts = Array.from({ length: count }, () => new PeerGroupPart());
  for (const part of peerGroups.parts.values()) {
    for (const { key, value } of part.records()) {
      const split = Array.from({ length: count }, () => ({ keys: [] as string[], buckets: [] as number[] }));
      value.keys.forEach((workload, i) => {
        const target = split[partitionOf(workload, count)]!;
        target.keys.push(workload);
        target.buckets.push(value.buckets[i]!);
      });
      split.forEach((v, p) => {
        if (v.keys.length > 0) parts[p]!.apply(key, v);
      });
    }
  }
  return parts;
}
