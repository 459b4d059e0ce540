import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { makeBuilder, makeData, RecordBatch, RecordBatchFileWriter, RecordBatchStreamWriter, RecordBatchWriter, Struct, Vector, type Builder, type Data, type Schema } from 'apache-arrow';
import type { Endpoint } from '../model/endpoint.ts';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import { COLUMNS, recordSchema, type DatasetMetadata } from './record-schema.ts';

const NO_ENDPOINT = [null, null, null, null, null, null, null, null];

function endpointValues(e: Endpoint | undefined): unknown[] {
  if (e === undefined) return NO_ENDPOINT;
  const labels = Object.keys(e.labels).length === 0 ? null : JSON.stringify(e.labels);
  return [e.cluster, e.namespace, e.workload, e.workloadKind ?? null, e.kind, labels, e.pod ?? null, e.ip ?? null];
}

/** One row, in COLUMNS order. */
function rowOf(r: NormalizedRecord, label: string | null, original: string | null): unknown[] {
  if (r.kind === 'flow') {
    return [
      'flow', r.format, r.windowStart, r.windowEnd, ...endpointValues(r.src), ...endpointValues(r.dst),
      r.node ?? null, r.srcPort ?? null, r.dstPort ?? null,
      r.dstService?.name ?? null, r.dstService?.namespace ?? null, r.dstService?.port === undefined ? null : String(r.dstService.port),
      r.dstFqdns.length === 0 ? null : r.dstFqdns.join(','), r.protocol, r.action, r.reporter, r.denyReason ?? null,
      r.bytesToDst, r.bytesToSrc, r.packetsToDst, r.packetsToSrc, r.connections, r.connectionsStarted, r.connectionsCompleted,
      null, null, null, null, null, null, null, label, original,
    ];
  }
  return [
    'dns', r.format, r.windowStart, r.time, ...endpointValues(r.client), ...endpointValues(r.server),
    null, null, null, null, null, null, null, null, null, null, null,
    null, null, null, null, null, null, null,
    r.qname, r.qtype, r.rcode, r.answers.length === 0 ? null : JSON.stringify(r.answers), r.count, r.latencyMeanNs ?? null, r.latencyMaxNs ?? null, label, original,
  ];
}

/**
 * apache-arrow's dictionary builder appends a delta chunk on every flush, empty or not, and
 * keeps every chunk (as does the writer, to tell deltas from replacements): a bounded column
 * would still grow by a chunk per batch. The empty one is dropped before the writer sees the
 * batch, from the batch and from the builder, so both keep the chunks they had.
 */
function withoutEmptyDelta(builder: Builder, data: Data): Data {
  const dictionary = data.dictionary;
  if (dictionary === undefined || dictionary.data.length < 2 || dictionary.data[dictionary.data.length - 1]!.length > 0) return data;
  const kept = new Vector(dictionary.data.slice(0, -1));
  data.dictionary = kept;
  (builder as unknown as { _dictionary: Vector })._dictionary = kept;
  return data;
}

/**
 * The IPC file format with the schema message at the head of its stream part, as the format
 * describes it (apache-arrow writes the schema only into the footer). Readers that use the
 * footer see no difference; a reader that cannot seek (gzip) reads the file as a stream.
 */
class SequentialFileWriter extends RecordBatchFileWriter {
  protected override _writeSchema(schema: Schema): this {
    super._writeSchema(schema);
    return (RecordBatchWriter.prototype as unknown as { _writeSchema(this: RecordBatchWriter, schema: Schema): unknown })._writeSchema.call(this, schema) as this;
  }
}

/**
 * Streams normalised records into an Arrow IPC file (or stream, for pipes) in batches of
 * `batchSize` rows. Dictionaries grow as deltas and only columns of bounded cardinality are
 * dictionaries (record-schema.ts), so memory holds one batch plus a bounded set of distinct
 * strings, whatever the number of rows.
 */
export class ArrowRecordWriter {
  readonly rows = { written: 0 };
  private readonly builders: Builder[];
  private readonly writer: RecordBatchFileWriter | RecordBatchStreamWriter;
  private readonly done: Promise<void>;
  private readonly batchSize: number;
  private readonly schema: Schema;
  private pending = 0;
  /** Bytes of the IPC output handed to the file (or gzip) so far. */
  private pumped = 0;

  /** `metadata`: how the dataset was converted, in its schema (record-schema.ts). */
  constructor(path: string, options: { format?: 'file' | 'stream'; batchSize?: number; metadata?: DatasetMetadata } = {}) {
    this.batchSize = options.batchSize ?? 16_384;
    this.schema = recordSchema(options.metadata);
    this.builders = COLUMNS.map(([, type]) => makeBuilder({ type, nullValues: [null, undefined] }));
    this.writer = options.format === 'stream' ? new RecordBatchStreamWriter() : new SequentialFileWriter();
    const out = path === '-' ? process.stdout : createWriteStream(path);
    // `.gz` paths are gzip-compressed on the way out; readers detect gzip by its magic bytes.
    const gzip = path.endsWith('.gz') ? createGzip({ level: 6 }) : undefined;
    if (gzip !== undefined) {
      gzip.pipe(out);
      out.on('error', (error) => gzip.destroy(error));
    }
    this.done = this.pump(gzip ?? out).then(() => finished(out));
  }

  /** `original`: the line the record was parsed from, or null (column left empty). */
  async write(record: NormalizedRecord, label: string | null = null, original: string | null = null): Promise<void> {
    const row = rowOf(record, label, original);
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
    const schema = this.schema;
    const children = this.builders.map((b) => withoutEmptyDelta(b, b.flush()));
    const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: this.pending, nullCount: 0, children }));
    this.writer.write(batch);
    this.rows.written += this.pending;
    this.pending = 0;
    // Backpressure: Arrow queues its output without bound, so wait while more than a couple
    // of batches are queued behind the disk (or gzip), and memory stays bounded however
    // large the input.
    while (this.queued() > 32 * 1024 * 1024) await new Promise((resolve) => setTimeout(resolve, 2));
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Bytes Arrow has produced that the file has not taken yet (its write position is protected API). */
  private queued(): number {
    return (this.writer as unknown as { _position: number })._position - this.pumped;
  }

  /** Moves Arrow's output to the file, honouring the file's backpressure. */
  private async pump(to: Writable): Promise<void> {
    for await (const chunk of this.writer) {
      this.pumped += chunk.byteLength;
      if (!to.write(chunk)) await once(to, 'drain');
    }
    to.end();
  }
}
