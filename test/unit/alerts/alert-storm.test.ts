import { describe, expect, it } from 'vitest';
import { AlertLifecycle } from '../../../src/alerts/alert-lifecycle.ts';
import { isNewAlert, type Alert, type Finding } from '../../../src/model/alert.ts';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const MIN = 60_000;
const WINDOW = 5 * MIN;

/** An fqdn-allowlist finding of workload `name` in `namespace`, in the window starting at `at`. */
function finding(at: number, namespace: string, name: string, fields: Partial<Finding> = {}): Finding {
  return {
    detector: 'fqdn-allowlist', category: 'command-and-control', technique: 'T1071.001', severity: 'critical', score: 0.85,
    workload: { cluster: 'prod-eu', namespace, name, role: 'training', env: 'prod' }, peer: 'evil.example',
    startsAt: at, endsAt: at + WINDOW, summary: `${name} reached evil.example`, evidence: { fqdn: 'evil.example' }, ...fields,
  };
}

/** `n` invented workloads in one namespace, as a flood of random names would give. */
function flood(at: number, namespace: string, n: number): Finding[] {
  return Array.from({ length: n }, (_, i) => finding(at, namespace, `fake-${String(i).padStart(4, '0')}`));
}

function lifecycle(storm: { maxAlertsPerGroup: number; maxGroupsPerDetector: number } | undefined = { maxAlertsPerGroup: 5, maxGroupsPerDetector: 10 }) {
  return new AlertLifecycle({ resolveAfterMs: 30 * MIN, cooldownMs: 60 * MIN, suppress: [], maxAlerts: 10_000, ...(storm === undefined ? {} : { storm }) });
}

const rollups = (alerts: Alert[]) => alerts.filter((a) => a.rollup !== undefined);
const individual = (alerts: Alert[]) => alerts.filter((a) => a.rollup === undefined);

