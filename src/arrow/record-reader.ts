import { open } from 'node:fs/promises';
import { constants, gunzipSync } from 'node:zlib';
import type { RecordBatch, Schema } from 'apache-arrow';
import { FlowhoundError } from '../errors.ts';
import type { DnsAnswer, DnsRecord } from '../model/dns-record.ts';
import type { Endpoint, EndpointKind } from '../model/endpoint.ts';
import { NO_LABELS } from '../model/endpoint.ts';
import type { FlowRecord, Protocol } from '../model/flow-record.ts';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import type { RecordFormat } from '../model/record-format.ts';
import { recordKey, type KeyedEndpoint } from '../model/workload.ts';
import type { RecordOriginals } from '../pipeline/record-originals.ts';
import { columnsOfBatch, readColumnBatches, viewOf, type ColumnBatch, type ColumnData } from './ipc-columns.ts';
import { checkSchema, COLUMNS, datasetInfo, PLACEHOLDER_CLUSTER, type DatasetInfo } from './record-schema.ts';

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
 * Column-wise reading of one batch, straight from its buffers (ipc-columns.ts): dictionary
 * columns as their indices plus the entries (decoded once per dictionary, not once per row),
 * numbers from their typed arrays, plain strings decoded only for the rows that have one.
 * The original lines, the largest column, are read only when asked for.
 */
type Column = ColumnData | undefined;

/** Whether row `i` of a column with this validity bitmap is valid (undefined: no nulls). */
const valid = (validity: Uint8Array | undefined, i: number): boolean => validity === undefined || (validity[i >> 3]! & (1 << (i & 7))) !== 0;

const NO_ENTRIES: (string | null)[] = [];

/** A dictionary column: indices into its entries, read in place (validity checked per row). */
class Dict {
  private readonly keys: Int32Array;
  private readonly validity: Uint8Array | undefined;
  readonly entries: (string | null)[];

  constructor(data: Column, rows: number) {
    this.keys = data === undefined ? new Int32Array(0) : viewOf(Int32Array, data.values, rows);
    // An absent column: every row null.
    this.validity = data === undefined ? new Uint8Array((rows + 7) >> 3) : data.validity;
    this.entries = data?.entries ?? NO_ENTRIES;
  }

  /** Entry index of row i, -1 where null. */
  index(i: number): number {
    return valid(this.validity, i) ? (this.keys[i] ?? -1) : -1;
  }

  /** Value of row i (undefined where null, as a plain column's). */
  at(i: number): string | undefined {
    const k = this.index(i);
    return k < 0 ? undefined : (this.entries[k] ?? undefined);
  }
}

const dictOf = (data: Column, rows: number): Dict => new Dict(data, rows);
const entryAt = (d: Dict, i: number): string | undefined => d.at(i);

type Utf8Buffer = Buffer & { utf8Slice(start: number, end: number): string; latin1Slice(start: number, end: number): string };

/**
 * Strings of plain columns that repeat from row to row and batch to batch (pods, IPs), by
 * their bytes: a direct-mapped table of the last ASCII string seen per hash slot. A hit costs
 * a hash and a compare of a few dozen bytes instead of a decoded string per row, and the
 * rows share one string (whose hash is computed once, where detection keys maps on it).
 */
const STRING_SLOTS = 1 << 14;
const cachedStrings: (string | undefined)[] = new Array(STRING_SLOTS).fill(undefined);

function cachedString(bytes: Utf8Buffer, start: number, end: number): string {
  const length = end - start;
  if (length > 64) return bytes.utf8Slice(start, end);
  // Hashed on the length and the last 12 bytes (where pod names and IPs differ); compared whole.
  let hash = Math.imul(0x811c9dc5 ^ length, 0x01000193);
  for (let k = Math.max(start, end - 12); k < end; k++) hash = Math.imul(hash ^ bytes[k]!, 0x01000193);
  const slot = (hash ^ (hash >>> 15)) & (STRING_SLOTS - 1);
  const known = cachedStrings[slot];
  if (known !== undefined && known.length === length) {
    // Cached strings are ASCII: equal chars mean equal bytes.
    let k = 0;
    while (k < length && known.charCodeAt(k) === bytes[start + k]) k++;
    if (k === length) return known;
  }
  let high = 0;
  for (let k = start; k < end; k++) high |= bytes[k]!;
  if (high >= 0x80) return bytes.utf8Slice(start, end);
  const s = bytes.latin1Slice(start, end);
  cachedStrings[slot] = s;
  return s;
}

