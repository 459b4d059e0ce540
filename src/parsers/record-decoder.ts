import type { FormatOption, RecordFormat } from '../model/record-format.ts';
import { parseCalicoDns } from './calico-dns.ts';
import { parseCalicoFlow } from './calico-flow.ts';
import { detectFormat } from './detect-format.ts';
import { isObject, type JsonObject } from './field-reader.ts';
import { parseHubble } from './hubble.ts';
import type { ParseContext } from './parse-context.ts';
import { invalid, type ParseOutcome } from './parse-outcome.ts';

export type Parser = (obj: JsonObject, ctx: ParseContext) => ParseOutcome;

export const PARSERS: Record<RecordFormat, Parser> = {
  'calico-flow': parseCalicoFlow,
  'calico-dns': parseCalicoDns,
  hubble: parseHubble,
};

/** A decoded message: the outcome plus the format it was read as (undefined when unknown). */
export type DecodeResult = ParseOutcome & { format: RecordFormat | undefined };

/**
 * Raw message bytes → normalised record, skip or rejection. This is the whole per-record hot
 * path before enrichment: one size check, one JSON.parse, one dispatch.
 */
export function decodeMessage(value: Buffer | string, format: FormatOption, ctx: ParseContext, maxRecordBytes: number): DecodeResult {
  const size = typeof value === 'string' ? value.length : value.byteLength;
  if (size > maxRecordBytes) {
    return { ...invalid('oversized', `message is ${size} bytes; limits.max_record_bytes is ${maxRecordBytes}`), format: format === 'auto' ? undefined : format };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (error) {
    return { ...invalid('malformed-json', (error as Error).message), format: format === 'auto' ? undefined : format };
  }
  if (!isObject(parsed)) return { ...invalid('not-an-object', 'a record must be a JSON object'), format: format === 'auto' ? undefined : format };
  const actual = format === 'auto' ? detectFormat(parsed) : format;
  if (actual === undefined) {
    return { ...invalid('unknown-format', 'not a Calico flow, Calico DNS or Hubble record (format: auto)'), format: undefined };
  }
  const outcome = PARSERS[actual](parsed, ctx) as DecodeResult;
  outcome.format = actual;
  return outcome;
}
