/**
 * One descriptor per wire format: how `format: auto` recognises a message, how it is read into
 * a record, and how a replay into Kafka routes it (event time and key). The decoder's tables
 * (record-decoder.ts) are built from FORMATS; adding a format is adding its descriptor here.
 *
 * A descriptor says what its messages are made of (`input`): JSON formats share one JSON.parse
 * (the decoder's) and are handed the object; a text format (CSV) is handed the line itself, with
 * whatever its stream declared beforehand (a CSV header) in the ParseContext.
 */
import type { SkipReason } from '../errors.ts';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import type { FormatOption, RecordFormat } from '../model/record-format.ts';
import { readCalicoDns, routeCalicoDns } from './calico-dns.ts';
import { readCalicoFlow, routeCalicoFlow } from './calico-flow.ts';
import { csvLayout, isCsvMessage, looksLikeCsvHeader, readCsvFlow, routeCsvFlow, splitHeader, type CsvLayout, type CsvOptions } from './csv-flow.ts';
import type { JsonObject } from './field-reader.ts';
import { readHubble, routeHubble } from './hubble.ts';
import type { ParseContext } from './parse-context.ts';
import type { Route } from './parse-outcome.ts';

interface Descriptor<Input> {
  format: RecordFormat;
  /** Under `format: auto`: whether a message is of this format (cheap; never guesses from values). */
  detect(input: Input, ctx: ParseContext): boolean;
  /** The message's record, or why it is skipped; throws FieldError for a bad field. */
  read(input: Input, ctx: ParseContext): NormalizedRecord | SkipReason;
  /** Event time and key only (no record built); undefined for messages `read` skips; throws FieldError where `read` would reject those fields. */
  route(input: Input, ctx: ParseContext): Route | undefined;
}

/** A JSON-lines format: handed the parsed object. */
export interface JsonFormatDescriptor extends Descriptor<JsonObject> {
  input: 'json';
}

/** A text format: handed the message as it is (a CSV row). */
export interface TextFormatDescriptor extends Descriptor<string> {
  input: 'text';
}

export type FormatDescriptor = JsonFormatDescriptor | TextFormatDescriptor;

/**
 * Every format, in detection order (auto tries the text formats first: they recognise their
 * messages from the stream's context, which costs nothing when the stream has none; then the
 * JSON formats by keys only one of them has).
 */
export const FORMATS: readonly FormatDescriptor[] = [
  {
    format: 'hubble',
    input: 'json',
    detect: (obj) => 'flow' in obj || 'verdict' in obj || 'node_status' in obj || 'lost_events' in obj,
    read: readHubble,
    route: routeHubble,
  },
  {
    format: 'calico-dns',
    input: 'json',
    detect: (obj) => 'qname' in obj || 'client_name_aggr' in obj || obj.type === 'UNLOGGED',
    read: readCalicoDns,
    route: routeCalicoDns,
  },
  {
    format: 'calico-flow',
    input: 'json',
    detect: (obj) => 'start_time' in obj && ('source_name_aggr' in obj || 'dest_name_aggr' in obj || 'source_type' in obj),
    read: readCalicoFlow,
    route: routeCalicoFlow,
  },
  {
    format: 'csv',
    input: 'text',
    detect: isCsvMessage,
    read: readCsvFlow,
    route: routeCsvFlow,
  },
];

/** Each format's descriptor. */
export const FORMAT_BY_NAME: Readonly<Record<RecordFormat, FormatDescriptor>> = Object.fromEntries(FORMATS.map((f) => [f.format, f])) as Record<RecordFormat, FormatDescriptor>;
export const JSON_FORMATS: readonly JsonFormatDescriptor[] = FORMATS.filter((f): f is JsonFormatDescriptor => f.input === 'json');
export const TEXT_FORMATS: readonly TextFormatDescriptor[] = FORMATS.filter((f): f is TextFormatDescriptor => f.input === 'text');

/** Format settings a source passes to the readers of its files (and messages). */
export interface FormatOptions {
  csv?: CsvOptions | undefined;
}

/** How a file is read, decided by its first line: the format of its batches and the CSV layout of its rows. */
export interface FileHead {
  format: FormatOption;
  csv: CsvLayout | undefined;
  /** The first line is a header, not a message. */
  isHeader: boolean;
}

/**
 * How a file whose first line (its first non-blank one, at `lineNumber`) is `first` is read,
 * for a source of format `format`:
 * - `csv` with `csv.header` configured: every line is a row of that header;
 * - `csv` otherwise: the first line is the header;
 * - `auto`: a first line that is not JSON and names the endpoint columns (after the mapping) is
 *   a CSV header; else the file is JSON lines (with `csv.header` configured, rows among them
 *   are read as CSV);
 * - a JSON format: the file is JSON lines.
 * A header that names CSV flow columns but cannot be read (no time column, a mapped column it
 * lacks) throws a message that says so; that is a problem of the whole file, not of a row.
 */
export function fileHead(first: string | undefined, lineNumber: number, format: FormatOption, options: FormatOptions): FileHead {
  const configured = options.csv?.header;
  const mapping = options.csv?.columns;
  if (format !== 'csv' && format !== 'auto') return { format, csv: undefined, isHeader: false };
  if (configured !== undefined) return { format, csv: usable(csvLayout(configured, mapping, 0), 'csv.header'), isHeader: false };
  if (first === undefined) return { format, csv: undefined, isHeader: false };
  if (format === 'auto' && !looksLikeCsvHeader(first, mapping)) return { format, csv: undefined, isHeader: false };
  const names = splitHeader(first);
  if (names === undefined) throw new HeaderError(`line ${lineNumber} is not a CSV header: a quoted field is not closed`);
  return { format: 'csv', csv: usable(csvLayout(names, mapping, lineNumber), `the header (line ${lineNumber})`), isHeader: true };
}

/** A header that cannot be read; file readers add the file's name. */
export class HeaderError extends Error {}

function usable(layout: CsvLayout | { problem: string }, what: string): CsvLayout {
  if ('problem' in layout) throw new HeaderError(`${what}: ${layout.problem}; name the columns with csv.columns (--csv-columns), e.g. src_ip=sa,dst_ip=da,time=ts`);
  return layout;
}

/** The CSV layout a source's `csv.header` declares (Kafka sources); undefined without one. Throws HeaderError for an unusable one (the config schema rejects those first). */
export function configuredCsvLayout(csv: CsvOptions | undefined): CsvLayout | undefined {
  return csv?.header === undefined ? undefined : usable(csvLayout(csv.header, csv.columns, 0), 'csv.header');
}
