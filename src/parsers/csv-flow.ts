/**
 * CSV flow exports (nfdump `-o csv`, Zeek conn.log exports, labelled research datasets): one
 * flow per row, the columns named by a header row. A column mapping `{vocabulary name: header
 * name}` (a source's `csv.columns`, `--csv-columns`) puts another tool's names onto this
 * vocabulary; columns it does not name are ignored.
 *
 *   time                     the flow's instant; or start_time / end_time, its window
 *   src_ip, dst_ip           addresses; an endpoint with only an IP is `public` / `private`,
 *                            named by the IP itself (each address its own identity)
 *   src_namespace, src_workload, dst_namespace, dst_workload
 *                            a workload (with its namespace) makes the endpoint a pod
 *   src_port, dst_port       0 – 65535; empty, `-` or 0 = unknown
 *   protocol                 name (`tcp`, `UDP`…) or IANA number (`6`)
 *   bytes_out, packets_out   source → destination (default 0)
 *   bytes_in, packets_in     destination → source (default 0)
 *   connections              flows the row stands for (default 1)
 *   action                   allow (default; accept, pass, permit, forwarded) | deny (drop, reject, block…)
 *   cluster                  the pods' cluster (default: the source's)
 *   label                    a labelled dataset's verdict, kept as the record's `label`
 *
 * Times, decided per value: digits (a fraction allowed) are epoch seconds below 10^11,
 * milliseconds below 10^14, microseconds below 10^17, nanoseconds above (so millisecond times
 * before 1973-03-03 read as seconds); anything else must be ISO 8601 (`1998-06-01T08:00:00Z`,
 * a space for the `T`, an offset or none: a time without an offset is UTC).
 *
 * Fields are RFC 4180: quoted fields may hold commas and `""` for a quote; a row is one line
 * (a line break inside quotes is not supported). Empty and `-` fields are absent.
 */
import type { InvalidReason } from '../errors.ts';
import { NO_LABELS, type Endpoint } from '../model/endpoint.ts';
import { NO_FQDNS, type FlowRecord, type Protocol } from '../model/flow-record.ts';
import { recordKey } from '../model/workload.ts';
import { checkEpochMs, checkNotFuture, FieldError, MAX_COUNTER, parseRfc3339 } from './field-reader.ts';
import { addressKind } from './ip-address.ts';
import type { ParseContext } from './parse-context.ts';
import type { Route } from './parse-outcome.ts';
import { normalizeProtocol } from './protocol.ts';
import { grown } from '../model/typed-arrays.ts';

/** The column names a CSV flow may have, after the mapping. */
export const CSV_COLUMNS = [
  'time', 'start_time', 'end_time', 'src_ip', 'dst_ip', 'src_port', 'dst_port', 'protocol',
  'bytes_out', 'bytes_in', 'packets_out', 'packets_in', 'connections', 'action', 'cluster',
  'src_namespace', 'src_workload', 'dst_namespace', 'dst_workload', 'label',
] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];

/** `{vocabulary name: header name}`: where another tool's columns go (`src_ip: sa`). */
export type CsvColumnMapping = Partial<Record<CsvColumn, string>>;

/** A source's `csv:` settings. */
export interface CsvOptions {
  /** Header names of the vocabulary's columns, where they differ. */
  columns?: CsvColumnMapping | undefined;
  /**
   * The header, for input without a header row: Kafka messages (one row each), or files that
   * start with data. With it, every line is a data row.
   */
  header?: string[] | undefined;
}

/** A header, read: the field index of each vocabulary column (-1: absent). */
export interface CsvLayout {
  readonly columns: Readonly<Record<CsvColumn, number>>;
  /** Fields every row must have: the header's. */
  readonly fields: number;
  /** Line of the header in its file (0: from config); a row's number is its line minus this. */
  readonly headerLine: number;
  /** The header's names, as written. */
  readonly names: readonly string[];
}

/**
 * The layout of a header row (its fields as splitCsvLine gives them), or what keeps it from
 * being one flowhound can read: names matched ignoring case and surrounding spaces; a mapped
 * name the header lacks, and a missing time or endpoint column, are problems.
 */
