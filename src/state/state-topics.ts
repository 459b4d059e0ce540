import type { Kafka } from 'kafkajs';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import type { Logger } from '../telemetry/logger.ts';

/** The internal topics of a pipeline's durable state, named after the pipeline. */
export interface StateTopics {
  /** Prefix of topics, consumer groups and transactional ids. */
  prefix: string;
  /** Normalised records keyed by workload (Kafka Streams' repartition topic). */
  repartition: string;
  /** Each task's state, compacted, partition = task. */
  changelog: string;
  /** Each task's part of the role view and its progress, compacted, read by every member. */
  peerGroups: string;
  partitions: number;
  replicationFactor: number;
}

export function stateTopics(config: PipelineConfig): StateTopics {
  const prefix = config.state.topic_prefix ?? `flowhound-${config.name}`;
  return {
    prefix,
    repartition: `${prefix}-repartition`,
    changelog: `${prefix}-state-changelog`,
    peerGroups: `${prefix}-peer-groups`,
    partitions: config.state.partitions,
    replicationFactor: config.state.replication_factor,
  };
}

/** Compacted, with room for a large baseline record, segments rolled often enough to compact. */
const COMPACTED = [
  { name: 'cleanup.policy', value: 'compact' },
  { name: 'max.message.bytes', value: String(16 * 1024 * 1024) },
  { name: 'segment.ms', value: String(3_600_000) },
  { name: 'min.cleanable.dirty.ratio', value: '0.2' },
];

/**
 * Creates the internal topics that are missing (brokers often forbid auto-creation), and
 * checks that existing ones have the partition count the state was written with: a workload's
 * task is its key's partition, so a different count would scatter every workload's state.
 */
export async function ensureStateTopics(kafka: Kafka, topics: StateTopics, logger: Logger): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [
      { topic: topics.repartition, configEntries: [{ name: 'retention.ms', value: String(7 * 86_400_000) }, { name: 'max.message.bytes', value: String(16 * 1024 * 1024) }] },
      { topic: topics.changelog, configEntries: COMPACTED },
      { topic: topics.peerGroups, configEntries: COMPACTED },
    ];
    const missing = wanted.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      await admin.createTopics({ waitForLeaders: true, topics: missing.map((t) => ({ ...t, numPartitions: topics.partitions, replicationFactor: topics.replicationFactor })) })
        .catch((error: { type?: string }) => {
          // Another member created them at the same moment.
          if (error.type !== 'TOPIC_ALREADY_EXISTS') throw error;
        });
      logger.info(`created state topics ${missing.map((t) => t.topic).join(', ')} (${topics.partitions} partitions)`);
    }
    const metadata = await admin.fetchTopicMetadata({ topics: wanted.map((t) => t.topic) });
    for (const topic of metadata.topics) {
      if (topic.partitions.length !== topics.partitions) {
        throw new Error(`state topic ${topic.name} has ${topic.partitions.length} partitions but state.partitions is ${topics.partitions}: the state was written for another partition count (change state.topic_prefix to start afresh)`);
      }
    }
  } finally {
    await admin.disconnect();
  }
}
