import { isArrowFile, readArrowOriginals } from '../arrow/record-reader.ts';
import type { FormatOption, RecordFormat } from '../model/record-format.ts';
import { mergeByEventTime } from '../pipeline/merge-by-event-time.ts';
import type { CsvOptions } from '../parsers/csv-flow.ts';
import type { ParseContext } from '../parsers/parse-context.ts';
import { routeMessage } from '../parsers/record-decoder.ts';
import { readFileBatches } from '../sources/file-source.ts';

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
  /** Format of the files (default auto: per file and line, as a file source reads them). */
  format?: FormatOption | undefined;
  /** CSV column mapping (and a header for files without one). */
  csv?: CsvOptions | undefined;
}

/**
 * A JSON-lines or CSV file's lines with key and event time, in batches (routed, not normalised:
 * see routeMessage). A CSV file's header is not sent: the consumer's source names the columns
 * with `csv.header` (Kafka messages carry one row each).
 */
async function* lineItems(path: string, options: ReplayItemOptions, counts: { skipped: number }): AsyncGenerator<ReplayItem[]> {
  const ctx: ParseContext = { cluster: options.cluster, now: Date.now(), maxFutureSkewMs: Number.MAX_SAFE_INTEGER, csv: undefined, line: undefined };
  // Lines without a record (invalid, or well-formed but skipped such as Hubble DNS requests)
  // keep their place: they take the event time of the line before them.
  let previous = 0;
  for await (const { messages, format, csv } of readFileBatches(path, options.batchSize, options.format ?? 'auto', options.csv)) {
    ctx.csv = csv;
    const items: ReplayItem[] = [];
    for (const message of messages) {
      const line = typeof message.value === 'string' ? message.value : message.value.toString('utf8');
      ctx.line = message.origin.kind === 'file' ? message.origin.line : undefined;
      const routed = routeMessage(line, ctx, format);
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
  for (const path of options.files) inputs.push((await isArrowFile(path)) ? arrowLaneItems(path, options, counts) : lineItems(path, options, counts));
  yield* mergeByEventTime(inputs, (item) => item.time);
}
