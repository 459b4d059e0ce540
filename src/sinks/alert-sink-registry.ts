import type { Kafka } from 'kafkajs';
import { AlertsFile } from '../alerts/alerts-file.ts';
import type { AlertSink } from '../alerts/alert-sink.ts';
import type { AlertSinkConfig } from '../config/pipeline-schema.ts';
import type { Logger } from '../telemetry/logger.ts';
import { AlertmanagerSink } from './alertmanager.ts';
import { FaroSink } from './faro.ts';
import { KafkaAlertSink } from './kafka-alerts.ts';

export type AlertSinkType = AlertSinkConfig['type'];

/** What alert sink builders need from the pipeline around them. */
export interface AlertSinkContext {
  /** The pipeline's Kafka client, created on first call. */
  kafka: () => Kafka;
  logger: Logger;
  /** Durable state: detection tasks write alerts to Kafka in the transaction that commits them. */
  durable: boolean;
  /** The pipeline's measurements (records/s, event-time lag, …), for the sinks that report them. */
  measure: () => Record<string, number>;
}

/** A Kafka topic the detection tasks write alerts to, created by the pipeline when missing. */
export interface AlertsTopic {
  topic: string;
  partitions: number;
  replicationFactor: number;
}

/**
 * What one `sinks.<name>` entry becomes: a sink the alerts are handed to, or (durable state,
 * `kafka`) the topic the detection tasks write them to. `telemetry`: the sink reports on the
 * pipeline rather than delivering alerts, and goes last, with the metrics sink.
 */
export type AlertOutput = { kind: 'sink'; sink: AlertSink; telemetry?: boolean } | { kind: 'topic'; topic: AlertsTopic };

type AlertSinkConfigs = { [T in AlertSinkType]: Extract<AlertSinkConfig, { type: T }> };
type AlertSinkBuilders = { [T in AlertSinkType]: { build(name: string, config: AlertSinkConfigs[T], context: AlertSinkContext): AlertOutput } };

/** One entry per `sinks.<name>.type` of pipelines/*.yaml. */
export const ALERT_SINKS: AlertSinkBuilders = {
  alertmanager: {
    build: (name, config, { logger }) => ({ kind: 'sink', sink: new AlertmanagerSink(name, config, logger) }),
  },
  kafka: {
    build(name, config, { kafka, logger, durable }) {
      const topic = { topic: config.topic, partitions: config.partitions, replicationFactor: config.replication_factor };
      // With durable state, alerts reach the Kafka topic in the transaction that commits them.
      if (durable) return { kind: 'topic', topic };
      return { kind: 'sink', sink: new KafkaAlertSink(name, { kafka: kafka(), ...topic, logger, maxBuffered: 10_000 }) };
    },
  },
  // A pipeline's file sink is an archive that outlives one run: it appends (see AlertsFileOptions).
  file: {
    build: (_name, config) => ({ kind: 'sink', sink: new AlertsFile(config.path) }),
  },
  faro: {
    build: (name, config, { logger, measure }) => ({
      kind: 'sink',
      telemetry: true,
      sink: new FaroSink(name, {
        url: config.url, maxBuffered: config.max_buffered, measureIntervalSeconds: config.measure_interval_seconds, logger, measure,
        ...(config.api_key === undefined ? {} : { apiKey: config.api_key }),
      }),
    }),
  },
};

/** The output of one `sinks.<name>` entry. */
export function buildAlertSink(name: string, config: AlertSinkConfig, context: AlertSinkContext): AlertOutput {
  return build(config.type, name, config, context);
}

// Keyed by the type apart from the config, so TypeScript pairs each entry with its own config.
function build<T extends AlertSinkType>(type: T, name: string, config: AlertSinkConfigs[T], context: AlertSinkContext): AlertOutput {
  return ALERT_SINKS[type].build(name, config, context);
}

/** A pipeline's `sinks:`, in their order: the sinks that deliver alerts, those that report, and the alerts topic. */
export function buildAlertSinks(sinks: Record<string, AlertSinkConfig>, context: AlertSinkContext): { delivery: AlertSink[]; telemetry: AlertSink[]; alertsTopic: AlertsTopic | undefined } {
  const delivery: AlertSink[] = [];
  const telemetry: AlertSink[] = [];
  let alertsTopic: AlertsTopic | undefined;
  for (const [name, config] of Object.entries(sinks)) {
    const output = buildAlertSink(name, config, context);
    if (output.kind === 'topic') alertsTopic = output.topic;
    else (output.telemetry === true ? telemetry : delivery).push(output.sink);
  }
  return { delivery, telemetry, alertsTopic };
}
