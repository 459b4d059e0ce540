import type { DnsRecord } from '../model/dns-record.ts';
import { snapshotReader } from '../model/snapshot-reader.ts';

interface Resolution {
  name: string;
  expiresAt: number;
}

/** Bounds and defaults of a DnsCorrelator. */
export interface DnsCorrelatorOptions {
  /** TTL of answers whose record does not carry one. */
  defaultTtlMs: number;
  maxClients: number;
  maxPerClient: number;
  maxGlobal: number;
}

/**
 * A DnsCorrelator as plain JSON (a checkpoint). Tables are oldest first: Map order is the
 * order entries are evicted in.
 */
export interface DnsCorrelatorSnapshot {
  version: 1;
  global: [ip: string, name: string, expiresAt: number][];
  clients: [client: string, table: ResolutionSnapshot[]][];
  evictions: number;
}

/**
 * An IP's resolution in a client's table: `[ip, name, expiresAt]`, or `[ip]` when it is the very
 * resolution the global table holds for the IP (observe files each answer in both), so that
 * most of a snapshot is not written twice and a restored correlator shares them again.
 */
export type ResolutionSnapshot = [ip: string, name: string, expiresAt: number] | [ip: string];

/**
 * Remembers, per client workload and within each answer's TTL (event time), which names
 * resolved to which IPs, so that an egress flow to a bare public IP carries the FQDN it was
 * for. A cluster-wide table is the fallback for clients the DNS log aggregated differently.
 * Bounded: at most `maxClients` × `maxPerClient` + `maxGlobal` entries, oldest dropped first.
 */
export class DnsCorrelator {
  private readonly byClient = new Map<string, Map<string, Resolution>>();
  private readonly global = new Map<string, Resolution>();
  private readonly options: DnsCorrelatorOptions;
  evictions = 0;

  constructor(options: Partial<DnsCorrelatorOptions> = {}) {
    this.options = { defaultTtlMs: 600_000, maxClients: 20_000, maxPerClient: 2_048, maxGlobal: 200_000, ...options };
  }

  observe(record: DnsRecord, clientKey: string): void {
    if (record.answers.length === 0) return;
    let table = this.byClient.get(clientKey);
    if (table === undefined) {
      table = new Map();
      this.setBounded(this.byClient, clientKey, table, this.options.maxClients);
    }
    // Calico windows aggregate lookups over minutes: an answer is valid from the window start.
    for (const answer of record.answers) {
      if (answer.type !== 'A' && answer.type !== 'AAAA') continue;
      const ttlMs = answer.ttl !== undefined ? Math.max(answer.ttl * 1000, 60_000) : this.options.defaultTtlMs;
      const resolution = { name: record.qname, expiresAt: record.time + ttlMs };
      this.setBounded(table, answer.data, resolution, this.options.maxPerClient);
      this.setBounded(this.global, answer.data, resolution, this.options.maxGlobal);
    }
  }

  /**
   * An answer to a client of another detection task: only the cluster-wide fallback table
   * learns it (every task keeps that table whole, as one process would).
   */
  observeGlobal(record: DnsRecord): void {
    for (const answer of record.answers) {
      if (answer.type !== 'A' && answer.type !== 'AAAA') continue;
      const ttlMs = answer.ttl !== undefined ? Math.max(answer.ttl * 1000, 60_000) : this.options.defaultTtlMs;
      this.setBounded(this.global, answer.data, { name: record.qname, expiresAt: record.time + ttlMs }, this.options.maxGlobal);
    }
  }

  lookup(clientKey: string, ip: string, at: number): string | undefined {
    const own = this.byClient.get(clientKey)?.get(ip);
    if (own !== undefined && own.expiresAt >= at) return own.name;
    const shared = this.global.get(ip);
    return shared !== undefined && shared.expiresAt >= at ? shared.name : undefined;
  }


  private setBounded<V>(map: Map<string, V>, key: string, value: V, max: number): void {
    map.delete(key); // re-insert at the end: Map order is our LRU order
    if (map.size >= max) {
      map.delete(map.keys().next().value!);
      this.evictions++;
    }
    map.set(key, value);
  }

