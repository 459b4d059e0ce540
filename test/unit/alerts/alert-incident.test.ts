import { describe, expect, it } from 'vitest';
import { INCIDENT_DETECTORS, MAX_TARGETS } from '../../../src/alerts/alert-incident.ts';
import { AlertLifecycle, fingerprintOf, type AlertLifecycleOptions } from '../../../src/alerts/alert-lifecycle.ts';
import { isNewAlert, type Alert, type Finding } from '../../../src/model/alert.ts';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const MIN = 60_000;
const WINDOW = 5 * MIN;

type Target = { peer: string; findings: number; ports?: number[]; morePorts?: number; connections?: number };

/** A sensitive-port finding of workload `name` about `host:port`, as the detector writes it. */
function probe(at: number, host: string, port: number, fields: Partial<Finding> = {}, name = 'scanner'): Finding {
  return {
    detector: 'sensitive-port', category: 'lateral-movement', technique: 'T1021.004', severity: 'warning', score: 0.7,
    workload: { cluster: 'prod-eu', namespace: 'ml-serve', name, role: 'inference', env: 'prod' }, peer: `${host}:${port}`,
    startsAt: at + MIN, endsAt: at + WINDOW, summary: `prod-eu/ml-serve/${name} tried to reach SSH on ${host}:${port}`,
    evidence: { service: 'SSH', port, protocol: 'tcp', connections: 2, denied: 2, bytesOut: 0, ip: undefined }, ...fields,
  };
}

/** `hosts` × `ports` probes in the window starting at `at`: one scan. */
function scan(at: number, hosts: number[], ports: number[], name?: string): Finding[] {
  return hosts.flatMap((h) => ports.map((port) => probe(at, `10.0.${Math.floor(h / 250)}.${h % 250}`, port, {}, name)));
}

function lifecycle(options: Partial<AlertLifecycleOptions> = {}): AlertLifecycle {
  return new AlertLifecycle({ resolveAfterMs: 30 * MIN, cooldownMs: 60 * MIN, suppress: [], maxAlerts: 1000, incidentPerWorkload: INCIDENT_DETECTORS, ...options });
}

const targetsOf = (alert: Alert) => alert.evidence.targets as Target[];

