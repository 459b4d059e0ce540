import { describe, expect, it } from 'vitest';
import { Random } from '../../../datasets/generator/random.ts';
import { AlertLifecycle, fingerprintOf, type AlertLifecycleOptions, type AlertLifecycleSnapshot } from '../../../src/alerts/alert-lifecycle.ts';
import { SEVERITIES, type Alert, type Finding } from '../../../src/model/alert.ts';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const MIN = 60_000;
const WINDOW = 5 * MIN;
const DETECTORS = ['port-scan', 'fqdn-allowlist', 'dns-tunnel'];

/** Small bounds, so that a few hours of findings resolve, re-open, evict, storm, merge incidents and damp flapping. */
const OPTIONS: AlertLifecycleOptions = {
  resolveAfterMs: 15 * MIN, cooldownMs: 30 * MIN, maxAlerts: 25,
  suppress: [{ detector: 'dns-*', workload: 'prod-eu/ns-3/*' }, { detector: 'port-scan', workload: '*/ns-0/app-1', peer: '10.0.0.*' }],
  storm: { maxAlertsPerGroup: 3, maxGroupsPerDetector: 2 },
  incidentPerWorkload: ['port-scan'],
  flap: { maxResolveFactor: 4, maxEmissionsPerHour: 2 },
};

/**
 * One window's findings: quiet windows (alerts resolve and cool down), a few workloads
 * (updates, escalations, re-openings), now and then a storm of invented workloads (roll-ups).
 * Evidence has an undefined member, as detectors' evidence does (`ip: edge.ip`).
 */
function randomWindow(rng: Random, at: number): Finding[] {
  const storm = rng.chance(0.12);
  const n = storm ? rng.int(10, 30) : rng.chance(0.3) ? 0 : rng.int(1, 8);
  const stormDetector = rng.pick(DETECTORS);
  const stormNamespace = `ns-${rng.int(0, 3)}`;
  return Array.from({ length: n }, (): Finding => {
    const detector = storm ? stormDetector : rng.pick(DETECTORS);
    const namespace = storm ? stormNamespace : `ns-${rng.int(0, 3)}`;
    const name = storm ? `fake-${rng.suffix(5)}` : `app-${rng.int(0, 9)}`;
    return {
      detector, category: 'discovery', technique: 'T1046', severity: rng.pick(SEVERITIES), score: Math.round(rng.next() * 1000) / 1000,
      workload: { cluster: 'prod-eu', namespace, name, role: 'training', env: 'prod' }, peer: rng.pick(['evil.example', '10.0.0.1', 'ports-on:10.0.3.7']),
      startsAt: at - rng.int(0, 2) * WINDOW, endsAt: at + WINDOW, summary: `${name} tripped ${detector}`,
      evidence: { n: rng.int(0, 100), ip: rng.chance(0.5) ? undefined : '34.1.0.9', sample: [rng.int(0, 9), 'x'], window: { start: new Date(at).toISOString() } },
    };
  });
}

/** One closed window, as DetectionStage.closeUpTo feeds the lifecycle: its findings, then event time to its end. */
function step(lifecycle: AlertLifecycle, findings: Finding[], at: number): Alert[] {
  return [...lifecycle.accept(findings), ...lifecycle.advance(at + WINDOW)];
}

/** What sinks write (JSON), and the lifecycle's counts and held alerts. */
function observed(lifecycle: AlertLifecycle, emitted: Alert[]): string {
  return JSON.stringify({ emitted, active: lifecycle.active(), size: lifecycle.size, suppressed: lifecycle.suppressed, rolledUp: [...lifecycle.rolledUp], damped: [...lifecycle.damped] });
}

const throughJson = (s: AlertLifecycleSnapshot): unknown => JSON.parse(JSON.stringify(s));

