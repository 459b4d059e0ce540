import { hashString, mix32 } from './hash.ts';
import { entropy, leftmostLabel } from './dns-name.ts';
import { sharedKeys } from './key-intern.ts';
import type { PeerTable } from './peer-table.ts';
import { TYPED_ARRAY_OVERHEAD } from './quantile-sketch.ts';
import type { DomainUse, WindowStats } from './window-stats.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Half a day: the "day" of the DNS counters is the current and the previous half-day. */
const EPOCH = 12 * HOUR;

/**
 * Caps of one workload's long-horizon memory, whatever an attacker invents. A destination or
 * domain past them takes the slot of the least valuable one (the least regular or recent), or
 * is not tracked when every slot is valuable (counted in `dropped`).
 */
export const HORIZON_LIMITS = {
  /** New external destinations tracked (beaconing and slow exfiltration). */
  destinations: 8,
  /** Contacted windows kept per destination for the regularity of its intervals. */
  samples: 32,
  /** Registered domains tracked for slow DNS tunnelling. */
  domains: 4,
  /** Untracked destinations checked (their ports looked up) per window. */
  checksPerWindow: 8,
  /**
   * Newcomers given a slot per window, a quarter of the slots: churn (a scan, invented names)
   * takes the slots of the cheapest entries a few a window, never all of them at once.
   */
  newDestinationsPerWindow: 2,
  newDomainsPerWindow: 1,
  /**
   * A destination is tracked only if first seen this long after the workload (its learning
   * period, `learning_hours` 6 by default) and not used by it before then on any port.
   */
  admitAfterMs: 6 * HOUR,
  /** An entry idle this long is worth nothing (its slot is the first taken). */
  idleMs: DAY,
  /** An entry at least this valuable (≈ contacted windows, recently) is not evicted by a newcomer. */
  protectedValue: 6,
  /** Bits of each distinct-name bitmap (linear counting: σ ≈ 2–4% up to ~3,000 names, saturates near 7,000). */
  nameBits: 1_024,
};

/** What one window shows of one external destination (its edges summed). */
export interface Contact {
  /** Allowed connections. */
  connections: number;
  bytesOut: number;
  bytesIn: number;
  /** Earliest record start of the destination in the window (the event time for per-event sources). */
  firstAt: number;
  port: number;
  /** The window's edge keys of the destination (`peer|port|protocol`). */
  edgeKeys: string[];
}

const contactsCache = new WeakMap<WindowStats, { contacts: Map<string, Contact>; edges: number; connections: number; bytesOut: number }>();

/**
 * The window's public destinations (peer → its allowed edges summed), made once per window for
 * the detectors and the baseline update that read it.
 */
export function externalContacts(window: WindowStats): Map<string, Contact> {
  const cached = contactsCache.get(window);
  // Judged windows are closed; a window still filled (tests) is summed again.
  if (cached !== undefined && cached.edges === window.edges.size && cached.connections === window.connections && cached.bytesOut === window.bytesOut) return cached.contacts;
  const out = new Map<string, Contact>();
  for (const [edgeKey, edge] of window.edges) {
    if (edge.peerKind !== 'public' || edge.denied >= edge.connections) continue;
    const seen = out.get(edge.peer);
    if (seen === undefined) {
      out.set(edge.peer, { connections: edge.connections - edge.denied, bytesOut: edge.bytesOut, bytesIn: edge.bytesIn, firstAt: edge.firstAt, port: edge.port, edgeKeys: [edgeKey] });
      continue;
    }
    seen.connections += edge.connections - edge.denied;
    seen.bytesOut += edge.bytesOut;
    seen.bytesIn += edge.bytesIn;
    if (edge.firstAt < seen.firstAt) seen.firstAt = edge.firstAt;
    seen.edgeKeys.push(edgeKey);
  }
  contactsCache.set(window, { contacts: out, edges: window.edges.size, connections: window.connections, bytesOut: window.bytesOut });
  return out;
}

// Destination slots: Uint32 words (times in epoch seconds) then Float32 byte counters.
const D_FIRST = 0;
const D_LAST = 1;
const D_CONNECTIONS = 2;
const D_WINDOWS = 3;
/** Ring position of the next sample, and (<< 8) samples held. */
const D_RING = 4;
/** Hour index (epoch hours) of the newest hourly bucket. */
const D_HOUR = 5;
const D_PORT = 6;
const D_SAMPLES = 8;
const DW = D_SAMPLES + 2 * HORIZON_LIMITS.samples;
const F_OUT = 0;
const F_IN = 1;
/** Σ connections² over its contacted windows: with the connections and the span, the dispersion of its counts. */
const F_SQUARES = 2;
const F_HOURLY = 3;
const DF = F_HOURLY + 24;

