import type { DnsRecord } from '../model/dns-record.ts';

interface Resolution {
  name: string;
  expiresAt: number;
}

/**
 * Remembers, per client workload and within each answer's TTL (event time), which names
 * resolved to which IPs, so that an egress flow to a bare public IP carries the FQDN it was
 * for. A cluster-wide table is the fallback for clients the DNS log aggregated differently.
 * Bounded: at most `maxClients` × `maxPerClient` + `maxGlobal` entries, oldest dropped first.
 */
export class DnsCorrelator {
  private readonly byClient = new Map<string, Map<string, Resolution>>();
  private readonly global = new Map<string, Resolution>();
  private readonly options: { defaultTtlMs: number; maxClients: number; maxPerClient: number; maxGlobal: number };
  evictions = 0;

  constructor(options: Partial<DnsCorrelator['options']> = {}) {
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
}
