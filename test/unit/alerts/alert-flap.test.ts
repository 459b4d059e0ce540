import { describe, expect, it } from 'vitest';
import { AlertLifecycle, type AlertLifecycleOptions, type FlapDampingOptions } from '../../../src/alerts/alert-lifecycle.ts';
import type { Alert, Finding } from '../../../src/model/alert.ts';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const WINDOW = 5 * MIN;

function finding(at: number, fields: Partial<Finding> = {}): Finding {
  return {
    detector: 'fqdn-allowlist', category: 'command-and-control', technique: 'T1071.001', severity: 'warning', score: 0.6,
    workload: { cluster: 'c', namespace: 'ns', name: 'w', role: 'training', env: 'prod' }, peer: 'odd.example',
    startsAt: at, endsAt: at + WINDOW, summary: 's', evidence: {}, ...fields,
  };
}

const DAMPING: FlapDampingOptions = { maxResolveFactor: 8, maxEmissionsPerHour: 4 };

/** `null`: no flap damping. */
function lifecycle(flap: FlapDampingOptions | null = DAMPING, options: Partial<AlertLifecycleOptions> = {}): AlertLifecycle {
  return new AlertLifecycle({ resolveAfterMs: 30 * MIN, cooldownMs: 60 * MIN, suppress: [], maxAlerts: 100, ...(flap === null ? {} : { flap }), ...options });
}

interface Emitted { at: number; alert: Alert }

/** `windows` windows of 5 minutes from T0, each window's findings from `schedule` (window start), then event time to its end. */
function run(l: AlertLifecycle, windows: number, schedule: (at: number) => Finding[]): Emitted[] {
  const out: Emitted[] = [];
  for (let i = 0; i < windows; i++) {
    const at = T0 + i * WINDOW;
    for (const alert of [...l.accept(schedule(at)), ...l.advance(at + WINDOW)]) out.push({ at: at + WINDOW, alert });
  }
  return out;
}

/** Evidence in one window every `periodMs`, from T0 until `untilMs` after T0. */
const every = (periodMs: number, untilMs = Number.POSITIVE_INFINITY) => (at: number) => ((at - T0) % periodMs === 0 && at - T0 < untilMs ? [finding(at)] : []);

/** Most firing emissions (opening, re-openings, escalations) within any hour. */
function peakPerHour(emitted: Emitted[]): number {
  const firing = emitted.filter((e) => e.alert.status === 'firing').map((e) => e.at);
  return Math.max(0, ...firing.map((t) => firing.filter((u) => u >= t && u - t < HOUR).length));
}

/** Each emission of one alert alternates firing and resolved, starting firing: the sinks never hold a stale state. */
function alternates(emitted: Emitted[]): boolean {
  return emitted.every((e, i) => e.alert.status === (i % 2 === 0 ? 'firing' : 'resolved'));
}

