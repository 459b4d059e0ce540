import { isUtf8 } from 'node:buffer';
import type { InvalidReason } from '../errors.ts';
import type { RecordFormat } from '../model/record-format.ts';
import type { Origin } from '../sources/types.ts';

/** A rejected message with everything needed to understand it and to replay it once fixed. */
export interface DeadLetter {
  source: string;
  origin: Origin;
  /** The format it was read as; undefined when `auto` could not tell. */
  format: RecordFormat | undefined;
  reason: InvalidReason;
  detail: string;
  /** The original bytes, untouched. */
  raw: Buffer | string;
  key?: Buffer | null;
  /** Wall-clock time of rejection, epoch ms. */
  rejectedAt: number;
}

/** Where rejected records go. `write` resolves only once they are durably accepted. */
export interface DeadLetterSink {
  readonly description: string;
  write(letters: DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * One JSON line per rejected record:
 * `{"rejected_at","source","format","reason","detail","origin":{…},"raw":"<original text>"}`;
 * bytes that are not UTF-8 are kept exactly as `raw_base64` instead.
 */
export function deadLetterJson(letter: DeadLetter): string {
  const bytes = typeof letter.raw === 'string' ? undefined : letter.raw;
  const entry: Record<string, unknown> = {
    rejected_at: new Date(letter.rejectedAt).toISOString(),
    source: letter.source,
    format: letter.format ?? null,
    reason: letter.reason,
    detail: letter.detail,
    origin: letter.origin,
  };
  if (bytes === undefined) entry.raw = letter.raw;
  else if (isUtf8(bytes)) entry.raw = bytes.toString('utf8');
  else entry.raw_base64 = bytes.toString('base64');
  return JSON.stringify(entry);
}