// Domain slots: three name bitmaps (this hour, this half-day, the previous half-day), then counters.
const BITMAP_BYTES = HORIZON_LIMITS.nameBits / 8;
const BITS_HOUR = 0;
const BITS_A = BITMAP_BYTES;
const BITS_B = 2 * BITMAP_BYTES;
const DB = 3 * BITMAP_BYTES;
/** Counters of one period: distinct names (bits set), lookups, NXDOMAIN, TXT/NULL, distinct high-entropy names, first lookup (s). */
const P_NAMES = 0;
const P_QUERIES = 1;
const P_NX = 2;
const P_TUNNEL = 3;
const P_HIGH_ENTROPY = 4;
const P_FIRST = 5;
const PERIOD = 6;
const C_HOUR = 0;
const C_EPOCH = 1;
const C_LAST = 2;
const C_FIRST = 3;
const C_H = 4;
const C_A = C_H + PERIOD;
const C_B = C_A + PERIOD;
/** The previous clock hour's final counts (distinct names as estimated), and its hour index. */
const C_P = C_B + PERIOD;
const C_PREVIOUS_HOUR = C_P + PERIOD;
const DC = C_PREVIOUS_HOUR + 1;

const MAP_BYTES = 180;
const MAP_ENTRY_BYTES = 36;
/** The object, its counters and the days ring. */
const FIXED_BYTES = 160 + 8 * 8 + 48;

/** One contacted window of a destination. */
export interface ContactSample {
  /** Window start (epoch ms). */
  start: number;
  /** First contact's offset into the window (ms; 0 for 5-minute aggregates). */
  offset: number;
  connections: number;
  /** Bytes sent per connection (±5%). */
  bytesPerConnection: number;
}

/** A tracked destination as of the windows folded in (a copy). */
export interface DestinationHistory {
  firstSeen: number;
  lastWindow: number;
  connections: number;
  /** Windows in which it was contacted. */
  windows: number;
  bytesOut: number;
  bytesIn: number;
  /** Σ connections² over the contacted windows (the variance of connections per window). */
  connectionSquares: number;
  port: number;
  /** Bytes sent in the 24 hours up to and including the newest window's hour. */
  bytesOut24h: number;
  /** Hour index (epoch hours) of the first hour of the last 24 with bytes, or -1. */
  firstHourWithBytes: number;
  /** The last contacted windows, oldest first (up to HORIZON_LIMITS.samples). */
  samples(): ContactSample[];
}

/** One period's DNS counts of a domain. */
export interface DnsPeriod {
  /** Distinct names (approximate). */
  uniqueNames: number;
  lookups: number;
  nxdomain: number;
  tunnelTypeLookups: number;
  /** Distinct long high-entropy leftmost labels (approximate). */
  highEntropyNames: number;
  /** First lookup of the period (epoch ms), or undefined when none. */
  since: number | undefined;
}

export interface DomainHistory {
  firstSeen: number;
  /** The clock hour (UTC) of the newest window. */
  hour: DnsPeriod;
  /** The clock hour before it, complete (undefined when the domain was not looked up in it). */
  previousHour: DnsPeriod | undefined;
  /** The current and previous half-day (12–24 hours). */
  day: DnsPeriod;
}

export interface LongHorizonSnapshot {
  version: 1;
  destinations: { keys: string[]; words: number[]; floats: number[] };
  /** Per domain its counters; its bitmaps as base64 of the bytes, in key order. */
  domains: { keys: string[]; words: number[]; bits: string };
  /** Bytes sent to tracked (new) destinations per UTC day, ring by day index; the newest day. */
  newDaily: number[];
  newDay: number;
  evictions: number;
  dropped: number;
}

/**
 * What a workload did over hours and a day, for the slow attacks no window shows: per new
 * external destination, its last contacted windows (timing, connections, bytes per connection)
 * and its bytes per hour over 24 hours; per registered domain with tunnel-like lookups, distinct
 * names (linear-counting bitmaps), long high-entropy names, TXT/NULL and NXDOMAIN per clock hour
 * and per half-day; and the bytes per day it sends to new destinations. Typed arrays allocated on
 * first use, grown by doubling up to the caps (`byteLength`): ~0.6 kB for a workload that talks
 * to no new destination, ~1.5 kB with one, ~2.5 kB with a tunnel-like domain too, ~7.5 kB with
 * every slot taken (~10 kB if every key is a 253-character name).
 *
 * Updated after the detectors judged a window (`update`); detectors read what the state would be
 * with the current window folded in (`destinationWith`, `domainWith`), without changing it.
 */
