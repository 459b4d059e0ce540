import { SEVERITIES, type Finding } from '../model/alert.ts';

/**
 * Incidents: detectors whose findings describe one activity spread over many targets (a scan,
 * a sweep, a workload trying one new peer after another) raise one alert per workload, not one
 * per peer. Their findings share the peer class `*` (so the fingerprint is detector + workload +
 * `*`); one window's findings of a workload merge into one finding whose evidence lists the
 * targets, and later windows merge their targets into the same alert.
 */
export const INCIDENT_DETECTORS: readonly string[] = ['sensitive-port', 'port-scan', 'ip-sweep', 'new-east-west-edge', 'denied-burst', 'cross-environment', 'fqdn-allowlist'];

/** The peer (class) of an incident alert. */
export const INCIDENT_PEER = '*';

/** Targets an incident alert lists (the most findings, then the most connections, first). */
export const MAX_TARGETS = 50;

/** Ports listed per target (the lowest). */
export const MAX_PORTS = 20;

/** Other targets an incident's summary names. */
const SUMMARY_TARGETS = 5;

/** One target of an incident, as its alert's `evidence.targets` lists it (JSON). */
export interface IncidentTarget {
  /** The finding's peer; `host:port` with the finding's `evidence.port` is the host, with that port. */
  peer: string;
  /** Findings about this target. */
  findings: number;
  ports?: number[];
  /** Ports past the `MAX_PORTS` listed (exact within a window; across windows at most this many). */
  morePorts?: number;
  /** Sums of the findings' `evidence.connections`, `denied` and `bytesOut`, where they carry them. */
  connections?: number;
  denied?: number;
  bytesOut?: number;
}

/** What the lifecycle keeps of an incident besides its alert: which finding the summary describes. */
export interface IncidentTop {
  /** Summary of the strongest finding so far. */
  summary: string;
  /** Its target (`IncidentTarget.peer`), left out of the "more targets" the summary names. */
  target: string;
}

/** One window's findings of one (detector, workload), merged. */
export interface WindowIncident {
  top: IncidentTop;
  /** Every target of the window, ranked. */
  targets: IncidentTarget[];
  findings: number;
}

/** The incident part of an alert's evidence (what the next window merges into). */
interface IncidentEvidence {
  findings: number;
  targetCount: number;
  targets: IncidentTarget[];
}

const INCIDENT_KEYS = new Set(['findings', 'targetCount', 'targets', 'moreTargets']);

/**
 * One window's findings with those of the `grouped` detectors merged per detector and workload:
 * one finding each (peer `*`, the strongest severity and score, the earliest start and latest
 * end, evidence and summary of the strongest finding plus the targets), in the place of the
 * group's first finding. Other findings pass unchanged. Deterministic for a given input order.
 */
export function mergeIncidents(findings: Finding[], grouped: ReadonlySet<string>): { finding: Finding; incident?: WindowIncident }[] {
  // A finding of its own, or the findings of one group (merged once the window is read).
  const slots: (Finding | Finding[])[] = [];
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    if (!grouped.has(finding.detector)) {
      slots.push(finding);
      continue;
    }
    const key = `${finding.detector}\u0000${finding.workload.cluster}/${finding.workload.namespace}/${finding.workload.name}`;
    const group = groups.get(key);
    if (group !== undefined) group.push(finding);
    else {
      groups.set(key, [finding]);
      slots.push(groups.get(key)!);
    }
  }
  return slots.map((slot) => (Array.isArray(slot) ? mergeWindow(slot) : { finding: slot }));
}

function mergeWindow(group: Finding[]): { finding: Finding; incident: WindowIncident } {
  const top = [...group].sort(strongestFirst)[0]!;
  const byPeer = new Map<string, IncidentTarget>();
  let { severity, startsAt, endsAt } = top;
  for (const f of group) {
    const target = targetOf(f);
    const known = byPeer.get(target.peer);
    byPeer.set(target.peer, known === undefined ? target : addTarget(known, target));
    if (SEVERITIES.indexOf(f.severity) > SEVERITIES.indexOf(severity)) severity = f.severity;
    startsAt = Math.min(startsAt, f.startsAt);
    endsAt = Math.max(endsAt, f.endsAt);
  }
  const targets = [...byPeer.values()].sort(rank);
  const incident: WindowIncident = { top: { summary: top.summary, target: targetOf(top).peer }, targets, findings: group.length };
  const state: IncidentEvidence = { findings: group.length, targetCount: targets.length, targets };
  return {
    incident,
    finding: {
      ...top,
      severity,
      peer: INCIDENT_PEER,
      startsAt,
      endsAt,
      summary: incidentSummary(incident.top, state),
      evidence: incidentEvidence(top.evidence, state),
    },
  };
}

/**
 * An incident alert's evidence and summary after another window: the window's targets merged
 * into those the alert lists (bounded by `MAX_TARGETS`; `targetCount` counts a target that
 * was past the bound before and comes back as a new one, so across windows it is an upper
 * bound), on the evidence of `base` (the strongest finding's).
 */
export function mergeIncident(previous: Record<string, unknown>, base: Record<string, unknown>, top: IncidentTop, window: WindowIncident): { evidence: Record<string, unknown>; summary: string } {
  const before = readIncidentEvidence(previous);
  const listed = new Map(before.targets.map((t) => [t.peer, t]));
  let targetCount = before.targetCount;
  for (const target of window.targets) {
    const known = listed.get(target.peer);
    if (known === undefined) targetCount++;
    listed.set(target.peer, known === undefined ? target : addTarget(known, target));
  }
  const state: IncidentEvidence = { findings: before.findings + window.findings, targetCount, targets: [...listed.values()].sort(rank) };
  return { evidence: incidentEvidence(base, state), summary: incidentSummary(top, state) };
}

