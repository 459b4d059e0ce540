import type { Alert } from '../model/alert.ts';
import type { AlertSink } from './alert-sink.ts';

/** Counts distinct alerts by detector and severity, for the end-of-run summary. */
export class AlertTally implements AlertSink {
  readonly byDetector = new Map<string, { critical: number; warning: number; info: number }>();
  private readonly seen = new Set<string>();

  async write(alerts: Alert[]): Promise<void> {
    for (const alert of alerts) {
      if (alert.status !== 'firing' || this.seen.has(alert.id)) continue;
      this.seen.add(alert.id);
      let counts = this.byDetector.get(alert.detector);
      if (counts === undefined) this.byDetector.set(alert.detector, (counts = { critical: 0, warning: 0, info: 0 }));
      counts[alert.severity]++;
    }
  }

  get total(): number {
    return this.seen.size;
  }

  async close(): Promise<void> {}
}
