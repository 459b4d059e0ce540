import { open } from 'node:fs/promises';
import { constants, gunzipSync } from 'node:zlib';
import type { RecordBatch, Vector } from 'apache-arrow';
import { FlowhoundError } from '../errors.ts';
import type { DnsAnswer } from '../model/dns-record.ts';
import type { Endpoint, EndpointKind } from '../model/endpoint.ts';
import { NO_LABELS } from '../model/endpoint.ts';
import type { Protocol } from '../model/flow-record.ts';
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
 * Column-wise view of one batch: every column decoded once into a plain JS array (dictionary
 * entries decoded once per batch, not once per row), then rows built from those arrays. The
 * original lines, the largest column, are decoded only when asked for.
 */
function columns(batch: RecordBatch, originals: boolean): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const field of batch.schema.fields) {
    if (field.name === 'original' && !originals) continue;
    out.set(field.name, columnValues(batch.getChild(field.name)!));
  }
  return out;
}

function columnValues(vector: Vector): unknown[] {
  const values: unknown[] = new Array(vector.length);
  let row = 0;
  for (const data of vector.data) {
    const dictionary = data.dictionary;
    if (dictionary !== undefined) {
      const entries = dictionary.toArray() as unknown[];
      const keys = data.values as Int32Array;
      for (let i = 0; i < data.length; i++) values[row++] = data.getValid(i) ? entries[keys[i]!] : null;
    } else {
      for (let i = 0; i < data.length; i++, row++) values[row] = data.getValid(i) ? (vector.get(row) ?? null) : null;
    }
  }
  return values;
}

type Column = unknown[];
const str = (c: Column, i: number) => (c[i] as string | null) ?? undefined;
const num = (c: Column, i: number) => (c[i] as number | null) ?? undefined;
const time = (c: Column, i: number) => Number(c[i]);

function endpoint(cols: Map<string, Column>, side: 'src' | 'dst', i: number): Endpoint | undefined {
  const kind = str(cols.get(`${side}_kind`)!, i);
  if (kind === undefined) return undefined;
  const labels = str(cols.get(`${side}_labels`)!, i);
  const e: Endpoint = {
    cluster: str(cols.get(`${side}_cluster`)!, i) ?? '',
    namespace: str(cols.get(`${side}_namespace`)!, i) ?? '',
    workload: str(cols.get(`${side}_workload`)!, i) ?? '',
    labels: labels === undefined ? NO_LABELS : (JSON.parse(labels) as Record<string, string>),
    kind: kind as EndpointKind,
  };
  const workloadKind = str(cols.get(`${side}_workload_kind`)!, i);
  if (workloadKind !== undefined) e.workloadKind = workloadKind;
  const pod = str(cols.get(`${side}_pod`)!, i);
  if (pod !== undefined) e.pod = pod;
  const ip = str(cols.get(`${side}_ip`)!, i);
  if (ip !== undefined) e.ip = ip;
  return e;
}

export interface ArrowRow {
  record: NormalizedRecord;
  label: string | undefined;
  /** The source line (schema version 2, unless converted with --no-original); only when asked for. */
  original: string | undefined;
}

const NONE: Column = [];

