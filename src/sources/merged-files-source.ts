import { isArrowFile, readArrowRecords } from '../arrow/record-reader.ts';
import type { FormatOption } from '../model/record-format.ts';
import { eventTime, type NormalizedRecord } from '../model/normalized-record.ts';
import { mergeByEventTime } from '../pipeline/merge-by-event-time.ts';
import type { Ingest } from '../pipeline/ingest.ts';
import type { DeadLetter } from '../sinks/dead-letter.ts';
import type { CsvOptions } from '../parsers/csv-flow.ts';
import { readFileBatches, type FileBatch } from './file-source.ts';
import type { Source, SourceBatch } from './types.ts';

export interface MergedFile {
  path: string;
  format: FormatOption;
  cluster: string;
  /** The source's `csv:` settings (column mapping; a header for files without one). */
  csv?: CsvOptions | undefined;
  /** The `sources.<id>` the file belongs to (stats are kept per source). */
  source: string;
}

export interface MergedFilesOptions {
  name: string;
  files: MergedFile[];
  /** Decodes lines (stats, dead letters) before the merge needs their event times. */
  ingest: Pick<Ingest, 'decode' | 'countNormalized' | 'originals'>;
  maxBatchRecords: number;
  /** Only records with event time in [from, until] (epoch ms). */
  from?: number;
  until?: number;
  /** Passes over the files (`--loop`); 0 = until stopped. Each pass is shifted past the previous one. */
  loops?: number;
  /** The detection window: a pass starts a window after the previous one ended. */
  windowMs: number;
}

/**
 * Replay's source: several files (JSON lines, CSV, gzip, Arrow) read as ONE stream in event time
 * (mergeByEventTime), so that flows, DNS logs and Hubble events of the same minute meet in the
 * same windows; memory holds about one batch per file. Batches go to the same Ingest.handle as
 * a Kafka source's, already decoded (the merge needs their event times): same lanes, spans and
 * batch metrics, and a checkpoint or a replay exercise the same objects.
 */
export class MergedFilesSource implements Source {
  readonly name: string;
  private readonly options: MergedFilesOptions;
  private stopped = false;

  constructor(options: MergedFilesOptions) {
    this.name = options.name;
    this.options = options;
  }

  async run(handle: (batch: SourceBatch) => Promise<void>): Promise<void> {
    const loops = this.options.loops ?? 1;
    let shiftMs = 0;
    for (let pass = 0; (loops === 0 || pass < loops) && !this.stopped; pass++) {
      const span = await this.pass(handle, shiftMs);
      if (!Number.isFinite(span.first)) break;
      shiftMs += span.last - span.first + this.options.windowMs;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  /** One pass; returns the event-time span replayed (before the shift). */
  private async pass(handle: (batch: SourceBatch) => Promise<void>, shiftMs: number): Promise<{ first: number; last: number }> {
    const { files, ingest, maxBatchRecords } = this.options;
    const from = this.options.from ?? Number.NEGATIVE_INFINITY;
    const until = this.options.until ?? Number.POSITIVE_INFINITY;
    const span = { first: Number.POSITIVE_INFINITY, last: Number.NEGATIVE_INFINITY };
    const inRange = (r: NormalizedRecord) => {
      const t = eventTime(r);
      if (t < from || t > until) return false;
      if (t < span.first) span.first = t;
      if (t > span.last) span.last = t;
      return true;
    };
    const batch = (records: NormalizedRecord[], letters: DeadLetter[]): SourceBatch =>
      ({ source: this.name, format: 'auto', cluster: files[0]?.cluster ?? 'default', messages: [], decoded: { records, letters } });
    // Each flow says which input it came from (`--scores-out` names the file of a row).
    async function* kept(batches: AsyncGenerator<NormalizedRecord[]>, input: number): AsyncGenerator<NormalizedRecord[]> {
      for await (const b of batches) {
        for (const r of b) if (r.kind === 'flow') r.input = input;
        yield b.filter(inRange);
      }
    }
    const inputs: AsyncGenerator<NormalizedRecord[]>[] = [];
    for (const [index, file] of files.entries()) {
      inputs.push(kept((await isArrowFile(file.path)) ? countedArrow(ingest, file) : decodedLines(ingest, file, maxBatchRecords, (letters) => handle(batch([], letters))), index));
    }
    for await (const records of mergeByEventTime(inputs, eventTime)) {
      if (this.stopped) break;
      if (shiftMs !== 0) for (const r of records) shiftRecord(r, shiftMs);
      await handle(batch(records, []));
    }
    return span;
  }
}

/** Notices already printed, per ingest: said once per replay, not once per `--loop` pass. */
const noticed = new WeakMap<object, Set<string>>();

/**
 * Arrow rows are normalised already: counted as received and parsed, nothing to decode. Their
 * source lines travel on when the ingest keeps them (converting a dataset again). They say
 * their row in the file (`--scores-out`), and records the dataset left without a cluster of
 * their own take the file's (--cluster, FILE@CLUSTER), as the same JSON lines would; what
 * cannot take it is said once on stderr.
 */
async function* countedArrow(ingest: MergedFilesOptions['ingest'], file: MergedFile): AsyncGenerator<NormalizedRecord[]> {
  let said = noticed.get(ingest);
  if (said === undefined) noticed.set(ingest, (said = new Set()));
  const onNotice = (message: string) => {
    if (said.has(message)) return;
    said.add(message);
    process.stderr.write(`flowhound: ${message}\n`);
  };
  for await (const records of readArrowRecords(file.path, { originals: ingest.originals, rows: true, cluster: file.cluster, onNotice })) {
    ingest.countNormalized(file.source, records);
    yield records;
  }
}

/**
 * JSON lines and CSV rows decoded by the ingest; rejects go to the dead-letter sink at once
 * (`reject`). While a batch's records wait in the merge, its lines are not held: they would
 * otherwise outlive young-generation collections and be copied and promoted.
 */
async function* decodedLines(ingest: MergedFilesOptions['ingest'], file: MergedFile, maxBatch: number, reject: (letters: DeadLetter[]) => Promise<void>): AsyncGenerator<NormalizedRecord[]> {
  const batches = readFileBatches(file.path, maxBatch, file.format, file.csv);
  try {
    for (;;) {
      const records = await decodeNext(ingest, file, batches, reject);
      if (records === undefined) return;
      yield records;
    }
  } finally {
    await batches.return(undefined);
  }
}

async function decodeNext(ingest: MergedFilesOptions['ingest'], file: MergedFile, batches: AsyncGenerator<FileBatch>, reject: (letters: DeadLetter[]) => Promise<void>): Promise<NormalizedRecord[] | undefined> {
  const step = await batches.next();
  if (step.done === true) return undefined;
  const { messages, format, csv } = step.value;
  const { records, letters } = ingest.decode({ source: file.source, format, cluster: file.cluster, messages, csv });
  if (letters.length > 0) await reject(letters);
  return records;
}

function shiftRecord(r: NormalizedRecord, shift: number): void {
  r.windowStart += shift;
  if (r.kind === 'flow') r.windowEnd += shift;
  else r.time += shift;
}
