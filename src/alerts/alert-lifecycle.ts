import { createHash } from 'node:crypto';
import { snapshotReader } from '../model/snapshot-reader.ts';
import { compileGlob } from '../enrich/glob.ts';
import { CATEGORIES, SEVERITIES, type Alert, type AlertRollup, type Finding, type Severity } from '../model/alert.ts';
import type { Workload } from '../model/workload.ts';
import { mergeIncident, mergeIncidents, type IncidentTop, type WindowIncident } from './alert-incident.ts';
import { holdBackStorm, rollupFinding, type AlertStormOptions, type HeldBack } from './alert-storm.ts';

/** Silences known-good findings: every given field must match (globs). */
export interface SuppressionRule {
  detector?: string;
  /** `cluster/namespace/workload` glob. */
  workload?: string;
  peer?: string;
}

export interface AlertLifecycleOptions {
  /** An active alert resolves after this much event time without new evidence. */
  resolveAfterMs: number;
  /** Evidence within this long after resolution re-opens the same alert instead of a new one. */
  cooldownMs: number;
  suppress: SuppressionRule[];
  /** Bound on alerts held (active + cooling down); the oldest are resolved first past it. */
  maxAlerts: number;
  /** Alert storms: how many new alerts one window may open per group (absent: no bound). */
  storm?: AlertStormOptions;
  /**
   * Detectors whose findings are one incident per workload (see alert-incident.ts; the
   * pipeline's default is INCIDENT_DETECTORS): peer `*`, the targets in the evidence. Absent:
   * none, every detector's alerts are per peer.
   */
  incidentPerWorkload?: readonly string[];
  /** Flap damping (absent: none). */
  flap?: FlapDampingOptions;
}

/**
 * A flapping alert (evidence, quiet, evidence again within the cooldown, …) is one incident:
 * it should fire once and stay firing, not page at every re-opening.
 */
export interface FlapDampingOptions {
  /**
   * Each re-opening within the cooldown doubles the quiet time the alert needs to resolve
   * (resolveAfterMs × 2^re-openings), up to this many times resolveAfterMs (1: no lengthening).
   */
  maxResolveFactor: number;
  /**
   * Emissions (opening, re-openings, escalations) per fingerprint per hour of event time; the
   * excess is not emitted (counted in `damped`) while the held alert is still updated, and the
   * next evidence the bound lets through sends its current state. Resolutions are always sent
   * when the sinks hold the alert as firing.
   */
  maxEmissionsPerHour: number;
}

/** The span `maxEmissionsPerHour` counts over, in event time. */
const HOUR = 3_600_000;

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** An alert the lifecycle holds (firing, or resolved and cooling down). */
export interface HeldAlert {
  alert: Alert;
  /** Event time of the newest evidence. */
  lastEvidence: number;
  resolvedAt?: number;
  /** Times it re-opened (within the cooldown, so one incident): lengthens its quiet time (flap damping). */
  reopens?: number;
  /** Event times of its latest emissions, oldest first, within the last hour (`flap.maxEmissionsPerHour`). */
  emissions?: number[];
  /** An emission was damped: the sinks are behind its state until the next one the bound lets through. */
  behind?: boolean;
  /** The sinks last got it resolved (a damped re-opening): its next resolution is not sent again. */
  sinksResolved?: boolean;
  /** An incident alert: the finding its summary starts with (the strongest so far). */
  incident?: IncidentTop;
}

/**
 * An AlertLifecycle as plain JSON (a checkpoint). The storm state is in it too: which roll-ups
 * fire is read off the held alerts.
 */
export interface AlertLifecycleSnapshot {
  /** 2; version 1 (no flap damping or incident state, no `damped`) is still read. */
  version: 2;
  /** Oldest first: past `maxAlerts` the first is dropped. */
  alerts: HeldAlert[];
  suppressed: number;
  rolledUp: [detector: string, findings: number][];
  damped: [detector: string, emissions: number][];
}

/**
 * The one place alerts are born, updated and resolved. Fingerprint = detector + workload +
 * peer, so repeated evidence updates one alert instead of raising many; for the incident
 * detectors (`incidentPerWorkload`, see alert-incident.ts) the peer is `*`, one alert per
 * workload listing its targets. In an alert storm (see alert-storm.ts) the findings past the
 * bound are folded into roll-up alerts. Flapping alerts are damped (`flap`).
 */
