import type { NormalizedRecord } from '../model/normalized-record.ts';

/**
 * The source line each record was parsed from, kept aside for the stages that store it (Arrow
 * datasets, so they can be replayed into Kafka in the original format). A side table rather
 * than a field of the record: only `convert` asks for it, and the detection path neither
 * carries nor copies the raw text. Weak, so a record dropped on the way (out of a time range)
 * takes its line with it. A parser makes at most one record of a line, so this is 1:1.
 */
export class RecordOriginals {
  private readonly lines = new WeakMap<NormalizedRecord, string>();

  keep(record: NormalizedRecord, value: Buffer | string): void {
    this.lines.set(record, typeof value === 'string' ? value : value.toString('utf8'));
  }

  /** The record's line, forgotten once taken: each record is stored once. */
  take(record: NormalizedRecord): string | undefined {
    const line = this.lines.get(record);
    if (line !== undefined) this.lines.delete(record);
    return line;
  }
}
