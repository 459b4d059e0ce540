import { describe, expect, it } from 'vitest';
import { Random } from '../../../datasets/generator/random.ts';
import { DnsCorrelator, type DnsCorrelatorOptions, type DnsCorrelatorSnapshot } from '../../../src/enrich/dns-correlator.ts';
import type { DnsAnswer } from '../../../src/model/dns-record.ts';
import { dns, pod, T0 } from '../records.ts';

/** Small bounds, so that a few hundred records evict from every table. */
const OPTIONS: DnsCorrelatorOptions = { defaultTtlMs: 600_000, maxClients: 6, maxPerClient: 10, maxGlobal: 25 };
const CLIENTS = Array.from({ length: 9 }, (_, i) => `prod-eu/ns/app-${i}`);
const IPS = Array.from({ length: 40 }, (_, i) => `34.2.${i >> 3}.${i & 7}`);
const NAMES = Array.from({ length: 15 }, (_, i) => `svc${i}.example.com`);

type Op = { kind: 'observe'; client: string; record: ReturnType<typeof dns> } | { kind: 'lookup'; client: string; ip: string; at: number };

/** Lookups answered with A/AAAA (with and without TTLs) and other types, and look-ups around their expiry. */
function randomOps(rng: Random, n: number): Op[] {
  const ops: Op[] = [];
  let now = T0;
  for (let i = 0; i < n; i++) {
    now += rng.int(0, 90_000);
    // A few busy clients fill their tables; the rest come and go, evicting clients.
    const client = rng.chance(0.8) ? CLIENTS[rng.int(0, 2)]! : rng.pick(CLIENTS);
    if (rng.chance(0.5)) {
      const answers: DnsAnswer[] = Array.from({ length: rng.int(0, 3) }, () => ({
        name: 'x', type: rng.pick(['A', 'AAAA', 'A', 'CNAME']), data: rng.pick(IPS), ...(rng.chance(0.5) ? { ttl: rng.int(1, 900) } : {}),
      }));
      ops.push({ kind: 'observe', client, record: dns(now - 300_000, pod('prod-eu', 'ns', client), rng.pick(NAMES), { answers }) });
    } else ops.push({ kind: 'lookup', client, ip: rng.pick(IPS), at: now + rng.int(-600_000, 600_000) });
  }
  return ops;
}

/** Runs `ops`, returning every lookup's answer. */
function run(correlator: DnsCorrelator, ops: Op[]): (string | undefined)[] {
  const answers: (string | undefined)[] = [];
  for (const op of ops) {
    if (op.kind === 'observe') correlator.observe(op.record, op.client);
    else answers.push(correlator.lookup(op.client, op.ip, op.at));
  }
  return answers;
}

const throughJson = (s: DnsCorrelatorSnapshot): unknown => JSON.parse(JSON.stringify(s));