export class LongHorizon {
  private readonly destinations = new Map<string, number>();
  private destinationKeys: string[] = [];
  private dw = new Uint32Array(0);
  private df = new Float32Array(0);
  private destinationCapacity = 0;
  private readonly domains = new Map<string, number>();
  private domainKeys: string[] = [];
  private dc = new Uint32Array(0);
  private db = new Uint8Array(0);
  private domainCapacity = 0;
  private keyBytes = 0;
  /** Bytes to tracked destinations per UTC day (ring of 8 by day index) and the newest day. */
  private newDaily = [0, 0, 0, 0, 0, 0, 0, 0];
  private newDay = 0;
  /** Entries that gave their slot to a newcomer, and newcomers not tracked because every slot was valuable. */
  evictions = 0;
  dropped = 0;

  get destinationCount(): number {
    return this.destinations.size;
  }

  get domainCount(): number {
    return this.domains.size;
  }

  /** Approximate bytes held (typed arrays, Map entries, key strings — counted in full though shared). */
  get byteLength(): number {
    let bytes = FIXED_BYTES + 2 * MAP_BYTES + this.keyBytes + (this.destinations.size + this.domains.size) * MAP_ENTRY_BYTES;
    if (this.destinationCapacity > 0) bytes += this.destinationCapacity * (DW + DF) * 4 + 2 * TYPED_ARRAY_OVERHEAD;
    if (this.domainCapacity > 0) bytes += this.domainCapacity * (DB + DC * 4) + 2 * TYPED_ARRAY_OVERHEAD;
    return bytes;
  }

  /**
   * Folds a closed window in. `firstSeen` is the workload's; `peers` its learned edges *before*
   * this window (a destination it used in its learning period is not tracked).
   */
  update(window: WindowStats, firstSeen: number, peers: PeerTable): void {
    this.updateDestinations(window, firstSeen, peers);
    if (window.domains.size > 0) this.updateDomains(window);
  }

  private updateDestinations(window: WindowStats, firstSeen: number, peers: PeerTable): void {
    if (window.edges.size === 0) return;
    const contacts = externalContacts(window);
    if (contacts.size === 0) return;
    const day = Math.floor(window.start / DAY);
    let unseen: [string, Contact][] | undefined;
    let recent: [string, Contact][] | undefined;
    const cutoff = firstSeen + HORIZON_LIMITS.admitAfterMs;
    for (const entry of contacts) {
      const [destination, contact] = entry;
      const slot = this.destinations.get(destination);
      if (slot !== undefined) {
        this.addSent(day, contact.bytesOut);
        recordContact(this.dw, this.df, slot, window, contact);
        continue;
      }
      if (window.start < cutoff) continue;
      // Seen on this very edge in the learning period: learned, no look-up of its other ports.
      let seenOnEdge = false;
      let learned = false;
      for (const key of contact.edgeKeys) {
        const memory = peers.get(key);
        if (memory === undefined) continue;
        seenOnEdge = true;
        if (memory.first < cutoff) learned = true;
      }
      if (learned) continue;
      // Destinations never seen go first, so recurring ones cannot starve them of admissions.
      if (seenOnEdge) (recent ??= []).push(entry);
      else (unseen ??= []).push(entry);
    }
    if (unseen === undefined && recent === undefined) return;
    let checks = 0;
    let admitted = 0;
    for (const [destination, contact] of [...(unseen ?? []), ...(recent ?? [])]) {
      if (checks++ >= HORIZON_LIMITS.checksPerWindow || admitted >= HORIZON_LIMITS.newDestinationsPerWindow) break;
      const since = learnedSince(peers, destination, cutoff);
      if (since === 'learned') continue;
      admitted++;
      const slot = this.allocateDestination(destination, window.start);
      if (slot === undefined) continue;
      const base = slot * DW;
      this.dw.fill(0, base, base + DW);
      this.df.fill(0, slot * DF, (slot + 1) * DF);
      // Back in the table after an eviction: its first contact is what the peer table remembers
      // (if within the last day: a destination touched once days ago starts afresh).
      const first = since !== undefined && window.start - since < HORIZON_LIMITS.idleMs ? Math.min(since, window.start) : window.start;
      this.dw[base + D_FIRST] = Math.floor(first / 1000);
      this.dw[base + D_PORT] = contact.port;
      this.addSent(day, contact.bytesOut);
      recordContact(this.dw, this.df, slot, window, contact);
    }
  }

  private addSent(day: number, bytes: number): void {
    if (bytes <= 0) return;
    if (day > this.newDay) {
      for (let d = Math.max(this.newDay + 1, day - 7); d <= day; d++) this.newDaily[d & 7] = 0;
      this.newDay = day;
    }
    if (day > this.newDay - 8) this.newDaily[day & 7]! += bytes;
  }