export class AlertLifecycle {
  private readonly options: AlertLifecycleOptions;
  private readonly suppress: ((f: Finding) => boolean)[];
  /** Fingerprint → alert, in the order they were opened. */
  private readonly alerts = new Map<string, HeldAlert>();
  suppressed = 0;
  /** Findings held back into roll-up alerts, per detector. */
  readonly rolledUp = new Map<string, number>();
  /** Re-openings and escalations not emitted by flap damping (`flap.maxEmissionsPerHour`), per detector. */
  readonly damped = new Map<string, number>();
  private readonly incidentDetectors: ReadonlySet<string>;

  constructor(options: AlertLifecycleOptions) {
    this.options = options;
    this.incidentDetectors = new Set(options.incidentPerWorkload ?? []);
    this.suppress = options.suppress.map((rule) => {
      const detector = rule.detector === undefined ? undefined : compileGlob(rule.detector);
      const workload = rule.workload === undefined ? undefined : compileGlob(rule.workload);
      const peer = rule.peer === undefined ? undefined : compileGlob(rule.peer);
      return (f: Finding) =>
        (detector === undefined || detector(f.detector)) &&
        (workload === undefined || workload(`${f.workload.cluster}/${f.workload.namespace}/${f.workload.name}`)) &&
        (peer === undefined || peer(f.peer));
    });
  }

  /** One window's findings in; alerts that are new, re-opened or escalated out. */
  accept(findings: Finding[]): Alert[] {
    const kept = findings.filter((finding) => {
      const suppressed = this.suppress.some((matches) => matches(finding));
      if (suppressed) this.suppressed++;
      return !suppressed;
    });
    // One finding per incident (detector + workload), so that the storm bound counts incidents.
    const incidents = new Map<Finding, WindowIncident>();
    const units = this.incidentDetectors.size === 0 ? kept : mergeIncidents(kept, this.incidentDetectors).map(({ finding, incident }) => {
      if (incident !== undefined) incidents.set(finding, incident);
      return finding;
    });
    const heldBack = this.options.storm === undefined ? [] : this.holdBack(units, this.options.storm);
    const held = new Set(heldBack.flatMap((h) => h.findings));
    const out: Alert[] = [];
    for (const finding of units) if (!held.has(finding)) this.absorb(fingerprintOf(finding), finding, out, undefined, incidents.get(finding));
    for (const h of heldBack) {
      this.rolledUp.set(h.detector, (this.rolledUp.get(h.detector) ?? 0) + h.findings.length);
      const { finding, rollup } = rollupFinding(h, this.options.storm!);
      this.absorb(rollupFingerprint(h), finding, out, rollup);
    }
    return out;
  }

  private holdBack(findings: Finding[], storm: AlertStormOptions): HeldBack[] {
    let firing: Map<string, Set<string>> | undefined;
    return holdBackStorm(findings, storm, {
      opensAlert: (finding) => this.alerts.get(fingerprintOf(finding))?.alert.status !== 'firing',
      firingRollups: (detector, cluster) => (firing ??= this.firingRollups()).get(`${detector}\u0000${cluster}`) ?? NONE,
    });
  }

  /** Namespaces of the firing roll-ups, per detector and cluster. */
  private firingRollups(): Map<string, Set<string>> {
    const firing = new Map<string, Set<string>>();
    for (const { alert } of this.alerts.values()) {
      if (alert.rollup === undefined || alert.status !== 'firing') continue;
      const scope = `${alert.detector}\u0000${alert.workload.cluster}`;
      let namespaces = firing.get(scope);
      if (namespaces === undefined) firing.set(scope, (namespaces = new Set()));
      namespaces.add(alert.workload.namespace);
    }
    return firing;
  }

