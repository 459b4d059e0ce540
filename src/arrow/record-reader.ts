import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { constants, createGunzip, gunzipSync } from 'node:zlib';
import { RecordBatchReader, type RecordBatch, type Vector } from 'apache-arrow';
import { FlowhoundError } from '../errors.ts';
import type { DnsAnswer } from '../model/dns-record.ts';
import type { Endpoint, EndpointKind } from '../model/endpoint.ts';
import { NO_LABELS } from '../model/endpoint.ts';
import type { Protocol } from '../model/flow-record.ts';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import type { RecordFormat } from '../model/record-format.ts';
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
 * entries decoded once per batch, not once per row), then rows built from those arrays.
 */
function columns(batch: RecordBatch): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const field of batch.schema.fields) out.set(field.name, columnValues(batch.getChild(field.name)!));
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

/** Rows of a batch as normalised records (and their labels). */
export function recordsOf(batch: RecordBatch): { record: NormalizedRecord; label: string | undefined }[] {
  const c = columns(batch);
  const col = (name: string) => c.get(name)!;
  const out: { record: NormalizedRecord; label: string | undefined }[] = [];
  for (let i = 0; i < batch.numRows; i++) {
    const format = str(col('format'), i) as RecordFormat;
    const label = str(col('label'), i);
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
      out.push({ record, label });
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
      out.push({ record, label });
    }
  }
  return out;
}

async function peek(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    return head;
  } finally {
    await handle.close();
  }
}

/** Batches of normalised records from an Arrow IPC file or stream (gzip too), in file order. */
export async function* readArrowRecords(path: string): AsyncGenerator<NormalizedRecord[]> {
  let reader: RecordBatchReader;
  try {
    const file = createReadStream(path);
    const head = await peek(path);
    reader = await RecordBatchReader.from(head[0] === 0x1f && head[1] === 0x8b ? file.pipe(createGunzip()) : file);
    await reader.open();
  } catch (error) {
    throw new FlowhoundError('FH_INPUT_UNREADABLE', `${path}: not a readable Arrow IPC file: ${(error as Error).message}`, { cause: error });
  }
  checkSchema(reader.schema, path);
  for await (const batch of reader) yield recordsOf(batch).map((r) => r.record);
}
