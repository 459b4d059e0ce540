/** Consecutive messages, in send order: line i is bytes[ends[i-1] .. ends[i]). */
export interface ReplayChunk {
  bytes: Uint8Array<ArrayBuffer>;
  ends: Uint32Array<ArrayBuffer>;
  /** Index in RECORD_FORMATS of the format each line was read as; -1: not recognised. */
  formats: Int8Array<ArrayBuffer>;
  times: Float64Array<ArrayBuffer>;
  keys: (string | null)[];
  /** Input bytes read so far (compressed bytes for gzip), for the progress display. */
  bytesRead: number;
}

/** Worker → main thread. */
export type ReaderMessage =
  | { type: 'chunk'; chunk: ReplayChunk }
  | { type: 'end'; skipped: number }
  | { type: 'error'; code: string; message: string };

/** Main thread → worker: one more chunk may be sent. */
export type ReaderRequest = { type: 'credit' };
