import { RECORD_FORMATS } from '../model/record-format.ts';
import type { ReplayItem } from './replay-items.ts';

/** Consecutive messages, in send order: line i is bytes[ends[i-1] .. ends[i]). */
export interface ReplayChunk {
  bytes: Uint8Array<ArrayBuffer>;
  ends: Uint32Array<ArrayBuffer>;
  /** Index in RECORD_FORMATS of the format each line was read as; -1: not recognised. */
  formats: Int8Array<ArrayBuffer>;
  times: Float64Array<ArrayBuffer>;
  /** The chunk's distinct message keys: each once, however many lines share it. */
  keys: string[];
  /** Index in `keys` of each line's key; -1: unkeyed (a line without a record). */
  keyIndex: Int32Array<ArrayBuffer>;
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

const encoder = new TextEncoder();

/** Items → one chunk: their lines as UTF-8 in one buffer, keys once each. */
export function packChunk(items: ReplayItem[], bytesRead: number): ReplayChunk {
  // Exact: no scratch space to zero and no right-sizing copy.
  let capacity = 0;
  for (const item of items) capacity += typeof item.value === 'string' ? Buffer.byteLength(item.value, 'utf8') : item.value.length;
  const bytes = new Uint8Array(capacity);
  const ends = new Uint32Array(items.length);
  const formats = new Int8Array(items.length);
  const times = new Float64Array(items.length);
  const keyIndex = new Int32Array(items.length);
  const keys: string[] = [];
  const indexOfKey = new Map<string, number>();
  let offset = 0;
  // An Arrow batch's lines are adjacent views of one buffer: copied a run at a time, not one by one.
  let run: ArrayBufferLike | undefined;
  let runStart = 0;
  let runEnd = 0;
  const copyRun = () => {
    if (run !== undefined) bytes.set(new Uint8Array(run, runStart, runEnd - runStart), offset - (runEnd - runStart));
    run = undefined;
  };
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const value = item.value;
    if (typeof value === 'string') {
      copyRun();
      offset += encoder.encodeInto(value, bytes.subarray(offset)).written;
    } else {
      if (value.buffer !== run || value.byteOffset !== runEnd) {
        copyRun();
        run = value.buffer;
        runStart = value.byteOffset;
      }
      runEnd = value.byteOffset + value.length;
      offset += value.length;
    }
    ends[i] = offset;
    formats[i] = item.format === undefined ? -1 : RECORD_FORMATS.indexOf(item.format);
    times[i] = item.time;
    if (item.key === null) keyIndex[i] = -1;
    else {
      let index = indexOfKey.get(item.key);
      if (index === undefined) indexOfKey.set(item.key, (index = keys.push(item.key) - 1));
      keyIndex[i] = index;
    }
  }
  copyRun();
  return { bytes, ends, formats, times, keys, keyIndex, bytesRead };
}