  /** A copy of the destination's history, or undefined when it is not tracked. */
  destination(destination: string): DestinationHistory | undefined {
    const slot = this.destinations.get(destination);
    return slot === undefined ? undefined : history(this.dw.slice(slot * DW, (slot + 1) * DW), this.df.slice(slot * DF, (slot + 1) * DF));
  }

  /** The destination's history with `window`'s contact folded in, or undefined when it is not tracked. */
  destinationWith(destination: string, window: WindowStats): DestinationHistory | undefined {
    const slot = this.destinations.get(destination);
    if (slot === undefined) return undefined;
    const contact = externalContacts(window).get(destination);
    const dw = this.dw.slice(slot * DW, (slot + 1) * DW);
    const df = this.df.slice(slot * DF, (slot + 1) * DF);
    if (contact !== undefined) recordContact(dw, df, 0, window, contact);
    return history(dw, df);
  }

  /**
   * What the workload usually sends to new destinations, besides `destination`: the median of
   * its complete days (of the last 7, since it could track any) with that destination's own
   * bytes of the last 24 hours taken out, and what the other tracked destinations got in the
   * last 24 hours.
   */
  newDestinationNorm(destination: string, at: number, firstSeen: number): { dailyMedian: number; days: number; others24h: number } {
    const today = Math.floor(at / DAY);
    const firstFull = Math.floor((firstSeen + HORIZON_LIMITS.admitAfterMs) / DAY) + 1;
    const slot = this.destinations.get(destination);
    const ownByDay = new Map<number, number>();
    if (slot !== undefined) {
      const newest = this.dw[slot * DW + D_HOUR]!;
      for (let h = newest - 23; h <= newest; h++) {
        const bytes = this.df[slot * DF + F_HOURLY + (h % 24)]!;
        if (bytes > 0) ownByDay.set(Math.floor(h / 24), (ownByDay.get(Math.floor(h / 24)) ?? 0) + bytes);
      }
    }
    const days: number[] = [];
    for (let d = Math.max(firstFull, today - 7); d < today; d++) {
      const sent = d > this.newDay - 8 && d <= this.newDay ? this.newDaily[d & 7]! : 0;
      days.push(Math.max(0, sent - (ownByDay.get(d) ?? 0)));
    }
    let others24h = 0;
    const hourNow = Math.floor(at / HOUR);
    for (const [key, slot] of this.destinations) {
      if (key !== destination) others24h += sentSince(this.dw, this.df, slot, hourNow - 23);
    }
    return { dailyMedian: median(days), days: days.length, others24h };
  }

  private allocateDestination(key: string, windowStart: number): number | undefined {
    const now = Math.floor(windowStart / 1000);
    let slot: number;
    if (this.destinations.size < this.destinationCapacity) slot = this.destinationKeys.indexOf('');
    else if (this.destinationCapacity < HORIZON_LIMITS.destinations) {
      slot = this.destinationCapacity;
      this.growDestinations(Math.min(HORIZON_LIMITS.destinations, Math.max(1, 2 * this.destinationCapacity)));
    } else {
      const victim = this.cheapest(this.destinations, now, (s) => destinationValue(this.dw, this.df, s, now), (s) => this.dw[s * DW + D_LAST]!);
      if (victim === undefined) {
        this.dropped++;
        return undefined;
      }
      slot = this.destinations.get(victim)!;
      this.forget(this.destinations, this.destinationKeys, victim);
      this.evictions++;
    }
    const interned = sharedKeys.intern(key);
    this.destinations.set(interned, slot);
    this.destinationKeys[slot] = interned;
    this.keyBytes += keyCost(key);
    return slot;
  }

  private growDestinations(capacity: number): void {
    const dw = new Uint32Array(capacity * DW);
    dw.set(this.dw);
    const df = new Float32Array(capacity * DF);
    df.set(this.df);
    for (let s = this.destinationCapacity; s < capacity; s++) this.destinationKeys[s] = '';
    this.dw = dw;
    this.df = df;
    this.destinationCapacity = capacity;
  }

  /** The entry a newcomer may take: the least valuable not touched in this window, if it is not protected. */
  private cheapest(slots: Map<string, number>, now: number, value: (slot: number) => number, last: (slot: number) => number): string | undefined {
    let best: string | undefined;
    let bestValue = Number.POSITIVE_INFINITY;
    let bestLast = Number.POSITIVE_INFINITY;
    for (const [key, slot] of slots) {
      if (last(slot) >= now) continue;
      const v = value(slot);
      if (v < bestValue || (v === bestValue && last(slot) < bestLast)) {
        best = key;
        bestValue = v;
        bestLast = last(slot);
      }
    }
    return bestValue < HORIZON_LIMITS.protectedValue ? best : undefined;
  }

