import type { FormatOption, RecordFormat } from '../model/record-format.ts';
import type { SkipReason } from '../errors.ts';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import { FieldError, isObject, type JsonObject } from './field-reader.ts';
import { FORMAT_BY_NAME, JSON_FORMATS, TEXT_FORMATS, type FormatDescriptor } from './formats.ts';
import type { ParseContext } from './parse-context.ts';
import { invalid, type ParseOutcome, type Route } from './parse-outcome.ts';

/** A decoded message: the outcome plus the format it was read as (undefined when unknown). */
export type DecodeResult = ParseOutcome & { format: RecordFormat | undefined };

/**
 * Raw message bytes → normalised record, skip or rejection. This is the whole per-record hot
 * path before enrichment: one size check, one JSON.parse (JSON formats), one dispatch, one
 * result object.
 */
export function decodeMessage(value: Buffer | string, format: FormatOption, ctx: ParseContext, maxRecordBytes: number): DecodeResult {
  const read = prepare(value, format, ctx, maxRecordBytes);
  if (read !== held) return read as DecodeResult;
  const descriptor = held.descriptor!;
  const input = held.input!;
  held.input = undefined;
  let record: NormalizedRecord | SkipReason;
  try {
    record = descriptor.input === 'json' ? descriptor.read(input as JsonObject, ctx) : descriptor.read(input as string, ctx);
  } catch (error) {
    if (error instanceof FieldError) return { status: 'invalid', reason: error.reason, detail: error.message, format: descriptor.format };
    throw error;
  }
  return typeof record === 'string' ? { status: 'skipped', reason: record, format: descriptor.format } : { status: 'ok', record, format: descriptor.format };
}

/** A line as a replay into Kafka routes it: its format, and its event time and key when it has a record. */
export type RouteResult = { status: 'ok'; format: RecordFormat; route: Route } | { status: 'skipped' | 'invalid'; format: RecordFormat | undefined };

/**
 * decodeMessage for `replay --to kafka`: the same reading and format detection, then only the
 * fields of the event time and the key. A line it calls invalid decodeMessage rejects too; a
 * line it routes may still be one the consumer rejects for another field (and dead-letters).
 */
export function routeMessage(value: string, ctx: ParseContext, format: FormatOption = 'auto'): RouteResult {
  const read = prepare(value, format, ctx, Number.MAX_SAFE_INTEGER);
  if (read !== held) return { status: 'invalid', format: (read as DecodeResult).format };
  const descriptor = held.descriptor!;
  const input = held.input!;
  held.input = undefined;
  try {
    const route = descriptor.input === 'json' ? descriptor.route(input as JsonObject, ctx) : descriptor.route(input as string, ctx);
    return route === undefined ? { status: 'skipped', format: descriptor.format } : { status: 'ok', format: descriptor.format, route };
  } catch (error) {
    if (error instanceof FieldError) return { status: 'invalid', format: descriptor.format };
    throw error;
  }
}

/**
 * Size check, format selection and (for JSON formats) JSON.parse, shared by decoding and
 * routing: a rejection, or `held` with the descriptor and its input (the object, or the text).
 * One reusable holder for the latter (each caller reads it at once), so a good line costs no
 * object here.
 */
function prepare(value: Buffer | string, format: FormatOption, ctx: ParseContext, maxRecordBytes: number): Held | DecodeResult {
  const size = typeof value === 'string' ? value.length : value.byteLength;
  if (size > maxRecordBytes) {
    return { ...invalid('oversized', `message is ${size} bytes; limits.max_record_bytes is ${maxRecordBytes}`), format: format === 'auto' ? undefined : format };
  }
  const text = typeof value === 'string' ? value : value.toString('utf8');
  let descriptor: FormatDescriptor | undefined;
  if (format !== 'auto') descriptor = FORMAT_BY_NAME[format];
  else {
    for (const candidate of TEXT_FORMATS) {
      if (candidate.detect(text, ctx)) {
        descriptor = candidate;
        break;
      }
    }
  }
  if (descriptor !== undefined && descriptor.input === 'text') {
    held.descriptor = descriptor;
    held.input = text;
    return held;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ...invalid('malformed-json', (error as Error).message), format: format === 'auto' ? undefined : format };
  }
  if (!isObject(parsed)) return { ...invalid('not-an-object', 'a record must be a JSON object'), format: format === 'auto' ? undefined : format };
  if (descriptor === undefined) {
    for (const candidate of JSON_FORMATS) {
      if (candidate.detect(parsed, ctx)) {
        descriptor = candidate;
        break;
      }
    }
    if (descriptor === undefined) {
      return { ...invalid('unknown-format', 'not a Calico flow, Calico DNS or Hubble record, nor a row of a CSV file or of a source with csv.header (format: auto)'), format: undefined };
    }
  }
  held.descriptor = descriptor;
  held.input = parsed;
  return held;
}

interface Held {
  descriptor: FormatDescriptor | undefined;
  input: JsonObject | string | undefined;
}

const held: Held = { descriptor: undefined, input: undefined };
