import { describe, expect, it } from 'vitest';
import { MemoryAlertSink } from '../../../src/alerts/alert-sink.ts';
import { validatePipeline } from '../../../src/config/load-pipeline.ts';
import type { NormalizedRecord } from '../../../src/model/normalized-record.ts';
import { buildDetection } from '../../../src/pipeline/build-detection.ts';
import { flow, MIN5, pod, publicIp, ROLE_LEARNED_AT, roleHistory } from '../records.ts';

function stage(alerts: Record<string, unknown> = {}) {
  const config = validatePipeline({ name: 't', sources: { f: { type: 'file', paths: ['-'] } }, detection: { alerts } }, 'test');
  const sink = new MemoryAlertSink();
  return { stage: buildDetection(config.detection, [sink]), sink };
}

/**
 * 300 workloads never seen before, in `namespaces` training namespaces, each reaching a name
 * off the training allowlist, after a training workload's history has let the role learn.
 */
function flood(at: number, namespaces: number): NormalizedRecord[] {
  const history = at === ROLE_LEARNED_AT ? roleHistory('prod-eu', 'train-0') : [];
  return [...history, ...Array.from({ length: 300 }, (_, i) =>
    flow(at, pod('prod-eu', `train-${i % namespaces}`, `job-${i.toString(36)}x${(i * 7919).toString(36)}`), publicIp('203.0.113.9'), { dstFqdns: ['c2.evil.example'] }))];
}

describe('DetectionStage in an alert storm', () => {
  it('raises 5 alerts and one roll-up for 300 fresh workloads of one namespace, and counts the rest', async () => {
    const { stage: s, sink } = stage();
    await s.process([...flood(ROLE_LEARNED_AT, 1), ...flood(ROLE_LEARNED_AT + MIN5, 1)]);
    await s.close();
    const firing = sink.alerts.filter((a) => a.status === 'firing');
    expect(firing.filter((a) => a.detector === 'fqdn-allowlist')).toHaveLength(6);
    const rollup = firing.find((a) => a.rollup !== undefined);
    expect(rollup).toMatchObject({ detector: 'fqdn-allowlist', severity: 'critical', workload: { cluster: 'prod-eu', namespace: 'train-0', name: '*', role: 'training' }, peer: '*', count: 295, rollup: { heldBack: 295, alertedIndividually: 5 } });
    expect(rollup!.summary).toMatch(/^295 more workloads in prod-eu\/train-0 tripped fqdn-allowlist in this window \(5 alerted individually\): /);
    // The second window updated the same alerts: nothing new emitted for it.
    expect(s.lifecycle.active().find((a) => a.rollup !== undefined)).toMatchObject({ id: rollup!.id, count: 590 });
    expect(s.lifecycle.rolledUp.get('fqdn-allowlist')).toBe(590);
  });

  it('bounds a storm over 30 namespaces by max_groups_per_detector', async () => {
    const { stage: s, sink } = stage();
    await s.process(flood(ROLE_LEARNED_AT, 30));
    await s.close();
    const firing = sink.alerts.filter((a) => a.status === 'firing' && a.detector === 'fqdn-allowlist');
    // 10 namespaces × (5 alerts + 1 roll-up of the other 5) + one roll-up of the 20 other namespaces.
    expect(firing).toHaveLength(10 * 6 + 1);
    expect(firing.find((a) => a.workload.namespace === '*')).toMatchObject({ count: 200, evidence: { namespaces: 20 } });
  });

  it('raises one alert per workload when storm handling is off', async () => {
    const { stage: s, sink } = stage({ storm: { enabled: false } });
    await s.process(flood(ROLE_LEARNED_AT, 1));
    await s.close();
    expect(sink.alerts.filter((a) => a.status === 'firing' && a.detector === 'fqdn-allowlist')).toHaveLength(300);
    expect(sink.alerts.some((a) => a.rollup !== undefined)).toBe(false);
  });

  it('takes its bounds from detection.alerts.storm', async () => {
    const { stage: s, sink } = stage({ storm: { max_alerts_per_group: 2 } });
    await s.process(flood(ROLE_LEARNED_AT, 1));
    await s.close();
    expect(sink.alerts.filter((a) => a.status === 'firing' && a.detector === 'fqdn-allowlist')).toHaveLength(3);
  });
});
