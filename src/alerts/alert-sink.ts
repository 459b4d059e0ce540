import type { Alert } from '../model/alert.ts';

/** Where alerts go (JSON-lines file, console, later Alertmanager and Kafka). */
export interface AlertSink {
  write(alerts: Alert[]): Promise<void>;
  close(): Promise<void>;
  /**
   * After a restart restored the alert lifecycle: the alerts still firing. Sinks that keep
   * re-notifying what fires (Alertmanager) take them up again; others ignore them.
   */
  resume?(active: Alert[]): Promise<void>;
}

/** In-memory twin, for tests. */
export class MemoryAlertSink implements AlertSink {
  readonly alerts: Alert[] = [];
  async write(alerts: Alert[]): Promise<void> {
    this.alerts.push(...alerts);
  }
  async close(): Promise<void> {}
}
