import type { InvalidReason, SkipReason } from '../errors.ts';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import { RECORD_FORMATS, type RecordFormat } from '../model/record-format.ts';

/**
 * Counts of what the ingest stage did, by source, format, kind and reason. Bounded: every key
 * part comes from a closed list or from the config. Metrics read these maps at scrape time.
 */
export class IngestStats {
  /** Messages received per source. */
  readonly received = new Map<string, number>();
  /** Normalised records per `source|format|kind`. */
  readonly parsed = new Map<string, number>();
  /** Rejected records per `source|format|reason` (format `unknown` when auto could not tell). */
  readonly rejected = new Map<string, number>();
  /** Skipped records per `source|reason`. */
  readonly skippedBySource = new Map<string, number>();
  deadLettered = 0;

  countReceived(source: string, n: number): void {
    bump(this.received, source, n);
  }

  countRecord(source: string, format: RecordFormat, kind: 'flow' | 'dns', n = 1): void {
    bump(this.parsed, `${source}|${format}|${kind}`, n);
  }

  /** countRecord for each record of a batch, with one map update per format and kind. */
  countRecords(source: string, records: readonly NormalizedRecord[]): void {
    const counts = new Array<number>(RECORD_FORMATS.length * 2).fill(0);
    const order: number[] = [];
    for (const record of records) {
      const slot = RECORD_FORMATS.indexOf(record.format) * 2 + (record.kind === 'flow' ? 0 : 1);
      if (counts[slot]!++ === 0) order.push(slot);
    }
    // In order of first appearance, as one countRecord per record would have added them.
    for (const slot of order) this.countRecord(source, RECORD_FORMATS[slot >> 1]!, slot % 2 === 0 ? 'flow' : 'dns', counts[slot]);
  }

  countInvalid(source: string, format: RecordFormat | undefined, reason: InvalidReason): void {
    bump(this.rejected, `${source}|${format ?? 'unknown'}|${reason}`, 1);
  }

  countSkipped(source: string, reason: SkipReason): void {
    bump(this.skippedBySource, `${source}|${reason}`, 1);
  }

  /** Records per `format/kind`, all sources together. */
  get records(): Map<string, number> {
    return fold(this.parsed, (parts) => `${parts[1]}/${parts[2]}`);
  }

  /** Rejects per reason, all sources together. */
  get invalid(): Map<InvalidReason, number> {
    return fold(this.rejected, (parts) => parts[2]!) as Map<InvalidReason, number>;
  }

  /** Skips per reason, all sources together. */
  get skipped(): Map<SkipReason, number> {
    return fold(this.skippedBySource, (parts) => parts[1]!) as Map<SkipReason, number>;
  }

  total(map: Map<string, number>): number {
    let sum = 0;
    for (const n of map.values()) sum += n;
    return sum;
  }

  toJSON(): Record<string, unknown> {
    return {
      received: Object.fromEntries(this.received),
      records: Object.fromEntries(this.records),
      invalid: Object.fromEntries(this.invalid),
      skipped: Object.fromEntries(this.skipped),
      deadLettered: this.deadLettered,
    };
  }
}

function bump(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

function fold(map: Map<string, number>, key: (parts: string[]) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, n] of map) bump(out, key(k.split('|')), n);
  return out;
}
