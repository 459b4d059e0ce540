import { open, type FileHandle } from 'node:fs/promises';
import { DataType, Message, MessageHeader, Precision, type Data, type Field, type RecordBatch, type Schema, type Vector } from 'apache-arrow';
import { gunzipped, readArrowBatches } from './arrow-input.ts';

/**
 * Column-wise reading of flowhound's Arrow datasets straight from the IPC framing, for the
 * readers that need only some columns (in-process replay needs neither `original` nor
 * `label`, about 80% of the bytes; a Kafka replay needs `original` and a few keys):
 *
 *   message = [0xFFFFFFFF] int32 metadata length, flatbuffer Message (apache-arrow decodes
 *             it: buffer offsets and lengths), body of `bodyLength` bytes
 *
 * Each record batch's body is read region by region, only the buffers of the columns asked
 * for, as views of the bytes read (no joining of chunks, except for a buffer that straddles
 * two); the others are skipped: seeked past in a plain file (never read), passed over in a
 * gzip stream. Dictionaries (replacements and deltas) are decoded into strings once, as they
 * arrive; batches only carry indices into them. Layouts this does not handle (an IPC file
 * without the schema message ahead of its stream part, as apache-arrow's writer makes, types
 * outside flowhound's schema, compressed bodies) are read by apache-arrow (arrow-input.ts)
 * and adapted.
 */

/** One column of one batch, as its Arrow buffers. */
export interface ColumnData {
  readonly length: number;
  readonly nullCount: number;
  /** Validity bitmap (bit i = row i); undefined when no row is null. */
  readonly validity: Uint8Array | undefined;
  /** The values buffer: fixed-width values, dictionary indices, or UTF-8 bytes. */
  readonly values: Uint8Array;
  /** Utf8: row i is values[offsets[i], offsets[i + 1]). */
  readonly offsets: Int32Array | undefined;
  /** Dictionary columns: the dictionary's entries (append-only while only deltas arrive). */
  readonly entries: (string | null)[] | undefined;
  /** Byte width of a dictionary index (4 for flowhound's Int32 indices). */
  readonly indexWidth: number;
}

export interface ColumnBatch {
  readonly rows: number;
  column(name: string): ColumnData | undefined;
}

export interface ReadColumnsOptions {
  /** Columns to read (every column when absent). */
  columns?: ReadonlySet<string>;
  /** Sees the schema before the first batch; may throw to refuse the file. */
  onSchema: (schema: Schema) => void;
  /** Size of the chunks a gzip file is inflated in (tests use small odd sizes to split buffers). */
  inflateChunkBytes?: number;
}

/** A typed view of `count` elements of `bytes` (copied first when not aligned for the type). */
export function viewOf<T>(Type: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number }, bytes: Uint8Array, count: number): T {
  const width = Type.BYTES_PER_ELEMENT;
  const n = Math.min(count, Math.floor(bytes.byteLength / width));
  if (bytes.byteOffset % width === 0) return new Type(bytes.buffer, bytes.byteOffset, n);
  // A copy of its own (Buffer's slice would be another view).
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Type(copy.buffer, 0, n);
}

/** Batches of a flowhound Arrow file (IPC file or stream, gzip or not), in file order. */
export async function* readColumnBatches(path: string, options: ReadColumnsOptions): AsyncGenerator<ColumnBatch> {
  const source = await openBytes(path, options.inflateChunkBytes);
  let fallback = false;
  try {
    const head = await source.read(8);
    if (head.length >= 6 && Buffer.from(head.buffer, head.byteOffset, 6).toString('latin1') === 'ARROW1') {
      // IPC file: `ARROW1`, 2 bytes of padding, then the stream part.
    } else {
      source.unread(head);
    }
    const first = await readMessage(source);
    const plan = first !== undefined && first.message.headerType === MessageHeader.Schema ? planOf(first.message.header() as Schema, options.columns) : undefined;
    if (plan === undefined) {
      fallback = true;
    } else {
      options.onSchema(plan.schema);
      await source.skip(first!.message.bodyLength);
      yield* readStream(source, plan);
    }
  } finally {
    await source.close();
  }
  if (fallback) {
    for await (const batch of readArrowBatches(path, options.onSchema)) yield columnsOfBatch(batch);
  }
}