  private forget(slots: Map<string, number>, keys: string[], key: string): void {
    const slot = slots.get(key)!;
    slots.delete(key);
    keys[slot] = '';
    this.keyBytes -= keyCost(key);
  }

  private updateDomains(window: WindowStats): void {
    let newcomers: [string, DomainUse][] | undefined;
    for (const entry of window.domains) {
      const slot = this.domains.get(entry[0]);
      if (slot !== undefined) foldDomain(this.dc.subarray(slot * DC, (slot + 1) * DC), this.db.subarray(slot * DB, (slot + 1) * DB), window, entry[1]);
      else if (tunnelLike(entry[1])) (newcomers ??= []).push(entry);
    }
    for (const [domain, use] of (newcomers ?? []).slice(0, HORIZON_LIMITS.newDomainsPerWindow)) {
      const slot = this.allocateDomain(domain, window.start);
      if (slot === undefined) continue;
      this.dc.fill(0, slot * DC, (slot + 1) * DC);
      this.db.fill(0, slot * DB, (slot + 1) * DB);
      this.dc[slot * DC + C_FIRST] = Math.floor(window.start / 1000);
      foldDomain(this.dc.subarray(slot * DC, (slot + 1) * DC), this.db.subarray(slot * DB, (slot + 1) * DB), window, use);
    }
  }

  /**
   * The domain's hour and half-day counts with `window`'s lookups folded in; undefined when it
   * is not tracked and the window shows nothing tunnel-like (no long random label, no TXT/NULL).
   */
  domainWith(domain: string, use: DomainUse, window: WindowStats): DomainHistory | undefined {
    const slot = this.domains.get(domain);
    const counters = new Uint32Array(DC);
    const bits = new Uint8Array(DB);
    if (slot === undefined) {
      if (!tunnelLike(use)) return undefined;
      counters[C_FIRST] = Math.floor(window.start / 1000);
    } else {
      counters.set(this.dc.subarray(slot * DC, (slot + 1) * DC));
      bits.set(this.db.subarray(slot * DB, (slot + 1) * DB));
    }
    foldDomain(counters, bits, window, use);
    const a = period(counters, C_A, linearCount(bits, BITS_A));
    const b = period(counters, C_B, linearCount(bits, BITS_B));
    return {
      firstSeen: counters[C_FIRST]! * 1000,
      hour: period(counters, C_H, linearCount(bits, BITS_HOUR)),
      previousHour: counters[C_PREVIOUS_HOUR] === counters[C_HOUR]! - 1 ? { ...period(counters, C_P, counters[C_P + P_NAMES]!), highEntropyNames: counters[C_P + P_HIGH_ENTROPY]! } : undefined,
      day: {
        uniqueNames: linearCount(bits, BITS_A, BITS_B),
        lookups: a.lookups + b.lookups,
        nxdomain: a.nxdomain + b.nxdomain,
        tunnelTypeLookups: a.tunnelTypeLookups + b.tunnelTypeLookups,
        highEntropyNames: a.highEntropyNames + b.highEntropyNames,
        since: b.since ?? a.since,
      },
    };
  }

  private allocateDomain(key: string, windowStart: number): number | undefined {
    const now = Math.floor(windowStart / 1000);
    let slot: number;
    if (this.domains.size < this.domainCapacity) slot = this.domainKeys.indexOf('');
    else if (this.domainCapacity < HORIZON_LIMITS.domains) {
      slot = this.domainCapacity;
      this.growDomains(Math.min(HORIZON_LIMITS.domains, Math.max(1, 2 * this.domainCapacity)));
    } else {
      const victim = this.cheapest(this.domains, now, (s) => domainValue(this.dc, s, now), (s) => this.dc[s * DC + C_LAST]!);
      if (victim === undefined) {
        this.dropped++;
        return undefined;
      }
      slot = this.domains.get(victim)!;
      this.forget(this.domains, this.domainKeys, victim);
      this.evictions++;
    }
    const interned = sharedKeys.intern(key);
    this.domains.set(interned, slot);
    this.domainKeys[slot] = interned;
    this.keyBytes += keyCost(key);
    return slot;
  }

  private growDomains(capacity: number): void {
    const dc = new Uint32Array(capacity * DC);
    dc.set(this.dc);
    const db = new Uint8Array(capacity * DB);
    db.set(this.db);
    for (let s = this.domainCapacity; s < capacity; s++) this.domainKeys[s] = '';
    this.dc = dc;
    this.db = db;
    this.domainCapacity = capacity;
  }

