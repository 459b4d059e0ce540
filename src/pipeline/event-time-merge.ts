import { eventTime, type NormalizedRecord } from '../model/normalized-record.ts';
import type { FormatOption } from '../model/record-format.ts';
import { isArrowFile, readArrowRecords } from '../arrow/record-reader.ts';
import { readLineBatches } from '../sources/file-source.ts';
import type { RawMessage } from '../sources/types.ts';
import type { Ingest } from './ingest.ts';
import { mergeByEventTime } from './merge-by-event-time.ts';

/**
 * Replays several files as one stream in event time (mergeByEventTime), so that flows, DNS
 * logs and Hubble events of the same minute meet in the same windows. Memory holds about one
 * batch per file.
 */
export interface MergeOptions {
  /** Only records with event time in [from, until]. */
  from?: number;
  until?: number;
  /** Added to every record's times (soak loops replay the data again, later). */
  shiftMs?: number;
}

/** Returns the event-time span replayed (before any shift), for loops. */
export async function replayMerged(ingest: Ingest, files: { path: string; format: FormatOption; cluster: string; source: string }[], maxBatch: number, options: MergeOptions = {}): Promise<{ first: number; last: number }> {
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const until = options.until ?? Number.POSITIVE_INFINITY;
  const shift = options.shiftMs ?? 0;
  const span = { first: Number.POSITIVE_INFINITY, last: Number.NEGATIVE_INFINITY };
  const inRange = (r: NormalizedRecord) => {
    const t = eventTime(r);
    if (t < from || t > until) return false;
    if (t < span.first) span.first = t;
    if (t > span.last) span.last = t;
    return true;
  };
  async function* kept(batches: AsyncGenerator<NormalizedRecord[]>): AsyncGenerator<NormalizedRecord[]> {
    for await (const batch of batches) yield batch.filter(inRange);
  }
  const inputs: AsyncGenerator<NormalizedRecord[]>[] = [];
  for (const file of files) inputs.push(kept((await isArrowFile(file.path)) ? countedArrow(ingest, file.path, file.source) : decodedLines(ingest, file, maxBatch)));
  for await (const records of mergeByEventTime(inputs, eventTime)) {
    if (shift !== 0) for (const r of records) shiftRecord(r, shift);
    await ingest.deliver(records, []);
  }
  return span;
}

/**
 * Arrow rows are normalised already: counted as received and parsed, nothing to decode. Their
 * source lines travel on when the ingest keeps them (converting a dataset again).
 */
async function* countedArrow(ingest: Ingest, path: string, source: string): AsyncGenerator<NormalizedRecord[]> {
  for await (const records of readArrowRecords(path, ingest.originals)) {
    ingest.countNormalized(source, records);
    yield records;
  }
}

/**
 * JSON lines decoded by the ingest stage; rejects go to the dead-letter sink at once. While a
 * batch's records wait in the merge, its lines are not held (decodeNext has let go of them):
 * they would otherwise outlive young-generation collections and be copied and promoted.
 */
async function* decodedLines(ingest: Ingest, file: { path: string; format: FormatOption; cluster: string; source: string }, maxBatch: number): AsyncGenerator<NormalizedRecord[]> {
  const batches = readLineBatches(file.path, maxBatch);
  try {
    for (;;) {
      const records = await decodeNext(ingest, file, batches);
      if (records === undefined) return;
      yield records;
    }
  } finally {
    await batches.return(undefined);
  }
}

async function decodeNext(ingest: Ingest, file: { format: FormatOption; cluster: string; source: string }, batches: AsyncGenerator<RawMessage[]>): Promise<NormalizedRecord[] | undefined> {
  const step = await batches.next();
  if (step.done === true) return undefined;
  const { records, letters } = ingest.decode({ source: file.source, format: file.format, cluster: file.cluster, messages: step.value });
  await ingest.deliver([], letters);
  return records;
}

function shiftRecord(r: NormalizedRecord, shift: number): void {
  r.windowStart += shift;
  if (r.kind === 'flow') r.windowEnd += shift;
  else r.time += shift;
}