interface FieldPlan {
  name: string;
  wanted: boolean;
  /** 'fixed': validity + values; 'utf8': validity + offsets + values; 'dict': validity + indices. */
  layout: 'fixed' | 'utf8' | 'dict';
  indexWidth: number;
  dictionaryId: number;
}

interface Plan {
  schema: Schema;
  fields: FieldPlan[];
  /** Dictionary id → whether it is decoded (a column asked for uses it). */
  dictionaries: Map<number, { wanted: boolean; entries: (string | null)[] }>;
}

/** How each field's buffers are laid out; undefined for a schema with types this does not read. */
function planOf(schema: Schema, columns: ReadonlySet<string> | undefined): Plan | undefined {
  const fields: FieldPlan[] = [];
  const dictionaries = new Map<number, { wanted: boolean; entries: (string | null)[] }>();
  for (const field of schema.fields as Field[]) {
    const wanted = columns === undefined || columns.has(field.name);
    const type = field.type as DataType;
    if (DataType.isDictionary(type)) {
      if (!DataType.isUtf8(type.dictionary) || !DataType.isInt(type.indices) || type.indices.bitWidth !== 32 || !type.indices.isSigned) return undefined;
      const known = dictionaries.get(type.id);
      dictionaries.set(type.id, { wanted: wanted || known?.wanted === true, entries: [] });
      fields.push({ name: field.name, wanted, layout: 'dict', indexWidth: 4, dictionaryId: type.id });
    } else if (DataType.isUtf8(type)) {
      fields.push({ name: field.name, wanted, layout: 'utf8', indexWidth: 0, dictionaryId: -1 });
    } else if ((DataType.isInt(type) && type.bitWidth === 32 && type.isSigned) || (DataType.isFloat(type) && type.precision === Precision.DOUBLE) || DataType.isTimestamp(type)) {
      fields.push({ name: field.name, wanted, layout: 'fixed', indexWidth: 0, dictionaryId: -1 });
    } else {
      return undefined;
    }
  }
  return { schema, fields, dictionaries };
}

const EMPTY = new Uint8Array(0);

async function* readStream(source: Bytes, plan: Plan): AsyncGenerator<ColumnBatch> {
  for (;;) {
    const next = await readMessage(source);
    if (next === undefined) return;
    const { message } = next;
    if (message.headerType === MessageHeader.DictionaryBatch) {
      await readDictionary(source, plan, message);
    } else if (message.headerType === MessageHeader.RecordBatch) {
      yield await readRecordBatch(source, plan, message);
    } else {
      await source.skip(message.bodyLength);
    }
  }
}

interface Metadata {
  length: number;
  nodes: { length: number; nullCount: number }[];
  buffers: { offset: number; length: number }[];
  compression?: unknown;
}

/** Reads the regions of a body that are asked for (in body order), skipping the rest of it. */
async function readRegions(source: Bytes, bodyLength: number, wanted: { offset: number; length: number; index: number }[], out: Uint8Array[]): Promise<void> {
  wanted.sort((a, b) => a.offset - b.offset);
  let position = 0;
  for (const region of wanted) {
    if (region.offset < position) throw new Error(`overlapping buffers in a message body (offset ${region.offset} < ${position})`);
    await source.skip(region.offset - position);
    const bytes = region.length === 0 ? EMPTY : await source.read(region.length);
    if (bytes.length < region.length) throw new Error('the file ends inside a message body');
    out[region.index] = bytes;
    position = region.offset + region.length;
  }
  if (bodyLength < position) throw new Error('a buffer extends past its message body');
  if ((await source.skip(bodyLength - position)) < bodyLength - position) throw new Error('the file ends inside a message body');
}

