import type { FormatOption } from '../model/record-format.ts';
import type { NormalizedRecord } from '../model/normalized-record.ts';
import type { CsvLayout } from '../parsers/csv-flow.ts';
import type { DeadLetter } from '../sinks/dead-letter.ts';

/** Where a raw message came from, precisely enough to find it again. */
export type Origin =
  | { kind: 'kafka'; topic: string; partition: number; offset: string }
  | { kind: 'file'; path: string; line: number }
  /** A record rejected after parsing (late): its original bytes are no longer at hand. */
  | { kind: 'record'; eventTime: string };

export interface RawMessage {
  value: Buffer | string;
  origin: Origin;
  /** Kafka message key, kept so that a dead-lettered record keeps its partitioning. */
  key?: Buffer | null;
}

/** Messages from one source, parsed with the source's format and cluster. */
export interface SourceBatch {
  source: string;
  format: FormatOption;
  cluster: string;
  messages: RawMessage[];
  /** The CSV header of the messages' stream (its file's first line, or the source's `csv.header`); undefined when not CSV. */
  csv?: CsvLayout | undefined;
  /**
   * Already decoded (and counted) by the source, instead of `messages`: a replay merges files
   * in event time, which needs each record's time before the batch is handed on.
   */
  decoded?: { records: NormalizedRecord[]; letters: DeadLetter[] };
}

/**
 * Hands batches to the pipeline and waits for each to be fully processed before it acknowledges
 * it upstream (Kafka commits its offsets only then), so nothing is lost on a crash.
 */
export interface Source {
  readonly name: string;
  /** Resolves when the input is exhausted (files) or after `stop()` (Kafka). */
  run(handle: (batch: SourceBatch) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}