  snapshot(): LongHorizonSnapshot {
    const destinations: LongHorizonSnapshot['destinations'] = { keys: [], words: [], floats: [] };
    for (const [key, slot] of this.destinations) {
      destinations.keys.push(key);
      for (let i = 0; i < DW; i++) destinations.words.push(this.dw[slot * DW + i]!);
      for (let i = 0; i < DF; i++) destinations.floats.push(this.df[slot * DF + i]!);
    }
    const keys: string[] = [];
    const words: number[] = [];
    const bits = new Uint8Array(this.domains.size * DB);
    for (const [key, slot] of this.domains) {
      bits.set(this.db.subarray(slot * DB, (slot + 1) * DB), keys.length * DB);
      keys.push(key);
      for (let i = 0; i < DC; i++) words.push(this.dc[slot * DC + i]!);
    }
    return {
      version: 1, destinations, domains: { keys, words, bits: Buffer.from(bits.buffer, bits.byteOffset, bits.byteLength).toString('base64') },
      newDaily: [...this.newDaily], newDay: this.newDay, evictions: this.evictions, dropped: this.dropped,
    };
  }

  static restore(s: LongHorizonSnapshot): LongHorizon {
    const h = new LongHorizon();
    const d = s.destinations;
    if (d.keys.length > 0) h.growDestinations(capacityFor(d.keys.length, HORIZON_LIMITS.destinations));
    d.keys.slice(0, HORIZON_LIMITS.destinations).forEach((key, slot) => {
      const interned = sharedKeys.intern(key);
      h.destinations.set(interned, slot);
      h.destinationKeys[slot] = interned;
      h.keyBytes += keyCost(key);
      h.dw.set(d.words.slice(slot * DW, (slot + 1) * DW), slot * DW);
      h.df.set(d.floats.slice(slot * DF, (slot + 1) * DF), slot * DF);
    });
    const m = s.domains;
    const bits = Buffer.from(m.bits, 'base64');
    if (m.keys.length > 0) h.growDomains(capacityFor(m.keys.length, HORIZON_LIMITS.domains));
    m.keys.slice(0, HORIZON_LIMITS.domains).forEach((key, slot) => {
      const interned = sharedKeys.intern(key);
      h.domains.set(interned, slot);
      h.domainKeys[slot] = interned;
      h.keyBytes += keyCost(key);
      h.dc.set(m.words.slice(slot * DC, (slot + 1) * DC), slot * DC);
      h.db.set(bits.subarray(slot * DB, (slot + 1) * DB), slot * DB);
    });
    h.newDaily = Array.from({ length: 8 }, (_, i) => Number(s.newDaily[i] ?? 0));
    h.newDay = s.newDay;
    h.evictions = s.evictions;
    h.dropped = s.dropped;
    return h;
  }
}

function capacityFor(n: number, max: number): number {
  let capacity = 1;
  while (capacity < n) capacity *= 2;
  return Math.min(max, capacity);
}

function keyCost(key: string): number {
  return 16 + key.length;
}

const U32 = 0xffff_ffff;

function add32(words: Uint32Array, i: number, value: number): void {
  words[i] = Math.min(U32, words[i]! + Math.max(0, Math.round(value)));
}

/** Folds one window's contact into the destination at `slot` of (dw, df). */
function recordContact(dw: Uint32Array, df: Float32Array, slot: number, window: WindowStats, contact: Contact): void {
  const base = slot * DW;
  const fbase = slot * DF;
  const startS = Math.floor(window.start / 1000);
  dw[base + D_LAST] = startS;
  add32(dw, base + D_CONNECTIONS, contact.connections);
  add32(dw, base + D_WINDOWS, 1);
  df[fbase + F_OUT]! += contact.bytesOut;
  df[fbase + F_IN]! += contact.bytesIn;
  df[fbase + F_SQUARES]! += contact.connections * contact.connections;
  // The sample ring.
  const windowS = Math.max(1, Math.round((window.end - window.start) / 1000));
  const offset = Math.min(windowS - 1, Math.max(0, Math.round((contact.firstAt - window.start) / 1000)));
  const connections = Math.min(255, Math.max(1, contact.connections));
  const perConnection = contact.bytesOut / Math.max(1, contact.connections);
  const code = Math.min(255, Math.round(8 * Math.log2(1 + perConnection)));
  const ring = dw[base + D_RING]!;
  const head = ring & 0xff;
  const held = ring >>> 8;
  dw[base + D_SAMPLES + 2 * head] = startS;
  dw[base + D_SAMPLES + 2 * head + 1] = ((offset & 0xffff) << 16 | connections << 8 | code) >>> 0;
  dw[base + D_RING] = ((head + 1) % HORIZON_LIMITS.samples) | Math.min(HORIZON_LIMITS.samples, held + 1) << 8;
  // Bytes per hour, the last 24 hours.
  const hour = Math.floor(window.start / HOUR);
  const newest = dw[base + D_HOUR]!;
  if (newest === 0 || hour > newest) {
    const from = newest === 0 ? hour - 23 : Math.max(newest + 1, hour - 23);
    for (let h = from; h <= hour; h++) df[fbase + F_HOURLY + (h % 24)] = 0;
    dw[base + D_HOUR] = hour;
  }
  if (hour > dw[base + D_HOUR]! - 24) df[fbase + F_HOURLY + (hour % 24)]! += contact.bytesOut;
}

