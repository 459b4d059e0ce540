import { createWriteStream, type WriteStream } from 'node:fs';
import type { Alert } from '../model/alert.ts';
import type { AlertSink } from './alert-sink.ts';

export interface AlertsFileOptions {
  /**
   * Append to the file (the default) or truncate it when opened. A pipeline's `type: file` sink
   * is an archive that must survive restarts of `flowhound run`, so it appends; `--alerts-out`
   * is one command's output and may start afresh (`{ append: false }`).
   */
  append?: boolean;
}

/**
 * Alerts as JSON lines (`type: file` sinks, `--alerts-out`): one line per alert emission — new,
 * re-opened, escalated or resolved. Updates of one alert share its `id` and `fingerprint`.
 */
export class AlertsFile implements AlertSink {
  private readonly stream: WriteStream;

  constructor(path: string, options: AlertsFileOptions = {}) {
    this.stream = createWriteStream(path, { flags: options.append === false ? 'w' : 'a' });
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
