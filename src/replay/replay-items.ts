import { isArrowFile, readArrowOriginals } from '../arrow/record-reader.ts';
import type { RecordFormat } from '../model/record-format.ts';
import { mergeByEventTime } from '../pipeline/merge-by-event-time.ts';
import { routeMessage } from '../parsers/record-decoder.ts';
import { readLineBatches } from '../sources/file-source.ts';

/** One message to produce: the original line, its key and the wire format it was read as. */
export interface ReplayItem {
  /** The line: text, or its UTF-8 bytes as an Arrow dataset stores them. */
  value: string | Uint8Array;
  /** Initiating workload (cluster/namespace/workload); null for lines without a record (see routeMessage). */
  key: string | null;
  format: RecordFormat | undefined;
  /** Event time, epoch ms; for a line without a record, that of the line before it in its file (0 for none). */
  time: number;
}

export interface ReplayItemOptions {
  files: string[];
  cluster: string;
  /** Event-time bounds, epoch ms. */
  from: number;
  until: number;
  /** Lines read per file at a time. */
  batchSize: number;
}

/** A JSON-lines file's lines with key and event time, in batches (routed, not normalised: see routeMessage). */
async function* jsonLaneItems(path: string, options: ReplayItemOptions, counts: { skipped: number }): AsyncGenerator<ReplayItem[]> {
  const ctx = { cluster: options.cluster, now: Date.now(), maxFutureSkewMs: Number.MAX_SAFE_INTEGER };
  // Lines without a record (invalid, or well-formed but skipped such as Hubble DNS requests)
  // keep their place: they take the event time of the line before them.
  let previous = 0;
  for await (const messages of readLineBatches(path, options.batchSize)) {
    const items: ReplayItem[] = [];
    for (const message of messages) {
      const line = typeof message.value === 'string' ? message.value : message.value.toString('utf8');
      const routed = routeMessage(line, ctx);
      if (routed.status !== 'ok') {
        // Produced as they are, unkeyed: the consumer's dead-letter path is part of what a replay rehearses.
        if (previous >= options.from && previous <= options.until) items.push({ value: line, key: null, format: routed.format, time: previous });
        else counts.skipped++;
        continue;
      }
      const { time, key } = routed.route;
      previous = time;
      if (time < options.from || time > options.until) {
        counts.skipped++;
        continue;
      }
      items.push({ value: line, key, format: routed.format, time });
    }
    yield items;
  }
}

/** An Arrow dataset's original lines (kept by `convert`), keyed from its columns without parsing again. */
async function* arrowLaneItems(path: string, options: ReplayItemOptions, counts: { skipped: number }): AsyncGenerator<ReplayItem[]> {
  for await (const rows of readArrowOriginals(path)) {
    const items = rows.filter((row) => row.time >= options.from && row.time <= options.until);
    counts.skipped += rows.length - items.length;
    yield items;
  }
}

/** Every file's items as one stream in event time (see mergeByEventTime). */
export async function* replayItems(options: ReplayItemOptions, counts: { skipped: number } = { skipped: 0 }): AsyncGenerator<ReplayItem[]> {
  const inputs: AsyncGenerator<ReplayItem[]>[] = [];
  for (const path of options.files) inputs.push((await isArrowFile(path)) ? arrowLaneItems(path, options, counts) : jsonLaneItems(path, options, counts));
  yield* mergeByEventTime(inputs, (item) => item.time);
}