export function csvLayout(names: readonly string[], mapping: CsvColumnMapping | undefined, headerLine: number): CsvLayout | { problem: string } {
  const index = new Map<string, number>();
  names.forEach((name, i) => {
    const key = normalName(name);
    if (!index.has(key)) index.set(key, i);
  });
  // One literal with every name (not properties added one by one): one fast, stable shape.
  const columns: Record<CsvColumn, number> = {
    time: -1, start_time: -1, end_time: -1, src_ip: -1, dst_ip: -1, src_port: -1, dst_port: -1, protocol: -1,
    bytes_out: -1, bytes_in: -1, packets_out: -1, packets_in: -1, connections: -1, action: -1, cluster: -1,
    src_namespace: -1, src_workload: -1, dst_namespace: -1, dst_workload: -1, label: -1,
  };
  const unmatched: string[] = [];
  for (const column of CSV_COLUMNS) {
    const mapped = mapping?.[column];
    const at = index.get(normalName(mapped ?? column));
    columns[column] = at ?? -1;
    if (mapped !== undefined && at === undefined) unmatched.push(`${JSON.stringify(mapped)} (mapped to ${column})`);
  }
  if (unmatched.length > 0) return { problem: `the header has no column ${unmatched.join(', ')}` };
  const missing: string[] = [];
  if (columns.time < 0 && columns.start_time < 0 && columns.end_time < 0) missing.push('time column (time, start_time or end_time)');
  if (columns.src_ip < 0 && columns.src_workload < 0) missing.push('source column (src_ip or src_workload)');
  if (columns.dst_ip < 0 && columns.dst_workload < 0) missing.push('destination column (dst_ip or dst_workload)');
  if (missing.length > 0) return { problem: `the header (${names.slice(0, 8).map((n) => JSON.stringify(n)).join(',')}${names.length > 8 ? ',…' : ''}) has no ${missing.join(', no ')}` };
  return { columns, fields: names.length, headerLine, names: [...names] };
}

function normalName(name: string): string {
  return name.trim().toLowerCase();
}

/**
 * Whether a file's first line is a CSV flow header: not JSON, and with source and destination
 * endpoint columns (IP or workload) after the mapping.
 */
export function looksLikeCsvHeader(line: string, mapping: CsvColumnMapping | undefined): boolean {
  const text = stripBom(line);
  if (firstNonSpace(text) === 123 /* { */) return false;
  const names = splitHeader(text);
  if (names === undefined) return false;
  const has = new Set(names.map(normalName));
  const named = (column: CsvColumn) => has.has(normalName(mapping?.[column] ?? column));
  return (named('src_ip') || named('src_workload')) && (named('dst_ip') || named('dst_workload'));
}

/** A header line's names; undefined when it is not valid CSV. */
export function splitHeader(line: string): string[] | undefined {
  const count = splitCsvLine(stripBom(line));
  if (count < 0) return undefined;
  const names: string[] = [];
  for (let i = 0; i < count; i++) names.push(cellText(i));
  return names;
}

function stripBom(line: string): string {
  return line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
}

function firstNonSpace(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return c;
  }
  return -1;
}

/** Under `format: auto`: a message of a stream with a CSV header that is not a JSON object. */
export function isCsvMessage(text: string, ctx: ParseContext): boolean {
  return ctx.csv !== undefined && firstNonSpace(text) !== 123;
}

// --- Splitting ------------------------------------------------------------------------------
// The fields of the row being read: [starts[i], ends[i]) of `text`, or, for a row with quotes,
// of `values[i]` (unescaped). One table, reused row after row: no array per row.

const R = {
  text: '',
  quoted: false,
  starts: new Int32Array(64),
  ends: new Int32Array(64),
  values: [] as string[],
};

/**
 * Splits one line into the field table (RFC 4180); returns the field count, or -1 when a
 * quoted field is not closed, or text follows its closing quote.
 */
export function splitCsvLine(line: string): number {
  const r = R;
  r.text = line;
  // indexOf (a native scan) beats a charCodeAt loop here, even counting the quote check.
  if (line.indexOf('"') >= 0) return splitQuoted(line);
  r.quoted = false;
  let starts = r.starts;
  let ends = r.ends;
  let count = 0;
  let start = 0;
  for (;;) {
    if (count === starts.length) {
      grow();
      starts = r.starts;
      ends = r.ends;
    }
    const comma = line.indexOf(',', start);
    starts[count] = start;
    if (comma < 0) {
      ends[count++] = line.length;
      return count;
    }
    ends[count++] = comma;
    start = comma + 1;
  }
}