describe('flap damping', () => {
  it('keeps an alert with evidence every other resolve period firing: bounded emissions for hours, instead of a page each time', () => {
    // Evidence every 60 minutes for 12 hours (resolve after 30, cooldown 60).
    const damped = run(lifecycle(), 12 * 12 + 60, every(HOUR, 12 * HOUR));
    const undamped = run(lifecycle(null), 12 * 12 + 60, every(HOUR, 12 * HOUR));
    expect(undamped.length).toBe(24);
    expect(new Set(undamped.map((e) => e.alert.id)).size).toBe(1);
    // Opened, resolved once, re-opened: then its quiet time is 60 minutes and it stays firing until the evidence stops.
    expect(damped.map((e) => [e.alert.status, (e.at - T0) / MIN])).toEqual([['firing', 5], ['resolved', 35], ['firing', 65], ['resolved', 11 * 60 + 5 + 60]]);
    expect(new Set(damped.map((e) => e.alert.id)).size).toBe(1);
    expect(alternates(damped)).toBe(true);
  });

  it('bounds the emissions of any flapping period: each re-opening doubles the quiet time, up to 8 ×', () => {
    for (const periodMin of [40, 45, 60, 75, 85]) {
      const l = lifecycle();
      const emitted = run(l, 24 * 12 + 60, every(periodMin * MIN, 24 * HOUR));
      expect(emitted.length, `every ${periodMin} min`).toBeLessThanOrEqual(6);
      expect(peakPerHour(emitted)).toBeLessThanOrEqual(DAMPING.maxEmissionsPerHour);
      expect(alternates(emitted)).toBe(true);
      expect(l.active()).toEqual([]);
    }
    // The quiet time is capped: after many re-openings, 8 × 30 minutes.
    const l = lifecycle({ maxResolveFactor: 8, maxEmissionsPerHour: 100 }, { cooldownMs: 24 * HOUR });
    const gaps = [40, 70, 130, 250, 250].reduce<number[]>((starts, gap) => [...starts, starts.at(-1)! + gap], [0]);
    const emitted = run(l, 24 * 12, (at) => (gaps.includes((at - T0) / MIN) ? [finding(at)] : []));
    expect(emitted.map((e) => [e.alert.status, (e.at - T0) / MIN])).toEqual([
      ['firing', 5], ['resolved', 35], // 30 min of quiet
      ['firing', 45], ['resolved', 105], // 60
      ['firing', 115], ['resolved', 235], // 120
      ['firing', 245], ['resolved', 485], // 240
      ['firing', 495], ['resolved', 735], // 8 × 30 = 240, not 480
      ['firing', 745], ['resolved', 985],
    ]);
  });

  it('opens a new alert for a genuinely new incident after the cooldown, quiet time back to normal', () => {
    const l = lifecycle();
    // A flapping first incident: evidence at 0, 40 and 80 minutes.
    const first = run(l, 12 * 12, (at) => ([0, 40, 80].includes((at - T0) / MIN) ? [finding(at)] : []));
    expect(first.map((e) => e.alert.status)).toEqual(['firing', 'resolved', 'firing', 'resolved']);
    expect(l.size).toBe(0);
    const later = T0 + 12 * HOUR;
    const [fresh] = l.accept([finding(later)]);
    expect(fresh!.id).not.toBe(first[0]!.alert.id);
    expect(l.advance(later + WINDOW + 30 * MIN)).toMatchObject([{ id: fresh!.id, status: 'resolved' }]);
  });

  it('sends at most maxEmissionsPerHour per alert; the held alert is still updated and the sinks catch up', () => {
    // No lengthening, 2 emissions an hour, resolve after 10 minutes: evidence every 20 minutes flaps.
    const l = lifecycle({ maxResolveFactor: 1, maxEmissionsPerHour: 2 }, { resolveAfterMs: 10 * MIN });
    const emitted = run(l, 12 * 4, every(20 * MIN, 3 * HOUR));
    expect(peakPerHour(emitted)).toBeLessThanOrEqual(2);
    expect(alternates(emitted)).toBe(true);
    expect(new Set(emitted.map((e) => e.alert.id)).size).toBe(1);
    const reopenings = 3 * 3 - 1;
    const sent = emitted.filter((e) => e.alert.status === 'firing').length;
    expect(l.damped.get('fqdn-allowlist')).toBe(reopenings + 1 - sent);
    expect(sent).toBeLessThan(reopenings + 1);
    // The last emission resolves it: the 9th evidence re-opened it damped, and it resolved unsent.
    expect(emitted.at(-1)!.alert).toMatchObject({ status: 'resolved', count: 8 });
    expect(l.active()).toEqual([]);

    // A damped re-opening followed by steady evidence: sent as soon as the hour allows.
    const steady = lifecycle({ maxResolveFactor: 1, maxEmissionsPerHour: 2 }, { resolveAfterMs: 10 * MIN });
    const caught = run(steady, 24, (at) => ((at - T0) / MIN === 0 || (at - T0) / MIN === 20 || (at - T0) / MIN >= 40 ? [finding(at)] : []));
    expect(caught.map((e) => [e.alert.status, (e.at - T0) / MIN])).toEqual([['firing', 5], ['resolved', 15], ['firing', 25], ['resolved', 35], ['firing', 65]]);
    expect(caught.at(-1)!.alert).toMatchObject({ count: 7 });
    expect(steady.damped.get('fqdn-allowlist')).toBe(1);
  });

  it('still sends an escalation within the bound, and a damped one with the resolution', () => {
    const l = lifecycle({ maxResolveFactor: 8, maxEmissionsPerHour: 2 });
    const [opened] = l.accept([finding(T0)]);
    expect(l.accept([finding(T0 + WINDOW, { severity: 'critical', score: 0.9 })])).toMatchObject([{ id: opened!.id, severity: 'critical', status: 'firing' }]);
    // Past the bound: a third emission within the hour (here a re-opening after the quiet period) is damped.
    expect(l.advance(T0 + 2 * WINDOW + 30 * MIN)).toMatchObject([{ status: 'resolved', severity: 'critical' }]);
    expect(l.accept([finding(T0 + 8 * WINDOW)])).toEqual([]);
    expect(l.damped.get('fqdn-allowlist')).toBe(1);
    // The sinks hold it resolved: its next resolution is not sent again.
    expect(l.advance(T0 + 9 * WINDOW + 60 * MIN)).toEqual([]);
    expect(l.active()).toEqual([]);

    // An escalation damped while the sinks hold it firing: the resolution carries it.
    const bounded = lifecycle({ maxResolveFactor: 8, maxEmissionsPerHour: 1 });
    bounded.accept([finding(T0)]);
    expect(bounded.accept([finding(T0 + WINDOW, { severity: 'critical', score: 0.9 })])).toEqual([]);
    expect(bounded.damped.get('fqdn-allowlist')).toBe(1);
    expect(bounded.advance(T0 + 2 * WINDOW + 30 * MIN)).toMatchObject([{ status: 'resolved', severity: 'critical', count: 2 }]);
  });
});
