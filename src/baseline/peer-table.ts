import { sharedKeys } from './key-intern.ts';
import { TYPED_ARRAY_OVERHEAD } from './quantile-sketch.ts';

const EMPTY_U32 = new Uint32Array(0);
const EMPTY_F64 = new Float64Array(0);
const EMPTY_F32 = new Float32Array(0);

/** What a baseline remembers of one edge or domain (a copy; the table stores columns). */
export interface PeerMemory {
  first: number;
  last: number;
  /** Windows in which the edge was used. */
  windows: number;
  bytesOut: number;
  /** Bytes out of its busiest window. */
  peakBytesOut: number;
}

export interface PeerTableSnapshot {
  keys: string[];
  first: number[];
  last: number[];
  windows: number[];
  bytesOut: number[];
  /** Absent in snapshots taken before it existed. */
  peak?: number[];
}

/** A Map entry (key, value, chain, and its share of the hash buckets) on 64-bit V8. */
const MAP_ENTRY_BYTES = 36;
const EMPTY_MAP_BYTES = 180;
/** Per slot: first, last, windows (Uint32), bytes out (Float64) and the busiest window's (Float32). */
const SLOT_BYTES = 3 * 4 + 8 + 4;

/**
 * A bounded key → PeerMemory table: interned keys in one Map of slot numbers, the numbers in
 * three typed arrays (first/last seen in epoch seconds and windows in one, bytes in another,
 * the busiest window's bytes in the third),
 * allocated on first use and grown by doubling up to `max`. Full, it drops the
 * eighth of its entries used least recently (by `last`), so an attacker who invents peers
 * pushes out only stale ones.
 *
 * Example: 100 peers take ~7 kB (128 slots × 24 B, 100 Map entries × ~36 B, the arrays'
 * objects); the key strings are shared with every other workload that uses the same peer.
 */
export class PeerTable {
  private readonly slots = new Map<string, number>();
  /** [first, last, windows] per slot. */
  private times = EMPTY_U32;
  private bytes = EMPTY_F64;
  private peaks = EMPTY_F32;
  private capacity = 0;
  private free: number[] = [];
  private used = 0;
  private readonly max: number;
  evictions = 0;

  constructor(max: number) {
    this.max = max;
  }

  get size(): number {
    return this.slots.size;
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  get(key: string): PeerMemory | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    return { first: this.times[3 * slot]! * 1000, last: this.times[3 * slot + 1]! * 1000, windows: this.times[3 * slot + 2]!, bytesOut: this.bytes[slot]!, peakBytesOut: this.peaks[slot]! };
  }

  keys(): IterableIterator<string> {
    return this.slots.keys();
  }

  /** Records one window's use of `key` (`start`/`end` epoch ms). */
  remember(key: string, start: number, end: number, bytesOut: number): void {
    const slot = this.slots.get(key);
    if (slot !== undefined) {
      this.times[3 * slot + 1] = Math.floor(end / 1000);
      this.times[3 * slot + 2]! += 1;
      this.bytes[slot]! += bytesOut;
      if (bytesOut > this.peaks[slot]!) this.peaks[slot] = bytesOut;
      return;
    }
    const fresh = this.allocate();
    this.slots.set(sharedKeys.intern(key), fresh);
    this.keyBytes += keyCost(key);
    this.times[3 * fresh] = Math.floor(start / 1000);
    this.times[3 * fresh + 1] = Math.floor(end / 1000);
    this.times[3 * fresh + 2] = 1;
    this.bytes[fresh] = bytesOut;
    this.peaks[fresh] = bytesOut;
  }

  /** Approximate bytes held (arrays, Map entries, key strings — counted in full though shared). */
  get byteLength(): number {
    const arrays = this.capacity > 0 ? this.capacity * SLOT_BYTES + 3 * TYPED_ARRAY_OVERHEAD : 0;
    return EMPTY_MAP_BYTES + arrays + this.slots.size * MAP_ENTRY_BYTES + this.keyBytes;
  }

  private keyBytes = 0;

  private allocate(): number {
    if (this.free.length > 0) return this.free.pop()!;
    if (this.used === this.capacity) {
      if (this.used >= this.max) {
        this.evictStalest();
        return this.free.pop()!;
      }
      this.grow(Math.min(this.max, Math.max(8, this.used * 2)));
    }
    return this.used++;
  }

  private grow(capacity: number): void {
    const times = new Uint32Array(3 * capacity);
    times.set(this.times);
    const bytes = new Float64Array(capacity);
    bytes.set(this.bytes);
    const peaks = new Float32Array(capacity);
    peaks.set(this.peaks);
    this.times = times;
    this.bytes = bytes;
    this.peaks = peaks;
    this.capacity = capacity;
  }

  private evictStalest(): void {
    const drop = Math.max(1, this.max >> 3);
    const last = new Uint32Array(this.used);
    for (let slot = 0; slot < this.used; slot++) last[slot] = this.times[3 * slot + 1]!;
    const cutoff = last.sort()[drop - 1]!;
    for (const [key, slot] of this.slots) {
      if (this.free.length >= drop) break;
      if (this.times[3 * slot + 1]! > cutoff) continue;
      this.slots.delete(key);
      this.keyBytes -= keyCost(key);
      this.free.push(slot);
      this.evictions++;
    }
  }

  snapshot(): PeerTableSnapshot {
    const s: PeerTableSnapshot = { keys: [], first: [], last: [], windows: [], bytesOut: [], peak: [] };
    for (const [key, slot] of this.slots) {
      s.keys.push(key);
      s.first.push(this.times[3 * slot]!);
      s.last.push(this.times[3 * slot + 1]!);
      s.windows.push(this.times[3 * slot + 2]!);
      s.bytesOut.push(this.bytes[slot]!);
      s.peak!.push(this.peaks[slot]!);
    }
    return s;
  }

  static restore(s: PeerTableSnapshot, max: number): PeerTable {
    const table = new PeerTable(max);
    s.keys.forEach((key, i) => {
      const slot = table.allocate();
      table.slots.set(sharedKeys.intern(key), slot);
      table.keyBytes += keyCost(key);
      table.times[3 * slot] = s.first[i]!;
      table.times[3 * slot + 1] = s.last[i]!;
      table.times[3 * slot + 2] = s.windows[i]!;
      table.bytes[slot] = s.bytesOut[i]!;
      // Older snapshots: the average window is the best guess of the busiest.
      table.peaks[slot] = s.peak?.[i] ?? s.bytesOut[i]! / Math.max(1, s.windows[i]!);
    });
    return table;
  }
}

/** A V8 one-byte string: header plus characters (charged in full, though shared). */
function keyCost(key: string): number {
  return 16 + key.length;
}