/** A plain Utf8 column (`cached`: through the string cache). */
class Utf8Column {
  private readonly offsets: Int32Array;
  private readonly bytes: Utf8Buffer;
  private readonly validity: Uint8Array | undefined;
  private readonly cached: boolean;
  readonly present: boolean;

  constructor(data: Column, cached = false) {
    this.present = data !== undefined && data.nullCount < data.length;
    this.offsets = data?.offsets ?? new Int32Array(0);
    this.bytes = (data === undefined ? Buffer.alloc(0) : Buffer.from(data.values.buffer, data.values.byteOffset, data.values.byteLength)) as Utf8Buffer;
    this.validity = data?.validity;
    this.cached = cached;
  }

  at(i: number): string | undefined {
    if (!this.present || !valid(this.validity, i)) return undefined;
    // utf8Slice: what toString('utf8', …) calls, without its argument checks (a call per row and column).
    return this.cached ? cachedString(this.bytes, this.offsets[i]!, this.offsets[i + 1]!) : this.bytes.utf8Slice(this.offsets[i]!, this.offsets[i + 1]!);
  }
}

/** A string column's values, plain or dictionary (version 1 had dictionary qname and dst_fqdns). */
interface Strings {
  at(i: number): string | undefined;
}

function stringsOf(data: Column, rows: number): Strings {
  if (data?.entries !== undefined) {
    return dictOf(data, rows);
  }
  return new Utf8Column(data);
}

/** A Float64 or Int32 column: values and validity. */
class Numbers {
  readonly values: Float64Array | Int32Array;
  readonly validity: Uint8Array | undefined;

  constructor(data: Column, rows: number, Type: typeof Float64Array | typeof Int32Array) {
    this.values = data === undefined ? new Type(0) : viewOf(Type as typeof Float64Array, data.values, rows);
    this.validity = data === undefined ? new Uint8Array((rows + 7) >> 3) : data.validity;
  }

  at(i: number): number | undefined {
    return valid(this.validity, i) ? this.values[i] : undefined;
  }
}

