import type { Alert, Category } from '../model/alert.ts';
import type { Label } from './labels.ts';

/** An alert with the event time at which flowhound raised it (the watermark then). */
export interface RaisedAlert {
  alert: Alert;
  raisedAt: number;
}

export interface ScenarioResult {
  scenario: string;
  category: Category;
  workload: string;
  start: string;
  detected: boolean;
  /** Event time from the attack's start to the first matching alert, seconds. */
  timeToDetectSeconds?: number;
  detectors: string[];
}

export interface Evaluation {
  scenarios: ScenarioResult[];
  alerts: number;
  falseAlerts: number;
  workloadHours: number;
  falseAlertsPer100WorkloadHours: number;
  perCategory: Record<string, { scenarios: number; detected: number; recall: number; alerts: number; truePositiveAlerts: number; precision: number }>;
  /** False alerts per detector: where the noise comes from. */
  falseAlertsByDetector: Record<string, number>;
  /** The false alerts (the first 1,000), oldest first. */
  falseAlertSamples: { detector: string; workload: string; peer: string; startsAt: string; summary: string }[];
}

/** Slack after a label's end during which an alert still counts for it (windows close late). */
const GRACE_MS = 15 * 60_000;

function matches(alert: Alert, label: Label): boolean {
  const w = alert.workload;
  if (w.namespace !== label.namespace || w.name !== label.workload) return false;
  if (label.cluster !== '' && w.cluster !== '' && w.cluster !== label.cluster) return false;
  const start = Date.parse(alert.startsAt);
  const end = Date.parse(alert.endsAt);
  return end >= label.startMs && start <= label.endMs + GRACE_MS;
}

/**
 * Scores alerts against labelled attacks: per scenario detected or not and how fast; alerts
 * that match no label are false alerts, normalised per 100 workload-hours of traffic judged.
 */
export function score(labels: Label[], raised: RaisedAlert[], workloadHours: number): Evaluation {
  // Count each alert once (its first emission), whatever updates followed.
  const first = new Map<string, RaisedAlert>();
  for (const r of raised) if (!first.has(r.alert.id) && r.alert.status === 'firing') first.set(r.alert.id, r);
  const alerts = [...first.values()];

  const scenarios: ScenarioResult[] = labels.map((label) => {
    const hits = alerts.filter((r) => matches(r.alert, label)).sort((a, b) => a.raisedAt - b.raisedAt);
    const result: ScenarioResult = {
      scenario: label.scenario, category: label.category, workload: `${label.cluster}/${label.namespace}/${label.workload}`,
      start: label.start, detected: hits.length > 0, detectors: [...new Set(hits.map((h) => h.alert.detector))],
    };
    if (hits.length > 0) result.timeToDetectSeconds = Math.max(0, Math.round((hits[0]!.raisedAt - label.startMs) / 1000));
    return result;
  });

  const falseAlerts = alerts.filter((r) => !labels.some((label) => matches(r.alert, label)));
  const perCategory: Evaluation['perCategory'] = {};
  const bucket = (category: string) => (perCategory[category] ??= { scenarios: 0, detected: 0, recall: 0, alerts: 0, truePositiveAlerts: 0, precision: 0 });
  for (const s of scenarios) {
    const b = bucket(s.category);
    b.scenarios++;
    if (s.detected) b.detected++;
  }
  for (const r of alerts) {
    const b = bucket(r.alert.category);
    b.alerts++;
    if (labels.some((label) => matches(r.alert, label))) b.truePositiveAlerts++;
  }
  for (const b of Object.values(perCategory)) {
    b.recall = b.scenarios === 0 ? 1 : b.detected / b.scenarios;
    b.precision = b.alerts === 0 ? 1 : b.truePositiveAlerts / b.alerts;
  }
  return {
    scenarios,
    alerts: alerts.length,
    falseAlerts: falseAlerts.length,
    workloadHours,
    falseAlertsPer100WorkloadHours: workloadHours === 0 ? 0 : (100 * falseAlerts.length) / workloadHours,
    perCategory,
    falseAlertsByDetector: Object.fromEntries([...falseAlerts.reduce((m, r) => m.set(r.alert.detector, (m.get(r.alert.detector) ?? 0) + 1), new Map<string, number>())].sort((a, b) => b[1] - a[1])),
    falseAlertSamples: falseAlerts.slice(0, 1_000).map((r) => ({
      detector: r.alert.detector, workload: `${r.alert.workload.cluster}/${r.alert.workload.namespace}/${r.alert.workload.name}`,
      peer: r.alert.peer, startsAt: r.alert.startsAt, summary: r.alert.summary,
    })),
  };
}

export function formatEvaluation(e: Evaluation): string {
  const lines: string[] = [];
  lines.push('scenario                       category             detected  time-to-detect  detectors');
  for (const s of e.scenarios) {
    const ttd = s.timeToDetectSeconds === undefined ? '-' : `${Math.round(s.timeToDetectSeconds / 60)} min`;
    lines.push(`${s.scenario.padEnd(30)} ${s.category.padEnd(20)} ${(s.detected ? 'yes' : 'NO').padEnd(9)} ${ttd.padStart(14)}  ${s.detectors.join(', ')}`);
  }
  const detected = e.scenarios.filter((s) => s.detected).length;
  lines.push('');
  lines.push(`scenarios detected: ${detected}/${e.scenarios.length}`);
  lines.push(`alerts: ${e.alerts}, false: ${e.falseAlerts} over ${e.workloadHours.toFixed(1)} workload-hours = ${e.falseAlertsPer100WorkloadHours.toFixed(2)} per 100 workload-hours`);
  lines.push('category             scenarios  recall  alerts  precision');
  for (const [category, b] of Object.entries(e.perCategory).sort()) {
    lines.push(`${category.padEnd(20)} ${String(b.scenarios).padStart(9)}  ${b.recall.toFixed(2).padStart(6)}  ${String(b.alerts).padStart(6)}  ${b.precision.toFixed(2).padStart(9)}`);
  }
  if (e.falseAlertSamples.length > 0) {
    lines.push(`false alerts by detector: ${Object.entries(e.falseAlertsByDetector).map(([detector, n]) => `${detector} ${n}`).join(', ')}`);
    lines.push('false alerts (first 20; --json has them all):');
    for (const f of e.falseAlertSamples.slice(0, 20)) lines.push(`  ${f.startsAt} ${f.detector} ${f.workload} → ${f.peer}: ${f.summary}`);
  }
  return lines.join('\n') + '\n';
}