async function readDictionary(source: Bytes, plan: Plan, message: Message): Promise<void> {
  const header = message.header() as unknown as { id: number; isDelta: boolean; data: Metadata };
  const dictionary = plan.dictionaries.get(header.id);
  if (dictionary === undefined || !dictionary.wanted) {
    await source.skip(message.bodyLength);
    return;
  }
  const { data } = header;
  if (data.compression != null) throw new Error('compressed Arrow IPC bodies are not supported');
  const node = data.nodes[0];
  if (node === undefined || data.buffers.length < 3) throw new Error(`dictionary batch ${header.id} has no Utf8 column`);
  const buffers: Uint8Array[] = [];
  await readRegions(source, message.bodyLength, data.buffers.slice(0, 3).map((b, index) => ({ offset: b.offset, length: b.length, index })), buffers);
  const strings = utf8Strings({ length: node.length, nullCount: node.nullCount, validity: node.nullCount > 0 ? buffers[0] : undefined, values: buffers[2]!, offsets: viewOf(Int32Array, buffers[1]!, node.length + 1), entries: undefined, indexWidth: 0 });
  if (header.isDelta) {
    for (const s of strings) dictionary.entries.push(s);
  } else {
    // A replacement: a new array, so what was built on the old entries knows they changed.
    dictionary.entries = strings;
  }
}

/** Every value of a Utf8 column (null where null). */
export function utf8Strings(column: ColumnData): (string | null)[] {
  const { length, validity, offsets } = column;
  const bytes = Buffer.from(column.values.buffer, column.values.byteOffset, column.values.byteLength);
  const out: (string | null)[] = new Array(length);
  for (let i = 0; i < length; i++) out[i] = validity !== undefined && (validity[i >> 3]! & (1 << (i & 7))) === 0 ? null : bytes.toString('utf8', offsets![i]!, offsets![i + 1]!);
  return out;
}

async function readRecordBatch(source: Bytes, plan: Plan, message: Message): Promise<ColumnBatch> {
  const header = message.header() as unknown as Metadata;
  if (header.compression != null) throw new Error('compressed Arrow IPC bodies are not supported');
  const { nodes, buffers } = header;
  const wanted: { offset: number; length: number; index: number }[] = [];
  const at: { field: FieldPlan; node: { length: number; nullCount: number }; first: number }[] = [];
  let b = 0;
  for (let f = 0; f < plan.fields.length; f++) {
    const field = plan.fields[f]!;
    const node = nodes[f];
    const count = field.layout === 'utf8' ? 3 : 2;
    if (node === undefined || b + count > buffers.length) throw new Error(`record batch has fewer columns than its schema (${plan.fields.length})`);
    if (field.wanted) {
      for (let k = 0; k < count; k++) {
        // Validity is read only when some row is null.
        if (k === 0 && node.nullCount === 0) continue;
        wanted.push({ offset: buffers[b + k]!.offset, length: buffers[b + k]!.length, index: b + k });
      }
      at.push({ field, node, first: b });
    }
    b += count;
  }
  const bodies: Uint8Array[] = new Array(buffers.length);
  await readRegions(source, message.bodyLength, wanted, bodies);
  const columns = new Map<string, ColumnData>();
  for (const { field, node, first } of at) {
    const validity = node.nullCount > 0 ? bodies[first] : undefined;
    if (field.layout === 'utf8') {
      columns.set(field.name, { length: node.length, nullCount: node.nullCount, validity, values: bodies[first + 2]!, offsets: viewOf(Int32Array, bodies[first + 1]!, node.length + 1), entries: undefined, indexWidth: 0 });
    } else {
      const entries = field.layout === 'dict' ? plan.dictionaries.get(field.dictionaryId)!.entries : undefined;
      columns.set(field.name, { length: node.length, nullCount: node.nullCount, validity, values: bodies[first + 1]!, offsets: undefined, entries, indexWidth: field.indexWidth });
    }
  }
  const rows = header.length;
  return { rows, column: (name) => columns.get(name) };
}

/** The next message's metadata (undefined at the end-of-stream marker or the end of the input). */
async function readMessage(source: Bytes): Promise<{ message: Message } | undefined> {
  const prefix = await source.read(4);
  if (prefix.length < 4) return undefined;
  let length = readInt32(prefix);
  if (length === -1) {
    const rest = await source.read(4);
    if (rest.length < 4) return undefined;
    length = readInt32(rest);
  }
  if (length === 0) return undefined;
  if (length < 0) throw new Error(`invalid message metadata length ${length}`);
  const metadata = await source.read(length);
  if (metadata.length < length) throw new Error('the file ends inside a message');
  return { message: Message.decode(metadata) };
}

const readInt32 = (bytes: Uint8Array) => (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24));

