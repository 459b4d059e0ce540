import { open } from 'node:fs/promises';
import { constants, gunzipSync } from 'node:zlib';
import type { Data, RecordBatch, Vector } from 'apache-arrow';
import { FlowhoundError } from '../errors.ts';
import type { DnsAnswer, DnsRecord } from '../model/dns-record.ts';
import type { Endpoint, EndpointKind } from '../model/endpoint.ts';
import { NO_LABELS } from '../model/endpoint.ts';
import type { FlowRecord, Protocol } from '../model/flow-record.ts';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import type { RecordFormat } from '../model/record-format.ts';
import { recordKey, type KeyedEndpoint } from '../model/workload.ts';
import type { RecordOriginals } from '../pipeline/record-originals.ts';
import { readArrowBatches } from './arrow-input.ts';
import { checkSchema } from './record-schema.ts';

const isArrowHead = (head: Buffer) => head.length >= 6 && (head.toString('latin1', 0, 6) === 'ARROW1' || head.readUInt32LE(0) === 0xffffffff);

/** Whether a file is Arrow IPC (file `ARROW1` magic, or a stream's continuation marker), gzip-compressed or not. */
export async function isArrowFile(path: string): Promise<boolean> {
  if (path === '-') return false;
  const handle = await open(path, 'r').catch(() => undefined);
  if (handle === undefined) return false;
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (head[0] === 0x1f && head[1] === 0x8b) {
      try {
        // Enough of the stream to see the Arrow magic behind the gzip header.
        return isArrowHead(gunzipSync(head.subarray(0, bytesRead), { finishFlush: constants.Z_SYNC_FLUSH }));
      } catch {
        return false;
      }
    }
    return isArrowHead(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/**
 * Column-wise reading of one batch, straight from its buffers: dictionary columns as their
 * indices plus the entries (decoded once per dictionary, not once per row), numbers from their
 * typed arrays, plain strings decoded only for the rows that have one. The original lines,
 * the largest column, are decoded only when asked for.
 */
type Column = Data | undefined;

/** Validity of row `i` (every row valid when the column has no nulls). */
const isValid = (data: Data, i: number): boolean => {
  if (data.nullCount === 0) return true;
  const pos = data.offset + i;
  return (data.nullBitmap[pos >> 3]! & (1 << (pos & 7))) !== 0;
};

/** Decoded entries of each dictionary vector, kept while the vector lives (it changes only with a delta). */
const decodedDictionaries = new WeakMap<Vector, string[]>();

function entriesOf(dictionary: Vector): string[] {
  let entries = decodedDictionaries.get(dictionary);
  if (entries === undefined) {
    entries = dictionary.toArray() as string[];
    decodedDictionaries.set(dictionary, entries);
  }
  return entries;
}

/** A dictionary column's entry index per row, -1 where null (or where the column is absent). */
function indicesOf(data: Column, rows: number): Int32Array {
  const out = new Int32Array(rows);
  if (data === undefined) return out.fill(-1);
  const keys = data.values as Int32Array;
  if (data.nullCount === 0) out.set(keys.subarray(0, rows));
  else for (let i = 0; i < rows; i++) out[i] = isValid(data, i) ? keys[i]! : -1;
  return out;
}

/** A string column's values (dictionary or plain Utf8), undefined where null. */
interface Strings {
  at(i: number): string | undefined;
}

const NO_STRINGS: Strings = { at: () => undefined };

function stringsOf(data: Column): Strings {
  if (data === undefined) return NO_STRINGS;
  if (data.dictionary !== undefined) {
    const entries = entriesOf(data.dictionary);
    const keys = data.values as Int32Array;
    return { at: (i) => (isValid(data, i) ? entries[keys[i]!] : undefined) };
  }
  const offsets = data.valueOffsets as Int32Array;
  const bytes = Buffer.from(data.values.buffer, data.values.byteOffset, data.values.byteLength);
  return { at: (i) => (isValid(data, i) ? bytes.toString('utf8', offsets[i]!, offsets[i + 1]!) : undefined) };
}

/** A Float64 or Int32 column's values, undefined where null. */
function numberAt(data: Column, i: number): number | undefined {
  return data === undefined || !isValid(data, i) ? undefined : (data.values as Float64Array | Int32Array)[i]!;
}

/** A millisecond timestamp column as numbers, read from the 64-bit words without BigInts. */
function timesOf(data: Data, rows: number): Float64Array {
  const words = new Int32Array(data.values.buffer, data.values.byteOffset, rows * 2);
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = (words[2 * i]! >>> 0) + words[2 * i + 1]! * 4294967296;
  return out;
}

/** Parsed label sets by their JSON text: a few hundred distinct sets, shared (never mutated, as NO_LABELS). */
const labelSets = new Map<string, Record<string, string>>();
const LABEL_SETS_LIMIT = 20_000;

function labelsFrom(json: string): Record<string, string> {
  let labels = labelSets.get(json);
  if (labels === undefined) {
    labels = Object.freeze(JSON.parse(json) as Record<string, string>);
    // Bounded: label sets are a dictionary column, but a dataset could hold any number.
    if (labelSets.size >= LABEL_SETS_LIMIT) labelSets.clear();
    labelSets.set(json, labels);
  }
  return labels;
}

/** One endpoint's columns (`src_*` or `dst_*`) of a batch. */
class EndpointColumns {
  private readonly kind: Int32Array;
  private readonly kinds: string[];
  private readonly cluster: Int32Array;
  private readonly clusters: string[];
  private readonly namespace: Int32Array;
  private readonly namespaces: string[];
  private readonly workload: Int32Array;
  private readonly workloads: string[];
  private readonly workloadKind: Int32Array;
  private readonly workloadKinds: string[];
  private readonly labels: Int32Array;
  private readonly labelTexts: string[];
  /** Parsed label set per dictionary entry, filled on first use. */
  private readonly labelSets: (Record<string, string> | undefined)[] = [];
  private readonly pod: Strings;
  private readonly ip: Strings;

  constructor(batch: RecordBatch, side: 'src' | 'dst') {
    const rows = batch.numRows;
    const dict = (name: string): [Int32Array, string[]] => {
      const data = batch.getChild(`${side}_${name}`)?.data[0];
      return [indicesOf(data, rows), data?.dictionary === undefined ? [] : entriesOf(data.dictionary)];
    };
    [this.kind, this.kinds] = dict('kind');
    [this.cluster, this.clusters] = dict('cluster');
    [this.namespace, this.namespaces] = dict('namespace');
    [this.workload, this.workloads] = dict('workload');
    [this.workloadKind, this.workloadKinds] = dict('workload_kind');
    [this.labels, this.labelTexts] = dict('labels');
    this.pod = stringsOf(batch.getChild(`${side}_pod`)?.data[0]);
    this.ip = stringsOf(batch.getChild(`${side}_ip`)?.data[0]);
  }

  at(i: number): Endpoint | undefined {
    const kind = this.kind[i]!;
    if (kind < 0) return undefined;
    const c = this.cluster[i]!;
    const n = this.namespace[i]!;
    const w = this.workload[i]!;
    const e: Endpoint = {
      cluster: c < 0 ? '' : this.clusters[c]!,
      namespace: n < 0 ? '' : this.namespaces[n]!,
      workload: w < 0 ? '' : this.workloads[w]!,
      labels: this.labelsAt(this.labels[i]!),
      kind: this.kinds[kind] as EndpointKind,
    };
    const workloadKind = this.workloadKind[i]!;
    if (workloadKind >= 0) e.workloadKind = this.workloadKinds[workloadKind]!;
    const pod = this.pod.at(i);
    if (pod !== undefined) e.pod = pod;
    const ip = this.ip.at(i);
    if (ip !== undefined) e.ip = ip;
    return e;
  }

  private labelsAt(index: number): Record<string, string> {
    if (index < 0) return NO_LABELS;
    return (this.labelSets[index] ??= labelsFrom(this.labelTexts[index]!));
  }
}

export interface ArrowRow {
  record: NormalizedRecord;
  label: string | undefined;
  /** The source line (schema version 2, unless converted with --no-original); only when asked for. */
  original: string | undefined;
}

const servicePort = (port: string): number | string => (/^\d+$/.test(port) ? Number(port) : port);

/** The record columns of one batch, and the records built from them. */
class BatchRecords {
  readonly rows: number;
  readonly label: Strings;
  readonly original: Strings;
  private readonly kind: Strings;
  private readonly format: Strings;
  private readonly windowStart: Float64Array;
  private readonly windowEnd: Float64Array;
  private readonly src: EndpointColumns;
  private readonly dst: EndpointColumns;
  private readonly node: Strings;
  private readonly serviceName: Strings;
  private readonly serviceNamespace: Strings;
  private readonly servicePort: Strings;
  private readonly fqdns: Strings;
  private readonly protocol: Strings;
  private readonly action: Strings;
  private readonly reporter: Strings;
  private readonly denyReason: Strings;
  private readonly qname: Strings;
  private readonly qtype: Strings;
  private readonly rcode: Strings;
  private readonly answers: Strings;
  private readonly srcPort: Column;
  private readonly dstPort: Column;
  private readonly bytesToDst: Column;
  private readonly bytesToSrc: Column;
  private readonly packetsToDst: Column;
  private readonly packetsToSrc: Column;
  private readonly connections: Column;
  private readonly connectionsStarted: Column;
  private readonly connectionsCompleted: Column;
  private readonly count: Column;
  private readonly latencyMean: Column;
  private readonly latencyMax: Column;

  constructor(batch: RecordBatch, originals: boolean) {
    const child = (name: string): Column => batch.getChild(name)?.data[0];
    const strings = (name: string) => stringsOf(child(name));
    this.rows = batch.numRows;
    this.label = strings('label');
    this.original = originals ? strings('original') : NO_STRINGS;
    this.kind = strings('kind');
    this.format = strings('format');
    this.windowStart = timesOf(child('window_start')!, this.rows);
    this.windowEnd = timesOf(child('window_end')!, this.rows);
    this.src = new EndpointColumns(batch, 'src');
    this.dst = new EndpointColumns(batch, 'dst');
    [this.node, this.serviceName, this.serviceNamespace, this.servicePort, this.fqdns, this.protocol, this.action, this.reporter, this.denyReason, this.qname, this.qtype, this.rcode, this.answers] =
      ['node', 'service_name', 'service_namespace', 'service_port', 'dst_fqdns', 'protocol', 'action', 'reporter', 'deny_reason', 'qname', 'qtype', 'rcode', 'answers'].map(strings) as Strings[] as [Strings, Strings, Strings, Strings, Strings, Strings, Strings, Strings, Strings, Strings, Strings, Strings, Strings];
    [this.srcPort, this.dstPort, this.bytesToDst, this.bytesToSrc, this.packetsToDst, this.packetsToSrc, this.connections, this.connectionsStarted, this.connectionsCompleted, this.count, this.latencyMean, this.latencyMax] =
      ['src_port', 'dst_port', 'bytes_to_dst', 'bytes_to_src', 'packets_to_dst', 'packets_to_src', 'connections', 'connections_started', 'connections_completed', 'count', 'latency_mean_ns', 'latency_max_ns'].map(child);
  }

  /** Records of rows [from, to). */
  records(from: number, to: number): NormalizedRecord[] {
    const out: NormalizedRecord[] = new Array(to - from);
    for (let i = from; i < to; i++) out[i - from] = this.kind.at(i) === 'flow' ? this.flow(i) : this.dns(i);
    return out;
  }

  private flow(i: number): FlowRecord {
    const record: FlowRecord = {
      kind: 'flow', format: this.format.at(i) as RecordFormat, windowStart: this.windowStart[i]!, windowEnd: this.windowEnd[i]!,
      src: this.src.at(i)!, dst: this.dst.at(i)!,
      dstFqdns: this.fqdns.at(i)?.split(',') ?? [],
      protocol: this.protocol.at(i) as Protocol, action: this.action.at(i) as 'allow' | 'deny', reporter: this.reporter.at(i) as 'src' | 'dst' | 'unknown',
      bytesToDst: numberAt(this.bytesToDst, i)!, bytesToSrc: numberAt(this.bytesToSrc, i)!, packetsToDst: numberAt(this.packetsToDst, i)!, packetsToSrc: numberAt(this.packetsToSrc, i)!,
      connections: numberAt(this.connections, i)!, connectionsStarted: numberAt(this.connectionsStarted, i)!, connectionsCompleted: numberAt(this.connectionsCompleted, i)!,
    };
    const node = this.node.at(i);
    if (node !== undefined) record.node = node;
    const sport = numberAt(this.srcPort, i);
    if (sport !== undefined) record.srcPort = sport;
    const dport = numberAt(this.dstPort, i);
    if (dport !== undefined) record.dstPort = dport;
    const service = this.serviceName.at(i);
    if (service !== undefined) {
      record.dstService = { name: service, namespace: this.serviceNamespace.at(i) ?? '' };
      const port = this.servicePort.at(i);
      if (port !== undefined) record.dstService.port = servicePort(port);
    }
    const deny = this.denyReason.at(i);
    if (deny !== undefined) record.denyReason = deny;
    return record;
  }

  private dns(i: number): DnsRecord {
    const answers = this.answers.at(i);
    const record: DnsRecord = {
      kind: 'dns', format: this.format.at(i) as RecordFormat, windowStart: this.windowStart[i]!, time: this.windowEnd[i]!,
      client: this.src.at(i)!, qname: this.qname.at(i) ?? '', qtype: this.qtype.at(i) ?? '', rcode: this.rcode.at(i) ?? '',
      answers: answers === undefined ? [] : (JSON.parse(answers) as DnsAnswer[]), count: numberAt(this.count, i)!,
    };
    const server = this.dst.at(i);
    if (server !== undefined) record.server = server;
    const mean = numberAt(this.latencyMean, i);
    if (mean !== undefined) record.latencyMeanNs = mean;
    const max = numberAt(this.latencyMax, i);
    if (max !== undefined) record.latencyMaxNs = max;
    return record;
  }
}

/** Rows of a batch as normalised records (and their labels, and with `originals` their source lines). */
export function recordsOf(batch: RecordBatch, options: { originals?: boolean } = {}): ArrowRow[] {
  const columns = new BatchRecords(batch, options.originals === true);
  return columns.records(0, columns.rows).map((record, i) => ({ record, label: columns.label.at(i), original: columns.original.at(i) }));
}

/** Record batches of a flowhound Arrow dataset, in file order; the schema version is checked first. */
async function* readBatches(path: string, onVersion?: (version: string) => void): AsyncGenerator<RecordBatch> {
  const batches = readArrowBatches(path, (schema) => {
    const version = checkSchema(schema, path);
    onVersion?.(version);
  });
  for (;;) {
    let step: IteratorResult<RecordBatch>;
    try {
      step = await batches.next();
    } catch (error) {
      if (error instanceof FlowhoundError) throw error;
      throw new FlowhoundError('FH_INPUT_UNREADABLE', `${path}: not a readable Arrow IPC file: ${(error as Error).message}`, { cause: error });
    }
    if (step.done === true) return;
    yield step.value;
  }
}

/**
 * Batches of normalised records from an Arrow IPC file or stream (gzip too), in file order.
 * With `originals`, each record's source line (when the file has it) is kept there for the
 * stages, as the ingest does for lines it decodes.
 */
export async function* readArrowRecords(path: string, originals?: RecordOriginals): AsyncGenerator<NormalizedRecord[]> {
  for await (const batch of readBatches(path)) {
    const columns = new BatchRecords(batch, originals !== undefined);
    const records = columns.records(0, columns.rows);
    if (originals !== undefined) {
      for (let i = 0; i < records.length; i++) {
        const original = columns.original.at(i);
        if (original !== undefined) originals.keep(records[i]!, original);
      }
    }
    yield records;
  }
}

/** A record's source line with what a Kafka replay needs to route and pace it. */
export interface ArrowOriginal {
  /** The line's UTF-8 bytes, as stored (a view into the batch: not decoded into a string and back). */
  value: Uint8Array;
  format: RecordFormat;
  /** Event time, epoch ms. */
  time: number;
  /** `cluster/namespace/workload` of the record's keyed side (model/workload.ts recordKey). */
  key: string;
}

/** A Utf8 column's values as views of their bytes (undefined where null). */
function utf8Bytes(vector: Vector): (Uint8Array | undefined)[] {
  const out: (Uint8Array | undefined)[] = new Array(vector.length);
  let row = 0;
  for (const data of vector.data) {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    for (let i = 0; i < data.length; i++, row++) out[row] = data.getValid(i) ? bytes.subarray(offsets[i]!, offsets[i + 1]!) : undefined;
  }
  return out;
}

/**
 * A batch's source lines with their format, event time and key, decoding only the columns
 * those need: a Kafka replay builds no records.
 */
function originalsOf(batch: RecordBatch): { rows: ArrowOriginal[]; absent: number } {
  const strings = (name: string) => stringsOf(batch.getChild(name)?.data[0]);
  const [kinds, formats] = [strings('kind'), strings('format')];
  const ends = timesOf(batch.getChild('window_end')!.data[0]!, batch.numRows);
  const side = (prefix: 'src' | 'dst') => ({ cluster: strings(`${prefix}_cluster`), namespace: strings(`${prefix}_namespace`), workload: strings(`${prefix}_workload`), kind: strings(`${prefix}_kind`) });
  const sides = { src: side('src'), dst: side('dst') };
  const identity = (who: ReturnType<typeof side>, i: number): KeyedEndpoint => ({
    cluster: who.cluster.at(i) ?? '', namespace: who.namespace.at(i) ?? '', workload: who.workload.at(i) ?? '', kind: who.kind.at(i) as EndpointKind,
  });
  const originals = utf8Bytes(batch.getChild('original')!);
  const rows: ArrowOriginal[] = [];
  let absent = 0;
  for (let i = 0; i < batch.numRows; i++) {
    const value = originals[i];
    if (value === undefined) {
      absent++;
      continue;
    }
    const key = recordKey(kinds.at(i) === 'flow' ? 'flow' : 'dns', identity(sides.src, i), identity(sides.dst, i));
    rows.push({ value, format: formats.at(i) as RecordFormat, time: ends[i]!, key });
  }
  return { rows, absent };
}

/**
 * Batches of the source lines stored in an Arrow dataset, in file order, for `replay --to
 * kafka`. Refuses a dataset without them (schema version 1, or converted with --no-original).
 */
export async function* readArrowOriginals(path: string): AsyncGenerator<ArrowOriginal[]> {
  const missing = (why: string) => new FlowhoundError('FH_USAGE', `${path}: ${why}, so it cannot be replayed in the original Calico/Hubble format; convert the JSON lines again with this flowhound, without --no-original`);
  const onVersion = (version: string) => {
    if (version === '1') throw missing('this Arrow dataset (schema version 1) holds normalised records only, not their original lines');
  };
  for await (const batch of readBatches(path, onVersion)) {
    const { rows, absent } = originalsOf(batch);
    if (absent > 0) throw missing(absent === batch.numRows ? 'this Arrow dataset has no original lines (converted with --no-original)' : `${absent} of ${batch.numRows} records in a batch of this Arrow dataset have no original line`);
    yield rows;
  }
}