/** Rows of a batch as normalised records (and their labels, and with `originals` their source lines). */
export function recordsOf(batch: RecordBatch, options: { originals?: boolean } = {}): ArrowRow[] {
  const c = columns(batch, options.originals === true);
  const col = (name: string) => c.get(name)!;
  const originals = c.get('original') ?? NONE;
  const out: ArrowRow[] = [];
  for (let i = 0; i < batch.numRows; i++) {
    const format = str(col('format'), i) as RecordFormat;
    const label = str(col('label'), i);
    const original = str(originals, i);
    if (str(col('kind'), i) === 'flow') {
      const record: NormalizedRecord = {
        kind: 'flow', format, windowStart: time(col('window_start'), i), windowEnd: time(col('window_end'), i),
        src: endpoint(c, 'src', i)!, dst: endpoint(c, 'dst', i)!,
        dstFqdns: str(col('dst_fqdns'), i)?.split(',') ?? [],
        protocol: str(col('protocol'), i) as Protocol, action: str(col('action'), i) as 'allow' | 'deny', reporter: str(col('reporter'), i) as 'src' | 'dst' | 'unknown',
        bytesToDst: num(col('bytes_to_dst'), i)!, bytesToSrc: num(col('bytes_to_src'), i)!, packetsToDst: num(col('packets_to_dst'), i)!, packetsToSrc: num(col('packets_to_src'), i)!,
        connections: num(col('connections'), i)!, connectionsStarted: num(col('connections_started'), i)!, connectionsCompleted: num(col('connections_completed'), i)!,
      };
      const node = str(col('node'), i);
      if (node !== undefined) record.node = node;
      const srcPort = num(col('src_port'), i);
      if (srcPort !== undefined) record.srcPort = srcPort;
      const dstPort = num(col('dst_port'), i);
      if (dstPort !== undefined) record.dstPort = dstPort;
      const service = str(col('service_name'), i);
      if (service !== undefined) {
        record.dstService = { name: service, namespace: str(col('service_namespace'), i) ?? '' };
        const port = str(col('service_port'), i);
        if (port !== undefined) record.dstService.port = /^\d+$/.test(port) ? Number(port) : port;
      }
      const deny = str(col('deny_reason'), i);
      if (deny !== undefined) record.denyReason = deny;
      out.push({ record, label, original });
    } else {
      const answers = str(col('answers'), i);
      const record: NormalizedRecord = {
        kind: 'dns', format, windowStart: time(col('window_start'), i), time: time(col('window_end'), i),
        client: endpoint(c, 'src', i)!, qname: str(col('qname'), i) ?? '', qtype: str(col('qtype'), i) ?? '', rcode: str(col('rcode'), i) ?? '',
        answers: answers === undefined ? [] : (JSON.parse(answers) as DnsAnswer[]), count: num(col('count'), i)!,
      };
      const server = endpoint(c, 'dst', i);
      if (server !== undefined) record.server = server;
      const mean = num(col('latency_mean_ns'), i);
      if (mean !== undefined) record.latencyMeanNs = mean;
      const max = num(col('latency_max_ns'), i);
      if (max !== undefined) record.latencyMaxNs = max;
      out.push({ record, label, original });
    }
  }
  return out;
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

/** Batches of rows from a flowhound Arrow dataset, in file order. */
async function* readRows(path: string, options: { originals: boolean }): AsyncGenerator<ArrowRow[]> {
  for await (const batch of readBatches(path)) yield recordsOf(batch, { originals: options.originals });
}

/**
 * Batches of normalised records from an Arrow IPC file or stream (gzip too), in file order.
 * With `originals`, each record's source line (when the file has it) is kept there for the
 * stages, as the ingest does for lines it decodes.
 */
export async function* readArrowRecords(path: string, originals?: RecordOriginals): AsyncGenerator<NormalizedRecord[]> {
  for await (const rows of readRows(path, { originals: originals !== undefined })) {
    if (originals !== undefined) for (const row of rows) if (row.original !== undefined) originals.keep(row.record, row.original);
    yield rows.map((r) => r.record);
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
  const col = (name: string) => columnValues(batch.getChild(name)!);
  const [kinds, formats, ends] = [col('kind'), col('format'), col('window_end')];
  const side = (prefix: 'src' | 'dst') => ({ cluster: col(`${prefix}_cluster`), namespace: col(`${prefix}_namespace`), workload: col(`${prefix}_workload`), kind: col(`${prefix}_kind`) });
  const sides = { src: side('src'), dst: side('dst') };
  const identity = (who: ReturnType<typeof side>, i: number): KeyedEndpoint => ({
    cluster: str(who.cluster, i) ?? '', namespace: str(who.namespace, i) ?? '', workload: str(who.workload, i) ?? '', kind: str(who.kind, i) as EndpointKind,
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
    const key = recordKey(str(kinds, i) === 'flow' ? 'flow' : 'dns', identity(sides.src, i), identity(sides.dst, i));
    rows.push({ value, format: str(formats, i) as RecordFormat, time: time(ends, i), key });
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
