import type { CsvLayout } from './csv-flow.ts';

/** What a parser needs besides the message itself. No wall clock inside parsers: `now` is passed in. */
export interface ParseContext {
  /** Cluster for formats that carry none (Calico), from `--cluster` or the source's config. */
  cluster: string;
  /** Wall-clock time of the batch, epoch ms, used only to reject far-future event times. */
  now: number;
  /** How far ahead of `now` an event time may be before it is rejected as `future-time`. */
  maxFutureSkewMs: number;
  /**
   * The CSV header of the stream the message comes from (its file's first line, or a Kafka
   * source's `csv.header`): which field of a row is which. Undefined when the stream is not CSV.
   */
  csv?: CsvLayout | undefined;
  /**
   * Line of the message in its input file (1-based, blank lines counted), set per message by
   * whoever reads files; undefined for other messages (Kafka). Records carry it as `row`.
   */
  line?: number | undefined;
}
