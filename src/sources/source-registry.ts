import type { Readable } from 'node:stream';
import type { Kafka } from 'kafkajs';
import type { SourceConfig } from '../config/pipeline-schema.ts';
import { configuredCsvLayout } from '../parsers/formats.ts';
import type { Logger } from '../telemetry/logger.ts';
import { FileSource } from './file-source.ts';
import { KafkaSource, type KafkaSourceOptions } from './kafka-source.ts';
import type { Source } from './types.ts';

export type SourceType = SourceConfig['type'];

/** What source builders need from the pipeline around them. */
export interface SourceContext {
  /** The pipeline's name: consumer groups default to `flowhound-<pipeline>-<source>`. */
  pipeline: string;
  /** The pipeline's Kafka client, created on first call (only pipelines that use Kafka have one). */
  kafka: () => Kafka;
  /** For records whose format carries no cluster, unless the source names its own. */
  cluster: string;
  /** What a file source reads for the path `-` (tests hand in their own stream). */
  stdin?: Readable;
  logger: Logger;
  /** Told the `topic|partition` lanes a Kafka source was assigned (see KafkaSourceOptions). */
  onAssignment: NonNullable<KafkaSourceOptions['onAssignment']>;
  /** Durable state: a Kafka source commits its offsets in the repartition writer's transaction. */
  commit?: KafkaSourceOptions['commit'];
}

type SourceConfigs = { [T in SourceType]: Extract<SourceConfig, { type: T }> };
type SourceBuilders = { [T in SourceType]: (id: string, config: SourceConfigs[T], context: SourceContext) => Source };

/** One builder per `sources.<id>.type` of pipelines/*.yaml. */
export const SOURCES: SourceBuilders = {
  kafka: (id, config, context) => new KafkaSource({
    name: id,
    kafka: context.kafka(),
    topics: config.topics,
    groupId: config.group_id ?? `flowhound-${context.pipeline}-${id}`,
    format: config.format,
    csv: configuredCsvLayout(config.csv),
    cluster: config.cluster ?? context.cluster,
    fromBeginning: config.from_beginning,
    maxBatchRecords: config.max_batch_records,
    sessionTimeoutMs: config.session_timeout_ms,
    maxBytesPerPartition: config.max_bytes_per_partition,
    logger: context.logger,
    onAssignment: context.onAssignment,
    ...(context.commit === undefined ? {} : { commit: context.commit }),
  }),
  file: (id, config, context) => {
    const options = { name: id, paths: config.paths, format: config.format, csv: config.csv, cluster: config.cluster ?? context.cluster, maxBatchRecords: config.max_batch_records };
    return new FileSource(context.stdin === undefined ? options : { ...options, stdin: context.stdin });
  },
};

/** The source a `sources.<id>` entry describes. */
export function buildSource(id: string, config: SourceConfig, context: SourceContext): Source {
  return build(config.type, id, config, context);
}

// Keyed by the type apart from the config, so TypeScript pairs each builder with its own config.
function build<T extends SourceType>(type: T, id: string, config: SourceConfigs[T], context: SourceContext): Source {
  return SOURCES[type](id, config, context);
}