function sentSince(dw: Uint32Array, df: Float32Array, slot: number, fromHour: number): number {
  const newest = dw[slot * DW + D_HOUR]!;
  let sum = 0;
  for (let h = Math.max(fromHour, newest - 23); h <= newest; h++) sum += df[slot * DF + F_HOURLY + (h % 24)]!;
  return sum;
}

/** A destination's worth: contacted windows held plus bytes (per 10 MB) of the last day, fading after an idle hour. */
function destinationValue(dw: Uint32Array, df: Float32Array, slot: number, now: number): number {
  const idle = now - dw[slot * DW + D_LAST]!;
  if (idle * 1000 >= HORIZON_LIMITS.idleMs) return 0;
  const held = dw[slot * DW + D_RING]! >>> 8;
  const bytes = sentSince(dw, df, slot, Math.floor(now / 3600) - 23);
  const value = held + Math.min(HORIZON_LIMITS.samples, bytes / 10_000_000);
  return idle > 3600 ? value / (1 + idle / 3600) : value;
}

function domainValue(dc: Uint32Array, slot: number, now: number): number {
  const base = slot * DC;
  const idle = now - dc[base + C_LAST]!;
  if (idle * 1000 >= HORIZON_LIMITS.idleMs) return 0;
  const value = dc[base + C_H + P_NAMES]! + dc[base + C_A + P_NAMES]! + dc[base + C_B + P_NAMES]!;
  return idle > 3600 ? value / (1 + idle / 3600) : value;
}

function history(dw: Uint32Array, df: Float32Array): DestinationHistory {
  const newest = dw[D_HOUR]!;
  let firstHour = -1;
  for (let h = newest - 23; h <= newest; h++) {
    if (df[F_HOURLY + (h % 24)]! > 0) {
      firstHour = h;
      break;
    }
  }
  return {
    firstSeen: dw[D_FIRST]! * 1000,
    lastWindow: dw[D_LAST]! * 1000,
    connections: dw[D_CONNECTIONS]!,
    windows: dw[D_WINDOWS]!,
    bytesOut: df[F_OUT]!,
    bytesIn: df[F_IN]!,
    connectionSquares: df[F_SQUARES]!,
    port: dw[D_PORT]!,
    bytesOut24h: sentSince(dw, df, 0, newest - 23),
    firstHourWithBytes: firstHour,
    samples() {
      const ring = dw[D_RING]!;
      const head = ring & 0xff;
      const held = ring >>> 8;
      const out: ContactSample[] = [];
      for (let i = 0; i < held; i++) {
        const at = (head - held + i + HORIZON_LIMITS.samples) % HORIZON_LIMITS.samples;
        const packed = dw[D_SAMPLES + 2 * at + 1]!;
        out.push({ start: dw[D_SAMPLES + 2 * at]! * 1000, offset: (packed >>> 16) * 1000, connections: (packed >>> 8) & 0xff, bytesPerConnection: Math.round(2 ** ((packed & 0xff) / 8) - 1) });
      }
      return out;
    },
  };
}

/** Whether the window's lookups of a domain look like a tunnel's at all: a long random label, or TXT/NULL. */
function tunnelLike(use: DomainUse): boolean {
  return use.highEntropy > 0 || use.tunnelTypes > 0;
}

export function isHighEntropyName(name: string): boolean {
  const label = leftmostLabel(name);
  return label.length >= 20 && entropy(label) >= 3.5;
}

