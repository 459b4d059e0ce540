import type { Workload } from './workload.ts';

export const CATEGORIES = ['lateral-movement', 'discovery', 'exfiltration', 'command-and-control', 'credential-access', 'collection', 'policy-violation', 'impact'] as const;
export type Category = (typeof CATEGORIES)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * What a detector concluded about one workload, before the alert lifecycle (dedupe, cooldown,
 * suppression) decides whether it becomes a new alert or updates an active one.
 */
export interface Finding {
  detector: string;
  category: Category;
  /** MITRE ATT&CK (or ATLAS) technique id, e.g. `T1046`. */
  technique: string;
  severity: Severity;
  /** Strength of the evidence, 0..1 (1 = certain); orders alerts and drives severity. */
  score: number;
  workload: Workload;
  /** Workload key, FQDN, `ip:port` or a class such as `ports-on:10.0.0.5`. Part of the fingerprint. */
  peer: string;
  /** Event time of the evidence, epoch ms. */
  startsAt: number;
  endsAt: number;
  summary: string;
  /** Observed and baseline numbers that made the decision. */
  evidence: Record<string, unknown>;
}

/**
 * The alert record: the contract that sinks, tests and users rely on. Times are ISO 8601 in
 * event time. A later update of the same alert keeps its `id` and `fingerprint`.
 */
export interface Alert {
  id: string;
  fingerprint: string;
  detector: string;
  category: Category;
  technique: string;
  severity: Severity;
  score: number;
  workload: { cluster: string; namespace: string; name: string; role: string };
  peer: string;
  startsAt: string;
  endsAt: string;
  /** `firing` while evidence keeps arriving; `resolved` after the quiet period. */
  status: 'firing' | 'resolved';
  /**
   * How many findings this alert has absorbed (1 for a new alert); an incident alert
   * (`detection.alerts.incident_per_workload`) counts one per window, its findings in
   * `evidence.findings`.
   */
  count: number;
  summary: string;
  evidence: Record<string, unknown>;
  /**
   * Only on a roll-up alert (an alert storm: more workloads tripped one detector in one window
   * than `detection.alerts.storm` lets through one by one), whose workload name and peer are `*`:
   * what its latest window held back. `count` adds up the held-back findings of every window.
   */
  rollup?: AlertRollup;
}

export interface AlertRollup {
  /** Findings held back in the latest window (folded into this alert instead of their own). */
  heldBack: number;
  /** Distinct workloads among them. */
  workloads: number;
  /** Workloads of the same group that got their own alert in that window. */
  alertedIndividually: number;
  /** Up to 10 of the held-back workloads (`cluster/namespace/name`), strongest first. */
  sample: string[];
}

/** Whether this emission is the alert's first (not an update, re-opening or escalation). */
export function isNewAlert(alert: Alert): boolean {
  return alert.count === (alert.rollup?.heldBack ?? 1);
}