/** A millisecond timestamp column as numbers, read from the 64-bit words without BigInts. */
function timesOf(data: ColumnData, rows: number): Float64Array {
  const words = viewOf(Int32Array, data.values, rows * 2);
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

/** Parsed label set per entry of a labels dictionary, filled on first use (entries only grow while deltas arrive). */
const parsedLabels = new WeakMap<(string | null)[], (Record<string, string> | undefined)[]>();

/**
 * Endpoints repeat: one frozen object per distinct combination of their columns (dictionary
 * indices, pod, IP) is shared by every row that has it (records are read-only downstream).
 * Valid while the dictionaries are the same arrays (a replacement makes a new one); bounded.
 */
interface CachedEndpoint {
  /** (kind, cluster) and (namespace, labels) entry indices, each pair exact in a double (indices < 2^26). */
  a: number;
  b: number;
  workloadKind: number;
  pod: string | undefined;
  ip: string | undefined;
  endpoint: Endpoint;
}

const ENDPOINT_CACHE_LIMIT = 50_000;

class EndpointCache {
  private dictionaries: (string | null)[][] = [];
  /** Workload index + 1 → IP (else pod, else '') → endpoints. */
  private byWorkload: (Map<string, CachedEndpoint[]> | undefined)[] = [];
  private size = 0;

  /** Starts a batch with these dictionaries (clears the cache if any was replaced). */
  use(dictionaries: (string | null)[][]): void {
    const same = dictionaries.length === this.dictionaries.length && dictionaries.every((d, k) => d === this.dictionaries[k]);
    if (!same || this.size > ENDPOINT_CACHE_LIMIT) {
      this.dictionaries = dictionaries;
      this.byWorkload = [];
      this.size = 0;
    }
  }

  get(workload: number, a: number, b: number, workloadKind: number, pod: string | undefined, ip: string | undefined): Endpoint | undefined {
    const list = this.byWorkload[workload + 1]?.get(ip ?? pod ?? '');
    if (list === undefined) return undefined;
    for (let k = 0; k < list.length; k++) {
      const e = list[k]!;
      if (e.a === a && e.b === b && e.workloadKind === workloadKind && e.pod === pod && e.ip === ip) return e.endpoint;
    }
    return undefined;
  }

  set(workload: number, a: number, b: number, workloadKind: number, pod: string | undefined, ip: string | undefined, endpoint: Endpoint): void {
    const byKey = (this.byWorkload[workload + 1] ??= new Map());
    const key = ip ?? pod ?? '';
    let list = byKey.get(key);
    if (list === undefined) byKey.set(key, (list = []));
    list.push({ a, b, workloadKind, pod, ip, endpoint });
    this.size++;
  }
}

/** Caches that outlive a batch (dictionaries do): one per side, and one per side for endpoints given the replay's cluster. */
interface ReaderState {
  src: EndpointCache;
  dst: EndpointCache;
  srcClustered: EndpointCache;
  dstClustered: EndpointCache;
}

const newState = (): ReaderState => ({ src: new EndpointCache(), dst: new EndpointCache(), srcClustered: new EndpointCache(), dstClustered: new EndpointCache() });

/** One endpoint's columns (`src_*` or `dst_*`) of a batch. */
class EndpointColumns {
  private readonly kind: Dict;
  private readonly cluster: Dict;
  private readonly namespace: Dict;
  private readonly workload: Dict;
  private readonly workloadKind: Dict;
  private readonly labels: Dict;
  /** Parsed label set per dictionary entry. */
  private readonly labelSets: (Record<string, string> | undefined)[];
  private readonly pod: Utf8Column;
  private readonly ip: Utf8Column;
  private readonly cache: EndpointCache;
  /** Endpoints whose placeholder cluster is replaced (see ClusterRule): their cluster, its entry index here, their cache. */
  private readonly clustered: { to: string; placeholder: number; cache: EndpointCache } | undefined;

  constructor(batch: ColumnBatch, side: 'src' | 'dst', cache: EndpointCache, clustered?: { to: string; placeholder: string; cache: EndpointCache }) {
    const rows = batch.rows;
    const dict = (name: string): Dict => dictOf(batch.column(`${side}_${name}`), rows);
    this.kind = dict('kind');
    this.cluster = dict('cluster');
    this.namespace = dict('namespace');
    this.workload = dict('workload');
    this.workloadKind = dict('workload_kind');
    this.labels = dict('labels');
    let sets = parsedLabels.get(this.labels.entries);
    if (sets === undefined) parsedLabels.set(this.labels.entries, (sets = []));
    this.labelSets = sets;
    this.pod = new Utf8Column(batch.column(`${side}_pod`), true);
    this.ip = new Utf8Column(batch.column(`${side}_ip`), true);
    this.cache = cache;
    const dictionaries = [this.kind.entries, this.cluster.entries, this.namespace.entries, this.workload.entries, this.workloadKind.entries, this.labels.entries];
    cache.use(dictionaries);
    if (clustered !== undefined) {
      clustered.cache.use(dictionaries);
      this.clustered = { to: clustered.to, placeholder: this.cluster.entries.indexOf(clustered.placeholder), cache: clustered.cache };
    }
  }

  /** Cluster entry index of row i (-1 where null). */
  clusterIndex(i: number): number {
    return this.cluster.index(i);
  }

  /** Cluster entries (indexed by clusterIndex). */
  get clusters(): (string | null)[] {
    return this.cluster.entries;
  }

  /** `reclustered`: the row takes the replay's cluster where its cluster is the placeholder. */
  at(i: number, reclustered = false): Endpoint | undefined {
    const kind = this.kind.index(i);
    if (kind < 0) return undefined;
    const pod = this.pod.at(i);
    const ip = this.ip.at(i);
    const c = this.cluster.index(i);
    // The replay's cluster instead of the placeholder: cached apart, under the same indices.
    const swap = reclustered && this.clustered !== undefined && c >= 0 && c === this.clustered.placeholder;
    const cache = swap ? this.clustered!.cache : this.cache;
    const n = this.namespace.index(i);
    const w = this.workload.index(i);
    const workloadKind = this.workloadKind.index(i);
    const l = this.labels.index(i);
    // (kind, cluster) and (namespace, labels) as two exact doubles; beyond 2^26 entries, no sharing.
    const cacheable = (kind | c | n | l) < 67108863;
    const a = (kind + 1) * 67108864 + (c + 1);
    const b = (n + 1) * 67108864 + (l + 1);
    const known = cacheable ? cache.get(w, a, b, workloadKind, pod, ip) : undefined;
    if (known !== undefined) return known;
    // Every field in one literal (one shape for all endpoints; absent ones undefined, in the
    // order the parsers add them, so JSON and equality see the same endpoint).
    const e: Endpoint = {
      cluster: swap ? this.clustered!.to : c < 0 ? '' : (this.cluster.entries[c] ?? ''),
      namespace: n < 0 ? '' : (this.namespace.entries[n] ?? ''),
      workload: w < 0 ? '' : (this.workload.entries[w] ?? ''),
      labels: this.labelsAt(l),
      kind: this.kind.entries[kind] as EndpointKind,
      workloadKind: workloadKind < 0 ? undefined : (this.workloadKind.entries[workloadKind] ?? undefined),
      pod,
      ip,
    };
    if (cacheable) cache.set(w, a, b, workloadKind, pod, ip, Object.freeze(e));
    return e;
  }

  private labelsAt(index: number): Record<string, string> {
    if (index < 0) return NO_LABELS;
    const text = this.labels.entries[index];
    if (text === null || text === undefined) return NO_LABELS;
    return (this.labelSets[index] ??= labelsFrom(text));
  }
}

export interface ArrowRow {
  record: NormalizedRecord;
  label: string | undefined;
  /** The source line (schema version 2, unless converted with --no-original); only when asked for. */
  original: string | undefined;
}

const servicePort = (port: string): number | string => (/^\d+$/.test(port) ? Number(port) : port);

/** dstFqdns of the flows that have none: shared, as the records are read-only downstream. */
const NO_FQDNS: string[] = Object.freeze([]) as unknown as string[];
const NO_ANSWERS: DnsAnswer[] = Object.freeze([]) as unknown as DnsAnswer[];

/**
 * Values parsed from a column's text (comma-joined FQDNs, JSON answers), frozen and shared by
 * the rows with the same text: they repeat (a name resolves to the same addresses all day).
 * Bounded: cleared when full.
 */
class ParsedCache<T> {
  private readonly values = new Map<string, T>();
  private readonly parse: (text: string) => T;

  constructor(parse: (text: string) => T) {
    this.parse = parse;
  }

  get(text: string): T {
    let value = this.values.get(text);
    if (value === undefined) {
      value = this.parse(text);
      if (this.values.size >= 10_000) this.values.clear();
      this.values.set(text, value);
    }
    return value;
  }
}

const fqdnLists = new ParsedCache((text) => Object.freeze(text.split(',')) as string[]);
const answerLists = new ParsedCache((text) => Object.freeze((JSON.parse(text) as DnsAnswer[]).map((answer) => Object.freeze(answer))) as DnsAnswer[]);

/** Formats whose records carry no cluster of their own (Calico), or only when a column names one (CSV). */
const CLUSTERLESS_FORMATS: Readonly<Record<string, string>> = { 'calico-flow': 'Calico', 'calico-dns': 'Calico', csv: 'CSV' };

/**
 * A replay's cluster (--cluster, FILE@CLUSTER) for an Arrow dataset: given to the records of
 * the formats that carry none (Calico; CSV rows without a cluster column) that `convert`
 * wrote with the placeholder cluster, as a JSON-lines replay of the same lines would give it.
 * Not in a dataset converted with every input's cluster given (`replaces` false). Counts
 * what it could not be applied to, for one notice at the end of the file.
 */
class ClusterRule {
  readonly to: string;
  readonly replaces: boolean;
  /** Records given the cluster, and their formats. */
  applied = 0;
  readonly appliedFormats = new Set<string>();
  private lastApplied = '';
  /** Records of those formats with a cluster of their own (neither the placeholder nor `to`), and which. */
  kept = 0;
  readonly keptClusters = new Set<string>();
  readonly keptFormats = new Set<string>();
  /** Records of those formats. */
  clusterless = 0;
  /** Records of the formats that carry their own cluster (Hubble), and how many of them name another. */
  own = 0;
  ownElsewhere = 0;

  constructor(to: string, replaces: boolean) {
    this.to = to;
    this.replaces = replaces;
  }

  /** A clusterless-format record that takes the cluster. */
  apply(format: string): void {
    this.applied++;
    if (format !== this.lastApplied) this.appliedFormats.add(CLUSTERLESS_FORMATS[format] ?? format);
    this.lastApplied = format;
  }

  /** A clusterless-format record (its sides' clusters) that did not take the cluster. */
  keep(format: string, a: string, b: string): void {
    const other = a !== '' && a !== this.to ? a : b !== '' && b !== this.to ? b : undefined;
    if (other === undefined) return;
    this.kept++;
    if (this.keptClusters.size < 4) this.keptClusters.add(other);
    this.keptFormats.add(CLUSTERLESS_FORMATS[format] ?? format);
  }

  /** A record of a format that carries its cluster. */
  owned(a: string, b: string): void {
    this.own++;
    if ((a !== '' && a !== this.to) || (b !== '' && b !== this.to)) this.ownElsewhere++;
  }
}

interface BatchOptions {
  /** File row of the batch's first row (1-based): records say their row. */
  firstRow?: number;
  /** The dataset is labelled per record (converted with --labels). */
  labelled?: boolean;
  rule?: ClusterRule;
}

/** The record columns of one batch, and the records built from them. */
class BatchRecords {
  readonly rows: number;
  private readonly kind: Dict;
  private flowKind = -2;
  private readonly format: Dict;
  private readonly windowStart: Float64Array;
  private readonly windowEnd: Float64Array;
  private readonly src: EndpointColumns;
  private readonly dst: EndpointColumns;
  private readonly node: Dict;
  private readonly serviceName: Dict;
  private readonly serviceNamespace: Dict;
  private readonly servicePort: Dict;
  private readonly fqdns: Strings;
  private readonly protocol: Dict;
  private readonly action: Dict;
  private readonly reporter: Dict;
  private readonly denyReason: Dict;
  private readonly qname: Strings;
  private readonly qtype: Dict;
  private readonly rcode: Dict;
  private readonly answers: Utf8Column;
  private readonly srcPort: Numbers;
  private readonly dstPort: Numbers;
  private readonly bytesToDst: Numbers;
  private readonly bytesToSrc: Numbers;
  private readonly packetsToDst: Numbers;
  private readonly packetsToSrc: Numbers;
  private readonly connections: Numbers;
  private readonly connectionsStarted: Numbers;
  private readonly connectionsCompleted: Numbers;
  private readonly count: Numbers;
  private readonly latencyMean: Numbers;
  private readonly latencyMax: Numbers;
  /** The label column (the episode `convert --labels` found, or a record's own label). */
  private readonly labels: Dict;
  /** A flow's label where its row has none: 'benign' in a labelled dataset, else undefined (unlabelled). */
  private readonly unlabelled: string | undefined;
  /** File row of this batch's first row (1-based), when records say their row. */
  private readonly firstRow: number | undefined;
  private readonly rule: ClusterRule | undefined;
  /** Service reference per (name, namespace, port) entry indices, shared by the rows that have it. */
  private readonly services = new Map<number, (NonNullable<FlowRecord['dstService']> | undefined)[]>();

  constructor(batch: ColumnBatch, state: ReaderState, options: BatchOptions = {}) {
    const rows = (this.rows = batch.rows);
    const dict = (name: string) => dictOf(batch.column(name), rows);
    const floats = (name: string) => new Numbers(batch.column(name), rows, Float64Array);
    this.kind = dict('kind');
    this.flowKind = this.kind.entries.indexOf('flow');
    this.format = dict('format');
    this.windowStart = timesOf(batch.column('window_start')!, rows);
    this.windowEnd = timesOf(batch.column('window_end')!, rows);
    const rule = (this.rule = options.rule);
    const clustered = (cache: EndpointCache) => (rule?.replaces === true ? { to: rule.to, placeholder: PLACEHOLDER_CLUSTER, cache } : undefined);
    this.src = new EndpointColumns(batch, 'src', state.src, clustered(state.srcClustered));
    this.dst = new EndpointColumns(batch, 'dst', state.dst, clustered(state.dstClustered));
    this.labels = dict('label');
    this.unlabelled = options.labelled === true ? 'benign' : undefined;
    this.firstRow = options.firstRow;
    this.node = dict('node');
    this.serviceName = dict('service_name');
    this.serviceNamespace = dict('service_namespace');
    this.servicePort = dict('service_port');
    this.fqdns = stringsOf(batch.column('dst_fqdns'), rows);
    this.protocol = dict('protocol');
    this.action = dict('action');
    this.reporter = dict('reporter');
    this.denyReason = dict('deny_reason');
    this.qname = stringsOf(batch.column('qname'), rows);
    this.qtype = dict('qtype');
    this.rcode = dict('rcode');
    this.answers = new Utf8Column(batch.column('answers'));
    this.srcPort = new Numbers(batch.column('src_port'), rows, Int32Array);
    this.dstPort = new Numbers(batch.column('dst_port'), rows, Int32Array);
    this.bytesToDst = floats('bytes_to_dst');
    this.bytesToSrc = floats('bytes_to_src');
    this.packetsToDst = floats('packets_to_dst');
    this.packetsToSrc = floats('packets_to_src');
    this.connections = floats('connections');
    this.connectionsStarted = floats('connections_started');
    this.connectionsCompleted = floats('connections_completed');
    this.count = floats('count');
    this.latencyMean = floats('latency_mean_ns');
    this.latencyMax = floats('latency_max_ns');
  }

  /** Records of rows [from, to). */
  records(from: number, to: number): NormalizedRecord[] {
    if (this.rule !== undefined) return this.clusteredRecords(from, to, this.rule);
    const out: NormalizedRecord[] = new Array(to - from);
    const kinds = this.kind;
    const flow = this.flowKind;
    for (let i = from; i < to; i++) out[i - from] = flow >= 0 && kinds.index(i) === flow ? this.flow(i) : this.dns(i);
    return out;
  }

  /** Records of rows [from, to), the replay's cluster given where the rule says (and counted where not). */
  private clusteredRecords(from: number, to: number, rule: ClusterRule): NormalizedRecord[] {
    const out: NormalizedRecord[] = new Array(to - from);
    const kinds = this.kind;
    const flow = this.flowKind;
    const formats = this.format.entries;
    const [src, dst] = [this.src.clusters, this.dst.clusters];
    for (let i = from; i < to; i++) {
      const format = formats[this.format.index(i)] ?? '';
      const a = src[this.src.clusterIndex(i)] ?? '';
      const b = dst[this.dst.clusterIndex(i)] ?? '';
      let swap = false;
      if (CLUSTERLESS_FORMATS[format] !== undefined) {
        rule.clusterless++;
        swap = rule.replaces && (a === PLACEHOLDER_CLUSTER || b === PLACEHOLDER_CLUSTER);
        if (swap) rule.apply(format);
        else rule.keep(format, a, b);
      } else {
        rule.owned(a, b);
      }
      out[i - from] = flow >= 0 && kinds.index(i) === flow ? this.flow(i, swap) : this.dns(i, swap);
    }
    return out;
  }

  private labelAt(i: number): string | undefined {
    const label = this.labels.at(i);
    return label === undefined || label === '' ? this.unlabelled : label;
  }

  private flow(i: number, reclustered = false): FlowRecord {
    const fqdns = this.fqdns.at(i);
    // One literal with every field (one shape; optional ones undefined when absent, last, in
    // the order the parsers add them, label and row included, so JSON of a record is the same).
    return {
      kind: 'flow', format: entryAt(this.format, i) as RecordFormat, windowStart: this.windowStart[i]!, windowEnd: this.windowEnd[i]!,
      src: this.src.at(i, reclustered)!, dst: this.dst.at(i, reclustered)!,
      dstFqdns: fqdns === undefined ? NO_FQDNS : fqdnLists.get(fqdns),
      protocol: entryAt(this.protocol, i) as Protocol, action: entryAt(this.action, i) as 'allow' | 'deny', reporter: entryAt(this.reporter, i) as 'src' | 'dst' | 'unknown',
      bytesToDst: this.bytesToDst.at(i)!, bytesToSrc: this.bytesToSrc.at(i)!, packetsToDst: this.packetsToDst.at(i)!, packetsToSrc: this.packetsToSrc.at(i)!,
      connections: this.connections.at(i)!, connectionsStarted: this.connectionsStarted.at(i)!, connectionsCompleted: this.connectionsCompleted.at(i)!,
      node: entryAt(this.node, i), srcPort: this.srcPort.at(i), dstPort: this.dstPort.at(i), dstService: this.service(i), denyReason: entryAt(this.denyReason, i),
      label: this.labelAt(i), row: this.firstRow === undefined ? undefined : this.firstRow + i,
    };
  }

  private service(i: number): FlowRecord['dstService'] {
    const name = this.serviceName.index(i);
    if (name < 0) return undefined;
    const namespace = this.serviceNamespace.index(i);
    const port = this.servicePort.index(i);
    if ((name | namespace) >= 67108863) return this.newService(i);
    // (name, namespace) exact in a double (indices < 2^26), then the port's index.
    const key = (name + 1) * 67108864 + (namespace + 1);
    let ports = this.services.get(key);
    if (ports === undefined) this.services.set(key, (ports = []));
    let service = ports[port + 1];
    if (service === undefined) ports[port + 1] = service = Object.freeze(this.newService(i));
    return service;
  }

  private newService(i: number): NonNullable<FlowRecord['dstService']> {
    const service: NonNullable<FlowRecord['dstService']> = { name: entryAt(this.serviceName, i) ?? '', namespace: entryAt(this.serviceNamespace, i) ?? '' };
    const text = entryAt(this.servicePort, i);
    if (text !== undefined) service.port = servicePort(text);
    return service;
  }

  private dns(i: number, reclustered = false): DnsRecord {
    const answers = this.answers.at(i);
    return {
      kind: 'dns', format: entryAt(this.format, i) as RecordFormat, windowStart: this.windowStart[i]!, time: this.windowEnd[i]!,
      client: this.src.at(i, reclustered)!, qname: this.qname.at(i) ?? '', qtype: entryAt(this.qtype, i) ?? '', rcode: entryAt(this.rcode, i) ?? '',
      answers: answers === undefined ? NO_ANSWERS : answerLists.get(answers), count: this.count.at(i)!,
      server: this.dst.at(i, reclustered), latencyMeanNs: this.latencyMean.at(i), latencyMaxNs: this.latencyMax.at(i),
      row: this.firstRow === undefined ? undefined : this.firstRow + i,
    };
  }
}

/** Rows of a batch as normalised records (and their labels, and with `originals` their source lines). */
export function recordsOf(batch: RecordBatch, options: { originals?: boolean } = {}): ArrowRow[] {
  const columns = columnsOfBatch(batch);
  const records = new BatchRecords(columns, newState()).records(0, batch.numRows);
  const label = stringsOf(columns.column('label'), batch.numRows);
  const original = options.originals === true ? stringsOf(columns.column('original'), batch.numRows) : undefined;
  return records.map((record, i) => ({ record, label: label.at(i), original: original?.at(i) }));
}

/** Column batches of a flowhound Arrow dataset, in file order; the schema version is checked first. */
async function* readBatches(path: string, columns: ReadonlySet<string> | undefined, onVersion?: (version: string, schema: Schema) => void): AsyncGenerator<ColumnBatch> {
  const batches = readColumnBatches(path, {
    ...(columns === undefined ? {} : { columns }),
    onSchema: (schema) => {
      const version = checkSchema(schema, path);
      onVersion?.(version, schema);
    },
  });
  for (;;) {
    let step: IteratorResult<ColumnBatch>;
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

/** The columns records are built from: all but `original` (the largest by far; `label` is a dictionary, 4 bytes a row). */
const RECORD_COLUMNS: ReadonlySet<string> = new Set(COLUMNS.map(([name]) => name).filter((name) => name !== 'original'));
const RECORD_AND_ORIGINAL_COLUMNS: ReadonlySet<string> = new Set([...RECORD_COLUMNS, 'original']);

export interface ArrowReadOptions {
  /** Keep each record's source line (when the file has it) here, for the stages, as the ingest does for lines it decodes; without, that column is not even read. */
  originals?: RecordOriginals | undefined;
  /** Set each record's `row`: its 1-based row in the file (what `--scores-out` names a flow by). */
  rows?: boolean;
  /**
   * The replay's cluster for records whose format carries none (--cluster, FILE@CLUSTER, the
   * pipeline's): given to the Calico (and CSV) records that `convert` wrote with the
   * placeholder `default` (ClusterRule); undefined or the placeholder itself: nothing to do.
   */
  cluster?: string | undefined;
  /** Told once, at the end of the file, what of `cluster` could not be applied and why (and about older datasets). */
  onNotice?: (message: string) => void;
}

const count = (n: number) => n.toLocaleString('en-US');
const quoted = (names: Iterable<string>) => [...names].map((name) => JSON.stringify(name)).join(', ');
const nounOf = (formats: Set<string>) => `${[...formats].sort().join(' and ')} records`;

/** What is worth saying about the replay's cluster once a dataset is read (nothing, mostly). */
function clusterNotices(path: string, rule: ClusterRule, info: DatasetInfo | undefined): string[] {
  const to = JSON.stringify(rule.to);
  const notices: string[] = [];
  if (rule.kept > 0) {
    const how = info?.clusterFrom === 'given'
      ? `the dataset was converted with ${info.clusters.length === 1 ? 'cluster' : 'clusters'} ${quoted(info.clusters)} (--cluster or FILE@CLUSTER), which its records keep`
      : `they have the cluster ${quoted(rule.keptClusters)} (given when the dataset was converted, or a CSV cluster column), not the placeholder "${PLACEHOLDER_CLUSTER}"`;
    notices.push(`${path}: cluster ${to} not applied to ${count(rule.kept)} ${nounOf(rule.keptFormats)}: ${how}; convert the JSON lines again with --cluster ${rule.to} to change it`);
  }
  if (rule.clusterless === 0 && rule.ownElsewhere > 0) {
    notices.push(`${path}: cluster ${to} not applied: its ${count(rule.own)} records are Hubble's, which carry their own cluster (node name, cluster_name); --cluster is for records without one (Calico)`);
  }
  if (rule.applied > 0 && info?.clusterFrom === undefined) {
    notices.push(`${path}: this Arrow dataset does not say how its clusters were set (converted by an older flowhound): cluster ${to} given to its ${count(rule.applied)} ${nounOf(rule.appliedFormats)} whose cluster is "${PLACEHOLDER_CLUSTER}", what convert writes for records without one`);
  }
  return notices;
}

/**
 * Batches of normalised records from an Arrow IPC file or stream (gzip too), in file order.
 * Flows have the label the dataset gives them (`label`: the episode `convert --labels` found,
 * or their own; 'benign' for the others of a labelled dataset, undefined in an unlabelled one).
 */
export async function* readArrowRecords(path: string, options: ArrowReadOptions = {}): AsyncGenerator<NormalizedRecord[]> {
  const { originals, onNotice } = options;
  const state = newState();
  let info: DatasetInfo | undefined;
  let rule: ClusterRule | undefined;
  const onSchema = (_version: string, schema: Schema) => {
    info = datasetInfo(schema);
    const cluster = options.cluster;
    if (cluster !== undefined && cluster !== PLACEHOLDER_CLUSTER) rule = new ClusterRule(cluster, info.clusterFrom !== 'given');
  };
  let row = 1;
  for await (const batch of readBatches(path, originals === undefined ? RECORD_COLUMNS : RECORD_AND_ORIGINAL_COLUMNS, onSchema)) {
    const batchOptions: BatchOptions = { labelled: info?.labelled === true, ...(rule === undefined ? {} : { rule }), ...(options.rows === true ? { firstRow: row } : {}) };
    const records = new BatchRecords(batch, state, batchOptions).records(0, batch.rows);
    row += batch.rows;
    if (originals !== undefined) {
      const lines = stringsOf(batch.column('original'), batch.rows);
      for (let i = 0; i < records.length; i++) {
        const original = lines.at(i);
        if (original !== undefined) originals.keep(records[i]!, original);
      }
    }
    yield records;
  }
  if (rule !== undefined && onNotice !== undefined) for (const notice of clusterNotices(path, rule, info)) onNotice(notice);
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
function utf8Bytes(data: Column, rows: number): (Uint8Array | undefined)[] {
  const out: (Uint8Array | undefined)[] = new Array(rows).fill(undefined);
  if (data === undefined || data.offsets === undefined) return out;
  const { offsets, values, validity } = data;
  for (let i = 0; i < rows; i++) if (valid(validity, i)) out[i] = values.subarray(offsets[i]!, offsets[i + 1]!);
  return out;
}

/** The columns a Kafka replay reads. */
const ORIGINAL_COLUMNS: ReadonlySet<string> = new Set(['kind', 'format', 'window_end', 'original', ...['src', 'dst'].flatMap((side) => ['cluster', 'namespace', 'workload', 'kind'].map((name) => `${side}_${name}`))]);

/**
 * A batch's source lines with their format, event time and key, decoding only the columns
 * those need: a Kafka replay builds no records.
 */
function originalsOf(batch: ColumnBatch): { rows: ArrowOriginal[]; absent: number } {
  const rows = batch.rows;
  const strings = (name: string) => stringsOf(batch.column(name), rows);
  const [kinds, formats] = [strings('kind'), strings('format')];
  const ends = timesOf(batch.column('window_end')!, rows);
  const side = (prefix: 'src' | 'dst') => ({ cluster: strings(`${prefix}_cluster`), namespace: strings(`${prefix}_namespace`), workload: strings(`${prefix}_workload`), kind: strings(`${prefix}_kind`) });
  const sides = { src: side('src'), dst: side('dst') };
  const identity = (who: ReturnType<typeof side>, i: number): KeyedEndpoint => ({
    cluster: who.cluster.at(i) ?? '', namespace: who.namespace.at(i) ?? '', workload: who.workload.at(i) ?? '', kind: who.kind.at(i) as EndpointKind,
  });
  const originals = utf8Bytes(batch.column('original'), rows);
  const out: ArrowOriginal[] = [];
  let absent = 0;
  for (let i = 0; i < rows; i++) {
    const value = originals[i];
    if (value === undefined) {
      absent++;
      continue;
    }
    const key = recordKey(kinds.at(i) === 'flow' ? 'flow' : 'dns', identity(sides.src, i), identity(sides.dst, i));
    out.push({ value, format: formats.at(i) as RecordFormat, time: ends[i]!, key });
  }
  return { rows: out, absent };
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
  for await (const batch of readBatches(path, ORIGINAL_COLUMNS, onVersion)) {
    const { rows, absent } = originalsOf(batch);
    if (absent > 0) throw missing(absent === batch.rows ? 'this Arrow dataset has no original lines (converted with --no-original)' : `${absent} of ${batch.rows} records in a batch of this Arrow dataset have no original line`);
    yield rows;
  }
}
