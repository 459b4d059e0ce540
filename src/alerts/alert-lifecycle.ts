import { createHash } from 'node:crypto';
import { compileGlob } from '../enrich/glob.ts';
import type { Alert, Finding, Severity } from '../model/alert.ts';

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
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/**
 * The one place alerts are born, updated and resolved. Fingerprint = detector + workload +
 * peer, so repeated evidence updates one alert instead of raising many.
 */
export class AlertLifecycle {
  private readonly options: AlertLifecycleOptions;
  private readonly suppress: ((f: Finding) => boolean)[];
  private readonly alerts = new Map<string, { alert: Alert; lastEvidence: number; resolvedAt?: number }>();
  suppressed = 0;

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

  /** Findings in; alerts that are new, re-opened or escalated out. */
  accept(findings: Finding[]): Alert[] {
    const out: Alert[] = [];
    for (const finding of findings) {
      if (this.suppress.some((matches) => matches(finding))) {
        this.suppressed++;
        continue;
      }
      const fingerprint = fingerprintOf(finding);
      const held = this.alerts.get(fingerprint);
      if (held === undefined) {
        const alert = toAlert(finding, fingerprint);
        this.hold(fingerprint, { alert, lastEvidence: finding.endsAt });
        out.push({ ...alert });
        continue;
      }
      const { alert } = held;
      const reopened = alert.status === 'resolved';
      const escalated = SEVERITY_RANK[finding.severity] > SEVERITY_RANK[alert.severity];
      alert.status = 'firing';
      alert.count++;
      alert.endsAt = new Date(Math.max(Date.parse(alert.endsAt), finding.endsAt)).toISOString();
      if (finding.score >= alert.score) {
        alert.score = finding.score;
        alert.summary = finding.summary;
        alert.evidence = finding.evidence;
      }
      if (escalated) alert.severity = finding.severity;
      held.lastEvidence = Math.max(held.lastEvidence, finding.endsAt);
      delete held.resolvedAt;
      if (reopened || escalated) out.push({ ...alert });
    }
    return out;
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

export function fingerprintOf(f: Pick<Finding, 'detector' | 'workload' | 'peer'>): string {
  return createHash('sha256').update(`${f.detector}\u0000${f.workload.cluster}/${f.workload.namespace}/${f.workload.name}\u0000${f.peer}`).digest('hex').slice(0, 16);
}

function toAlert(f: Finding, fingerprint: string): Alert {
  return {
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
    count: 1,
    summary: f.summary,
    evidence: f.evidence,
  };
}
