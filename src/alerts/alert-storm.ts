import { SEVERITIES, type AlertRollup, type Finding } from '../model/alert.ts';
import type { Environment, Role } from '../model/workload.ts';
import { peersOf } from './alert-incident.ts';

/**
 * Alert storms: many workloads tripping one detector in one window (a flood of invented
 * workloads, a new allowlist meeting a big cluster) page a bounded number of times. Per
 * detector, cluster and namespace, the first `maxAlertsPerGroup` workloads of a window get
 * their own alerts and the rest are held back into one roll-up alert; past
 * `maxGroupsPerDetector` namespaces, the rest of the detector's namespaces share one roll-up
 * (namespace `*`). While a roll-up is firing, the storm is still on: further workloads of its
 * group fold into it rather than opening alerts of their own.
 */
export interface AlertStormOptions {
  /** Workloads of one (detector, cluster, namespace) that get their own alert in one window. */
  maxAlertsPerGroup: number;
  /** Namespaces of one (detector, cluster) that alert on their own; the rest share a `*` roll-up. */
  maxGroupsPerDetector: number;
}

/** The namespace of the roll-up that stands for a detector's namespaces past the cap. */
export const ALL_NAMESPACES = '*';

/** Workloads (and peers) a roll-up names. */
const SAMPLE = 10;

/** What the lifecycle knows that decides whether a finding is part of a storm. */
export interface StormState {
  /** Whether the finding would open or re-open an alert (page), not update a firing one. */
  opensAlert(finding: Finding): boolean;
  /** Namespaces (or `*`) of the detector's roll-ups firing now in this cluster. */
  firingRollups(detector: string, cluster: string): ReadonlySet<string>;
}

/** Findings of one window that one roll-up alert stands for. */
export interface HeldBack {
  detector: string;
  cluster: string;
  /** The namespace, or `*` for the detector's namespaces past `maxGroupsPerDetector`. */
  namespace: string;
  /** Strongest first. */
  findings: Finding[];
  /** Workloads of the group that got their own alert in this window. */
  alertedIndividually: number;
}

/**
 * Which of one window's findings an alert storm holds back, by roll-up. Only findings that
 * would open an alert count; updates of firing alerts always go through. Deterministic: groups
 * and workloads are taken strongest first (score, then workload key, then peer).
 */
export function holdBackStorm(findings: Finding[], options: AlertStormOptions, state: StormState): HeldBack[] {
  // detector + cluster → namespace → findings that would open an alert.
  const opening = new Map<string, Map<string, Finding[]>>();
  for (const finding of findings) {
    if (!state.opensAlert(finding)) continue;
    const scope = `${finding.detector}\u0000${finding.workload.cluster}`;
    let groups = opening.get(scope);
    if (groups === undefined) opening.set(scope, (groups = new Map()));
    let group = groups.get(finding.workload.namespace);
    if (group === undefined) groups.set(finding.workload.namespace, (group = []));
    group.push(finding);
  }
  const heldBack: HeldBack[] = [];
  for (const groups of opening.values()) {
    const { detector, workload: { cluster } } = groups.values().next().value![0]!;
    const firing = state.firingRollups(detector, cluster);
    const fresh: [namespace: string, group: Finding[]][] = [];
    for (const [namespace, group] of groups) {
      group.sort(strongestFirst);
      // A storm still going on: the group's new workloads join its roll-up.
      if (firing.has(namespace)) heldBack.push({ detector, cluster, namespace, findings: group, alertedIndividually: 0 });
      else fresh.push([namespace, group]);
    }
    fresh.sort(([a, ga], [b, gb]) => strongestFirst(ga[0]!, gb[0]!) || compare(a, b));
    const storming = firing.size - (firing.has(ALL_NAMESPACES) ? 1 : 0);
    let slots = firing.has(ALL_NAMESPACES) ? 0 : Math.max(0, options.maxGroupsPerDetector - storming);
    const rest: Finding[] = [];
    let individually = 0;
    for (const [namespace, group] of fresh) {
      if (slots === 0) {
        rest.push(...group);
        continue;
      }
      slots--;
      const { admitted, held } = firstWorkloads(group, options.maxAlertsPerGroup);
      individually += admitted;
      if (held.length > 0) heldBack.push({ detector, cluster, namespace, findings: held, alertedIndividually: admitted });
    }
    if (rest.length > 0) heldBack.push({ detector, cluster, namespace: ALL_NAMESPACES, findings: rest.sort(strongestFirst), alertedIndividually: individually });
  }
  return heldBack;
}