describe('alert storms', () => {
  it('lets 5 of 1,000 invented workloads alert and rolls the other 995 into one alert naming a sample', () => {
    const l = lifecycle();
    const out = l.accept(flood(T0, 'ml-train', 1000));
    expect(individual(out)).toHaveLength(5);
    expect(individual(out).map((a) => a.workload.name)).toEqual(['fake-0000', 'fake-0001', 'fake-0002', 'fake-0003', 'fake-0004']);
    expect(rollups(out)).toHaveLength(1);
    const [rollup] = rollups(out);
    expect(rollup).toMatchObject({
      detector: 'fqdn-allowlist', category: 'command-and-control', severity: 'critical', score: 0.85, status: 'firing', count: 995, peer: '*',
      workload: { cluster: 'prod-eu', namespace: 'ml-train', name: '*', role: 'training' },
      startsAt: new Date(T0).toISOString(), endsAt: new Date(T0 + WINDOW).toISOString(),
      rollup: { heldBack: 995, workloads: 995, alertedIndividually: 5 },
    });
    expect(rollup!.rollup!.sample).toHaveLength(10);
    expect(rollup!.rollup!.sample[0]).toBe('prod-eu/ml-train/fake-0005');
    expect(rollup!.summary).toBe('995 more workloads in prod-eu/ml-train tripped fqdn-allowlist in this window (5 alerted individually): '
      + 'fake-0005, fake-0006, fake-0007, fake-0008, fake-0009, fake-0010, fake-0011, fake-0012, fake-0013, fake-0014, … (sample of 10)');
    expect(rollup!.evidence).toMatchObject({
      rollup: true, heldBack: 995, alertedIndividually: 5, peersSample: ['evil.example'],
      window: { start: new Date(T0).toISOString(), end: new Date(T0 + WINDOW).toISOString() },
    });
    expect((rollup!.evidence.workloadsSample as string[])).toEqual(rollup!.rollup!.sample);
    expect(out.every(isNewAlert)).toBe(true);
    expect(l.rolledUp).toEqual(new Map([['fqdn-allowlist', 995]]));
  });

  it('keeps the storm in its roll-up in the next windows: no new alerts, the same roll-up counting on', () => {
    const l = lifecycle();
    const [first] = rollups(l.accept(flood(T0, 'ml-train', 1000)));
    expect(l.accept(flood(T0 + WINDOW, 'ml-train', 1000))).toEqual([]);
    // Fresh invented names join the roll-up too while it fires.
    expect(l.accept(flood(T0 + 2 * WINDOW, 'ml-train', 1200).slice(1000))).toEqual([]);
    const active = l.active();
    expect(individual(active)).toHaveLength(5);
    expect(rollups(active)).toHaveLength(1);
    expect(rollups(active)[0]).toMatchObject({ id: first!.id, fingerprint: first!.fingerprint, count: 995 + 995 + 200, endsAt: new Date(T0 + 3 * WINDOW).toISOString(), rollup: { heldBack: 200, alertedIndividually: 0 } });
    expect(l.rolledUp.get('fqdn-allowlist')).toBe(2190);
  });

  it('bounds a storm spread over 200 namespaces: 10 namespaces alert, the rest share one roll-up', () => {
    const l = lifecycle();
    const findings = Array.from({ length: 200 }, (_, n) => flood(T0, `ns-${String(n).padStart(3, '0')}`, 3)).flat();
    const out = l.accept(findings);
    expect(individual(out)).toHaveLength(30);
    expect(new Set(individual(out).map((a) => a.workload.namespace)).size).toBe(10);
    expect(rollups(out)).toHaveLength(1);
    expect(out.length).toBeLessThanOrEqual(10 * 5 + 10 + 1);
    expect(rollups(out)[0]).toMatchObject({ workload: { namespace: '*', name: '*' }, count: 570, rollup: { heldBack: 570, alertedIndividually: 30 }, evidence: { namespaces: 190 } });
    expect(rollups(out)[0]!.summary).toMatch(/^570 more workloads in 190 namespaces of prod-eu \(past the first 10\) tripped fqdn-allowlist in this window \(30 alerted individually\): ns-010\/fake-0000, /);
    // The same again: updates and the wide roll-up, nothing new.
    expect(l.accept(findings)).toEqual([]);
    expect(l.active()).toHaveLength(31);
  });

  it('rolls up within namespaces and across them at once', () => {
    const l = lifecycle({ maxAlertsPerGroup: 2, maxGroupsPerDetector: 2 });
    const out = l.accept([...flood(T0, 'a', 4), ...flood(T0, 'b', 3), ...flood(T0, 'c', 1)]);
    expect(individual(out).map((a) => `${a.workload.namespace}/${a.workload.name}`)).toEqual(['a/fake-0000', 'a/fake-0001', 'b/fake-0000', 'b/fake-0001']);
    expect(rollups(out).map((a) => [a.workload.namespace, a.count])).toEqual([['a', 2], ['b', 1], ['*', 1]]);
  });

  it('changes nothing below the bounds', () => {
    const withStorm = lifecycle();
    const without = lifecycle(undefined);
    const findings = [...flood(T0, 'ml-train', 3), finding(T0, 'ml-train', 'fake-0000', { peer: 'other.example' }), finding(T0, 'ml-serve', 'api', { detector: 'egress-spike' })];
    const out = withStorm.accept(findings);
    expect(out).toHaveLength(5);
    expect(rollups(out)).toEqual([]);
    expect(out).toEqual(without.accept(findings));
    expect(withStorm.rolledUp.size).toBe(0);
  });

  it('lets updates, escalations and workloads with firing alerts through as before', () => {
    const l = lifecycle();
    const early = flood(T0, 'ml-train', 3).map((f) => ({ ...f, severity: 'warning' as const, score: 0.6 }));
    expect(l.accept(early)).toHaveLength(3);
    // A flood arrives; the three known workloads escalate and are re-emitted, not held back.
    const out = l.accept(flood(T0 + WINDOW, 'ml-train', 100));
    expect(individual(out).filter((a) => a.count === 2).map((a) => a.workload.name)).toEqual(['fake-0000', 'fake-0001', 'fake-0002']);
    expect(individual(out).filter((a) => a.count === 1)).toHaveLength(5);
    expect(rollups(out)).toMatchObject([{ count: 92 }]);
  });

  it('resolves the roll-up after quiet like any alert, and a later storm re-opens it', () => {
    const l = lifecycle();
    const [rollup] = rollups(l.accept(flood(T0, 'ml-train', 1000)));
    expect(l.advance(T0 + WINDOW + 29 * MIN)).toEqual([]);
    const resolved = l.advance(T0 + WINDOW + 30 * MIN);
    expect(resolved).toHaveLength(6);
    expect(rollups(resolved)).toMatchObject([{ id: rollup!.id, status: 'resolved', count: 995 }]);
    // A new storm within the cooldown: the five re-open, the roll-up re-opens with the rest.
    const again = l.accept(flood(T0 + 60 * MIN, 'ml-train', 1000));
    expect(again).toHaveLength(6);
    expect(rollups(again)).toMatchObject([{ id: rollup!.id, status: 'firing', count: 1990 }]);
    expect(again.some(isNewAlert)).toBe(false);
  });

  it('takes the strongest workloads first and the highest severity for the roll-up', () => {
    const l = lifecycle({ maxAlertsPerGroup: 1, maxGroupsPerDetector: 10 });
    const out = l.accept([
      finding(T0, 'ns', 'b', { severity: 'warning', score: 0.6 }),
      finding(T0, 'ns', 'a', { severity: 'warning', score: 0.6 }),
      finding(T0, 'ns', 'c', { severity: 'critical', score: 0.9 }),
      finding(T0, 'ns', 'c', { severity: 'warning', score: 0.6, peer: 'second.example' }),
    ]);
    expect(individual(out).map((a) => `${a.workload.name} ${a.peer}`)).toEqual(['c evil.example', 'c second.example']);
    expect(rollups(out)).toMatchObject([{ severity: 'warning', score: 0.6, count: 2, rollup: { sample: ['prod-eu/ns/a', 'prod-eu/ns/b'] } }]);
  });
});