/** The peers of the targets a finding stands for (itself, or an incident's listed targets). */
export function peersOf(f: Finding): string[] {
  if (f.peer !== INCIDENT_PEER || !Array.isArray(f.evidence.targets)) return [f.peer];
  return readIncidentEvidence(f.evidence).targets.map((t) => t.peer);
}

function incidentEvidence(base: Record<string, unknown>, { findings, targetCount, targets }: IncidentEvidence): Record<string, unknown> {
  const evidence: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) if (!INCIDENT_KEYS.has(key)) evidence[key] = value;
  const listed = targets.slice(0, MAX_TARGETS);
  evidence.findings = findings;
  evidence.targetCount = targetCount;
  evidence.targets = listed;
  if (targetCount > listed.length) evidence.moreTargets = targetCount - listed.length;
  return evidence;
}

/** The strongest finding's summary, and what else the incident holds. */
function incidentSummary(top: IncidentTop, { findings, targetCount, targets }: IncidentEvidence): string {
  if (targetCount <= 1) return findings <= 1 ? top.summary : `${top.summary} — and ${findings - 1} more finding${findings === 2 ? '' : 's'} on the same target`;
  const others = targets.filter((t) => t.peer !== top.target).slice(0, SUMMARY_TARGETS).map((t) => t.peer);
  const more = targetCount - 1;
  return `${top.summary} — and ${more} more target${more === 1 ? '' : 's'} (${others.join(', ')}${more > others.length ? ', …' : ''}; ${findings} findings in all)`;
}

/** The target a finding is about, from its peer and what its evidence carries. */
function targetOf(f: Finding): IncidentTarget {
  const e = f.evidence;
  const port = portOf(e.port);
  let peer = f.peer;
  // `10.0.0.7:22`, `cluster/ns/name:5432`, `dev-us//node-1:22`: the host; not a class such as `sweep-port:22`.
  if (port !== undefined && peer.endsWith(`:${port}`)) {
    const host = peer.slice(0, -`:${port}`.length);
    if (/[./:]/.test(host)) peer = host;
  }
  const ports = new Set<number>();
  if (port !== undefined) ports.add(port);
  if (Array.isArray(e.ports)) for (const p of e.ports) if (portOf(p) !== undefined) ports.add(p as number);
  const target: IncidentTarget = { peer, findings: 1 };
  setPorts(target, [...ports], 0);
  for (const key of ['connections', 'denied', 'bytesOut'] as const) {
    const n = e[key];
    if (typeof n === 'number' && Number.isFinite(n)) target[key] = n;
  }
  return target;
}

/** `a` and `b` (the same peer) as one target: a new object, `a` and `b` are left as they are. */
function addTarget(a: IncidentTarget, b: IncidentTarget): IncidentTarget {
  const target: IncidentTarget = { peer: a.peer, findings: a.findings + b.findings };
  const ports = new Set([...(a.ports ?? []), ...(b.ports ?? [])]);
  setPorts(target, [...ports], (a.morePorts ?? 0) + (b.morePorts ?? 0));
  for (const key of ['connections', 'denied', 'bytesOut'] as const) {
    if (a[key] !== undefined || b[key] !== undefined) target[key] = (a[key] ?? 0) + (b[key] ?? 0);
  }
  return target;
}

function setPorts(target: IncidentTarget, ports: number[], more: number): void {
  if (ports.length === 0) return;
  ports.sort((x, y) => x - y);
  target.ports = ports.slice(0, MAX_PORTS);
  const morePorts = more + Math.max(0, ports.length - MAX_PORTS);
  if (morePorts > 0) target.morePorts = morePorts;
}

/** The incident part of an alert's evidence, read leniently (a restored checkpoint is JSON). */
function readIncidentEvidence(evidence: Record<string, unknown>): IncidentEvidence {
  const targets: IncidentTarget[] = [];
  if (Array.isArray(evidence.targets)) {
    for (const raw of evidence.targets) {
      if (typeof raw !== 'object' || raw === null || typeof (raw as IncidentTarget).peer !== 'string') continue;
      const t = raw as Record<string, unknown>;
      const target: IncidentTarget = { peer: t.peer as string, findings: count(t.findings) || 1 };
      if (Array.isArray(t.ports)) setPorts(target, t.ports.filter((p) => portOf(p) !== undefined) as number[], count(t.morePorts));
      for (const key of ['connections', 'denied', 'bytesOut'] as const) if (typeof t[key] === 'number' && Number.isFinite(t[key])) target[key] = t[key];
      targets.push(target);
    }
  }
  return { findings: count(evidence.findings), targetCount: Math.max(count(evidence.targetCount), targets.length), targets };
}

function portOf(value: unknown): number | undefined {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65_535 ? (value as number) : undefined;
}

function count(value: unknown): number {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : 0;
}

/** Most findings, then most connections, then by peer. */
function rank(a: IncidentTarget, b: IncidentTarget): number {
  return b.findings - a.findings || (b.connections ?? 0) - (a.connections ?? 0) || compare(a.peer, b.peer);
}

function strongestFirst(a: Finding, b: Finding): number {
  return b.score - a.score || SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || compare(a.peer, b.peer);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