describe('incidents: one alert per workload for the scan-like detectors', () => {
  it('merges 148 sensitive-port findings of one window into one alert listing its targets, bounded', () => {
    const findings = scan(T0, Array.from({ length: 74 }, (_, h) => h), [22, 2379]);
    expect(findings).toHaveLength(148);
    // The strongest finding (its summary leads), one critical among warnings, an earlier start.
    findings[7] = probe(T0, '10.0.0.3', 2379, { severity: 'critical', score: 0.95, startsAt: T0 + 10_000, summary: 'strongest' });
    findings[100] = { ...findings[100]!, startsAt: T0 };
    const l = lifecycle();
    const out = l.accept(findings);
    expect(out).toHaveLength(1);
    const [alert] = out;
    expect(alert).toMatchObject({
      detector: 'sensitive-port', peer: '*', fingerprint: fingerprintOf({ detector: 'sensitive-port', workload: findings[0]!.workload, peer: '*' }),
      severity: 'critical', score: 0.95, technique: 'T1021.004', count: 1, status: 'firing',
      startsAt: new Date(T0).toISOString(), endsAt: new Date(T0 + WINDOW).toISOString(),
      evidence: { service: 'SSH', findings: 148, targetCount: 74, moreTargets: 74 - MAX_TARGETS },
    });
    expect(isNewAlert(alert!)).toBe(true);
    // host:port findings are targets by host, with their ports; the most findings and connections first.
    const targets = targetsOf(alert!);
    expect(targets).toHaveLength(MAX_TARGETS);
    expect(targets[0]).toStrictEqual({ peer: '10.0.0.0', findings: 2, ports: [22, 2379], connections: 4, denied: 4, bytesOut: 0 });
    expect(targets.every((t) => t.findings === 2 && t.ports!.join() === '22,2379')).toBe(true);
    expect(new Set(targets.map((t) => t.peer)).size).toBe(MAX_TARGETS);
    expect(alert!.summary).toBe('strongest — and 73 more targets (10.0.0.0, 10.0.0.1, 10.0.0.10, 10.0.0.11, 10.0.0.12, …; 148 findings in all)');
    expect(JSON.stringify(alert).length).toBeLessThan(8_000);
    expect(l.size).toBe(1);
  });

  it('keeps one alert for a scan over three windows: new targets update it, nothing is re-emitted', () => {
    const l = lifecycle();
    const [first] = l.accept(scan(T0, [0, 1, 2, 3], [22]));
    expect(l.advance(T0 + WINDOW)).toEqual([]);
    expect(l.accept(scan(T0 + WINDOW, [2, 3, 4, 5, 6], [22, 10250]))).toEqual([]);
    expect(l.advance(T0 + 2 * WINDOW)).toEqual([]);
    expect(l.accept(scan(T0 + 2 * WINDOW, Array.from({ length: 60 }, (_, h) => 100 + h), [22]))).toEqual([]);
    const [alert] = l.active();
    expect(l.active()).toHaveLength(1);
    expect(alert).toMatchObject({ id: first!.id, fingerprint: first!.fingerprint, count: 3, startsAt: first!.startsAt, endsAt: new Date(T0 + 3 * WINDOW).toISOString() });
    expect(alert!.evidence).toMatchObject({ findings: 4 + 10 + 60, targetCount: 7 + 60, moreTargets: 67 - MAX_TARGETS });
    const targets = targetsOf(alert!);
    expect(targets).toHaveLength(MAX_TARGETS);
    // Hosts of several windows lead, their findings, ports and connections added up.
    expect(targets.slice(0, 3)).toStrictEqual([
      { peer: '10.0.0.2', findings: 3, ports: [22, 10250], connections: 6, denied: 6, bytesOut: 0 },
      { peer: '10.0.0.3', findings: 3, ports: [22, 10250], connections: 6, denied: 6, bytesOut: 0 },
      { peer: '10.0.0.4', findings: 2, ports: [22, 10250], connections: 4, denied: 4, bytesOut: 0 },
    ]);
    expect(alert!.summary).toMatch(/^prod-eu\/ml-serve\/scanner tried to reach SSH on 10\.0\.0\.\d+:22 — and 66 more targets \(.*, …; 74 findings in all\)$/);
    // The first window's alert, as emitted, is not changed by the later windows.
    expect(first!.evidence).toMatchObject({ findings: 4, targetCount: 4 });
    // Quiet: resolved once, with everything it gathered.
    expect(l.advance(T0 + 3 * WINDOW + 30 * MIN)).toMatchObject([{ id: first!.id, status: 'resolved', evidence: { targetCount: 67 } }]);
  });

  it('escalates an incident when a later window brings a critical target: re-emitted once', () => {
    const l = lifecycle();
    l.accept(scan(T0, [0, 1], [22]));
    const [escalated] = l.accept([probe(T0 + WINDOW, '10.0.0.9', 10250, { severity: 'critical', score: 0.9, summary: 'kubelet' })]);
    expect(escalated).toMatchObject({ severity: 'critical', score: 0.9, count: 2, evidence: { findings: 3, targetCount: 3 } });
    expect(escalated!.summary).toBe('kubelet — and 2 more targets (10.0.0.0, 10.0.0.1; 3 findings in all)');
    expect(l.accept(scan(T0 + 2 * WINDOW, [3], [22]))).toEqual([]);
    // The summary keeps leading with the strongest finding.
    expect(l.active()[0]!.summary).toBe('kubelet — and 3 more targets (10.0.0.0, 10.0.0.1, 10.0.0.3; 4 findings in all)');
  });

  it('raises separate alerts for different workloads and different detectors of one workload', () => {
    const l = lifecycle();
    const portScan = (name: string, target: string): Finding => ({
      ...probe(T0, target, 0, {}, name), detector: 'port-scan', technique: 'T1046', category: 'discovery', peer: `ports-on:${target}`,
      evidence: { distinctPorts: 40, portsSample: [1, 2, 3] },
    });
    const out = l.accept([...scan(T0, [0, 1, 2], [22], 'a'), ...scan(T0, [0, 1], [22], 'b'), portScan('a', '10.0.0.1'), portScan('a', '10.0.0.2')]);
    expect(out.map((a) => [a.detector, a.workload.name, a.evidence.targetCount])).toEqual([['sensitive-port', 'a', 3], ['sensitive-port', 'b', 2], ['port-scan', 'a', 2]]);
    expect(new Set(out.map((a) => a.fingerprint)).size).toBe(3);
    expect(targetsOf(out[2]!)).toStrictEqual([{ peer: 'ports-on:10.0.0.1', findings: 1 }, { peer: 'ports-on:10.0.0.2', findings: 1 }]);
  });

  it('keeps per-peer alerts for detectors not in the list, and for every detector when the list is empty', () => {
    const egress = (peer: string): Finding => ({ ...probe(T0, peer, 443), detector: 'fqdn-allowlist', category: 'command-and-control', technique: 'T1071.001', peer });
    const mixed = [egress('a.example'), egress('b.example'), ...scan(T0, [0, 1], [22])];
    const out = lifecycle({ incidentPerWorkload: ['port-scan', 'sensitive-port'] }).accept(mixed);
    expect(out.map((a) => a.peer)).toEqual(['a.example', 'b.example', '*']);
    expect(out[0]!.fingerprint).toBe(fingerprintOf(mixed[0]!));
    expect(out[0]!.evidence).not.toHaveProperty('targets');
    const perPeer = lifecycle({ incidentPerWorkload: [] }).accept(scan(T0, [0, 1, 2], [22]));
    expect(perPeer.map((a) => a.peer)).toEqual(['10.0.0.0:22', '10.0.0.1:22', '10.0.0.2:22']);
  });

  it('applies suppression rules to each finding before merging', () => {
    const l = lifecycle({ suppress: [{ detector: 'sensitive-port', peer: '10.0.0.1*' }] });
    // 10.0.0.1 and 10.0.0.10..19 are silenced: 11 of 20 hosts.
    const [alert] = l.accept(scan(T0, Array.from({ length: 20 }, (_, h) => h), [22, 23]));
    expect(l.suppressed).toBe(22);
    expect(alert!.evidence).toMatchObject({ findings: 18, targetCount: 9 });
    expect(targetsOf(alert!).map((t) => t.peer)).toEqual(['10.0.0.0', ...[2, 3, 4, 5, 6, 7, 8, 9].map((h) => `10.0.0.${h}`)]);
    // All of a window silenced: no alert.
    expect(lifecycle({ suppress: [{ detector: 'sensitive-port' }] }).accept(scan(T0, [0, 1], [22]))).toEqual([]);
  });

  it('leaves class peers whole and says when one target had several findings', () => {
    const sweep = (port: number): Finding => ({
      ...probe(T0, 'x', port), detector: 'ip-sweep', technique: 'T1018', category: 'discovery', peer: `sweep-port:${port}`, summary: `swept port ${port}`,
      evidence: { port, distinctTargets: 60, targetsSample: ['10.0.0.1'] },
    });
    const [alert] = lifecycle().accept([sweep(6379), sweep(22)]);
    expect(targetsOf(alert!)).toStrictEqual([{ peer: 'sweep-port:22', findings: 1, ports: [22] }, { peer: 'sweep-port:6379', findings: 1, ports: [6379] }]);
    const l = lifecycle();
    l.accept([sweep(6379)]);
    l.accept([{ ...sweep(6379), startsAt: T0 + WINDOW, endsAt: T0 + 2 * WINDOW }]);
    expect(l.active()[0]!.summary).toBe('swept port 6379 — and 1 more finding on the same target');
  });

  it('lets the storm bound count incidents: 20 scanning workloads of a namespace give 5 alerts and one roll-up', () => {
    const l = lifecycle({ storm: { maxAlertsPerGroup: 5, maxGroupsPerDetector: 10 } });
    const findings = Array.from({ length: 20 }, (_, w) => scan(T0, Array.from({ length: 10 }, (_, h) => h + w), [22], `w-${String(w).padStart(2, '0')}`)).flat();
    const out = l.accept(findings);
    expect(out.filter((a) => a.rollup === undefined).map((a) => a.workload.name)).toEqual(['w-00', 'w-01', 'w-02', 'w-03', 'w-04']);
    const rollup = out.find((a) => a.rollup !== undefined);
    expect(rollup).toMatchObject({ peer: '*', workload: { name: '*' }, count: 15, rollup: { heldBack: 15, workloads: 15, alertedIndividually: 5 } });
    // The roll-up samples the incidents' targets, not their peer class `*`.
    const peers = rollup!.evidence.peersSample as string[];
    expect(peers).toHaveLength(10);
    expect(peers).toContain('10.0.0.5');
    expect(peers).not.toContain('*');
    expect(l.rolledUp.get('sensitive-port')).toBe(15);
    expect(out.every(isNewAlert)).toBe(true);
  });
});
