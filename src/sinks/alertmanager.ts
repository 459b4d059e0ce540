import type { AlertSink } from '../alerts/alert-sink.ts';
import type { AlertmanagerSinkConfig } from '../config/pipeline-schema.ts';
import type { Alert } from '../model/alert.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { DeliveryStats, MeteredSink } from '../telemetry/pipeline-metrics.ts';

/** Alertmanager API v2 `postableAlert`. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

/** `egress-spike` → `FlowhoundEgressSpike`: one low-cardinality alertname per detector. */
export function alertName(detector: string): string {
  return 'Flowhound' + detector.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

function labelValue(text: string): string {
  return text.length <= 200 ? text : `${text.slice(0, 197)}...`;
}

/**
 * Sends alerts to every configured Alertmanager (an HA pair gets all of them) on the v2 API.
 * Firing alerts are re-sent every `resend_interval_seconds` with `endsAt` ahead of now, as
 * Prometheus does; a resolved alert is sent once more with `endsAt` = now. Deliveries retry
 * with backoff; while an Alertmanager is down its alerts wait in a bounded buffer (newest state
 * per alert wins) and what overflows is counted, never silently lost. It never throws into
 * the pipeline.
 *
 * An alert that resolves before its firing state reached an Alertmanager (both in one
 * checkpoint, or while a delivery was in flight: common at replay speed) is first delivered
 * firing, and its resolution held for one resend interval after that: Alertmanager never
 * notifies an alert it only ever saw resolved, so without this the attack would be silent.
 */
export class AlertmanagerSink implements AlertSink, MeteredSink {
  readonly name: string;
  readonly stats: DeliveryStats = { delivered: 0, failed: 0, dropped: 0, buffered: 0 };
  private readonly config: AlertmanagerSinkConfig;
  private readonly logger: Logger;
  private readonly clock: () => number;
  /** Firing alerts, re-sent on every tick until they resolve. */
  private readonly active = new Map<string, Alert>();
  /** Per Alertmanager URL: alerts not yet accepted there, by alert id (latest state wins). */
  private readonly pending = new Map<string, Map<string, Alert>>();
  /** Per Alertmanager URL: resolutions waiting for their firing state to be delivered and then a resend interval (release time once it was). */
  private readonly held = new Map<string, Map<string, { alert: Alert; releaseAt: number }>>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private backoffUntil = new Map<string, { until: number; delayMs: number }>();

  constructor(name: string, config: AlertmanagerSinkConfig, logger: Logger, clock: () => number = Date.now) {
    this.name = name;
    this.config = config;
    this.logger = logger;
    this.clock = clock;
    for (const url of config.urls) {
      this.pending.set(url, new Map());
      this.held.set(url, new Map());
    }
    this.timer = setInterval(() => void this.resend(), config.resend_interval_seconds * 1000);
    this.timer.unref();
  }

  async write(alerts: Alert[]): Promise<void> {
    for (const alert of alerts) {
      if (alert.status === 'firing') this.active.set(alert.id, alert);
      else this.active.delete(alert.id);
      this.enqueue(alert);
    }
    await this.flush();
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    // Last attempt for what is pending; the buffer's content is counted as dropped if it fails.
    this.backoffUntil.clear();
    await this.flush();
    // Then the held resolutions (their firing state went out just before, or never will).
    this.releaseHeld(Number.POSITIVE_INFINITY, true);
    await this.flush();
    for (const queue of this.pending.values()) this.stats.dropped += queue.size;
    this.stats.buffered = 0;
  }

  /** The v2 payload for one alert. */
  toPostable(alert: Alert): PostableAlert {
    const now = this.clock();
    const labels: Record<string, string> = {
      ...this.config.labels,
      alertname: alertName(alert.detector),
      severity: alert.severity,
      category: alert.category,
      technique: alert.technique,
      detector: alert.detector,
      cluster: alert.workload.cluster,
      namespace: alert.workload.namespace,
      workload: alert.workload.name,
      role: alert.workload.role,
      peer: labelValue(alert.peer),
      fingerprint: alert.fingerprint,
      source: 'flowhound',
      // A roll-up of an alert storm (workload and peer `*`), for routing it apart.
      ...(alert.rollup === undefined ? {} : { rollup: 'true' }),
    };
    const evidence = Object.entries(alert.evidence).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    const postable: PostableAlert = {
      labels,
      annotations: {
        summary: alert.summary,
        description: `${alert.summary}\n\nEvidence:\n${evidence.join('\n')}\n\nScore ${alert.score}, seen ${alert.count} time(s) between ${alert.startsAt} and ${alert.endsAt} (event time).`,
        runbook_url: this.config.runbook_url.replaceAll('{detector}', alert.detector),
        score: String(alert.score),
        event_time_end: alert.endsAt,
      },
      startsAt: alert.startsAt,
      // Firing: valid for a few resend intervals, so a flowhound that dies lets the alert lapse.
      endsAt: alert.status === 'firing' ? new Date(now + 4 * this.config.resend_interval_seconds * 1000).toISOString() : new Date(Math.max(now, Date.parse(alert.startsAt) + 1)).toISOString(),
    };
    if (this.config.generator_url !== undefined) postable.generatorURL = this.config.generator_url;
    return postable;
  }

  private enqueue(alert: Alert): void {
    for (const [url, queue] of this.pending) {
      const held = this.held.get(url)!;
      const queued = queue.get(alert.id);
      if (alert.status === 'resolved' && queued?.status === 'firing') {
        // Its firing state has not reached this Alertmanager yet: that goes first.
        held.set(alert.id, { alert, releaseAt: Number.POSITIVE_INFINITY });
        continue;
      }
      held.delete(alert.id);
      if (queued === undefined && queue.size + held.size >= this.config.max_buffered) {
        this.stats.dropped++;
        continue;
      }
      queue.set(alert.id, alert);
    }
    this.updateBuffered();
  }

  private async resend(): Promise<void> {
    for (const alert of this.active.values()) this.enqueue(alert);
    this.releaseHeld(this.clock());
    await this.flush();
  }

  /** Held resolutions due by `now` join the queue (all of them when closing, over a firing state still undelivered). */
  private releaseHeld(now: number, closing = false): void {
    for (const [url, held] of this.held) {
      const queue = this.pending.get(url)!;
      for (const [id, entry] of held) {
        if (!closing && (entry.releaseAt > now || queue.get(id)?.status === 'firing')) continue;
        queue.set(id, entry.alert);
        held.delete(id);
      }
    }
  }

  private async flush(): Promise<void> {
    // One flush at a time; a write during a flush waits for it and then flushes again.
    while (this.flushing !== undefined) await this.flushing;
    this.flushing = this.flushAll();
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }

  private async flushAll(): Promise<void> {
    await Promise.all(this.config.urls.map((url) => this.flushTo(url)));
    this.updateBuffered();
  }

  private async flushTo(url: string): Promise<void> {
    const queue = this.pending.get(url)!;
    if (queue.size === 0) return;
    const backoff = this.backoffUntil.get(url);
    if (backoff !== undefined && this.clock() < backoff.until) return;
    const alerts = [...queue.values()];
    try {
      const response = await fetch(new URL('/api/v2/alerts', url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts.map((a) => this.toPostable(a))),
        signal: AbortSignal.timeout(this.config.timeout_seconds * 1000),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`);
      const held = this.held.get(url)!;
      const resendAt = this.clock() + this.config.resend_interval_seconds * 1000;
      for (const alert of alerts) {
        if (queue.get(alert.id) === alert) queue.delete(alert.id);
        const resolution = held.get(alert.id);
        if (resolution !== undefined && alert.status === 'firing') resolution.releaseAt = resendAt;
      }
      this.stats.delivered += alerts.length;
      this.backoffUntil.delete(url);
    } catch (error) {
      this.stats.failed += alerts.length;
      const delayMs = Math.min(60_000, (backoff?.delayMs ?? 500) * 2);
      this.backoffUntil.set(url, { until: this.clock() + delayMs, delayMs });
      this.logger.warn(`alertmanager ${url}: delivery of ${alerts.length} alert(s) failed, retrying in ${delayMs / 1000} s: ${(error as Error).message}`);
      setTimeout(() => void this.flush(), delayMs).unref();
    }
  }

  private updateBuffered(): void {
    let max = 0;
    for (const [url, queue] of this.pending) max = Math.max(max, queue.size + this.held.get(url)!.size);
    this.stats.buffered = max;
  }
}