  /**
   * Opens, updates or re-opens the alert of this fingerprint; what is (re-)emitted goes to `out`.
   * `incident`: the window's targets of an incident finding, merged into the alert's.
   */
  private absorb(fingerprint: string, finding: Finding, out: Alert[], rollup?: AlertRollup, incident?: WindowIncident): void {
    const held = this.alerts.get(fingerprint);
    if (held === undefined) {
      const entry: HeldAlert = { alert: toAlert(finding, fingerprint, rollup), lastEvidence: finding.endsAt };
      if (incident !== undefined) entry.incident = incident.top;
      this.hold(fingerprint, entry);
      this.emit(entry, finding.endsAt, out);
      return;
    }
    const { alert } = held;
    const reopened = alert.status === 'resolved';
    const escalated = SEVERITY_RANK[finding.severity] > SEVERITY_RANK[alert.severity];
    alert.status = 'firing';
    alert.count += rollup?.heldBack ?? 1;
    alert.endsAt = new Date(Math.max(Date.parse(alert.endsAt), finding.endsAt)).toISOString();
    const stronger = finding.score >= alert.score;
    if (stronger) alert.score = finding.score;
    if (incident !== undefined) {
      // Every target so far, on the evidence of the strongest finding.
      if (stronger || held.incident === undefined) held.incident = incident.top;
      ({ evidence: alert.evidence, summary: alert.summary } = mergeIncident(alert.evidence, stronger ? finding.evidence : alert.evidence, held.incident, incident));
    } else if (stronger || rollup !== undefined) {
      // A roll-up describes its latest window.
      alert.summary = finding.summary;
      alert.evidence = finding.evidence;
    }
    if (rollup !== undefined) alert.rollup = rollup;
    if (escalated) alert.severity = finding.severity;
    held.lastEvidence = Math.max(held.lastEvidence, finding.endsAt);
    delete held.resolvedAt;
    if (reopened) held.reopens = (held.reopens ?? 0) + 1;
    if (!reopened && !escalated && held.behind !== true) return;
    if (this.mayEmit(held, finding.endsAt)) {
      this.emit(held, finding.endsAt, out);
      return;
    }
    held.behind = true;
    if (reopened) held.sinksResolved = true;
    if (reopened || escalated) this.damped.set(alert.detector, (this.damped.get(alert.detector) ?? 0) + 1);
  }

  /** Whether the rate bound lets an emission of this alert through at event time `at`. */
  private mayEmit(held: HeldAlert, at: number): boolean {
    const flap = this.options.flap;
    return flap === undefined || recent(held, at).length < flap.maxEmissionsPerHour;
  }

  /** Sends the alert's current state (firing) and notes when, for the rate bound. */
  private emit(held: HeldAlert, at: number, out: Alert[]): void {
    const flap = this.options.flap;
    if (flap !== undefined) held.emissions = [...recent(held, at), at].slice(-flap.maxEmissionsPerHour);
    delete held.behind;
    delete held.sinksResolved;
    out.push({ ...held.alert });
  }

  /** The quiet time after which this alert resolves: longer for each re-opening (flap damping). */
  private quietMs(held: HeldAlert): number {
    const flap = this.options.flap;
    const reopens = held.reopens ?? 0;
    if (flap === undefined || reopens === 0) return this.options.resolveAfterMs;
    return this.options.resolveAfterMs * Math.max(1, Math.min(2 ** Math.min(reopens, 52), flap.maxResolveFactor));
  }

  /** Advances event time: resolves quiet alerts (returned) and forgets cooled-down ones. */
  advance(now: number): Alert[] {
    const out: Alert[] = [];
    for (const [fingerprint, held] of this.alerts) {
      if (held.alert.status === 'firing' && now - held.lastEvidence >= this.quietMs(held)) {
        held.alert.status = 'resolved';
        held.resolvedAt = now;
        // Sent unless the sinks hold it as resolved already (its re-opening was damped).
        if (held.sinksResolved !== true) out.push({ ...held.alert });
        delete held.behind;
        delete held.sinksResolved;
      } else if (held.resolvedAt !== undefined && now - held.resolvedAt >= this.options.cooldownMs) {
        this.alerts.delete(fingerprint);
      }
    }
    return out;
  }

  /** Alerts still firing (for an end-of-replay report). */
  active(): Alert[] {
    return [...this.alerts.values()].filter((h) => h.alert.status === 'firing').map((h) => ({ ...h.alert }));
  }

  get size(): number {
    return this.alerts.size;
  }

  private hold(fingerprint: string, entry: HeldAlert): void {
    if (this.alerts.size >= this.options.maxAlerts) this.alerts.delete(this.alerts.keys().next().value!);
    this.alerts.set(fingerprint, entry);
  }

  /**
   * A JSON-safe copy of every held alert (in order), the suppression, roll-up and damping counts.
   * Evidence is copied as JSON carries it, which is how every sink writes it: members that are
   * undefined are left out.
   */
  snapshot(): AlertLifecycleSnapshot {
    const alerts: HeldAlert[] = [];
    for (const { alert, lastEvidence, resolvedAt, reopens, emissions, behind, sinksResolved, incident } of this.alerts.values()) {
      const held: HeldAlert = { alert: copyAlert(alert), lastEvidence };
      if (resolvedAt !== undefined) held.resolvedAt = resolvedAt;
      if (reopens !== undefined && reopens > 0) held.reopens = reopens;
      if (emissions !== undefined && emissions.length > 0) held.emissions = [...emissions];
      if (behind === true) held.behind = true;
      if (sinksResolved === true) held.sinksResolved = true;
      if (incident !== undefined) held.incident = { summary: incident.summary, target: incident.target };
      alerts.push(held);
    }
    return { version: 2, alerts, suppressed: this.suppressed, rolledUp: [...this.rolledUp], damped: [...this.damped] };
  }

