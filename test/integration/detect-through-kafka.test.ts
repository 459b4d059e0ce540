/**
 * Detection through the real broker: the shipped sample (Calico flows and DNS of prod-eu,
 * Hubble of dev-us) produced by kcat into one topic in event-time order, consumed by the
 * pipeline as a consumer group. Every labelled attack must be caught, with the same alerts
 * as the in-process replay of the same files.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { MemoryAlertSink } from '../../src/alerts/alert-sink.ts';
import { validatePipeline } from '../../src/config/load-pipeline.ts';
import { loadLabels } from '../../src/evaluation/labels.ts';
import { score } from '../../src/evaluation/score.ts';
import { buildPipeline } from '../../src/pipeline/build-pipeline.ts';
import { silentLogger } from '../../src/telemetry/logger.ts';
import { consumeWithKcat, createTopics, produceWithKcat } from '../harness/kcat.ts';
import { SAMPLE_FILES, sampleDataEnd, sampleLinesInEventTime } from '../harness/sample.ts';
import { tickLine } from '../harness/flowhound-member.ts';

const brokers = inject('kafkaBrokers');

function fingerprints(alerts: { fingerprint: string; status: string }[]): string[] {
  return [...new Set(alerts.filter((a) => a.status === 'firing').map((a) => a.fingerprint))].sort();
}

describe('detection through Kafka', () => {
  it('catches every labelled attack of the sample, with the alerts of the in-process replay', async () => {
    const topic = `sample-${randomUUID().slice(0, 8)}`;
    await createTopics(brokers, [topic], 1);
    const lines = sampleLinesInEventTime();
    await produceWithKcat(brokers, topic, lines);
    // A live stream never ends: a later record moves event time past the data's last window.
    const dataEnd = sampleDataEnd();
    await produceWithKcat(brokers, topic, [tickLine(dataEnd + 3_600_000)]);

    const viaKafka = new MemoryAlertSink();
    const config = validatePipeline({
      name: 'detect-it', cluster: 'prod-eu',
      kafka: { brokers: [brokers] },
      sources: { sample: { type: 'kafka', topics: [topic], format: 'auto', group_id: `g-${topic}` } },
      dead_letter: { topic: `${topic}-dead` },
      state: { topic_prefix: `fh-${topic}` },
      sinks: { siem: { type: 'kafka', topic: `${topic}-alerts` } },
    }, 'integration test');
    const pipeline = buildPipeline(config, { logger: silentLogger, alertSinks: [viaKafka] });
    const running = pipeline.run();
    const deadline = Date.now() + 90_000;
    while (pipeline.detection.watermark < dataEnd) {
      if (Date.now() > deadline) throw new Error(`consumed only ${pipeline.ingest.stats.total(pipeline.ingest.stats.received)} of ${lines.length}, watermark ${pipeline.detection.watermark}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await pipeline.stop();
    await running; // the last checkpoint hands the last alerts to the sinks

    const inProcess = new MemoryAlertSink();
    const replay = buildPipeline({ ...config, sources: { files: { type: 'file', paths: SAMPLE_FILES, format: 'auto', max_batch_records: 2000 } } }, { logger: silentLogger, alertSinks: [inProcess], mergeFilesByEventTime: true, deadLetterFile: '/dev/null' });
    await replay.run();

    expect(pipeline.detection.stats.late).toBe(0);
    expect(fingerprints(viaKafka.alerts)).toEqual(fingerprints(inProcess.alerts));
    // The alerts topic (for SIEMs) holds every alert emission as JSON, keyed by fingerprint.
    const emitted = await consumeWithKcat(brokers, `${topic}-alerts`, { count: viaKafka.alerts.length, timeoutMs: 30_000 });
    expect(emitted.map((m) => m.key).sort()).toEqual(viaKafka.alerts.map((a) => a.fingerprint).sort());
    expect(emitted.every((m) => JSON.parse(m.value!).fingerprint === m.key)).toBe(true);
    const labels = loadLabels('datasets/sample/labels.jsonl');
    const evaluation = score(labels, viaKafka.alerts.map((alert) => ({ alert, raisedAt: Date.parse(alert.endsAt) })), 1);
    const missed = evaluation.scenarios.filter((s) => !s.detected).map((s) => s.scenario);
    expect(missed).toEqual([]);
    expect(evaluation.falseAlerts).toBe(0);
    // Every detector that has a scenario in the sample fired through Kafka.
    expect(new Set(viaKafka.alerts.map((a) => a.detector))).toEqual(new Set([
      'port-scan', 'ip-sweep', 'new-east-west-edge', 'sensitive-port', 'cross-environment', 'metadata-api', 'denied-burst',
      'egress-spike', 'new-external-upload', 'fqdn-allowlist', 'dns-tunnel', 'nxdomain-burst', 'beaconing', 'slow-exfil',
      'egress-gateway-bypass', 'inference-ingress-spike', 'inference-client-anomaly', 'ingress-gateway-bypass',
    ]));
  });
});