/**
 * Sequential bytes of a file. `read` returns views that stay valid (the memory is never
 * reused), so columns can point into them.
 */
interface Bytes {
  /** The next `n` bytes (fewer only at the end of the input). */
  read(n: number): Promise<Uint8Array>;
  /** Skips `n` bytes; returns how many there were. */
  skip(n: number): Promise<number>;
  /** Puts back what the last `read` returned. */
  unread(bytes: Uint8Array): void;
  close(): Promise<void>;
}

async function openBytes(path: string, inflateChunkBytes?: number): Promise<Bytes> {
  const handle = await open(path, 'r');
  let gzip = false;
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    gzip = bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } catch (error) {
    await handle.close();
    throw error;
  }
  if (!gzip) {
    try {
      return new FileBytes(handle, (await handle.stat()).size);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
  await handle.close();
  return new StreamBytes(gunzipped(path, inflateChunkBytes)[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>);
}

/**
 * A plain file read with positioned reads into fresh windows of WINDOW_BYTES (or the size of
 * a larger read): skipping is free (what is skipped is never read), and a skip past the
 * window (the columns not asked for, at the end of a batch) starts reading the window after
 * it at once, so the next batch is on its way while this one is processed.
 */
const WINDOW_BYTES = 4 << 20;

class FileBytes implements Bytes {
  private window: Uint8Array = EMPTY;
  /** File position of window[0]. */
  private start = 0;
  private position = 0;
  private readonly size: number;
  private readonly handle: FileHandle;
  /** The window being read ahead. */
  private ahead: { start: number; bytes: Promise<Uint8Array> } | undefined;

  constructor(handle: FileHandle, size: number) {
    this.handle = handle;
    this.size = size;
  }

  private async fetch(at: number, size: number): Promise<Uint8Array> {
    const window = Buffer.allocUnsafeSlow(Math.max(0, Math.min(size, this.size - at)));
    let filled = 0;
    while (filled < window.length) {
      const { bytesRead } = await this.handle.read(window, filled, window.length - filled, at + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return window.subarray(0, filled);
  }

  async read(n: number): Promise<Uint8Array> {
    const from = this.position - this.start;
    if (from >= 0 && from + n <= this.window.length) {
      this.position += n;
      return this.window.subarray(from, from + n);
    }
    if (this.position >= this.size) return EMPTY;
    const ahead = this.ahead;
    this.ahead = undefined;
    let window: Uint8Array | undefined;
    if (ahead !== undefined && ahead.start === this.position) {
      const bytes = await ahead.bytes;
      if (bytes.length >= Math.min(n, this.size - this.position)) window = bytes;
    }
    window ??= await this.fetch(this.position, Math.max(n, WINDOW_BYTES));
    this.window = window;
    this.start = this.position;
    const got = Math.min(n, window.length);
    this.position += got;
    return window.subarray(0, got);
  }

  async skip(n: number): Promise<number> {
    const skipped = Math.max(0, Math.min(n, this.size - this.position));
    this.position += skipped;
    const from = this.position - this.start;
    if ((from < 0 || from >= this.window.length) && this.position < this.size && this.ahead?.start !== this.position) {
      const bytes = this.fetch(this.position, WINDOW_BYTES);
      bytes.catch(() => {}); // a failed read-ahead is read again, and fails there
      this.ahead = { start: this.position, bytes };
    }
    return skipped;
  }

  unread(bytes: Uint8Array): void {
    this.position -= bytes.length;
  }

  async close(): Promise<void> {
    await this.ahead?.bytes.catch(() => {});
    await this.handle.close();
  }
}

/** A stream's chunks (gunzip output): views of a chunk when a read fits in it, else a copy. */
class StreamBytes implements Bytes {
  private chunk: Uint8Array = EMPTY;
  private offset = 0;
  private done = false;
  private pushedBack: Uint8Array | undefined;
  private readonly chunks: AsyncIterator<Uint8Array>;

  constructor(chunks: AsyncIterator<Uint8Array>) {
    this.chunks = chunks;
  }

  private async next(): Promise<boolean> {
    if (this.pushedBack !== undefined) {
      // Put back before the rest of the current chunk.
      const rest = this.chunk.subarray(this.offset);
      this.chunk = rest.length === 0 ? this.pushedBack : Buffer.concat([this.pushedBack, rest]);
      this.pushedBack = undefined;
      this.offset = 0;
      return true;
    }
    if (this.done) return false;
    const step = await this.chunks.next();
    if (step.done === true) {
      this.done = true;
      return false;
    }
    this.chunk = step.value;
    this.offset = 0;
    return true;
  }

  async read(n: number): Promise<Uint8Array> {
    if (this.pushedBack !== undefined) await this.next();
    if (this.chunk.length - this.offset >= n) {
      const view = this.chunk.subarray(this.offset, this.offset + n);
      this.offset += n;
      return view;
    }
    const out = Buffer.allocUnsafeSlow(n);
    let filled = 0;
    while (filled < n) {
      if (this.offset === this.chunk.length && !(await this.next())) break;
      const take = Math.min(n - filled, this.chunk.length - this.offset);
      out.set(this.chunk.subarray(this.offset, this.offset + take), filled);
      this.offset += take;
      filled += take;
    }
    return filled < n ? out.subarray(0, filled) : out;
  }

  async skip(n: number): Promise<number> {
    if (this.pushedBack !== undefined) await this.next();
    let left = n;
    while (left > 0) {
      if (this.offset === this.chunk.length && !(await this.next())) break;
      const take = Math.min(left, this.chunk.length - this.offset);
      this.offset += take;
      left -= take;
    }
    return n - left;
  }

  unread(bytes: Uint8Array): void {
    this.pushedBack = bytes;
  }

  async close(): Promise<void> {
    await this.chunks.return?.();
  }
}

/** Decoded entries of each dictionary vector of apache-arrow's batches (it changes only with a delta). */
const decodedDictionaries = new WeakMap<Vector, (string | null)[]>();

function entriesOf(dictionary: Vector): (string | null)[] {
  let entries = decodedDictionaries.get(dictionary);
  if (entries === undefined) {
    entries = dictionary.toArray() as (string | null)[];
    decodedDictionaries.set(dictionary, entries);
  }
  return entries;
}

const bytesOf = (array: ArrayBufferView | undefined): Uint8Array => (array === undefined ? EMPTY : new Uint8Array(array.buffer, array.byteOffset, array.byteLength));

/** One apache-arrow Data (a column of a batch) as ColumnData. */
export function columnOfData(data: Data): ColumnData {
  const { length, nullCount, offset } = data;
  let validity: Uint8Array | undefined;
  if (nullCount > 0 && offset === 0 && data.nullBitmap !== undefined && data.nullBitmap.length >= (length + 7) >> 3) {
    validity = data.nullBitmap;
  } else if (nullCount > 0) {
    validity = new Uint8Array((length + 7) >> 3);
    for (let i = 0; i < length; i++) if (data.getValid(i)) validity[i >> 3]! |= 1 << (i & 7);
  }
  const dictionary = data.dictionary;
  if (DataType.isUtf8(data.type)) {
    const offsets = (data.valueOffsets as Int32Array).subarray(offset, offset + length + 1);
    return { length, nullCount, validity, values: bytesOf(data.values), offsets, entries: undefined, indexWidth: 0 };
  }
  const values = data.values as unknown as ArrayBufferView & { BYTES_PER_ELEMENT: number };
  const width = DataType.isTimestamp(data.type) && values.BYTES_PER_ELEMENT === 4 ? 8 : values.BYTES_PER_ELEMENT;
  const bytes = bytesOf(values).subarray(offset * width, (offset + length) * width);
  return { length, nullCount, validity, values: bytes, offsets: undefined, entries: dictionary === undefined ? undefined : entriesOf(dictionary), indexWidth: dictionary === undefined ? 0 : width };
}

/** An apache-arrow batch as a ColumnBatch. */
export function columnsOfBatch(batch: RecordBatch): ColumnBatch {
  const columns = new Map<string, ColumnData | undefined>();
  return {
    rows: batch.numRows,
    column(name) {
      if (!columns.has(name)) {
        const data = batch.getChild(name)?.data[0];
        columns.set(name, data === undefined ? undefined : columnOfData(data));
      }
      return columns.get(name);
    },
  };
}
