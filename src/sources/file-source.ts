import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { FlowhoundError } from '../errors.ts';
import type { FormatOption } from '../model/record-format.ts';
import type { CsvLayout, CsvOptions } from '../parsers/csv-flow.ts';
import { fileHead, HeaderError } from '../parsers/formats.ts';
import type { RawMessage, Source, SourceBatch } from './types.ts';

export interface FileSourceOptions {
  name: string;
  /** JSON-lines or CSV files, gzip-compressed or not (told by their magic bytes); `-` is standard input. */
  paths: string[];
  format: FormatOption;
  cluster: string;
  maxBatchRecords: number;
  /** The source's `csv:` settings (column mapping; a header for files without one). */
  csv?: CsvOptions | undefined;
  stdin?: Readable;
}

/** Reads JSON lines and CSV from files and stdin; blank lines are not records and are passed over. */
export class FileSource implements Source {
  readonly name: string;
  private readonly options: FileSourceOptions;
  private stopped = false;

  constructor(options: FileSourceOptions) {
    this.name = options.name;
    this.options = options;
  }

  async run(handle: (batch: SourceBatch) => Promise<void>): Promise<void> {
    const { format, csv, maxBatchRecords, stdin, cluster } = this.options;
    for (const path of this.options.paths) {
      for await (const batch of readFileBatches(path, maxBatchRecords, format, csv, stdin)) {
        if (this.stopped) return;
        await handle({ source: this.name, format: batch.format, cluster, messages: batch.messages, csv: batch.csv });
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}

/** A batch of a file's messages, with how they are read (see fileHead). */
export interface FileBatch {
  messages: RawMessage[];
  /** The source's format, or `csv` for a file `auto` found a CSV header in. */
  format: FormatOption;
  /** The file's CSV header, when it is CSV. */
  csv: CsvLayout | undefined;
}

/**
 * readLineBatches, with the file's first line deciding how it is read (fileHead): a CSV header
 * is taken off (it is no message) and handed on with every batch. A header that cannot be read
 * stops the file with FH_INPUT_UNREADABLE naming it.
 */
export async function* readFileBatches(path: string, maxBatch: number, format: FormatOption, csv: CsvOptions | undefined, stdin?: Readable): AsyncGenerator<FileBatch> {
  let head: { format: FormatOption; csv: CsvLayout | undefined } | undefined;
  for await (const messages of readLineBatches(path, maxBatch, stdin)) {
    if (head === undefined) {
      const first = messages[0]!;
      const text = typeof first.value === 'string' ? first.value : first.value.toString('utf8');
      const line = first.origin.kind === 'file' ? first.origin.line : 1;
      try {
        const found = fileHead(text, line, format, { csv });
        head = found;
        if (found.isHeader) messages.shift();
      } catch (error) {
        if (error instanceof HeaderError) throw new FlowhoundError('FH_INPUT_UNREADABLE', `${path === '-' ? 'stdin' : path}: ${error.message}`, { cause: error });
        throw error;
      }
      if (messages.length === 0) continue;
    }
    yield { messages, format: head.format, csv: head.csv };
  }
}

/**
 * Lines of one JSON-lines or CSV file (gzip or not; `-` = stdin) in batches of at most `maxBatch`.
 *
 * Split in the raw chunks, each line decoded once, straight into the string JSON.parse takes,
 * when its batch is taken (see LineSplitter); a line that spans chunks is joined as bytes
 * first. Line numbers count every line end, blank lines included; the last line needs none.
 */
export async function* readLineBatches(path: string, maxBatch: number, stdin?: Readable): AsyncGenerator<RawMessage[]> {
  const label = path === '-' ? 'stdin' : path;
  // Standard input is not ours to destroy when the reader stops early.
  const input: AsyncIterable<Buffer | string> = path === '-' ? stdinMaybeGzip((stdin ?? process.stdin).iterator({ destroyOnReturn: false })) : await openMaybeGzip(path);
  const lines = new LineSplitter(label);
  /** The start of a line not yet ended, as the chunks it came in (most lines end in their chunk). */
  let pending: Buffer[] = [];
  try {
    for await (const piece of input) {
      const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
      let from = 0;
      if (pending.length > 0) {
        from = headEnd(chunk);
        if (from < 0) {
          pending.push(chunk);
          continue;
        }
        pending.push(chunk.subarray(0, from));
        const joined = Buffer.concat(pending);
        pending = [];
        lines.split(joined, 0, true);
      }
      const tail = lines.split(chunk, from, false);
      if (tail < chunk.length) pending.push(chunk.subarray(tail));
      while (lines.pending >= maxBatch) yield lines.take(maxBatch);
    }
    if (pending.length > 0) {
      const joined = Buffer.concat(pending);
      pending = [];
      // The last line, with no line end after it.
      const tail = lines.split(joined, 0, true);
      if (tail < joined.length) lines.last(joined, tail, joined.length);
    }
  } catch (error) {
    if (error instanceof FlowhoundError) throw error;
    throw new FlowhoundError('FH_INPUT_UNREADABLE', `${label}: read failed at line ${lines.lineNumber}: ${(error as Error).message}`, { cause: error });
  }
  while (lines.pending > 0) yield lines.take(maxBatch);
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Lines of byte chunks, as messages. A line ends at `\n`, `\r\n` or a `\r` alone (as
 * node:readline splits them; not at U+2028/2029, which JSON allows inside strings). Blank
 * lines are counted, not kept. A line is kept as its place in its chunk and decoded only when
 * its batch is taken, once: as Latin-1 (a plain copy) when its chunk is ASCII, else as UTF-8
 * (a line-end byte never falls inside a multi-byte UTF-8 character). So the strings are made
 * just before they are parsed and die young, rather than waiting (and being copied by the
 * young-generation collector) while a batch fills.
 */
class LineSplitter {
  /** Lines found and not yet taken. */
  pending = 0;
  lineNumber = 0;
  private readonly label: string;
  private readonly chunks: Spans[] = [];

  constructor(label: string) {
    this.label = label;
  }

  /**
   * Finds the lines of `bytes` from `from` on; returns where the unfinished rest starts.
   * `decided`: a `\r` as the last byte ends a line (else it waits for the next chunk, which may
   * start with its `\n`).
   */
  split(bytes: Buffer, from: number, decided: boolean): number {
    const spans: Spans = { bytes, ascii: isAscii(bytes), at: [], next: 0 };
    let start = from;
    let lf = bytes.indexOf(LF, start);
    let cr = bytes.indexOf(CR, start);
    for (;;) {
      let end: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf - 1)) {
        // A `\r` not followed by `\n`.
        if (cr === bytes.length - 1 && !decided) break;
        end = cr;
        next = cr + 1;
      } else if (lf >= 0) {
        end = cr === lf - 1 && cr >= start ? cr : lf;
        next = lf + 1;
      } else break;
      this.line(spans, start, end);
      start = next;
      if (lf >= 0 && lf < start) lf = bytes.indexOf(LF, start);
      if (cr >= 0 && cr < start) cr = bytes.indexOf(CR, start);
    }
    if (spans.at.length > 0) this.chunks.push(spans);
    return start;
  }

  /** The last line of the input, [start, end) of `bytes`, with no line end after it. */
  last(bytes: Buffer, start: number, end: number): void {
    const spans: Spans = { bytes, ascii: isAscii(bytes), at: [], next: 0 };
    this.line(spans, start, end);
    if (spans.at.length > 0) this.chunks.push(spans);
  }

  /** Counts the line [start, end) and keeps its place unless blank (spaces, tabs and `\r` only). */
  private line(spans: Spans, start: number, end: number): void {
    this.lineNumber++;
    const bytes = spans.bytes;
    let i = start;
    while (i < end) {
      const c = bytes[i]!;
      if (c !== 32 && c !== 9 && c !== 13) break;
      i++;
    }
    if (i === end) return;
    spans.at.push(start, end, this.lineNumber);
    this.pending++;
  }

  /** The next `n` lines as messages (all of them when fewer). */
  take(n: number): RawMessage[] {
    const count = Math.min(n, this.pending);
    const messages = new Array<RawMessage>(count);
    let filled = 0;
    while (filled < count) {
      const spans = this.chunks[0]!;
      const { bytes, at } = spans;
      const encoding = spans.ascii ? 'latin1' : 'utf8';
      let i = spans.next;
      for (; i < at.length && filled < count; i += 3) {
        messages[filled++] = { value: bytes.toString(encoding, at[i]!, at[i + 1]!), origin: { kind: 'file', path: this.label, line: at[i + 2]! } };
      }
      spans.next = i;
      if (i === at.length) this.chunks.shift();
    }
    this.pending -= count;
    return messages;
  }
}

/** The kept lines of one chunk: start, end and line number per line; `next`: the first not taken. */
interface Spans {
  bytes: Buffer;
  ascii: boolean;
  at: number[];
  next: number;
}

/** Just past the first line end of a chunk; -1 when there is none yet (or a final `\r` may be the first of a `\r\n`). */
function headEnd(chunk: Buffer): number {
  const lf = chunk.indexOf(LF);
  const cr = chunk.indexOf(CR);
  if (cr >= 0 && (lf < 0 || cr < lf)) {
    if (cr === chunk.length - 1) return -1;
    return chunk[cr + 1] === LF ? cr + 2 : cr + 1;
  }
  return lf >= 0 ? lf + 1 : -1;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Bytes read from input files so far (compressed bytes for gzip), for progress displays. */
let fileBytesRead = 0;
export function inputBytesRead(): number {
  return fileBytesRead;
}

async function openMaybeGzip(path: string): Promise<AsyncIterable<Buffer>> {
  let head: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      head = Buffer.alloc(2);
      await handle.read(head, 0, 2, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new FlowhoundError('FH_INPUT_UNREADABLE', `${path}: cannot open: ${(error as Error).message}`, { cause: error });
  }
  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  stream.on('data', (chunk) => { fileBytesRead += chunk.length; });
  if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) {
    // zlib streams take Transform options too (types/node lists only the zlib ones).
    const options: ZlibOptions & { highWaterMark: number } = { chunkSize: CHUNK_BYTES, highWaterMark: READ_AHEAD_BYTES };
    const gunzip = createGunzip(options);
    stream.on('error', (error) => gunzip.destroy(error));
    gunzip.on('close', () => stream.destroy());
    return chunksOf(stream.pipe(gunzip), READ_AHEAD_BYTES);
  }
  return stream;
}

/** Standard input's chunks, gunzipped when it starts with the gzip magic bytes (`zcat`-free pipes). */
async function* stdinMaybeGzip(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer | string> {
  const iterator = input[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < 2) {
    const step = await iterator.next();
    if (step.done === true) {
      ended = true;
      break;
    }
    const chunk = typeof step.value === 'string' ? Buffer.from(step.value, 'utf8') : step.value;
    head.push(chunk);
    headBytes += chunk.length;
  }
  const first = Buffer.concat(head);
  const rest = async function* (): AsyncGenerator<Buffer | string> {
    yield first;
    if (ended) return;
    for (;;) {
      const step = await iterator.next();
      if (step.done === true) return;
      yield step.value;
    }
  };
  if (first[0] !== GZIP_MAGIC[0] || first[1] !== GZIP_MAGIC[1]) {
    yield* rest();
    return;
  }
  const options: ZlibOptions & { highWaterMark: number } = { chunkSize: CHUNK_BYTES, highWaterMark: READ_AHEAD_BYTES };
  const gunzip = createGunzip(options);
  const compressed = Readable.from(rest(), { objectMode: false });
  compressed.on('error', (error) => gunzip.destroy(error));
  compressed.pipe(gunzip);
  yield* chunksOf(gunzip, READ_AHEAD_BYTES);
}

/** Decompressed bytes kept ready ahead of the lines being processed. */
const READ_AHEAD_BYTES = 4 * (1 << 20);

/**
 * A stream's chunks as it emits them, up to `ahead` bytes read ahead. Readable's own async
 * iterator would hand over everything buffered at once, joined into a copy.
 */
async function* chunksOf(stream: Readable, ahead: number): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  stream.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued >= ahead) stream.pause();
    notify();
  });
  stream.on('end', () => {
    ended = true;
    notify();
  });
  stream.on('error', (error) => {
    failure = error;
    notify();
  });
  try {
    for (;;) {
      const chunk = queue.shift();
      if (chunk !== undefined) {
        queued -= chunk.length;
        if (queued < ahead && stream.isPaused()) stream.resume();
        yield chunk;
      } else if (failure !== undefined) throw failure;
      else if (ended) return;
      else await new Promise<void>((resolve) => { wake = resolve; });
    }
  } finally {
    stream.destroy();
  }
}

/**
 * Large chunks (as arrow-input.ts reads): zlib works on the thread pool while the lines before
 * are being processed, with a callback per MB rather than per 16 kB.
 */
const CHUNK_BYTES = 1 << 20;
