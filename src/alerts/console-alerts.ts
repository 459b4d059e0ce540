import { isNewAlert, type Alert } from '../model/alert.ts';
import type { AlertSink } from './alert-sink.ts';

const MARK: Record<Alert['severity'], string> = { critical: 'CRIT', warning: 'WARN', info: 'INFO' };

/** Readable alert lines for a terminal: when, how bad, what, and the evidence behind it. */
export function formatAlert(alert: Alert): string {
  const evidence = Object.entries(alert.evidence)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  const state = alert.status === 'resolved' ? ' (resolved)' : '';
  return `${alert.startsAt} ${MARK[alert.severity]} ${alert.detector} [${alert.category} ${alert.technique}] score=${alert.score}${state}\n  ${alert.summary}\n  evidence: ${evidence}\n`;
}

export class ConsoleAlerts implements AlertSink {
  private readonly write_: (text: string) => void;

  constructor(write: (text: string) => void = (text) => process.stdout.write(text)) {
    this.write_ = write;
  }

  async write(alerts: Alert[]): Promise<void> {
    // Resolutions are for machines; people want to read what fired.
    for (const alert of alerts) if (alert.status === 'firing' && isNewAlert(alert)) this.write_(formatAlert(alert));
  }

  async close(): Promise<void> {}
}
