import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { AlertsFile } from '../../../src/alerts/alerts-file.ts';
import { alertSinkSchema } from '../../../src/config/pipeline-schema.ts';
import { AlertmanagerSink } from '../../../src/sinks/alertmanager.ts';
import { ALERT_SINKS, buildAlertSink, buildAlertSinks, type AlertOutput, type AlertSinkContext } from '../../../src/sinks/alert-sink-registry.ts';
import { FaroSink } from '../../../src/sinks/faro.ts';
import { KafkaAlertSink } from '../../../src/sinks/kafka-alerts.ts';
import { silentLogger } from '../../../src/telemetry/logger.ts';

/** A Kafka client that only hands out producers (building a sink connects nothing). */
const kafka = { producer: () => ({}) } as unknown as Kafka;

function context(overrides: Partial<AlertSinkContext> = {}): AlertSinkContext {
  return { kafka: () => kafka, logger: silentLogger, durable: false, measure: () => ({}), ...overrides };
}

function sinkOf(output: AlertOutput) {
  if (output.kind !== 'sink') throw new Error(`expected a sink, got ${output.kind}`);
  return output.sink;
}

describe('alert sink registry', () => {
  it('has an entry for every sink type of the pipeline schema, and nothing else', () => {
    const types = alertSinkSchema.options.map((option) => option.shape.type.value);
    expect(Object.keys(ALERT_SINKS).sort()).toEqual([...types].sort());
  });

  it('builds the sink class of each type', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowhound-sinks-'));
    const alertmanager = sinkOf(buildAlertSink('am', alertSinkSchema.parse({ type: 'alertmanager', urls: ['http://127.0.0.1:9/'] }), context()));
    const file = sinkOf(buildAlertSink('archive', alertSinkSchema.parse({ type: 'file', path: join(dir, 'alerts.jsonl') }), context()));
    const viaKafka = sinkOf(buildAlertSink('siem', alertSinkSchema.parse({ type: 'kafka', topic: 'alerts' }), context()));
    const faro = sinkOf(buildAlertSink('faro', alertSinkSchema.parse({ type: 'faro', url: 'http://127.0.0.1:9/collect', measure_interval_seconds: 0 }), context()));
    expect(alertmanager).toBeInstanceOf(AlertmanagerSink);
    expect(file).toBeInstanceOf(AlertsFile);
    expect(viaKafka).toBeInstanceOf(KafkaAlertSink);
    expect(faro).toBeInstanceOf(FaroSink);
    for (const sink of [alertmanager, file, viaKafka, faro]) await sink.close();
  });

  it('makes a pipeline file sink append to what earlier runs wrote', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'flowhound-sinks-')), 'alerts.jsonl');
    writeFileSync(path, '{"earlier":true}\n');
    const sink = sinkOf(buildAlertSink('archive', alertSinkSchema.parse({ type: 'file', path }), context()));
    await sink.close();
    expect(readFileSync(path, 'utf8')).toBe('{"earlier":true}\n');
  });

  it('with durable state, turns a kafka sink into the alerts topic, without a producer', () => {
    const output = buildAlertSink('siem', alertSinkSchema.parse({ type: 'kafka', topic: 'alerts', partitions: 3 }), context({ durable: true, kafka: () => { throw new Error('no client expected'); } }));
    expect(output).toEqual({ kind: 'topic', topic: { topic: 'alerts', partitions: 3, replicationFactor: 1 } });
  });

  it('sorts a pipeline\'s sinks into those that deliver alerts and those that report (Faro), and takes the alerts topic', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowhound-sinks-'));
    const built = buildAlertSinks({
      faro: alertSinkSchema.parse({ type: 'faro', url: 'http://127.0.0.1:9/collect', measure_interval_seconds: 0 }),
      first: alertSinkSchema.parse({ type: 'file', path: join(dir, 'a.jsonl') }),
      siem: alertSinkSchema.parse({ type: 'kafka', topic: 'alerts' }),
      second: alertSinkSchema.parse({ type: 'file', path: join(dir, 'b.jsonl') }),
    }, context({ durable: true }));
    expect(built.delivery).toHaveLength(2);
    expect(built.delivery.every((s) => s instanceof AlertsFile)).toBe(true);
    expect(built.telemetry).toHaveLength(1);
    expect(built.telemetry[0]).toBeInstanceOf(FaroSink);
    expect(built.alertsTopic?.topic).toBe('alerts');
    for (const sink of [...built.delivery, ...built.telemetry]) await sink.close();
  });
});
