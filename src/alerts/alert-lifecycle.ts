import { createHash } from 'node:crypto';
import { snapshotReader } from '../model/snapshot-reader.ts';
import { compileGlob } from '../enrich/glob.ts';
import { CATEGORIES, SEVERITIES, type Alert, type AlertRollup, type Finding, type Severity } from '../model/alert.ts';
import type { Workload } from '../model/workload.ts';
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
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** An alert the lifecycle holds (firing, or resolved and cooling down). */
export interface HeldAlert {
  alert: Alert;
  /** Event time of the newest evidence. */
  lastEvidence: number;
  resolvedAt?: number;
}

/**
 * An AlertLifecycle as plain JSON (a checkpoint). The storm state is in it too: which roll-ups
 * fire is read off the held alerts.
 */
export interface AlertLifecycleSnapshot {
  version: 1;
  /** Oldest first: past `maxAlerts` the first is dropped. */
  alerts: HeldAlert[];
  suppressed: number;
  rolledUp: [detector: string, findings: number][];
}

/**
 * The one place alerts are born, updated and resolved. Fingerprint = detector + workload +
 * peer, so repeated evidence updates one alert instead of raising many. In an alert storm
 * (see alert-storm.ts) the findings past the bound are folded into roll-up alerts.
 */
export class AlertLifecycle {
  private readonly options: AlertLifecycleOptions;
  private readonly suppress: ((f: Finding) => boolean)[];
  /** Fingerprint → alert, in the order they were opened. */
  private readonly alerts = new Map<string, HeldAlert>();
  suppressed = 0;
  /** Findings held back into roll-up alerts, per detector. */
  readonly rolledUp = new Map<string, number>();

  constructor(options: AlertLifecycleOptions) {
    this.options = options;
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
    const heldBack = this.options.storm === undefined ? [] : this.holdBack(kept, this.options.storm);
    const held = new Set(heldBack.flatMap((h) => h.findings));
    const out: Alert[] = [];
    for (const finding of kept) if (!held.has(finding)) this.absorb(fingerprintOf(finding), finding, out);
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

  /** Opens, updates or re-opens the alert of this fingerprint; what is (re-)emitted goes to `out`. */
  private absorb(fingerprint: string, finding: Finding, out: Alert[], rollup?: AlertRollup): void {
    const held = this.alerts.get(fingerprint);
    if (held === undefined) {
      const alert = toAlert(finding, fingerprint, rollup);
      this.hold(fingerprint, { alert, lastEvidence: finding.endsAt });
      out.push({ ...alert });
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
    // A roll-up describes its latest window.
    if (stronger || rollup !== undefined) {
      alert.summary = finding.summary;
      alert.evidence = finding.evidence;
    }
    if (rollup !== undefined) alert.rollup = rollup;
    if (escalated) alert.severity = finding.severity;
    held.lastEvidence = Math.max(held.lastEvidence, finding.endsAt);
    delete held.resolvedAt;
    if (reopened || escalated) out.push({ ...alert });
  }

  /** Advances event time: resolves quiet alerts (returned) and forgets cooled-down ones. */
  advance(now: number): Alert[] {
    const out: Alert[] = [];
    for (const [fingerprint, held] of this.alerts) {
      if (held.alert.status === 'firing' && now - held.lastEvidence >= this.options.resolveAfterMs) {
        held.alert.status = 'resolved';
        held.resolvedAt = now;
        out.push({ ...held.alert });
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
   * A JSON-safe copy of every held alert (in order), the suppression and roll-up counts.
   * Evidence is copied as JSON carries it, which is how every sink writes it: members that are
   * undefined are left out.
   */
  snapshot(): AlertLifecycleSnapshot {
    const alerts: HeldAlert[] = [];
    for (const { alert, lastEvidence, resolvedAt } of this.alerts.values()) {
      const held: HeldAlert = { alert: copyAlert(alert), lastEvidence };
      if (resolvedAt !== undefined) held.resolvedAt = resolvedAt;
      alerts.push(held);
    }
    return { version: 1, alerts, suppressed: this.suppressed, rolledUp: [...this.rolledUp] };
  }

  /**
   * The lifecycle a snapshot was taken of, with `options` (suppression rules, storm bounds,
   * timeouts: config, not state). Past a `maxAlerts` lowered since the checkpoint, the oldest
   * alerts are dropped, as hold() would have. Throws on an unknown version or malformed input.
   */
  static restore(snapshot: unknown, options: AlertLifecycleOptions): AlertLifecycle {
    const s = object(snapshot, 'snapshot');
    if (s.version !== 1) throw new Error(`alert lifecycle snapshot: unknown version ${JSON.stringify(s.version)} (this build reads version 1)`);
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
    return lifecycle;
  }
}

const NONE: ReadonlySet<string> = new Set();

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
const { object, list, tuple, finite, count, text, time, member } = checks;

// A declared `never` function, so that TypeScript narrows after a call.
function malformed(where: string, problem: string): never {
  return checks.malformed(where, problem);
}

/** An ISO time: absorb() reads endsAt back with Date.parse. */
