import type { InvalidReason, SkipReason } from '../errors.ts';
import type { NormalizedRecord } from '../model/normalized-record.ts';

/**
 * What a parser makes of one message. Parsers never throw on bad data: the pipeline counts
 * the reason and dead-letters the original bytes.
 */
export type ParseOutcome =
  | { status: 'ok'; record: NormalizedRecord }
  | { status: 'skipped'; reason: SkipReason }
  | { status: 'invalid'; reason: InvalidReason; detail: string };

export function invalid(reason: InvalidReason, detail: string): ParseOutcome {
  return { status: 'invalid', reason, detail };
}

export function skipped(reason: SkipReason): ParseOutcome {
  return { status: 'skipped', reason };
}

export function ok(record: NormalizedRecord): ParseOutcome {
  return { status: 'ok', record };
}

/** Where a replay into Kafka sends a line: its event time (epoch ms) and message key. */
export interface Route {
  time: number;
  key: string;
}