  /**
   * The lifecycle a snapshot was taken of, with `options` (suppression rules, storm bounds,
   * timeouts: config, not state). Past a `maxAlerts` lowered since the checkpoint, the oldest
   * alerts are dropped, as hold() would have. Reads version 1 (before flap damping and
   * incidents: nothing re-opened or damped yet). Throws on an unknown version or malformed input.
   */
  static restore(snapshot: unknown, options: AlertLifecycleOptions): AlertLifecycle {
    const s = object(snapshot, 'snapshot');
    if (s.version !== 1 && s.version !== 2) throw new Error(`alert lifecycle snapshot: unknown version ${JSON.stringify(s.version)} (this build reads versions 1 and 2)`);
    const lifecycle = new AlertLifecycle(options);
    const held = list(s.alerts, 'alerts').map(readHeld);
    for (const entry of held) {
      if (lifecycle.alerts.has(entry.alert.fingerprint)) malformed('alerts', `holds ${entry.alert.fingerprint} twice`);
      lifecycle.alerts.set(entry.alert.fingerprint, entry);
    }
    for (const fingerprint of lifecycle.alerts.keys()) {
      if (lifecycle.alerts.size <= options.maxAlerts) break;
      lifecycle.alerts.delete(fingerprint);
    }
    lifecycle.suppressed = count(s.suppressed, 'suppressed');
    for (const raw of list(s.rolledUp, 'rolledUp')) {
      const [detector, findings] = tuple(raw, 2, 'rolledUp[]');
      lifecycle.rolledUp.set(text(detector, 'rolledUp[].detector'), count(findings, 'rolledUp[].findings'));
    }
    if (s.version === 2) {
      for (const raw of list(s.damped, 'damped')) {
        const [detector, emissions] = tuple(raw, 2, 'damped[]');
        lifecycle.damped.set(text(detector, 'damped[].detector'), count(emissions, 'damped[].emissions'));
      }
    }
    return lifecycle;
  }
}

const NONE: ReadonlySet<string> = new Set();

/** The alert's emissions within the hour before event time `at`. */
function recent(held: HeldAlert, at: number): number[] {
  return (held.emissions ?? []).filter((t) => at - t < HOUR);
}

export function fingerprintOf(f: { detector: string; workload: Pick<Workload, 'cluster' | 'namespace' | 'name'>; peer: string }): string {
  return createHash('sha256').update(`${f.detector}\u0000${f.workload.cluster}/${f.workload.namespace}/${f.workload.name}\u0000${f.peer}`).digest('hex').slice(0, 16);
}

/** A roll-up's own fingerprint: its group's workload `*` and a peer no finding has. */
function rollupFingerprint(h: HeldBack): string {
  return fingerprintOf({ detector: h.detector, workload: { cluster: h.cluster, namespace: h.namespace, name: '*' }, peer: '*\u0000rollup' });
}

function toAlert(f: Finding, fingerprint: string, rollup?: AlertRollup): Alert {
  const alert: Alert = {
    id: `${fingerprint}-${f.startsAt.toString(36)}`,
    fingerprint,
    detector: f.detector,
    category: f.category,
    technique: f.technique,
    severity: f.severity,
    score: Math.round(f.score * 1000) / 1000,
    workload: { cluster: f.workload.cluster, namespace: f.workload.namespace, name: f.workload.name, role: f.workload.role },
    peer: f.peer,
    startsAt: new Date(f.startsAt).toISOString(),
    endsAt: new Date(f.endsAt).toISOString(),
    status: 'firing',
    count: rollup?.heldBack ?? 1,
    summary: f.summary,
    evidence: f.evidence,
  };
  if (rollup !== undefined) alert.rollup = rollup;
  return alert;
}

/** A copy sharing nothing with `a`, in toAlert's field order (what sinks serialise). */
function copyAlert(a: Alert): Alert {
  const copy: Alert = {
    id: a.id, fingerprint: a.fingerprint, detector: a.detector, category: a.category, technique: a.technique, severity: a.severity, score: a.score,
    workload: { cluster: a.workload.cluster, namespace: a.workload.namespace, name: a.workload.name, role: a.workload.role },
    peer: a.peer, startsAt: a.startsAt, endsAt: a.endsAt, status: a.status, count: a.count, summary: a.summary,
    evidence: asJson(a.evidence) as Record<string, unknown>,
  };
  if (a.rollup !== undefined) copy.rollup = { heldBack: a.rollup.heldBack, workloads: a.rollup.workloads, alertedIndividually: a.rollup.alertedIndividually, sample: [...a.rollup.sample] };
  return copy;
}

