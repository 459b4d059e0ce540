import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { MemoryAlertSink } from '../../../src/alerts/alert-sink.ts';
import { validatePipeline } from '../../../src/config/load-pipeline.ts';
import { buildDetection } from '../../../src/pipeline/build-detection.ts';
import { PipelineMetrics } from '../../../src/telemetry/pipeline-metrics.ts';
import { flow, pod, publicIp, T0 } from '../records.ts';

/** The value of the series of `name` whose labels start with `labels` (`detector="x"`). */
function value(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}`));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

class Reader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

describe('PipelineMetrics', () => {
  it('counts the findings an alert storm rolls up, and the roll-up as one new alert', async () => {
    const reader = new Reader();
    const metrics = new PipelineMetrics(new MeterProvider({ readers: [reader] }).getMeter('test'), { topWorkloads: 10 });
    const config = validatePipeline({ name: 't', sources: { f: { type: 'file', paths: ['-'] } } }, 'test');
    const detection = buildDetection(config.detection, [new MemoryAlertSink(), metrics.alertSink()]);
    metrics.observeDetection(detection);
    const before = new PrometheusSerializer(undefined, true).serialize((await reader.collect()).resourceMetrics);
    expect(value(before, 'flowhound_alerts_rolled_up_total', 'detector="fqdn-allowlist"')).toBe(0);
    await detection.process(Array.from({ length: 40 }, (_, i) => flow(T0, pod('prod-eu', 'ml-train', `job-${i}`), publicIp('203.0.113.9'), { dstFqdns: ['c2.evil.example'] })));
    await detection.close();
    const text = new PrometheusSerializer(undefined, true).serialize((await reader.collect()).resourceMetrics);
    expect(value(text, 'flowhound_alerts_rolled_up_total', 'detector="fqdn-allowlist"')).toBe(35);
    expect(value(text, 'flowhound_alerts_rolled_up_total', 'detector="port-scan"')).toBe(0);
    // Five alerts of their own and the roll-up: six new alerts.
    expect(value(text, 'flowhound_alerts_total', 'detector="fqdn-allowlist",category="command-and-control",technique="T1071.001",severity="critical"')).toBe(6);
  });
});
