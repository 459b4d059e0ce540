import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { makeBuilder, makeData, RecordBatch, RecordBatchFileWriter, RecordBatchStreamWriter, Struct, type Builder } from 'apache-arrow';
import type { Endpoint } from '../model/endpoint.ts';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import { COLUMNS, recordSchema } from './record-schema.ts';

const NO_ENDPOINT = [null, null, null, null, null, null, null, null];

function endpointValues(e: Endpoint | undefined): unknown[] {
  if (e === undefined) return NO_ENDPOINT;
  const labels = Object.keys(e.labels).length === 0 ? null : JSON.stringify(e.labels);
  return [e.cluster, e.namespace, e.workload, e.workloadKind ?? null, e.kind, labels, e.pod ?? null, e.ip ?? null];
}

/** One row, in COLUMNS order. */
function rowOf(r: NormalizedRecord, label: string | null): unknown[] {
  if (r.kind === 'flow') {
    return [
      'flow', r.format, r.windowStart, r.windowEnd, ...endpointValues(r.src), ...endpointValues(r.dst),
      r.node ?? null, r.srcPort ?? null, r.dstPort ?? null,
      r.dstService?.name ?? null, r.dstService?.namespace ?? null, r.dstService?.port === undefined ? null : String(r.dstService.port),
      r.dstFqdns.length === 0 ? null : r.dstFqdns.join(','), r.protocol, r.action, r.reporter, r.denyReason ?? null,
      r.bytesToDst, r.bytesToSrc, r.packetsToDst, r.packetsToSrc, r.connections, r.connectionsStarted, r.connectionsCompleted,
      null, null, null, null, null, null, null, label,
    ];
  }
  return [
    'dns', r.format, r.windowStart, r.time, ...endpointValues(r.client), ...endpointValues(r.server),
    null, null, null, null, null, null, null, null, null, null, null,
    null, null, null, null, null, null, null,
    r.qname, r.qtype, r.rcode, r.answers.length === 0 ? null : JSON.stringify(r.answers), r.count, r.latencyMeanNs ?? null, r.latencyMaxNs ?? null, label,
  ];
}

/**
 * Streams normalised records into an Arrow IPC file (or stream, for pipes) in batches of
 * `batchSize` rows. Dictionaries grow as deltas, so memory holds one batch plus the distinct
 * strings seen, whatever the number of rows.
 */
export class ArrowRecordWriter {
  readonly rows = { written: 0 };
  private readonly builders: Builder[];
  private readonly writer: RecordBatchFileWriter | RecordBatchStreamWriter;
  private readonly done: Promise<void>;
  private readonly batchSize: number;
  private pending = 0;
  /** Bytes written by Arrow but not yet accepted by the file. */
  private readonly pending_: () => number;

  constructor(path: string, options: { format?: 'file' | 'stream'; batchSize?: number } = {}) {
    this.batchSize = options.batchSize ?? 16_384;
    this.builders = COLUMNS.map(([, type]) => makeBuilder({ type, nullValues: [null, undefined] }));
    this.writer = options.format === 'stream' ? new RecordBatchStreamWriter() : new RecordBatchFileWriter();
    const out = path === '-' ? process.stdout : createWriteStream(path);
    const bytes = this.writer.toNodeStream();
    this.pending_ = () => bytes.readableLength + out.writableLength;
    // `.gz` paths are gzip-compressed on the way out; readers detect gzip by its magic bytes.
    this.done = finished(path.endsWith('.gz') ? bytes.pipe(createGzip({ level: 6 })).pipe(out) : bytes.pipe(out));
  }

  async write(record: NormalizedRecord, label: string | null = null): Promise<void> {
    const row = rowOf(record, label);
    for (let i = 0; i < row.length; i++) this.builders[i]!.append(row[i]);
    this.pending++;
    if (this.pending >= this.batchSize) await this.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    this.writer.finish();
    await this.done;
  }

  private async flush(): Promise<void> {
    if (this.pending === 0) return;
    const schema = recordSchema();
    const children = this.builders.map((b) => b.flush());
    const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: this.pending, nullCount: 0, children }));
    this.writer.write(batch);
    this.rows.written += this.pending;
    this.pending = 0;
    // Backpressure: wait while more than a few batches wait for the disk, so memory stays
    // bounded however large the input.
    while (this.pending_() > 32 * 1024 * 1024) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setImmediate(resolve));
  }
}
