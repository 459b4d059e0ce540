import type { FormatOption, RecordFormat } from '../model/record-format.ts';
import { parseCalicoDns, routeCalicoDns } from './calico-dns.ts';
import { parseCalicoFlow, routeCalicoFlow } from './calico-flow.ts';
import { detectFormat } from './detect-format.ts';
import { FieldError, isObject, type JsonObject } from './field-reader.ts';
import { parseHubble, routeHubble } from './hubble.ts';
import type { ParseContext } from './parse-context.ts';
import { invalid, type ParseOutcome, type Route } from './parse-outcome.ts';

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
  const read = readObject(value, format, maxRecordBytes);
  if ('status' in read) return read;
  const outcome = PARSERS[read.format](read.obj, ctx) as DecodeResult;
  outcome.format = read.format;
  return outcome;
}

/** A line as a replay into Kafka routes it: its format, and its event time and key when it has a record. */
export type RouteResult = { status: 'ok'; format: RecordFormat; route: Route } | { status: 'skipped' | 'invalid'; format: RecordFormat | undefined };

const ROUTERS: Record<RecordFormat, (obj: JsonObject, ctx: ParseContext) => Route | undefined> = {
  'calico-flow': routeCalicoFlow,
  'calico-dns': routeCalicoDns,
  hubble: routeHubble,
};

/**
 * decodeMessage for `replay --to kafka`: the same reading and format detection, then only the
 * fields of the event time and the key. A line it calls invalid decodeMessage rejects too; a
 * line it routes may still be one the consumer rejects for another field (and dead-letters).
 */
export function routeMessage(value: string, ctx: ParseContext): RouteResult {
  const read = readObject(value, 'auto', Number.MAX_SAFE_INTEGER);
  if ('status' in read) return { status: 'invalid', format: read.format };
  try {
    const route = ROUTERS[read.format](read.obj, ctx);
    return route === undefined ? { status: 'skipped', format: read.format } : { status: 'ok', format: read.format, route };
  } catch (error) {
    if (error instanceof FieldError) return { status: 'invalid', format: read.format };
    throw error;
  }
}

/** Size check, JSON.parse and format detection, shared by decoding and routing. */
function readObject(value: Buffer | string, format: FormatOption, maxRecordBytes: number): { obj: JsonObject; format: RecordFormat } | DecodeResult {
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
  return { obj: parsed, format: actual };
}
