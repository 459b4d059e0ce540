/** What a parser needs besides the message itself. No wall clock inside parsers: `now` is passed in. */
export interface ParseContext {
  /** Cluster for formats that carry none (Calico), from `--cluster` or the source's config. */
  cluster: string;
  /** Wall-clock time of the batch, epoch ms, used only to reject far-future event times. */
  now: number;
  /** How far ahead of `now` an event time may be before it is rejected as `future-time`. */
  maxFutureSkewMs: number;
}
