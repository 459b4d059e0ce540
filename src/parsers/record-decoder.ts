import type { FormatOption, RecordFormat } from '../model/record-format.ts';
import type { SkipReason } from '../errors.ts';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import { parseCalicoDns, readCalicoDns, routeCalicoDns } from './calico-dns.ts';
import { parseCalicoFlow, readCalicoFlow, routeCalicoFlow } from './calico-flow.ts';
import { detectFormat } from './detect-format.ts';
import { FieldError, isObject, type JsonObject } from './field-reader.ts';
import { parseHubble, readHubble, routeHubble } from './hubble.ts';
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
 * Each format's reading of a parsed line: its record, or why it is skipped; a bad field throws
 * FieldError. What PARSERS return, without the outcome object around it.
 */
const READERS: Record<RecordFormat, (obj: JsonObject, ctx: ParseContext) => NormalizedRecord | SkipReason> = {
  'calico-flow': readCalicoFlow,
  'calico-dns': readCalicoDns,
  hubble: readHubble,
};

/**
 * Raw message bytes → normalised record, skip or rejection. This is the whole per-record hot
 * path before enrichment: one size check, one JSON.parse, one dispatch, one result object.
 */
export function decodeMessage(value: Buffer | string, format: FormatOption, ctx: ParseContext, maxRecordBytes: number): DecodeResult {
  const read = readObject(value, format, maxRecordBytes);
  if (read.status !== undefined) return read as DecodeResult;
  const actual = read.format!;
  const obj = read.obj!;
  held.obj = undefined;
  let record: NormalizedRecord | SkipReason;
  try {
    record = READERS[actual](obj, ctx);
  } catch (error) {
    if (error instanceof FieldError) return { status: 'invalid', reason: error.reason, detail: error.message, format: actual };
    throw error;
  }
  return typeof record === 'string' ? { status: 'skipped', reason: record, format: actual } : { status: 'ok', record, format: actual };
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
  if (read.status !== undefined) return { status: 'invalid', format: read.format };
  const format = read.format!;
  const obj = read.obj!;
  held.obj = undefined;
  try {
    const route = ROUTERS[format](obj, ctx);
    return route === undefined ? { status: 'skipped', format } : { status: 'ok', format, route };
  } catch (error) {
    if (error instanceof FieldError) return { status: 'invalid', format: read.format };
    throw error;
  }
}

/**
 * Size check, JSON.parse and format detection, shared by decoding and routing: a rejection
 * (with `status`), or the object and its format. One reusable holder for the latter (each
 * caller reads it at once), so a good line costs no object here.
 */
function readObject(value: Buffer | string, format: FormatOption, maxRecordBytes: number): { status?: undefined; obj: JsonObject | undefined; format: RecordFormat | undefined } | DecodeResult {
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
  held.obj = parsed;
  held.format = actual;
  return held;
}

const held: { status?: undefined; obj: JsonObject | undefined; format: RecordFormat | undefined } = { status: undefined, obj: undefined, format: undefined };