  /** A JSON-safe copy of the tables, in their eviction order, and the eviction count. */
  snapshot(): DnsCorrelatorSnapshot {
    const global: DnsCorrelatorSnapshot['global'] = [];
    for (const [ip, r] of this.global) global.push([ip, r.name, r.expiresAt]);
    const clients: DnsCorrelatorSnapshot['clients'] = [];
    for (const [clientKey, table] of this.byClient) {
      const entries: ResolutionSnapshot[] = [];
      for (const [ip, r] of table) entries.push(this.global.get(ip) === r ? [ip] : [ip, r.name, r.expiresAt]);
      clients.push([clientKey, entries]);
    }
    return { version: 1, global, clients, evictions: this.evictions };
  }

  /**
   * The correlator a snapshot was taken of, with `options` (from config, not the snapshot).
   * Tables over a bound lowered since the checkpoint lose their oldest entries, counted as
   * evictions, as observe would have. Throws on an unknown version or malformed input.
   */
  static restore(snapshot: unknown, options: Partial<DnsCorrelatorOptions> = {}): DnsCorrelator {
    const s = object(snapshot, 'snapshot');
    if (s.version !== 1) throw new Error(`DNS correlator snapshot: unknown version ${JSON.stringify(s.version)} (this build reads version 1)`);
    const correlator = new DnsCorrelator(options);
    const { maxClients, maxPerClient, maxGlobal } = correlator.options;
    correlator.evictions = count(s.evictions, 'evictions');
    const global = correlator.global;
    for (const raw of list(s.global, 'global')) {
      const [ip, name, expiresAt] = tuple(raw, 3, 'global[]');
      global.set(text(ip, 'global[].ip'), { name: text(name, 'global[].name'), expiresAt: finite(expiresAt, 'global[].expiresAt') });
    }
    if (global.size !== (s.global as unknown[]).length) malformed('global', 'repeats an IP');
    const clients = list(s.clients, 'clients');
    for (const raw of clients) {
      const [clientKey, entries] = tuple(raw, 2, 'clients[]');
      const table = new Map<string, Resolution>();
      const rows = list(entries, 'clients[].table');
      for (const row of rows) {
        const t = list(row, 'clients[].table[]');
        const ip = text(t[0], 'clients[].table[].ip');
        if (t.length === 1) {
          const shared = global.get(ip);
          if (shared === undefined) malformed('clients[].table[]', `shares the global resolution of ${ip}, which the global table lacks`);
          table.set(ip, shared);
        } else {
          if (t.length !== 3) malformed('clients[].table[]', `must have 1 or 3 items, not ${t.length}`);
          table.set(ip, { name: text(t[1], 'clients[].table[].name'), expiresAt: finite(t[2], 'clients[].table[].expiresAt') });
        }
      }
      if (table.size !== rows.length) malformed('clients[].table', 'repeats an IP');
      correlator.byClient.set(text(clientKey, 'clients[].client'), table);
    }
    if (correlator.byClient.size !== clients.length) malformed('clients', 'repeats a client');
    // Clients first (a dropped client's table is one eviction, as in observe), then the tables
    // kept; the global table last, as clients look their shared resolutions up in all of it.
    trim(correlator, correlator.byClient, maxClients);
    for (const table of correlator.byClient.values()) trim(correlator, table, maxPerClient);
    trim(correlator, global, maxGlobal);
    return correlator;
  }
}

/** Drops the oldest entries of `map` past `max`, counting them as evictions. */
function trim<V>(correlator: DnsCorrelator, map: Map<string, V>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
    correlator.evictions++;
  }
}

const checks = snapshotReader('DNS correlator snapshot');
const { object, list, tuple, finite, count, text } = checks;

// A declared `never` function, so that TypeScript narrows after a call.
function malformed(where: string, problem: string): never {
  return checks.malformed(where, problem);
}
