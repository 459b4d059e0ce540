import { eventTime, type NormalizedRecord } from '../model/normalized-record.ts';
import type { DeadLetter, DeadLetterSink } from '../sinks/dead-letter.ts';
import type { IngestStats } from './ingest-stats.ts';
import type { RecordStage } from './record-stage.ts';

/**
 * Late records leave detection as dead letters (normalised JSON: their bytes are gone by then).
 * Detection pushes them as it meets them (`push`, its `onLate` hook); they are written after
 * the stage that judged them, as the ingest's last stage, or after each batch of the detection
 * tasks, and counted with the ingest's dead letters.
 */
export class LateRecords implements RecordStage {
  private readonly deadLetter: DeadLetterSink;
  private readonly allowedLatenessSeconds: number;
  private pending: DeadLetter[] = [];
  private stats: IngestStats | undefined;

  constructor(deadLetter: DeadLetterSink, allowedLatenessSeconds: number) {
    this.deadLetter = deadLetter;
    this.allowedLatenessSeconds = allowedLatenessSeconds;
  }

  /**
   * Counts the letters into the ingest's stats. The ingest is built after this, as its last
   * stage, and it makes its own stats, so they are handed over once it exists.
   */
  countIn(stats: IngestStats): void {
    this.stats = stats;
  }

  push(record: NormalizedRecord): void {
    const at = new Date(eventTime(record)).toISOString();
    this.pending.push({
      source: 'detection', origin: { kind: 'record', eventTime: at }, format: record.format, reason: 'late',
      detail: `event time ${at} is behind the watermark by more than detection.allowed_lateness_seconds (${this.allowedLatenessSeconds} s)`,
      raw: JSON.stringify(record), rejectedAt: Date.now(),
    });
  }

  /** Writes what was pushed since the last call (the records passed in are not late: ignored). */
  async process(): Promise<void> {
    if (this.pending.length === 0) return;
    const letters = this.pending;
    this.pending = [];
    await this.deadLetter.write(letters);
    if (this.stats !== undefined) this.stats.deadLettered += letters.length;
  }

  async close(): Promise<void> {
    await this.process();
  }
}
