import { sharedKeys } from './key-intern.ts';

/** What a baseline remembers of one edge or domain (a copy; the table stores columns). */
export interface PeerMemory {
  first: number;
  last: number;
  /** Windows in which the edge was used. */
  windows: number;
  bytesOut: number;
}

export interface PeerTableSnapshot {
  keys: string[];
  first: number[];
  last: number[];
  windows: number[];
  bytesOut: number[];
}

const MAP_ENTRY_BYTES = 40;
const SLOT_BYTES = 4 + 4 + 4 + 8;

/**
 * A bounded key → PeerMemory table: interned keys in one Map of slot numbers, the numbers in
 * typed columns (times in epoch seconds), grown by doubling up to `max`. Full, it drops the
 * eighth of its entries used least recently (by `last`), so an attacker who invents peers
 * pushes out only stale ones.
 *
 * Example: 100 peers take ~6.6 kB (128 slots × 20 B of columns, 100 Map entries × ~40 B and
 * the key strings, shared with every other workload that uses the same peer).
 */
export class PeerTable {
  private readonly slots = new Map<string, number>();
  private first = new Uint32Array(0);
  private last = new Uint32Array(0);
  private windowCounts = new Uint32Array(0);
  private bytes = new Float64Array(0);
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
    return { first: this.first[slot]! * 1000, last: this.last[slot]! * 1000, windows: this.windowCounts[slot]!, bytesOut: this.bytes[slot]! };
  }

  keys(): IterableIterator<string> {
    return this.slots.keys();
  }

  /** Records one window's use of `key` (`start`/`end` epoch ms). */
  remember(key: string, start: number, end: number, bytesOut: number): void {
    const slot = this.slots.get(key);
    if (slot !== undefined) {
      this.last[slot] = Math.floor(end / 1000);
      this.windowCounts[slot]! += 1;
      this.bytes[slot]! += bytesOut;
      return;
    }
    const fresh = this.allocate();
    this.slots.set(sharedKeys.intern(key), fresh);
    this.keyBytes += keyCost(key);
    this.first[fresh] = Math.floor(start / 1000);
    this.last[fresh] = Math.floor(end / 1000);
    this.windowCounts[fresh] = 1;
    this.bytes[fresh] = bytesOut;
  }

  /** Approximate heap bytes held (columns, Map entries, key strings). */
  get byteLength(): number {
    return this.first.length * SLOT_BYTES + this.slots.size * MAP_ENTRY_BYTES + this.keyBytes;
  }

  private keyBytes = 0;

  private allocate(): number {
    if (this.free.length > 0) return this.free.pop()!;
    if (this.used === this.first.length) {
      if (this.used >= this.max) {
        this.evictStalest();
        return this.free.pop()!;
      }
      this.grow(Math.min(this.max, Math.max(8, this.used * 2)));
    }
    return this.used++;
  }

  private grow(capacity: number): void {
    const grown = <T extends Uint32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.first = grown(this.first, (n) => new Uint32Array(n));
    this.last = grown(this.last, (n) => new Uint32Array(n));
    this.windowCounts = grown(this.windowCounts, (n) => new Uint32Array(n));
    this.bytes = grown(this.bytes, (n) => new Float64Array(n));
  }

  private evictStalest(): void {
    const drop = Math.max(1, this.max >> 3);
    const cutoff = this.last.slice(0, this.used).sort()[drop - 1]!;
    for (const [key, slot] of this.slots) {
      if (this.free.length >= drop) break;
      if (this.last[slot]! > cutoff) continue;
      this.slots.delete(key);
      this.keyBytes -= keyCost(key);
      this.free.push(slot);
      this.evictions++;
    }
  }

  snapshot(): PeerTableSnapshot {
    const s: PeerTableSnapshot = { keys: [], first: [], last: [], windows: [], bytesOut: [] };
    for (const [key, slot] of this.slots) {
      s.keys.push(key);
      s.first.push(this.first[slot]!);
      s.last.push(this.last[slot]!);
      s.windows.push(this.windowCounts[slot]!);
      s.bytesOut.push(this.bytes[slot]!);
    }
    return s;
  }

  static restore(s: PeerTableSnapshot, max: number): PeerTable {
    const table = new PeerTable(max);
    s.keys.forEach((key, i) => {
      const slot = table.allocate();
      table.slots.set(sharedKeys.intern(key), slot);
      table.keyBytes += keyCost(key);
      table.first[slot] = s.first[i]!;
      table.last[slot] = s.last[i]!;
      table.windowCounts[slot] = s.windows[i]!;
      table.bytes[slot] = s.bytesOut[i]!;
    });
    return table;
  }
}

/** A V8 one-byte string: header plus characters (charged in full, though shared). */
function keyCost(key: string): number {
  return 16 + key.length;
}
