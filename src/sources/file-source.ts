import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { FlowhoundError } from '../errors.ts';
import type { FormatOption } from '../model/record-format.ts';
import type { RawMessage, Source, SourceBatch } from './types.ts';

export interface FileSourceOptions {
  name: string;
  /** JSON-lines files, gzip-compressed or not (told by their magic bytes); `-` is standard input. */
  paths: string[];
  format: FormatOption;
  cluster: string;
  maxBatchRecords: number;
  stdin?: Readable;
}

/** Reads JSON lines from files and stdin; blank lines are not records and are passed over. */
export class FileSource implements Source {
  readonly name: string;
  private readonly options: FileSourceOptions;
  private stopped = false;

  constructor(options: FileSourceOptions) {
    this.name = options.name;
    this.options = options;
  }

  async run(handle: (batch: SourceBatch) => Promise<void>): Promise<void> {
    for (const path of this.options.paths) {
      for await (const messages of readLineBatches(path, this.options.maxBatchRecords, this.options.stdin)) {
        if (this.stopped) return;
        await handle({ source: this.name, format: this.options.format, cluster: this.options.cluster, messages });
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}

/** Lines of one JSON-lines file (gzip or not; `-` = stdin) in batches of at most `maxBatch`. */
export async function* readLineBatches(path: string, maxBatch: number, stdin?: Readable): AsyncGenerator<RawMessage[]> {
  const input = path === '-' ? (stdin ?? process.stdin) : await openMaybeGzip(path);
  const label = path === '-' ? 'stdin' : path;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let messages: RawMessage[] = [];
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (line.length === 0 || isBlank(line)) continue;
      messages.push({ value: line, origin: { kind: 'file', path: label, line: lineNumber } });
      if (messages.length >= maxBatch) {
        yield messages;
        messages = [];
      }
    }
  } catch (error) {
    if (error instanceof FlowhoundError) throw error;
    throw new FlowhoundError('FH_INPUT_UNREADABLE', `${label}: read failed at line ${lineNumber}: ${(error as Error).message}`, { cause: error });
  } finally {
    lines.close();
  }
  if (messages.length > 0) yield messages;
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Bytes read from input files so far (compressed bytes for gzip), for progress displays. */
let fileBytesRead = 0;
export function inputBytesRead(): number {
  return fileBytesRead;
}

async function openMaybeGzip(path: string): Promise<Readable> {
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
  const stream = createReadStream(path);
  stream.on('data', (chunk) => { fileBytesRead += chunk.length; });
  if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) {
    const gunzip = createGunzip();
    stream.on('error', (error) => gunzip.destroy(error));
    return stream.pipe(gunzip);
  }
  return stream;
}
