import { BaseTransport, getTransportBody, initializeFaro, InternalLoggerLevel, type Faro, type TransportItem } from '@grafana/faro-core';
import type { AlertSink } from '../alerts/alert-sink.ts';
import type { Alert } from '../model/alert.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { DeliveryStats, MeteredSink } from '../telemetry/pipeline-metrics.ts';

export interface FaroSinkOptions {
  /** Grafana Alloy `faro.receiver` endpoint, e.g. http://alloy:12347/collect. */
  url: string;
  /** Sent as X-API-Key when the receiver has `api_key` set. */
  apiKey?: string;
  /** Items held while the receiver is unreachable or rate-limits; beyond this they are dropped and counted. */
  maxBuffered: number;
  /** Pipeline measurements pushed every `measureIntervalSeconds` (0 = never). */
  measure?: () => Record<string, number>;
  measureIntervalSeconds: number;
  logger: Logger;
}

/**
 * Posts Faro payloads (`{meta, events, measurements, …}`) to an Alloy faro.receiver. Honours
 * 429 / Retry-After, keeps a bounded queue while the receiver is away, never throws.
 */
class AlloyTransport extends BaseTransport {
  readonly name = 'flowhound-alloy-transport';
  readonly version = '1';
  private readonly options: FaroSinkOptions;
  private readonly stats: DeliveryStats;
  private queue: TransportItem[] = [];
  private pausedUntil = 0;
  private sending: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;

  constructor(options: FaroSinkOptions, stats: DeliveryStats) {
    super();
    this.options = options;
    this.stats = stats;
  }

  override isBatched(): boolean {
    return true;
  }

  send(items: TransportItem | TransportItem[]): void {
    const list = Array.isArray(items) ? items : [items];
    this.queue.push(...list);
    const overflow = this.queue.length - this.options.maxBuffered;
    if (overflow > 0) {
      this.queue.splice(0, overflow);
      this.stats.dropped += overflow;
    }
    this.stats.buffered = this.queue.length;
    void this.drain();
  }

  /** Sends what is queued; resolves when the queue is empty or the receiver is unavailable. */
  async drain(): Promise<void> {
    while (this.sending !== undefined) await this.sending;
    this.sending = this.post();
    try {
      await this.sending;
    } finally {
      this.sending = undefined;
    }
  }

  private async post(): Promise<void> {
    if (this.queue.length === 0) return;
    // Paused (a timer can fire a millisecond before Date.now() says the pause is over): try
    // again when it ends, or the queue would wait for the next alert.
    if (Date.now() < this.pausedUntil) return this.retryLater();
    const items = this.queue.splice(0, this.queue.length);
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.options.apiKey === undefined ? {} : { 'x-api-key': this.options.apiKey }) },
        body: JSON.stringify(getTransportBody(items)),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status === 429) {
        const retryAfter = Number(response.headers.get('retry-after') ?? '1');
        this.pausedUntil = Date.now() + (Number.isFinite(retryAfter) ? retryAfter : 1) * 1000;
        throw new Error('rate limited (429)');
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      this.stats.delivered += items.length;
    } catch (error) {
      this.stats.failed += items.length;
      this.queue.unshift(...items);
      if (this.pausedUntil <= Date.now()) this.pausedUntil = Date.now() + 2_000;
      this.options.logger.warn(`faro ${this.options.url}: ${(error as Error).message}; ${this.queue.length} item(s) kept for retry`);
      this.retryLater();
    }
    this.stats.buffered = this.queue.length;
  }

  private retryLater(): void {
    if (this.retry !== undefined) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.drain();
    }, Math.max(100, this.pausedUntil - Date.now()));
    this.retry.unref();
  }
}

/**
 * A Grafana Faro sink built on @grafana/faro-core (which runs in Node given a transport):
 * each alert becomes a Faro event `flowhound.alert` and the pipeline reports measurements, so
 * detections appear as a log stream in Grafana (Loki) beside the Prometheus panels.
 */
export class FaroSink implements AlertSink, MeteredSink {
  readonly name: string;
  readonly stats: DeliveryStats = { delivered: 0, failed: 0, dropped: 0, buffered: 0 };
  private readonly faro: Faro;
  private readonly transport: AlloyTransport;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(name: string, options: FaroSinkOptions) {
    this.name = name;
    this.transport = new AlloyTransport(options, this.stats);
    this.faro = initializeFaro({
      app: { name: 'flowhound', version: '0.1.0' },
      transports: [this.transport],
      instrumentations: [],
      metas: [],
      isolate: true,
      preventGlobalExposure: true,
      dedupe: false,
      paused: false,
      globalObjectKey: 'flowhoundFaro',
      internalLoggerLevel: InternalLoggerLevel.OFF,
      unpatchedConsole: console,
      parseStacktrace: () => ({ frames: [] }),
      batching: { enabled: true, sendTimeout: 250, itemLimit: 50 },
      sessionTracking: { enabled: false },
    });
    const measure = options.measure;
    if (measure !== undefined && options.measureIntervalSeconds > 0) {
      this.timer = setInterval(() => this.faro.api.pushMeasurement({ type: 'flowhound_pipeline', values: measure() }), options.measureIntervalSeconds * 1000);
      this.timer.unref();
    }
  }

  async write(alerts: Alert[]): Promise<void> {
    for (const alert of alerts) {
      this.faro.api.pushEvent('flowhound.alert', {
        id: alert.id, fingerprint: alert.fingerprint, status: alert.status, detector: alert.detector, category: alert.category,
        technique: alert.technique, severity: alert.severity, score: String(alert.score), cluster: alert.workload.cluster,
        namespace: alert.workload.namespace, workload: alert.workload.name, role: alert.workload.role, peer: alert.peer,
        startsAt: alert.startsAt, endsAt: alert.endsAt, summary: alert.summary,
      }, 'flowhound');
    }
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    // Let the batch executor hand over what it holds, then try once more.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await this.transport.drain();
    this.faro.pause();
  }
}