describe('AlertLifecycle snapshots', () => {
  it('restore a lifecycle that emits, resolves, evicts, rolls up storms, merges incidents and damps flapping exactly as the original from then on', () => {
    const rng = new Random(31);
    const windows = Array.from({ length: 120 }, (_, i) => randomWindow(rng, T0 + i * WINDOW));
    const seen = { rollups: 0, resolved: 0, reopened: 0, full: 0, incidents: 0, held: { reopens: 0, emissions: 0 } };
    for (const cut of [0, 7, 33, 64, 101, windows.length]) {
      const original = new AlertLifecycle(OPTIONS);
      windows.slice(0, cut).forEach((findings, i) => step(original, structuredClone(findings), T0 + i * WINDOW));
      const s = original.snapshot();
      expect(JSON.parse(JSON.stringify(s))).toStrictEqual(s);
      for (const h of s.alerts) {
        if (h.reopens !== undefined) seen.held.reopens++;
        if (h.emissions !== undefined) seen.held.emissions++;
      }
      const restored = AlertLifecycle.restore(throughJson(s), OPTIONS);
      expect(restored.snapshot()).toStrictEqual(s);
      for (let i = cut; i < windows.length; i++) {
        const at = T0 + i * WINDOW;
        const a = step(original, structuredClone(windows[i]!), at);
        const b = step(restored, structuredClone(windows[i]!), at);
        expect(observed(restored, b)).toBe(observed(original, a));
        seen.rollups += a.filter((alert) => alert.rollup !== undefined).length;
        seen.resolved += a.filter((alert) => alert.status === 'resolved').length;
        seen.reopened += a.filter((alert) => alert.status === 'firing' && alert.count > (alert.rollup?.heldBack ?? 1)).length;
        seen.incidents += a.filter((alert) => alert.peer === '*' && alert.rollup === undefined && (alert.evidence.targetCount as number) > 1).length;
        if (original.size === OPTIONS.maxAlerts) seen.full++;
      }
      expect(restored.snapshot()).toStrictEqual(original.snapshot());
    }
    // The sequence reaches every part of the state the snapshot must carry.
    expect(seen.rollups).toBeGreaterThan(0);
    expect(seen.resolved).toBeGreaterThan(0);
    expect(seen.reopened).toBeGreaterThan(0);
    expect(seen.full).toBeGreaterThan(0);
    expect(seen.incidents).toBeGreaterThan(0);
    // Damped emissions (behind, sinksResolved, damped) are rare here: see the flap damping test below.
    expect(seen.held.reopens).toBeGreaterThan(0);
    expect(seen.held.emissions).toBeGreaterThan(0);
    const final = new AlertLifecycle(OPTIONS);
    windows.forEach((findings, i) => step(final, findings, T0 + i * WINDOW));
    expect(final.suppressed).toBeGreaterThan(0);
  });

  it('keep a storm going across the restore: its roll-up absorbs the next window instead of new alerts', () => {
    const flood = (at: number, from: number) => Array.from({ length: 20 }, (_, i): Finding => ({
      detector: 'fqdn-allowlist', category: 'command-and-control', technique: 'T1071.001', severity: 'critical', score: 0.85,
      workload: { cluster: 'prod-eu', namespace: 'ml-train', name: `fake-${from + i}`, role: 'training', env: 'prod' }, peer: 'evil.example',
      startsAt: at, endsAt: at + WINDOW, summary: 's', evidence: {},
    }));
    const original = new AlertLifecycle(OPTIONS);
    const [rollup] = step(original, flood(T0, 0), T0).filter((a) => a.rollup !== undefined);
    const restored = AlertLifecycle.restore(throughJson(original.snapshot()), OPTIONS);
    expect(step(restored, flood(T0 + WINDOW, 100), T0 + WINDOW)).toEqual([]);
    expect(restored.active().find((a) => a.rollup !== undefined)).toMatchObject({ id: rollup!.id, count: 17 + 20 });
    expect(restored.rolledUp.get('fqdn-allowlist')).toBe(37);
  });

  it('carry flap damping and incident state: a damped re-opening stays unsent after the restore, and so does its resolution', () => {
    const options: AlertLifecycleOptions = { resolveAfterMs: 10 * MIN, cooldownMs: 60 * MIN, maxAlerts: 10, suppress: [], incidentPerWorkload: ['sensitive-port'], flap: { maxResolveFactor: 1, maxEmissionsPerHour: 2 } };
    const probe = (at: number): Finding[] => ['10.0.0.1:22', '10.0.0.2:22'].map((peer, i) => ({
      detector: 'sensitive-port', category: 'lateral-movement', technique: 'T1021.004', severity: 'critical', score: 0.9 - i / 10,
      workload: { cluster: 'c', namespace: 'ns', name: 'w', role: 'dev', env: 'dev' }, peer, startsAt: at, endsAt: at + WINDOW, summary: `w reached ${peer}`, evidence: { port: 22, connections: 3 },
    }));
    // Evidence every 20 minutes: open, resolve, re-open, resolve, then a re-opening past the bound of 2 an hour.
    const schedule = (i: number) => (i % 4 === 0 ? probe(T0 + i * WINDOW) : []);
    const original = new AlertLifecycle(options);
    const before: Alert[] = [];
    for (let i = 0; i <= 8; i++) before.push(...step(original, schedule(i), T0 + i * WINDOW));
    expect(before.map((a) => a.status)).toEqual(['firing', 'resolved', 'firing', 'resolved']);
    const s = original.snapshot();
    expect(s).toMatchObject({ version: 2, damped: [['sensitive-port', 1]] });
    expect(s.alerts[0]).toMatchObject({
      reopens: 2, emissions: [T0 + WINDOW, T0 + 5 * WINDOW], behind: true, sinksResolved: true,
      incident: { summary: 'w reached 10.0.0.1:22', target: '10.0.0.1' }, alert: { status: 'firing', count: 3, evidence: { targetCount: 2, findings: 6 } },
    });
    const restored = AlertLifecycle.restore(throughJson(s), options);
    expect(restored.snapshot()).toStrictEqual(s);
    for (let i = 9; i < 40; i++) {
      const at = T0 + i * WINDOW;
      expect(observed(restored, step(restored, schedule(i), at))).toBe(observed(original, step(original, schedule(i), at)));
    }
    expect(restored.snapshot()).toStrictEqual(original.snapshot());
  });

  it('restore a version-1 snapshot (before flap damping and incidents): nothing re-opened or damped yet', () => {
    const workload = { cluster: 'c', namespace: 'ns', name: 'w', role: 'training', env: 'prod' } as const;
    const fqdn = (peer: string, at: number): Finding => ({
      detector: 'fqdn-allowlist', category: 'command-and-control', technique: 'T1071.001', severity: 'critical', score: 0.85,
      workload, peer, startsAt: at, endsAt: at + WINDOW, summary: `w reached ${peer}`, evidence: { fqdn: peer },
    });
    const alert = (peer: string, status: Alert['status']): Alert => {
      const fingerprint = fingerprintOf(fqdn(peer, T0));
      return {
        id: `${fingerprint}-${T0.toString(36)}`, fingerprint, detector: 'fqdn-allowlist', category: 'command-and-control', technique: 'T1071.001', severity: 'critical', score: 0.85,
        workload: { cluster: 'c', namespace: 'ns', name: 'w', role: 'training' }, peer, startsAt: new Date(T0).toISOString(), endsAt: new Date(T0 + WINDOW).toISOString(),
        status, count: 1, summary: `w reached ${peer}`, evidence: { fqdn: peer },
      };
    };
    // As a build before flap damping wrote it.
    const v1 = {
      version: 1, suppressed: 3, rolledUp: [['fqdn-allowlist', 7]],
      alerts: [
        { alert: alert('a.example', 'firing'), lastEvidence: T0 + WINDOW },
        { alert: alert('b.example', 'resolved'), lastEvidence: T0 + WINDOW, resolvedAt: T0 + 4 * WINDOW },
      ],
    };
    const options: AlertLifecycleOptions = { ...OPTIONS, resolveAfterMs: 15 * MIN, cooldownMs: 60 * MIN, flap: { maxResolveFactor: 8, maxEmissionsPerHour: 4 } };
    const l = AlertLifecycle.restore(structuredClone(v1), options);
    expect(l.snapshot()).toStrictEqual({ ...v1, version: 2, damped: [] });
    // The resolved alert re-opens and is sent (no emission history); the firing one updates silently.
    expect(l.accept([fqdn('a.example', T0 + 5 * WINDOW), fqdn('b.example', T0 + 5 * WINDOW)])).toMatchObject([{ id: alert('b.example', 'firing').id, status: 'firing', count: 2 }]);
    expect(l.snapshot().alerts.map((h) => [h.alert.peer, h.reopens, h.emissions])).toEqual([['a.example', undefined, undefined], ['b.example', 1, [T0 + 6 * WINDOW]]]);
    // Its first re-opening doubled its quiet time: 30 minutes, not 15, while a.example resolves after 15.
    expect(l.advance(T0 + 6 * WINDOW + 15 * MIN).map((a) => a.peer)).toEqual(['a.example']);
    expect(l.advance(T0 + 6 * WINDOW + 30 * MIN).map((a) => a.peer)).toEqual(['b.example']);
  });

  it('write evidence as JSON carries it: undefined members left out, non-finite numbers null', () => {
    const l = new AlertLifecycle(OPTIONS);
    l.accept([{
      detector: 'egress-spike', category: 'exfiltration', technique: 'T1041', severity: 'warning', score: 0.7,
      workload: { cluster: 'c', namespace: 'ns', name: 'w', role: 'data', env: 'prod' }, peer: 'x', startsAt: T0, endsAt: T0 + WINDOW, summary: 's',
      evidence: { ip: undefined, ratio: Number.NaN, zero: -0, list: [undefined, 1], at: new Date(T0) },
    }]);
    const s = l.snapshot();
    expect(JSON.parse(JSON.stringify(s))).toStrictEqual(s);
    expect(s.alerts[0]!.alert.evidence).toStrictEqual({ ratio: null, zero: 0, list: [null, 1], at: new Date(T0).toISOString() });
    expect(JSON.stringify(AlertLifecycle.restore(throughJson(s), OPTIONS).active())).toBe(JSON.stringify(l.active()));
  });

  it('restore with a lowered maxAlerts keeps the newest alerts', () => {
    const l = new AlertLifecycle(OPTIONS);
    for (let i = 0; i < 12; i++) l.accept(randomWindow(new Random(40 + i), T0 + i * WINDOW));
    const s = l.snapshot();
    expect(s.alerts.length).toBeGreaterThan(5);
    const smaller = AlertLifecycle.restore(throughJson(s), { ...OPTIONS, maxAlerts: 5 });
    expect(smaller.snapshot().alerts).toStrictEqual(s.alerts.slice(-5));
  });

  it('refuses an unknown version and malformed snapshots', () => {
    const l = new AlertLifecycle(OPTIONS);
    for (let i = 0; i < 6; i++) step(l, randomWindow(new Random(50 + i), T0 + i * WINDOW), T0 + i * WINDOW);
    const good = () => throughJson(l.snapshot()) as AlertLifecycleSnapshot;
    expect(good().alerts.length).toBeGreaterThan(1);
    expect(() => AlertLifecycle.restore({ ...good(), version: 3 }, OPTIONS)).toThrow(/unknown version 3/);
    expect(() => AlertLifecycle.restore([], OPTIONS)).toThrow(/must be an object/);
    expect(() => AlertLifecycle.restore({ ...good(), suppressed: '1' }, OPTIONS)).toThrow(/suppressed must be a count/);
    const twice = good();
    twice.alerts.push(twice.alerts[0]!);
    expect(() => AlertLifecycle.restore(twice, OPTIONS)).toThrow(/holds [0-9a-f]{16} twice/);
    const severity = good();
    (severity.alerts[0]!.alert as { severity: string }).severity = 'apocalyptic';
    expect(() => AlertLifecycle.restore(severity, OPTIONS)).toThrow(/alert\.severity must be one of info, warning, critical/);
    const time = good();
    time.alerts[0]!.alert.endsAt = 'yesterday';
    expect(() => AlertLifecycle.restore(time, OPTIONS)).toThrow(/alert\.endsAt must be an ISO time/);
    const evidence = good();
    (evidence.alerts[0]!.alert as { evidence: unknown }).evidence = null;
    expect(() => AlertLifecycle.restore(evidence, OPTIONS)).toThrow(/alert\.evidence must be an object/);
    expect(AlertLifecycle.restore(good(), OPTIONS).snapshot()).toStrictEqual(l.snapshot());
  });
});
