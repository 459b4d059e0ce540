import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { Message, MessageHeader, RecordBatchReader, vectorFromArray, type RecordBatch, type Schema, type Vector } from 'apache-arrow';

/**
 * Record batches of an Arrow IPC file or stream, gzip-compressed or not, read front to back
 * with memory bounded by one batch (plus the dictionaries), however large the file:
 *
 * - Streams, and files whose stream part starts with the schema message (the IPC file layout
 *   is `ARROW1` + 2 padding bytes + a stream + footer; flowhound writes the schema message
 *   there, see record-writer.ts), are read as a stream after the 8-byte prefix. apache-arrow
 *   itself would read a file given as a byte stream (as gzip is) whole into one buffer first.
 * - Older files without it (apache-arrow's writer puts the schema only in the footer) are read
 *   by random access when uncompressed; gzip-compressed, they can only be read whole, as before.
 *
 * flowhound's record readers go through ipc-columns.ts, which reads the IPC messages itself
 * (only the columns it needs) and comes here only for layouts it does not read.
 *
 * After each batch the dictionaries are copied out of the message bodies they were sliced
 * from: a delta is a view into the chunk it arrived in, so keeping the concatenated deltas
 * would otherwise keep every such chunk of the file alive.
 */
export async function* readArrowBatches(path: string, onSchema: (schema: Schema) => void): AsyncGenerator<RecordBatch> {
  const reader = await openReader(path);
  const compact = dictionaryCompactor();
  try {
    await reader.open();
    onSchema(reader.schema);
    for await (const batch of reader) {
      yield batch;
      compact(reader.dictionaries);
    }
  } finally {
    await reader.cancel();
  }
}

type Reader = Awaited<ReturnType<typeof RecordBatchReader.from>>;

async function openReader(path: string): Promise<Reader> {
  const head = Buffer.alloc(2);
  const handle = await open(path, 'r');
  try {
    await handle.read(head, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const bytes = new PeekableBytes(gzip ? gunzipped(path) : createReadStream(path, { highWaterMark: CHUNK_BYTES }));
  const prefix = await bytes.peek(16);
  if (prefix.length < 8 || prefix.toString('latin1', 0, 6) !== 'ARROW1') return RecordBatchReader.from(bytes.from(0));
  if (await startsWithSchema(bytes)) return RecordBatchReader.from(bytes.from(8));
  if (!gzip) {
    bytes.close();
    return RecordBatchReader.from(await open(path, 'r'));
  }
  return RecordBatchReader.from(bytes.from(0));
}

/** Reads of compressed bytes (each is about 17 times as much Arrow data). */
const CHUNK_BYTES = 1 << 20;
/**
 * zlib inflates on the thread pool one output chunk per task, and starts the next task only
 * on a main-thread turn after the last one: larger chunks mean fewer turns (and fewer reads
 * straddling two chunks, which ipc-columns.ts must copy). It does not inflate ahead while the
 * main thread is busy, so the buffer only needs to hold a chunk or so ahead.
 */
const INFLATE_CHUNK_BYTES = 4 << 20;
const INFLATE_AHEAD_BYTES = 16 << 20;

export function gunzipped(path: string, chunkBytes = INFLATE_CHUNK_BYTES): Readable {
  const file = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  // zlib streams take Transform options too (types/node lists only the zlib ones).
  const options: ZlibOptions & { highWaterMark: number } = { chunkSize: chunkBytes, highWaterMark: Math.max(chunkBytes, INFLATE_AHEAD_BYTES) };
  const gunzip = createGunzip(options);
  file.on('error', (error) => gunzip.destroy(error));
  gunzip.on('close', () => file.destroy());
  return file.pipe(gunzip);
}

/** Whether the message after a file's 8-byte prefix is the schema. */
async function startsWithSchema(bytes: PeekableBytes): Promise<boolean> {
  const prefix = await bytes.peek(16);
  if (prefix.length < 16) return false;
  // A message: continuation marker 0xFFFFFFFF (absent before Arrow 0.15), metadata length, flatbuffer.
  const continued = prefix.readInt32LE(8) === -1;
  const length = prefix.readInt32LE(continued ? 12 : 8);
  const start = continued ? 16 : 12;
  // A schema message is a few kB; a larger length is not one (and is not worth buffering).
  if (length <= 0 || length > 1 << 20) return false;
  const head = await bytes.peek(start + length);
  if (head.length < start + length) return false;
  try {
    return Message.decode(head.subarray(start, start + length)).headerType === MessageHeader.Schema;
  } catch {
    return false;
  }
}

/** Replaces each dictionary that changed since the last batch by a copy that owns its bytes. */
function dictionaryCompactor(): (dictionaries: Map<number, Vector>) => void {
  const copies = new Map<number, Vector>();
  return (dictionaries) => {
    for (const [id, dictionary] of dictionaries) {
      const copy = copies.get(id);
      if (dictionary === copy) continue;
      // Same length: only empty deltas arrived since the copy (a delta per batch and column).
      const next = copy !== undefined && copy.length === dictionary.length ? copy : vectorFromArray(dictionary.toArray() as unknown[], dictionary.type);
      copies.set(id, next);
      dictionaries.set(id, next);
    }
  };
}

/** A Node stream's chunks with the first bytes available to look at before reading on. */
class PeekableBytes {
  private readonly stream: Readable;
  private readonly chunks: AsyncIterator<Buffer>;
  private head: Buffer = Buffer.alloc(0);

  constructor(stream: Readable) {
    this.stream = stream;
    this.chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** At least `n` bytes from the start (fewer at the end of the input). */
  async peek(n: number): Promise<Buffer> {
    while (this.head.length < n) {
      const step = await this.chunks.next();
      if (step.done === true) break;
      this.head = this.head.length === 0 ? step.value : Buffer.concat([this.head, step.value]);
    }
    return this.head;
  }

  /** The bytes from offset `skip` (within what was peeked) to the end. */
  async *from(skip: number): AsyncGenerator<Uint8Array> {
    const head = this.head;
    this.head = Buffer.alloc(0);
    try {
      if (head.length > skip) yield head.subarray(skip);
      for (;;) {
        const step = await this.chunks.next();
        if (step.done === true) return;
        yield step.value;
      }
    } finally {
      // A reader that stops early (an error, a refused schema) closes the file too.
      await this.chunks.return?.();
    }
  }

  close(): void {
    this.stream.destroy();
  }
}
