import { createHash } from 'node:crypto';
import { compileGlob } from '../enrich/glob.ts';
import type { Alert, AlertRollup, Finding, Severity } from '../model/alert.ts';
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

/**
 * The one place alerts are born, updated and resolved. Fingerprint = detector + workload +
 * peer, so repeated evidence updates one alert instead of raising many. In an alert storm
 * (see alert-storm.ts) the findings past the bound are folded into roll-up alerts.
 */
export class AlertLifecycle {
  private readonly options: AlertLifecycleOptions;
  private readonly suppress: ((f: Finding) => boolean)[];
  private readonly alerts = new Map<string, { alert: Alert; lastEvidence: number; resolvedAt?: number }>();
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

  private hold(fingerprint: string, entry: { alert: Alert; lastEvidence: number }): void {
    if (this.alerts.size >= this.options.maxAlerts) this.alerts.delete(this.alerts.keys().next().value!);
    this.alerts.set(fingerprint, entry);
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
