import { statSync } from 'node:fs';
import { inputBytesRead } from '../sources/file-source.ts';

/**
 * Replay progress: a self-updating line on a terminal (records/s, event-time position, ETA from
 * the input bytes read), plain log lines every 10 s otherwise. Writes to stderr.
 */
export class Progress {
  private readonly timer: NodeJS.Timeout;
  private readonly started = Date.now();
  private readonly totalBytes: number;
  private readonly tty = process.stderr.isTTY === true;

  private readonly bytesRead: () => number;

  /** `bytesRead`: input bytes read so far, when the files are read elsewhere (a worker thread). */
  constructor(files: string[], read: () => { records: number; eventTime: number }, bytesRead: () => number = inputBytesRead) {
    this.bytesRead = bytesRead;
    this.totalBytes = files.reduce((sum, f) => {
      try {
        return sum + (f === '-' ? 0 : statSync(f).size);
      } catch {
        return sum;
      }
    }, 0);
    this.timer = setInterval(() => this.print(read()), this.tty ? 500 : 10_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.tty) process.stderr.write('\r\u001b[K');
  }

  private print({ records, eventTime }: { records: number; eventTime: number }): void {
    const seconds = (Date.now() - this.started) / 1000;
    const rate = Math.round(records / Math.max(seconds, 0.001));
    const done = this.totalBytes > 0 ? Math.min(1, this.bytesRead() / this.totalBytes) : 0;
    const eta = done > 0.01 ? Math.round((seconds / done) * (1 - done)) : undefined;
    const at = Number.isFinite(eventTime) ? new Date(eventTime).toISOString().slice(0, 19) + 'Z' : '-';
    const line = `${records.toLocaleString('en')} records, ${rate.toLocaleString('en')}/s, event time ${at}${done > 0 ? `, ${Math.round(done * 100)}%` : ''}${eta !== undefined ? `, ETA ${eta} s` : ''}`;
    process.stderr.write(this.tty ? `\r\u001b[K${line}` : `${new Date().toISOString()} INFO progress: ${line}\n`);
  }
}
