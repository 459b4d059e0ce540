import { describe, expect, it } from 'vitest';
import { AlertLifecycle, fingerprintOf } from '../../../src/alerts/alert-lifecycle.ts';
import type { Finding } from '../../../src/model/alert.ts';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const MIN = 60_000;

function finding(at: number, fields: Partial<Finding> = {}): Finding {
  return {
    detector: 'port-scan', category: 'discovery', technique: 'T1046', severity: 'warning', score: 0.6,
    workload: { cluster: 'c', namespace: 'ns', name: 'w', role: 'dev', env: 'dev' }, peer: 'ports-on:10.0.0.1',
    startsAt: at, endsAt: at + 5 * MIN, summary: 's', evidence: { n: 1 }, ...fields,
  };
}

function lifecycle(suppress = []) {
  return new AlertLifecycle({ resolveAfterMs: 30 * MIN, cooldownMs: 60 * MIN, suppress, maxAlerts: 100 });
}

describe('AlertLifecycle', () => {
  it('raises one alert per fingerprint and folds repeated evidence into it', () => {
    const l = lifecycle();
    const first = l.accept([finding(T0)]);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ detector: 'port-scan', status: 'firing', count: 1, startsAt: '2026-11-01T00:00:00.000Z', fingerprint: fingerprintOf(finding(T0)) });
    expect(l.accept([finding(T0 + 5 * MIN)])).toEqual([]);
    expect(l.active()[0]).toMatchObject({ count: 2, endsAt: '2026-11-01T00:10:00.000Z', id: first[0]!.id });
  });

  it('re-emits the same alert when its severity escalates', () => {
    const l = lifecycle();
    const [alert] = l.accept([finding(T0)]);
    const [escalated] = l.accept([finding(T0 + 5 * MIN, { severity: 'critical', score: 0.9 })]);
    expect(escalated).toMatchObject({ id: alert!.id, severity: 'critical', score: 0.9 });
  });

  it('resolves after the quiet period, re-opens the same alert within the cooldown, and forgets it after', () => {
    const l = lifecycle();
    const [alert] = l.accept([finding(T0)]);
    expect(l.advance(T0 + 34 * MIN)).toEqual([]);
    expect(l.advance(T0 + 35 * MIN)).toMatchObject([{ id: alert!.id, status: 'resolved' }]);
    expect(l.accept([finding(T0 + 60 * MIN)])).toMatchObject([{ id: alert!.id, status: 'firing', count: 2 }]);
    l.advance(T0 + 95 * MIN);
    l.advance(T0 + 156 * MIN);
    expect(l.size).toBe(0);
    expect(l.accept([finding(T0 + 200 * MIN)])[0]!.id).not.toBe(alert!.id);
  });

  it('drops findings that a suppression rule matches, and counts them', () => {
    const l = new AlertLifecycle({ resolveAfterMs: MIN, cooldownMs: MIN, maxAlerts: 10, suppress: [{ detector: 'port-*', workload: 'c/ns/*' }] });
    expect(l.accept([finding(T0)])).toEqual([]);
    expect(l.suppressed).toBe(1);
    expect(l.accept([finding(T0, { detector: 'ip-sweep' })])).toHaveLength(1);
  });

  it('holds at most maxAlerts', () => {
    const l = new AlertLifecycle({ resolveAfterMs: MIN, cooldownMs: MIN, maxAlerts: 3, suppress: [] });
    for (let i = 0; i < 10; i++) l.accept([finding(T0, { peer: `p${i}` })]);
    expect(l.size).toBe(3);
  });
});