describe('DnsCorrelator snapshots', () => {
  it('restore a correlator that answers, evicts and orders its tables exactly as the original from then on', () => {
    const ops = randomOps(new Random(21), 3_000);
    let fullTables = 0;
    for (const cut of [0, 40, 700, 1_999, ops.length]) {
      const original = new DnsCorrelator(OPTIONS);
      run(original, ops.slice(0, cut));
      const s = original.snapshot();
      expect(JSON.parse(JSON.stringify(s))).toStrictEqual(s);
      fullTables += s.clients.filter(([, table]) => table.length === OPTIONS.maxPerClient).length;
      const restored = DnsCorrelator.restore(throughJson(s), OPTIONS);
      expect(restored.snapshot()).toStrictEqual(s);
      const rest = ops.slice(cut);
      const answers = run(original, rest);
      expect(run(restored, rest)).toEqual(answers);
      // The snapshot holds every table in Map order: equal snapshots, equal LRU orders.
      expect(restored.snapshot()).toStrictEqual(original.snapshot());
      expect(restored.evictions).toBe(original.evictions);
      if (cut < ops.length) expect(answers.filter((a) => a !== undefined).length).toBeGreaterThan(10);
    }
    // Client tables evicted from too, not only the client and global tables.
    expect(fullTables).toBeGreaterThan(0);
  });

  it('write a resolution the global table shares once, and share it again when restored', () => {
    const original = new DnsCorrelator(OPTIONS);
    run(original, randomOps(new Random(22), 500));
    const s = original.snapshot();
    const shared = s.clients.flatMap(([, table]) => table).filter((entry) => entry.length === 1);
    const own = s.clients.flatMap(([, table]) => table).filter((entry) => entry.length === 3);
    expect(shared.length).toBeGreaterThan(0);
    expect(own.length).toBeGreaterThan(0);
    expect(original.evictions).toBeGreaterThan(100);
    // Sharing restored: the restored correlator writes the same `[ip]` entries.
    expect(DnsCorrelator.restore(throughJson(s), OPTIONS).snapshot()).toStrictEqual(s);
  });

  it('restore with lowered bounds keeps the newest entries and counts the rest as evictions', () => {
    // Room for every client, so that tables fill up to maxPerClient.
    const original = new DnsCorrelator({ ...OPTIONS, maxClients: 20 });
    run(original, randomOps(new Random(24), 800));
    const s = original.snapshot();
    expect(s.clients.slice(-2).every(([, table]) => table.length > 3)).toBe(true);
    const smaller = DnsCorrelator.restore(throughJson(s), { ...OPTIONS, maxClients: 2, maxPerClient: 3, maxGlobal: 5 });
    const t = smaller.snapshot();
    expect(t.global.map(([ip]) => ip)).toEqual(s.global.slice(-5).map(([ip]) => ip));
    expect(t.clients.map(([client]) => client)).toEqual(s.clients.slice(-2).map(([client]) => client));
    for (const [client, table] of t.clients) {
      const was = s.clients.find(([c]) => c === client)![1];
      expect(table.map(([ip]) => ip)).toEqual(was.slice(-3).map(([ip]) => ip));
    }
    // A dropped client is one eviction (as in observe), whatever its table held.
    const dropped = Math.max(0, s.global.length - 5) + Math.max(0, s.clients.length - 2) + s.clients.slice(-2).reduce((n, [, table]) => n + Math.max(0, table.length - 3), 0);
    expect(smaller.evictions).toBe(s.evictions + dropped);
    // A client entry that shared a global resolution dropped by the lower bound still answers.
    for (const [client, table] of s.clients.slice(-2)) {
      for (const [ip] of table.slice(-3)) expect(smaller.lookup(client, ip, T0)).toBe(original.lookup(client, ip, T0));
    }
  });

  it('refuses an unknown version and malformed snapshots', () => {
    const original = new DnsCorrelator(OPTIONS);
    run(original, randomOps(new Random(25), 300));
    const good = () => throughJson(original.snapshot()) as DnsCorrelatorSnapshot;
    expect(() => DnsCorrelator.restore({ ...good(), version: 2 })).toThrow(/unknown version 2/);
    expect(() => DnsCorrelator.restore('{}')).toThrow(/must be an object/);
    expect(() => DnsCorrelator.restore({ ...good(), global: [['1.2.3.4', 'a.example', 'soon']] })).toThrow(/global\[\]\.expiresAt must be a finite number/);
    expect(() => DnsCorrelator.restore({ ...good(), evictions: -1 })).toThrow(/evictions must be a count/);
    const orphan = good();
    orphan.clients.push(['prod-eu/ns/new', [['9.9.9.9']]]);
    expect(() => DnsCorrelator.restore(orphan)).toThrow(/shares the global resolution of 9\.9\.9\.9/);
    const twice = good();
    twice.global.push(twice.global[0]!);
    expect(() => DnsCorrelator.restore(twice)).toThrow(/global repeats an IP/);
    expect(DnsCorrelator.restore(good(), OPTIONS).snapshot()).toStrictEqual(original.snapshot());
  });
});