function splitQuoted(line: string): number {
  const r = R;
  r.quoted = true;
  const values = r.values;
  values.length = 0;
  const n = line.length;
  let count = 0;
  let i = 0;
  for (;;) {
    if (count === r.starts.length) grow();
    let value: string;
    if (i < n && line.charCodeAt(i) === 34) {
      value = '';
      let from = i + 1;
      for (;;) {
        const quote = line.indexOf('"', from);
        if (quote < 0) return -1;
        if (line.charCodeAt(quote + 1) === 34) {
          value += line.slice(from, quote + 1);
          from = quote + 2;
          continue;
        }
        value += line.slice(from, quote);
        i = quote + 1;
        break;
      }
      if (i < n && line.charCodeAt(i) !== 44) return -1;
    } else {
      const comma = line.indexOf(',', i);
      value = line.slice(i, comma < 0 ? n : comma);
      i = comma < 0 ? n : comma;
    }
    values.push(value);
    r.starts[count] = 0;
    r.ends[count++] = value.length;
    if (i >= n) return count;
    i++; // the comma
  }
}

function grow(): void {
  const size = R.starts.length * 2;
  R.starts = grown(R.starts, size);
  R.ends = grown(R.ends, size);
}

/** The text field `i` lies in (the line, or its unescaped copy). */
function source(i: number): string {
  return R.quoted ? R.values[i]! : R.text;
}

/** Field `i` of the row as a string. */
export function cellText(i: number): string {
  const r = R;
  return r.quoted ? r.values[i]! : r.text.slice(r.starts[i]!, r.ends[i]!);
}

// --- Reading a row --------------------------------------------------------------------------

/** The row's number for messages (its line minus the header's); undefined when not from a file. */
function rowOf(ctx: ParseContext, layout: CsvLayout): number | undefined {
  const line = ctx.line;
  return line === undefined || line <= 0 ? undefined : line - layout.headerLine;
}

function fail(reason: InvalidReason, row: number | undefined, text: string): never {
  throw new FieldError(reason, `csv${row === undefined ? '' : ` row ${row}`}: ${text}`);
}

/** Splits a row and checks its field count against the header. */
function split(line: string, layout: CsvLayout, row: number | undefined): void {
  const count = splitCsvLine(line);
  if (count < 0) fail('malformed-csv', row, 'a quoted field is not closed, or text follows its closing quote');
  if (count !== layout.fields) fail('malformed-csv', row, `${count} field${count === 1 ? '' : 's'}, the header has ${layout.fields}`);
}

function layoutOf(ctx: ParseContext): CsvLayout {
  const layout = ctx.csv;
  if (layout === undefined) fail('missing-field', undefined, 'no header for this row: a CSV file starts with its header row; a Kafka source reading CSV needs csv.header in its config');
  return layout;
}

/** Field `i` is absent: no such column, empty, or `-`. */
function isAbsent(i: number): boolean {
  if (i < 0) return true;
  const length = R.ends[i]! - R.starts[i]!;
  return length === 0 || (length === 1 && source(i).charCodeAt(R.starts[i]!) === 45);
}

/** A string field; undefined when absent. */
function optionalText(i: number): string | undefined {
  return isAbsent(i) ? undefined : cellText(i);
}

/** A non-negative integer field (digits read in place); `fallback` when absent. */
function count(i: number, column: CsvColumn, fallback: number, row: number | undefined): number {
  if (i < 0) return fallback;
  if (R.ends[i] === R.starts[i]) return fallback;
  const value = digitsOf(i, 15);
  return value >= 0 ? value : slowCount(i, column, fallback, row);
}

