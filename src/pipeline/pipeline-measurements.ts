import type { DetectionView } from './detection-stage.ts';
import type { Ingest } from './ingest.ts';

/**
 * What the Faro sinks report every `measure_interval_seconds`. They are alert sinks, so they
 * are built before the detection they report on; like PipelineMetrics, this is handed to them
 * first and observes the ingest and detection once those exist (nothing is measured before).
 */
export class PipelineMeasurements {
  private observed: { ingest: Ingest; view: DetectionView } | undefined;
  private lastReceived = 0;
  private lastMeasured = Date.now();

  observe(ingest: Ingest, view: DetectionView): void {
    this.observed = { ingest, view };
    this.lastMeasured = Date.now();
  }

  /** Records/s since the last call, event-time lag, active alerts and baselines. */
  readonly measure = (): Record<string, number> => {
    if (this.observed === undefined) return {};
    const { ingest, view } = this.observed;
    const received = ingest.stats.total(ingest.stats.received);
    const now = Date.now();
    const values = {
      records_per_second: Math.round(((received - this.lastReceived) * 1000) / Math.max(1, now - this.lastMeasured)),
      event_time_lag_seconds: Number.isFinite(view.newestEventTime) ? Math.round((now - view.newestEventTime) / 1000) : 0,
      alerts_active: view.activeAlerts().length,
      baselines: view.baselines.size,
    };
    this.lastReceived = received;
    this.lastMeasured = now;
    return values;
  };
}