/** Rolls a domain's periods to the window's hour and half-day, then adds its lookups and names. */
function foldDomain(counters: Uint32Array, bits: Uint8Array, window: WindowStats, use: DomainUse): void {
  const hour = Math.floor(window.start / HOUR);
  const epoch = Math.floor(window.start / EPOCH);
  const startS = Math.floor(window.start / 1000);
  if (counters[C_HOUR] !== hour) {
    if (counters[C_HOUR] === hour - 1) {
      const names = linearCount(bits, BITS_HOUR);
      counters.copyWithin(C_P, C_H, C_H + PERIOD);
      counters[C_P + P_HIGH_ENTROPY] = scaleDistinct(counters[C_H + P_HIGH_ENTROPY]!, counters[C_H + P_NAMES]!, names);
      counters[C_P + P_NAMES] = names;
      counters[C_PREVIOUS_HOUR] = hour - 1;
    } else {
      counters.fill(0, C_P, C_P + PERIOD);
      counters[C_PREVIOUS_HOUR] = 0;
    }
    counters.fill(0, C_H, C_H + PERIOD);
    bits.fill(0, BITS_HOUR, BITS_HOUR + BITMAP_BYTES);
    counters[C_HOUR] = hour;
  }
  if (counters[C_EPOCH] !== epoch) {
    if (counters[C_EPOCH] === epoch - 1) {
      counters.copyWithin(C_B, C_A, C_A + PERIOD);
      bits.copyWithin(BITS_B, BITS_A, BITS_A + BITMAP_BYTES);
    } else {
      counters.fill(0, C_B, C_B + PERIOD);
      bits.fill(0, BITS_B, BITS_B + BITMAP_BYTES);
    }
    counters.fill(0, C_A, C_A + PERIOD);
    bits.fill(0, BITS_A, BITS_A + BITMAP_BYTES);
    counters[C_EPOCH] = epoch;
  }
  counters[C_LAST] = startS;
  for (const p of [C_H, C_A]) {
    if (use.queries > 0 && counters[p + P_FIRST] === 0) counters[p + P_FIRST] = startS;
    add32(counters, p + P_QUERIES, use.queries);
    add32(counters, p + P_NX, use.nxdomain);
    add32(counters, p + P_TUNNEL, use.tunnelTypes);
  }
  for (const name of use.subdomains.values) {
    const bit = nameHash(name) & (HORIZON_LIMITS.nameBits - 1);
    const byte = bit >>> 3;
    const mask = 1 << (bit & 7);
    const newInHour = (bits[BITS_HOUR + byte]! & mask) === 0;
    const newInA = (bits[BITS_A + byte]! & mask) === 0;
    if (!newInHour && !newInA) continue;
    const random = isHighEntropyName(name);
    if (newInHour) {
      bits[BITS_HOUR + byte]! |= mask;
      counters[C_H + P_NAMES]! += 1;
      if (random) counters[C_H + P_HIGH_ENTROPY]! += 1;
    }
    if (newInA) {
      bits[BITS_A + byte]! |= mask;
      counters[C_A + P_NAMES]! += 1;
      if (random) counters[C_A + P_HIGH_ENTROPY]! += 1;
    }
  }
}

function period(counters: Uint32Array, p: number, unique: number): DnsPeriod {
  const first = counters[p + P_FIRST]!;
  return {
    uniqueNames: unique,
    lookups: counters[p + P_QUERIES]!,
    nxdomain: counters[p + P_NX]!,
    tunnelTypeLookups: counters[p + P_TUNNEL]!,
    highEntropyNames: scaleDistinct(counters[p + P_HIGH_ENTROPY]!, counters[p + P_NAMES]!, unique),
    since: first === 0 ? undefined : first * 1000,
  };
}

/** A sub-count of names that set a new bit, scaled up by the collisions the whole count had. */
function scaleDistinct(part: number, bitsSet: number, estimate: number): number {
  return bitsSet === 0 ? 0 : Math.round(part * (estimate / bitsSet));
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, i) => {
  let n = 0;
  for (let v = i; v > 0; v >>= 1) n += v & 1;
  return n;
});

/** Linear-counting estimate of distinct names in the bitmap at `a` (or the union of `a` and `b`). */
function linearCount(bits: Uint8Array, a: number, b?: number): number {
  let set = 0;
  for (let i = 0; i < BITMAP_BYTES; i++) set += POPCOUNT[b === undefined ? bits[a + i]! : bits[a + i]! | bits[b + i]!]!;
  const m = HORIZON_LIMITS.nameBits;
  if (set === 0) return 0;
  if (set >= m) return Math.round(m * Math.log(m));
  return Math.round(-m * Math.log(1 - set / m));
}

/** FNV-1a, then murmur3's finaliser so the low bits are well mixed. */
function nameHash(name: string): number {
  return mix32(hashString(name));
}

/**
 * `'learned'` when the workload used `destination` (any port) before `cutoff`; else the first
 * time the peer table remembers it (after the cutoff), or undefined when it never saw it.
 */
function learnedSince(peers: PeerTable, destination: string, cutoff: number): 'learned' | number | undefined {
  const prefix = `${destination}|`;
  let since: number | undefined;
  for (const key of peers.keys()) {
    if (!key.startsWith(prefix)) continue;
    const first = peers.get(key)!.first;
    if (first < cutoff) return 'learned';
    since = since === undefined ? first : Math.min(since, first);
  }
  return since;
}

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