/**
 * `value` as JSON.stringify would write it, as a value: undefined (and function) members left
 * out and null in arrays, non-finite numbers null, -0 as 0, toJSON applied. Evidence is plain
 * data, so this is a deep copy with the undefined members gone.
 */
function asJson(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : null;
    case 'bigint':
      throw new TypeError('alert evidence holds a BigInt, which JSON cannot carry');
    case 'object': {
      if (value === null) return null;
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return asJson(toJSON.call(value));
      if (Array.isArray(value)) return Array.from(value, (item) => asJson(item) ?? null);
      const out: Record<string, unknown> = {};
      for (const [key, member] of Object.entries(value)) {
        const json = asJson(member);
        if (json !== undefined) out[key] = json;
      }
      return out;
    }
    default:
      return undefined;
  }
}

const STATUSES: readonly Alert['status'][] = ['firing', 'resolved'];

function readHeld(value: unknown): HeldAlert {
  const h = object(value, 'alerts[]');
  const held: HeldAlert = { alert: readAlert(h.alert), lastEvidence: finite(h.lastEvidence, 'alerts[].lastEvidence') };
  if (h.resolvedAt !== undefined) held.resolvedAt = finite(h.resolvedAt, 'alerts[].resolvedAt');
  if (h.reopens !== undefined) held.reopens = count(h.reopens, 'alerts[].reopens');
  if (h.emissions !== undefined) held.emissions = list(h.emissions, 'alerts[].emissions').map((t) => finite(t, 'alerts[].emissions[]'));
  if (h.behind !== undefined && flag(h.behind, 'alerts[].behind')) held.behind = true;
  if (h.sinksResolved !== undefined && flag(h.sinksResolved, 'alerts[].sinksResolved')) held.sinksResolved = true;
  if (h.incident !== undefined) {
    const i = object(h.incident, 'alerts[].incident');
    held.incident = { summary: text(i.summary, 'alerts[].incident.summary'), target: text(i.target, 'alerts[].incident.target') };
  }
  return held;
}

/** An Alert from a snapshot, checked field by field, in toAlert's field order. */
function readAlert(value: unknown): Alert {
  const a = object(value, 'alerts[].alert');
  const w = object(a.workload, 'alerts[].alert.workload');
  const alert: Alert = {
    id: text(a.id, 'alerts[].alert.id'),
    fingerprint: text(a.fingerprint, 'alerts[].alert.fingerprint'),
    detector: text(a.detector, 'alerts[].alert.detector'),
    category: member(a.category, CATEGORIES, 'alerts[].alert.category'),
    technique: text(a.technique, 'alerts[].alert.technique'),
    severity: member(a.severity, SEVERITIES, 'alerts[].alert.severity'),
    score: finite(a.score, 'alerts[].alert.score'),
    workload: { cluster: text(w.cluster, 'alerts[].alert.workload.cluster'), namespace: text(w.namespace, 'alerts[].alert.workload.namespace'), name: text(w.name, 'alerts[].alert.workload.name'), role: text(w.role, 'alerts[].alert.workload.role') },
    peer: text(a.peer, 'alerts[].alert.peer'),
    startsAt: time(a.startsAt, 'alerts[].alert.startsAt'),
    endsAt: time(a.endsAt, 'alerts[].alert.endsAt'),
    status: member(a.status, STATUSES, 'alerts[].alert.status'),
    count: count(a.count, 'alerts[].alert.count'),
    summary: text(a.summary, 'alerts[].alert.summary'),
    evidence: asJson(object(a.evidence, 'alerts[].alert.evidence')) as Record<string, unknown>,
  };
  if (a.rollup !== undefined) {
    const r = object(a.rollup, 'alerts[].alert.rollup');
    alert.rollup = {
      heldBack: count(r.heldBack, 'alerts[].alert.rollup.heldBack'), workloads: count(r.workloads, 'alerts[].alert.rollup.workloads'),
      alertedIndividually: count(r.alertedIndividually, 'alerts[].alert.rollup.alertedIndividually'),
      sample: list(r.sample, 'alerts[].alert.rollup.sample').map((key) => text(key, 'alerts[].alert.rollup.sample[]')),
    };
  }
  return alert;
}

const checks = snapshotReader('alert lifecycle snapshot');
const { object, list, tuple, finite, count, text, flag, time, member } = checks;

// A declared `never` function, so that TypeScript narrows after a call.
function malformed(where: string, problem: string): never {
  return checks.malformed(where, problem);
}

/** An ISO time: absorb() reads endsAt back with Date.parse. */
