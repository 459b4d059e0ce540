import type { InvalidReason, SkipReason } from '../errors.ts';
import type { RecordFormat } from '../model/record-format.ts';

/** Counts of what the ingest stage did, by source, format, kind and reason. Bounded: every key is from a closed list or the config. */
export class IngestStats {
  /** Messages received per source. */
  readonly received = new Map<string, number>();
  /** Normalised records per `format/kind`, e.g. `calico-flow/flow`, `hubble/dns`. */
  readonly records = new Map<string, number>();
  readonly invalid = new Map<InvalidReason, number>();
  readonly skipped = new Map<SkipReason, number>();
  deadLettered = 0;

  countRecord(format: RecordFormat, kind: 'flow' | 'dns'): void {
    bump(this.records, `${format}/${kind}`, 1);
  }

  countReceived(source: string, n: number): void {
    bump(this.received, source, n);
  }

  countInvalid(reason: InvalidReason): void {
    bump(this.invalid, reason, 1);
  }

  countSkipped(reason: SkipReason): void {
    bump(this.skipped, reason, 1);
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

function bump<K>(map: Map<K, number>, key: K, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}
