import { eventTime, type NormalizedRecord } from '../model/normalized-record.ts';
import type { FormatOption } from '../model/record-format.ts';
import { isArrowFile, readArrowRecords } from '../arrow/record-reader.ts';
import { readLineBatches } from '../sources/file-source.ts';
import type { Ingest } from './ingest.ts';

interface Lane {
  next: () => Promise<NormalizedRecord[] | undefined>;
  buffer: NormalizedRecord[];
  done: boolean;
}

/**
 * Replays several files as one stream in event time (a k-way merge of roughly sorted inputs),
 * so that flows, DNS logs and Hubble events of the same minute meet in the same windows.
 * Memory holds about one batch per file: a lane is read again only when its buffer is empty.
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
    if (shift !== 0) shiftRecord(r, shift);
    return true;
  };
  /** A lane over a file's batches: the next non-empty batch in range, sorted, or undefined at the end. */
  const lane = (batches: AsyncGenerator<NormalizedRecord[]>): Lane => ({
    buffer: [],
    done: false,
    next: async () => {
      for (;;) {
        const step = await batches.next();
        if (step.done) return undefined;
        const kept = step.value.filter(inRange);
        if (kept.length > 0) return kept.sort(byEventTime);
      }
    },
  });
  const lanes: Lane[] = [];
  for (const file of files) {
    lanes.push(lane((await isArrowFile(file.path)) ? countedArrow(ingest, file.path, file.source) : decodedLines(ingest, file, maxBatch)));
  }

  for (;;) {
    for (const lane of lanes) {
      if (lane.done || lane.buffer.length > 0) continue;
      const records = await lane.next();
      if (records === undefined) lane.done = true;
      else lane.buffer = records;
    }
    const live = lanes.filter((lane) => !lane.done);
    if (live.length === 0) {
      await release(ingest, lanes, Number.POSITIVE_INFINITY);
      return span;
    }
    // Every live lane has records: everything up to the smallest of their last times is safe.
    const safe = Math.min(...live.map((lane) => eventTime(lane.buffer[lane.buffer.length - 1]!)));
    await release(ingest, lanes, safe);
  }
}

async function release(ingest: Ingest, lanes: Lane[], upTo: number): Promise<void> {
  const out: NormalizedRecord[] = [];
  for (const lane of lanes) {
    let i = 0;
    while (i < lane.buffer.length && eventTime(lane.buffer[i]!) <= upTo) i++;
    if (i === 0) continue;
    out.push(...lane.buffer.slice(0, i));
    lane.buffer = lane.buffer.slice(i);
  }
  if (out.length > 0) await ingest.deliver(out.sort(byEventTime), []);
}

/** Arrow rows are normalised already: counted as received and parsed, nothing to decode. */
async function* countedArrow(ingest: Ingest, path: string, source: string): AsyncGenerator<NormalizedRecord[]> {
  for await (const records of readArrowRecords(path)) {
    ingest.countNormalized(source, records);
    yield records;
  }
}

/** JSON lines decoded by the ingest stage; rejects go to the dead-letter sink at once. */
async function* decodedLines(ingest: Ingest, file: { path: string; format: FormatOption; cluster: string; source: string }, maxBatch: number): AsyncGenerator<NormalizedRecord[]> {
  for await (const messages of readLineBatches(file.path, maxBatch)) {
    const { records, letters } = ingest.decode({ source: file.source, format: file.format, cluster: file.cluster, messages });
    await ingest.deliver([], letters);
    yield records;
  }
}

function shiftRecord(r: NormalizedRecord, shift: number): void {
  r.windowStart += shift;
  if (r.kind === 'flow') r.windowEnd += shift;
  else r.time += shift;
}

function byEventTime(a: NormalizedRecord, b: NormalizedRecord): number {
  return eventTime(a) - eventTime(b);
}