/** The findings of the group's first `max` workloads go through; the rest are held. */
function firstWorkloads(group: Finding[], max: number): { admitted: number; held: Finding[] } {
  const admitted = new Set<string>();
  const held: Finding[] = [];
  for (const finding of group) {
    const key = keyOf(finding);
    if (admitted.has(key)) continue;
    if (admitted.size < max) admitted.add(key);
    else held.push(finding);
  }
  return { admitted: admitted.size, held };
}

/**
 * The finding a roll-up alert absorbs for one window's held-back findings: workload `*` of the
 * group's namespace, peer `*`, the strongest severity and score, a summary naming a sample.
 */
export function rollupFinding(h: HeldBack, options: AlertStormOptions): { finding: Finding; rollup: AlertRollup } {
  const top = h.findings[0]!;
  const workloads = distinct(h.findings.map(keyOf));
  // An incident's targets, not its peer class `*`.
  const peers = distinct(h.findings.flatMap(peersOf));
  const namespaces = distinct(h.findings.map((f) => f.workload.namespace));
  const roles = distinct(h.findings.map((f) => f.workload.role));
  const envs = distinct(h.findings.map((f) => f.workload.env));
  let { severity, startsAt, endsAt } = top;
  for (const f of h.findings) {
    if (SEVERITIES.indexOf(f.severity) > SEVERITIES.indexOf(severity)) severity = f.severity;
    startsAt = Math.min(startsAt, f.startsAt);
    endsAt = Math.max(endsAt, f.endsAt);
  }
  const sample = workloads.slice(0, SAMPLE);
  const wide = h.namespace === ALL_NAMESPACES;
  const where = wide ? `${namespaces.length} namespaces of ${h.cluster} (past the first ${options.maxGroupsPerDetector})` : `${h.cluster}/${h.namespace}`;
  // Names within a namespace; namespace/name across namespaces.
  const named = sample.map((key) => key.slice(key.indexOf('/') + 1)).map((key) => (wide ? key : key.slice(key.indexOf('/') + 1)));
  const findings = h.findings.length === workloads.length ? '' : ` (${h.findings.length} findings)`;
  const individually = h.alertedIndividually > 0 ? ` (${h.alertedIndividually} alerted individually)` : '';
  const more = workloads.length > sample.length ? `, … (sample of ${sample.length})` : '';
  const rollup: AlertRollup = { heldBack: h.findings.length, workloads: workloads.length, alertedIndividually: h.alertedIndividually, sample };
  return {
    rollup,
    finding: {
      detector: h.detector,
      category: top.category,
      technique: top.technique,
      severity,
      score: top.score,
      workload: { cluster: h.cluster, namespace: h.namespace, name: '*', role: roles.length === 1 ? (roles[0] as Role) : 'other', env: envs.length === 1 ? (envs[0] as Environment) : 'unknown' },
      peer: '*',
      startsAt,
      endsAt,
      summary: `${workloads.length} more workload${workloads.length === 1 ? '' : 's'}${findings} in ${where} tripped ${h.detector} in this window${individually}: ${named.join(', ')}${more}`,
      evidence: {
        rollup: true,
        heldBack: h.findings.length,
        workloads: workloads.length,
        alertedIndividually: h.alertedIndividually,
        workloadsSample: sample,
        peersSample: peers.slice(0, SAMPLE),
        ...(wide ? { namespaces: namespaces.length, namespacesSample: namespaces.slice(0, SAMPLE) } : {}),
        topSummary: top.summary,
        window: { start: new Date(startsAt).toISOString(), end: new Date(endsAt).toISOString() },
      },
    },
  };
}

function keyOf(f: Finding): string {
  return `${f.workload.cluster}/${f.workload.namespace}/${f.workload.name}`;
}

function strongestFirst(a: Finding, b: Finding): number {
  return b.score - a.score || compare(keyOf(a), keyOf(b)) || compare(a.peer, b.peer);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function distinct<T>(values: T[]): T[] {
  return [...new Set(values)];
}
