import { createWriteStream, type WriteStream } from 'node:fs';
import type { Alert } from '../model/alert.ts';
import type { AlertSink } from './alert-sink.ts';

/**
 * Alerts as JSON lines (`--alerts-out`): one line per alert emission — new, re-opened,
 * escalated or resolved. Updates of one alert share its `id` and `fingerprint`.
 */
export class AlertsFile implements AlertSink {
  private readonly stream: WriteStream;

  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: 'w' });
  }

  async write(alerts: Alert[]): Promise<void> {
    let text = '';
    for (const alert of alerts) text += JSON.stringify(alert) + '\n';
    if (!this.stream.write(text)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(resolve);
    });
  }
}