/** Field `i` as a decimal integer read in place, when it is digits only (at most `maxDigits`, at least one); −1 otherwise. */
function digitsOf(i: number, maxDigits: number): number {
  const text = source(i);
  const start = R.starts[i]!;
  const end = R.ends[i]!;
  if (end === start || end - start > maxDigits) return -1;
  let value = 0;
  for (let k = start; k < end; k++) {
    const d = text.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function slowCount(i: number, column: CsvColumn, fallback: number, row: number | undefined): number {
  const text = cellText(i).trim();
  if (text === '' || text === '-') return fallback;
  const value = Number(text);
  if (Number.isNaN(value)) fail('invalid-field', row, `${column} ${JSON.stringify(text.slice(0, 40))} is not a number`);
  if (!Number.isInteger(value) || value < 0 || value > MAX_COUNTER) fail('out-of-range', row, `${column} ${text.slice(0, 40)} is not an integer in [0, 2^50]`);
  return value;
}

/** A port: 1 – 65535, undefined when absent or 0. */
function port(i: number, column: CsvColumn, row: number | undefined): number | undefined {
  if (isAbsent(i)) return undefined;
  let value = digitsOf(i, 6);
  if (value < 0) {
    const trimmed = cellText(i).trim();
    const n = trimmed === '' ? Number.NaN : Number(trimmed);
    if (!Number.isInteger(n)) fail('invalid-field', row, `${column} ${JSON.stringify(trimmed.slice(0, 40))} is not a port`);
    value = n;
  }
  if (value < 0 || value > 65535) fail('out-of-range', row, `${column} ${value} is not a port (0 – 65535)`);
  return value === 0 ? undefined : value;
}

/** Epoch ms of a time field; undefined when absent. See the header comment for the forms. */
function time(i: number, column: CsvColumn, row: number | undefined): number | undefined {
  if (isAbsent(i)) return undefined;
  const value = digitsOf(i, Number.POSITIVE_INFINITY);
  let ms: number;
  if (value >= 0) ms = epochMs(value);
  else {
    const trimmed = cellText(i).trim();
    ms = EPOCH_NUMBER.test(trimmed) ? epochMs(Number(trimmed)) : isoMs(trimmed);
    if (Number.isNaN(ms)) fail('invalid-field', row, `${column} ${JSON.stringify(trimmed.slice(0, 40))} is not a time (epoch seconds or milliseconds, or ISO 8601)`);
  }
  try {
    return checkEpochMs(ms, column);
  } catch (error) {
    return fail('out-of-range', row, (error as Error).message);
  }
}

const EPOCH_NUMBER = /^\d+(?:\.\d*)?$/;

/** An epoch number by its magnitude: seconds, milliseconds, microseconds or nanoseconds → ms. */
export function epochMs(value: number): number {
  if (value < 1e11) return Math.round(value * 1000);
  if (value < 1e14) return Math.round(value);
  if (value < 1e17) return Math.round(value / 1e3);
  return Math.round(value / 1e6);
}

/** ISO 8601 date-time (`T` or a space; an offset, `Z`, or none for UTC) or date → epoch ms; NaN otherwise. */
export function isoMs(text: string): number {
  if (text.length < 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return Number.NaN;
  if (text.length === 10) return Date.parse(text);
  let t = text;
  if (t.charCodeAt(10) === 32) t = `${t.slice(0, 10)}T${t.slice(11)}`;
  if (t.charCodeAt(10) !== 84 && t.charCodeAt(10) !== 116) return Number.NaN;
  const last = t.charCodeAt(t.length - 1);
  if (last !== 90 && last !== 122 && t.indexOf('+', 11) < 0 && t.indexOf('-', 11) < 0) t += 'Z';
  return parseRfc3339(t);
}

const ACTIONS: Record<string, 'allow' | 'deny'> = {
  allow: 'allow', allowed: 'allow', accept: 'allow', accepted: 'allow', pass: 'allow', permit: 'allow', forwarded: 'allow',
  deny: 'deny', denied: 'deny', drop: 'deny', dropped: 'deny', reject: 'deny', rejected: 'deny', block: 'deny', blocked: 'deny',
};

/** `allow` and `deny` (any case) read in place; the other spellings through ACTIONS. */
function action(i: number, row: number | undefined): 'allow' | 'deny' {
  if (isAbsent(i)) return 'allow';
  const text = source(i);
  const start = R.starts[i]!;
  const length = R.ends[i]! - start;
  if (length === 5 && (text.charCodeAt(start) | 32) === 97 && (text.charCodeAt(start + 1) | 32) === 108 && (text.charCodeAt(start + 2) | 32) === 108 && (text.charCodeAt(start + 3) | 32) === 111 && (text.charCodeAt(start + 4) | 32) === 119) return 'allow';
  if (length === 4 && (text.charCodeAt(start) | 32) === 100 && (text.charCodeAt(start + 1) | 32) === 101 && (text.charCodeAt(start + 2) | 32) === 110 && (text.charCodeAt(start + 3) | 32) === 121) return 'deny';
  const word = cellText(i);
  const known = ACTIONS[word] ?? ACTIONS[word.trim().toLowerCase()];
  if (known === undefined) fail('invalid-field', row, `action ${JSON.stringify(word.slice(0, 40))} is not allow or deny (nor accept, drop, reject…)`);
  return known;
}

/** `tcp`, `udp` (any case) and `6`, `17`, `1` read in place; the rest through normalizeProtocol. */
function protocol(i: number): Protocol {
  if (isAbsent(i)) return 'other';
  const text = source(i);
  const start = R.starts[i]!;
  const length = R.ends[i]! - start;
  if (length === 3) {
    const a = text.charCodeAt(start) | 32;
    const b = text.charCodeAt(start + 1) | 32;
    const c = text.charCodeAt(start + 2) | 32;
    if (a === 116 && b === 99 && c === 112) return 'tcp';
    if (a === 117 && b === 100 && c === 112) return 'udp';
  } else if (length === 1) {
    const d = text.charCodeAt(start);
    if (d === 54) return 'tcp';
    if (d === 49) return 'icmp';
  } else if (length === 2 && text.charCodeAt(start) === 49 && text.charCodeAt(start + 1) === 55) return 'udp';
  return normalizeProtocol(cellText(i).trim());
}

/**
 * Endpoints with only an address, by address, in a direct-mapped table (a colliding address
 * replaces the one before): the same few thousand addresses repeat row after row, and records
 * never change their endpoints. Found by hashing the field in place, so a known address costs
 * no string.
 */
const ADDRESS_SLOTS = 1 << 14;
const slotAddress: (string | undefined)[] = new Array<string | undefined>(ADDRESS_SLOTS).fill(undefined);
const slotEndpoint: (Endpoint | undefined)[] = new Array<Endpoint | undefined>(ADDRESS_SLOTS).fill(undefined);

function addressEndpoint(i: number, side: 'src' | 'dst', row: number | undefined): Endpoint {
  const text = source(i);
  const start = R.starts[i]!;
  const end = R.ends[i]!;
  // The last 8 characters and the length: addresses differ at their ends (the table compares
  // the whole text, so a weak hash costs only misses).
  let h = (end - start) | 0;
  for (let k = end - 8 > start ? end - 8 : start; k < end; k++) h = Math.imul(h ^ text.charCodeAt(k), 0x01000193);
  const slot = (h ^ (h >>> 15)) & (ADDRESS_SLOTS - 1);
  const known = slotAddress[slot];
  if (known !== undefined && known.length === end - start) {
    let k = 0;
    while (k < known.length && known.charCodeAt(k) === text.charCodeAt(start + k)) k++;
    if (k === known.length) return slotEndpoint[slot]!;
  }
  const address = text.slice(start, end);
  const kind = addressKind(address);
  // Edge-stream benchmarks name endpoints by node id (`4217`), not address: such a name is an
  // endpoint of unknown kind, its own unit, with no IP to resolve.
  if (kind === undefined && !isNodeName(address)) fail('invalid-field', row, `${side}_ip ${JSON.stringify(address.slice(0, 60))} is neither an IP address nor a node name`);
  // One literal, optional fields included (see readCalicoFlow).
  const endpoint: Endpoint = { cluster: '', namespace: '', workload: address, labels: NO_LABELS, kind: kind ?? 'unknown', workloadKind: undefined, pod: undefined, ip: kind === undefined ? undefined : address };
  slotAddress[slot] = address;
  slotEndpoint[slot] = endpoint;
  return endpoint;
}

/**
 * A node id or host name standing for an endpoint: letters, digits and `._-`, at most 253
 * characters, and not a mistyped address (digits and dots only, with a dot: `10.0.0.999`).
 */
function isNodeName(name: string): boolean {
  return name.length <= 253 && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) && !/^[0-9.]*\.[0-9.]*$/.test(name);
}

/**
 * One side of a row: a pod when it names a workload (in its namespace and the row's cluster),
 * else its address, `public` or `private`, named by the address and in no cluster (as Calico's
 * `pub` / `pvt` networks).
 */
function endpoint(ip: number, namespace: number, workload: number, cluster: string, side: 'src' | 'dst', row: number | undefined): Endpoint {
  if (isAbsent(workload)) {
    if (isAbsent(ip)) fail('missing-field', row, `${side}_ip and ${side}_workload are both empty: the ${side === 'src' ? 'source' : 'destination'} needs one`);
    return addressEndpoint(ip, side, row);
  }
  const address = optionalText(ip);
  if (address !== undefined && addressKind(address) === undefined) fail('invalid-field', row, `${side}_ip ${JSON.stringify(address.slice(0, 60))} is not an IP address`);
  const endpoint: Endpoint = { cluster, namespace: optionalText(namespace) ?? '', workload: cellText(workload), labels: NO_LABELS, kind: 'pod', workloadKind: undefined, pod: undefined, ip: address };
  return endpoint;
}

/** Start and end of the row's window (epoch ms): start_time / end_time, or the instant `time`. */
function readWindow(columns: CsvLayout['columns'], row: number | undefined, out: { start: number; end: number }): void {
  const instant = time(columns.time, 'time', row);
  const start = time(columns.start_time, 'start_time', row);
  const end = time(columns.end_time, 'end_time', row) ?? instant ?? start;
  if (end === undefined) fail('missing-field', row, 'no time: time, start_time and end_time are all empty');
  out.end = end;
  out.start = start ?? end;
  if (out.end < out.start) fail('out-of-range', row, 'end_time is before start_time');
  if (out.end - out.start > MAX_WINDOW_MS) fail('out-of-range', row, 'the window between start_time and end_time is longer than 24 h');
}

/** Longest window accepted, as for Calico. */
const MAX_WINDOW_MS = 24 * 3600 * 1000;
const span = { start: 0, end: 0 };

/** The record of a CSV row; throws FieldError for a bad field, naming the row. */
export function readCsvFlow(line: string, ctx: ParseContext): FlowRecord {
  const layout = layoutOf(ctx);
  const row = rowOf(ctx, layout);
  split(line, layout, row);
  const c = layout.columns;
  readWindow(c, row, span);
  const windowStart = span.start;
  const windowEnd = span.end;
  checkNotFutureInRow(windowEnd, ctx, row);
  const cluster = optionalText(c.cluster) ?? ctx.cluster;
  const src = endpoint(c.src_ip, c.src_namespace, c.src_workload, cluster, 'src', row);
  const dst = endpoint(c.dst_ip, c.dst_namespace, c.dst_workload, cluster, 'dst', row);
  const srcPort = port(c.src_port, 'src_port', row);
  const dstPort = port(c.dst_port, 'dst_port', row);
  // Every field in one literal, in the order of the other formats' (see readCalicoFlow).
  const record: FlowRecord = {
    kind: 'flow',
    format: 'csv',
    windowStart,
    windowEnd,
    src,
    dst,
    dstFqdns: NO_FQDNS,
    protocol: protocol(c.protocol),
    action: action(c.action, row),
    reporter: 'unknown',
    bytesToDst: count(c.bytes_out, 'bytes_out', 0, row),
    bytesToSrc: count(c.bytes_in, 'bytes_in', 0, row),
    packetsToDst: count(c.packets_out, 'packets_out', 0, row),
    packetsToSrc: count(c.packets_in, 'packets_in', 0, row),
    connections: count(c.connections, 'connections', 1, row),
    connectionsStarted: 0,
    connectionsCompleted: 0,
    node: undefined,
    srcPort,
    dstPort,
    dstService: undefined,
    denyReason: undefined,
    label: c.label < 0 ? undefined : cellText(c.label),
    row,
  };
  return record;
}

function checkNotFutureInRow(time: number, ctx: ParseContext, row: number | undefined): void {
  try {
    checkNotFuture(time, ctx.now, ctx.maxFutureSkewMs, 'the row\'s time');
  } catch (error) {
    throw new FieldError('future-time', `csv${row === undefined ? '' : ` row ${row}`}: ${(error as Error).message}`);
  }
}

/**
 * A replay's routing of a row (replay --to kafka): its event time and key from the time and
 * endpoint fields alone; throws FieldError where readCsvFlow would reject those fields.
 */
export function routeCsvFlow(line: string, ctx: ParseContext): Route {
  const layout = layoutOf(ctx);
  const row = rowOf(ctx, layout);
  split(line, layout, row);
  const c = layout.columns;
  readWindow(c, row, span);
  const cluster = optionalText(c.cluster) ?? ctx.cluster;
  const src = endpoint(c.src_ip, c.src_namespace, c.src_workload, cluster, 'src', row);
  const dst = endpoint(c.dst_ip, c.dst_namespace, c.dst_workload, cluster, 'dst', row);
  return { time: span.end, key: recordKey('flow', src, dst) };
}
