import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { MemoryAlertSink } from '../../../src/alerts/alert-sink.ts';
import { validatePipeline } from '../../../src/config/load-pipeline.ts';
import { buildDetection } from '../../../src/pipeline/build-detection.ts';
import { PipelineMetrics } from '../../../src/telemetry/pipeline-metrics.ts';
import { flow, pod, publicIp, ROLE_LEARNED_AT, roleHistory } from '../records.ts';

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
    // A role that has learned (learning before judging), then 40 new jobs of it reaching a name off its allowlist.
    await detection.process([...roleHistory('prod-eu', 'ml-train'), ...Array.from({ length: 40 }, (_, i) => flow(ROLE_LEARNED_AT, pod('prod-eu', 'ml-train', `job-${i}`), publicIp('203.0.113.9'), { dstFqdns: ['c2.evil.example'] }))]);
    await detection.close();
    const text = new PrometheusSerializer(undefined, true).serialize((await reader.collect()).resourceMetrics);
    expect(value(text, 'flowhound_alerts_rolled_up_total', 'detector="fqdn-allowlist"')).toBe(35);
    expect(value(text, 'flowhound_alerts_rolled_up_total', 'detector="port-scan"')).toBe(0);
    // Flap damping: every detector's series, zero until an alert flaps past its emission bound.
    expect(value(text, 'flowhound_alerts_damped_total', 'detector="fqdn-allowlist"')).toBe(0);
    // The veteran has learned; the 40 jobs of one window are still learning.
    expect(text).toMatch(/^flowhound_baselines_learning(\{[^}]*\})? 40( \d+)?$/m);
    // Five alerts of their own and the roll-up: six new alerts.
    expect(value(text, 'flowhound_alerts_total', 'detector="fqdn-allowlist",category="command-and-control",technique="T1071.001",severity="critical"')).toBe(6);
  });
});

describe('PipelineMetrics learning state', () => {
  it('reports how far each top workload is through its learning period', async () => {
    const reader = new Reader();
    const metrics = new PipelineMetrics(new MeterProvider({ readers: [reader] }).getMeter('test'), { topWorkloads: 10 });
    const config = validatePipeline({ name: 't', sources: { f: { type: 'file', paths: ['-'] } }, detection: { learning_hours: 6, learning_windows: 24 } }, 'test');
    const detection = buildDetection(config.detection, [new MemoryAlertSink()], { onWindow: (w, b, learning) => metrics.onWindow(w, b, learning) });
    metrics.observeDetection(detection);
    // 84 windows of the veteran (7 h: learned), then a newcomer's first window.
    await detection.process([...roleHistory('prod-eu', 'ml-train'), flow(ROLE_LEARNED_AT, pod('prod-eu', 'ml-train', 'newcomer'), publicIp('203.0.113.9'))]);
    await detection.close();
    const text = new PrometheusSerializer(undefined, true).serialize((await reader.collect()).resourceMetrics);
    expect(text).toMatch(/^flowhound_baselines_learning(\{[^}]*\})? 1( \d+)?$/m);
    expect(text).toMatch(/^flowhound_workload_learning_progress\{[^}]*workload="veteran"[^}]*\} 1( \d+)?$/m);
    const newcomer = /^flowhound_workload_learning_progress\{[^}]*workload="newcomer"[^}]*\} ([0-9.e-]+)( \d+)?$/m.exec(text);
    // One window: 1 of 24 windows, 5 of 360 minutes: the slower of the two.
    expect(Number(newcomer?.[1])).toBeCloseTo(5 / 360, 4);
  });
});

describe('PipelineMetrics and units that are not pods', () => {
  it('names a host by its name, never a unit known only by its IP', async () => {
    const reader = new Reader();
    const metrics = new PipelineMetrics(new MeterProvider({ readers: [reader] }).getMeter('test'), { topWorkloads: 10 });
    const config = validatePipeline({ name: 't', sources: { f: { type: 'file', paths: ['-'] } } }, 'test');
    const detection = buildDetection(config.detection, [new MemoryAlertSink()], { onWindow: (w, b, learning) => metrics.onWindow(w, b, learning) });
    const db = pod('prod-eu', 'data', 'postgres');
    const node = { cluster: 'prod-eu', namespace: '', workload: 'node-7', ip: '10.0.0.7', labels: {}, kind: 'host' as const };
    const hubbleNode = { ...node, workload: 'remote-node', ip: '10.0.0.8' };
    await detection.process([flow(ROLE_LEARNED_AT, node, db, { reporter: 'dst' }), flow(ROLE_LEARNED_AT, hubbleNode, db, { reporter: 'dst' }), flow(ROLE_LEARNED_AT, publicIp('203.0.113.9'), db, { reporter: 'dst' })]);
    await detection.close();
    const text = new PrometheusSerializer(undefined, true).serialize((await reader.collect()).resourceMetrics);
    expect(text).toMatch(/^flowhound_workload_connections_total\{[^}]*workload="node-7"[^}]*direction="outbound"/m);
    expect(text).not.toMatch(/10\.0\.0\.8|203\.0\.113\.9/);
    expect(text).toMatch(/^flowhound_workload_connections_total\{cluster="other",namespace="other",workload="other",direction="outbound"[^}]*\} 2 /m);
  });
});

