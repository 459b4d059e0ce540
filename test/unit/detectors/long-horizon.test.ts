import { describe, expect, it } from 'vitest';
import type { WindowStats } from '../../../src/baseline/window-stats.ts';
import { beaconing, regularity } from '../../../src/detectors/beaconing.ts';
import { dnsTunnel } from '../../../src/detectors/dns-tunnel.ts';
import { slowExfil } from '../../../src/detectors/slow-exfil.ts';
import type { DetectorContext } from '../../../src/detectors/types.ts';
import type { Finding } from '../../../src/model/alert.ts';
import { domain, edge, learned, MIN5, T0, workload } from './factories.ts';
import { prng } from '../prng.ts';

const MB = 1_000_000;
/** Windows of the learning period before an attack starts (8 h). */
const LEARN = 96;
const trainer = workload('trainer', 'training');
const gcs = { peer: 'storage.googleapis.com', fqdn: 'storage.googleapis.com', peerKind: 'public' as const, port: 443 };


/** Event times of an implant calling every `periodMs` ± `jitter`, from window `from`, each call lost with probability `miss`. */
function beaconTimes(from: number, to: number, periodMs: number, jitter: number, miss: number, seed = 1): number[] {
  const random = prng(seed);
  const times: number[] = [];
  for (let t = T0 + from * MIN5 + 7_000; t < T0 + to * MIN5; t += periodMs * (1 + jitter * (2 * random() - 1))) {
    if (random() >= miss) times.push(Math.round(t));
  }
  return times;
}

const c2 = { peer: '185.220.101.7', ip: '185.220.101.7', peerKind: 'public' as const, port: 443 };

/**
 * Adds the calls that fall in `win`: as a 5-minute aggregate (Calico: one record per window,
 * firstAt the window start) or per event (Hubble: firstAt the first call's time).
 */
function addCalls(win: WindowStats, times: number[], mode: 'calico' | 'hubble', bytesOut = 600, bytesIn = 500, target = c2): void {
  const inWindow = times.filter((t) => t >= win.start && t < win.end);
  if (inWindow.length === 0) return;
  edge(win, { ...target, connections: inWindow.length, bytesOut: bytesOut * inWindow.length, bytesIn: bytesIn * inWindow.length, firstAt: mode === 'calico' ? win.start : inWindow[0]! });
}

/** A trainer's background: learned uploads to cloud storage, 1 MB a window. */
const background = (win: WindowStats) => edge(win, { ...gcs, bytesOut: 1 * MB, bytesIn: 200_000 });

function longFindings(findings: Finding[]): Finding[] {
  return findings.filter((f) => (f.evidence as { path?: string }).path?.startsWith('long-horizon'));
}

/** Judges window `at` of a workload that lived `normal` for windows 0..at−1, with the window itself made by `normal` too. */
function judgeAt(at: number, normal: (win: WindowStats, i: number) => void, options: Parameters<typeof learned>[3] = {}): { ctx: DetectorContext; win: WindowStats } {
  const ctx = learned(trainer, at, normal, options);
  const win = ctx.next();
  normal(win, at);
  return { ctx, win };
}

describe('beaconing over hours (RITA-style)', () => {
  const periodic = beaconTimes(LEARN, LEARN + 12 * 12, 240_000, 0.25, 0.05);
  const lossy = beaconTimes(LEARN, LEARN + 12 * 12, 240_000, 0.25, 0.2, 9);

  it.each([['calico', 0.05], ['hubble', 0.05], ['calico', 0.2], ['hubble', 0.2]] as const)('catches a call every ~4 min ±25%% (%s, %s of the calls lost), where the streak path does not', (mode, loss) => {
    const calls = loss === 0.05 ? periodic : lossy;
    const { ctx, win } = judgeAt(LEARN + 6 * 12, (w, i) => { background(w); if (i >= LEARN) addCalls(w, calls, mode); });
    const findings = beaconing.evaluate(win, ctx, beaconing.defaults);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f).toMatchObject({ peer: '185.220.101.7', detector: 'beaconing', startsAt: ctx.baseline.horizon.destination('185.220.101.7')!.firstSeen, evidence: { path: 'long-horizon', port: 443 } });
    const evidence = f!.evidence as Record<string, number> & { scores: Record<string, number> };
    expect(evidence.intervalMedianSeconds).toBeGreaterThan(120);
    expect(evidence.intervalMedianSeconds).toBeLessThanOrEqual(300);
    expect(evidence.score).toBeGreaterThanOrEqual(beaconing.defaults.long_min_score);
    expect(evidence.contacts).toBeGreaterThanOrEqual(36);
    expect(evidence.bytesPerConnection).toBe(1_100);
    expect(Object.keys(evidence.scores)).toEqual(['timing', 'intervalSkew', 'intervalDispersion', 'coverage', 'connectionCounts', 'size', 'sizeSkew', 'sizeDispersion', 'smallness']);
    expect(evidence.dispersionIndex).toBeLessThan(0.5); // clockwork: far below random calls' 1
    // Windows without a call break the streak the window path needs.
    const streakOnly = { ...beaconing.defaults, long_min_span_minutes: 1e9 };
    expect(beaconing.evaluate(win, ctx, streakOnly)).toEqual([]);
  });

  it.each([[LEARN + 34, 0], [LEARN + 35, 1]])('needs 3 h of contact: judged at window %i → %i findings', (at, expected) => {
    const { ctx, win } = judgeAt(at, (w, i) => { background(w); if (i >= LEARN) addCalls(w, periodic, 'calico'); });
    expect(longFindings(beaconing.evaluate(win, ctx, beaconing.defaults))).toHaveLength(expected);
  });

  it.each([[35, 0], [36, 1]])('needs 36 contacts: a call every 10 min, %i calls → %i findings', (calls, expected) => {
    // One call every other window, on time: 35 calls span 5.8 h, past the 3 h.
    const at = LEARN + 2 * (calls - 1);
    const { ctx, win } = judgeAt(at, (w, i) => { background(w); if (i >= LEARN && (i - LEARN) % 2 === 0) edge(w, { ...c2, connections: 1, bytesOut: 600, bytesIn: 500 }); });
    expect(longFindings(beaconing.evaluate(win, ctx, beaconing.defaults))).toHaveLength(expected);
  });

  it('is quiet for irregular contact: bursts then silence, random counts', () => {
    const random = prng(7);
    const bursty = (w: WindowStats, i: number) => {
      background(w);
      // Active a random third of the windows, 1..40 connections when it is.
      if (i >= LEARN && random() < 0.33) edge(w, { ...c2, connections: 1 + Math.floor(random() * 40), bytesOut: 600, bytesIn: 500 });
    };
    const ctx = learned(trainer, LEARN + 144, bursty);
    const win = ctx.next();
    edge(win, { ...c2, connections: 3, bytesOut: 1_800, bytesIn: 1_500 });
    const h = ctx.baseline.horizon.destinationWith('185.220.101.7', win)!;
    expect(h.connections).toBeGreaterThan(36);
    expect(regularity(h, MIN5, win.end - h.firstSeen, 20_000).timing).toBeLessThan(beaconing.defaults.long_min_timing_score);
    expect(beaconing.evaluate(win, ctx, beaconing.defaults)).toEqual([]);
  });

  it.each([[60_000, 'calico'], [60_000, 'hubble'], [240_000, 'calico'], [240_000, 'hubble'], [900_000, 'calico']] as const)('is quiet for random (Poisson) calls of constant size, every %i ms on average (%s)', (mean, mode) => {
    const random = prng(5);
    const calls: number[] = [];
    for (let t = T0 + LEARN * MIN5; t < T0 + (LEARN + 144) * MIN5; t += -Math.log(1 - random()) * mean) calls.push(Math.round(t));
    const { ctx, win } = judgeAt(LEARN + 143, (w, i) => { background(w); if (i >= LEARN) addCalls(w, calls, mode); });
    const h = ctx.baseline.horizon.destinationWith('185.220.101.7', win)!;
    expect(h.connections).toBeGreaterThan(36);
    expect(regularity(h, MIN5, win.end - h.firstSeen, 20_000).timing).toBeLessThan(beaconing.defaults.long_min_timing_score);
    expect(beaconing.evaluate(win, ctx, beaconing.defaults)).toEqual([]);
  });

  it('is quiet for regular contact to a destination it used while learning, to one its role uses, for bulky payloads and before learning', () => {
    const saas = beaconTimes(0, LEARN + 144, 240_000, 0.25, 0.05);
    const learnedSaas = judgeAt(LEARN + 72, (w) => { background(w); addCalls(w, saas, 'calico'); });
    expect(beaconing.evaluate(learnedSaas.win, learnedSaas.ctx, beaconing.defaults)).toEqual([]);
    expect(learnedSaas.ctx.baseline.horizon.destination('185.220.101.7')).toBeUndefined();
    // …on another port too: it is the destination that was learned.
    const otherPort = judgeAt(LEARN + 72, (w, i) => { background(w); addCalls(w, saas, 'calico', 600, 500, i < LEARN ? c2 : { ...c2, port: 8443 }); });
    expect(beaconing.evaluate(otherPort.win, otherPort.ctx, beaconing.defaults)).toEqual([]);
    expect(otherPort.ctx.baseline.horizon.destination('185.220.101.7')).toBeUndefined();
    const others = [1, 2, 3].map((i) => workload(`t${i}`, 'training'));
    const common = judgeAt(LEARN + 72, (w, i) => { background(w); if (i >= LEARN) addCalls(w, periodic, 'calico'); }, { others });
    expect(beaconing.evaluate(common.win, common.ctx, beaconing.defaults)).toEqual([]);
    expect(beaconing.evaluate(common.win, common.ctx, { ...beaconing.defaults, common_share: 1.1 })).toHaveLength(1); // the role share alone kept it quiet
    const bulky = judgeAt(LEARN + 72, (w, i) => { background(w); if (i >= LEARN) addCalls(w, periodic, 'calico', 30_000, 5_000); });
    expect(beaconing.evaluate(bulky.win, bulky.ctx, beaconing.defaults)).toEqual([]);
    expect(beaconing.evaluate(bulky.win, bulky.ctx, { ...beaconing.defaults, max_bytes_per_connection: 200_000 })).toHaveLength(1);
    const young = judgeAt(LEARN + 72, (w, i) => { background(w); if (i >= LEARN) addCalls(w, periodic, 'calico'); }, { learned: false });
    expect(beaconing.evaluate(young.win, young.ctx, beaconing.defaults)).toEqual([]);
    expect(beaconing.evaluate(young.win, { ...young.ctx, learned: true }, beaconing.defaults)).toHaveLength(1);
  });

  it('keeps its memory bounded when an attacker invents 10,000 destinations, and keeps the beacon', () => {
    const ctx = learned(trainer, LEARN + 100, (w, i) => {
      background(w);
      if (i < LEARN) return;
      addCalls(w, periodic, 'calico');
      for (let d = 0; d < 100; d++) edge(w, { peer: `45.${i}.${d >> 8}.${d & 255}`, peerKind: 'public', bytesOut: 700, bytesIn: 400 });
    });
    const horizon = ctx.baseline.horizon;
    expect(horizon.destinationCount).toBe(8);
    expect(horizon.evictions + horizon.dropped).toBeGreaterThan(0);
    expect(horizon.byteLength).toBeLessThan(6_000);
    expect(horizon.destination('185.220.101.7')).toBeDefined();
    const win = ctx.next();
    addCalls(win, periodic, 'calico');
    expect(longFindings(beaconing.evaluate(win, ctx, beaconing.defaults))).toMatchObject([{ peer: '185.220.101.7' }]);
  });
});

describe('slow DNS tunnelling over hours', () => {
  const random = prng(3);
  const token = (n: number) => Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(random() * 36)]).join('');
  /** `n` unique names under the tunnel domain: long random leftmost labels, TXT lookups. */
  const tunnel = (w: WindowStats, n: number, name = 'exfil-tunnel.net') => {
    const subdomains = Array.from({ length: n }, () => `${token(30 + Math.floor(random() * 21))}.t`);
    domain(w, name, { queries: n, subdomains, highEntropy: n, tunnelTypes: n, maxLabelLength: 50 });
  };
  const resolver = (w: WindowStats) => domain(w, 'cluster.local', { queries: 40, subdomains: ['postgres.data.svc', 'minio.data.svc'] });

  it.each([[9, 0], [11, 1]])('fires on an hour of 15 names a window: %i windows of the hour → %i findings, never a window finding', (windows, expected) => {
    const { ctx, win } = judgeAt(LEARN + windows - 1, (w, i) => { resolver(w); if (i >= LEARN) tunnel(w, 15); });
    const findings = dnsTunnel.evaluate(win, ctx, dnsTunnel.defaults);
    expect(findings).toHaveLength(expected);
    if (expected === 0) return;
    expect(findings[0]).toMatchObject({ peer: 'exfil-tunnel.net', severity: 'critical', startsAt: win.start - (windows - 1) * MIN5, evidence: { path: 'long-horizon-hour', tunnelTypeLookups: windows * 15 } });
    const evidence = findings[0]!.evidence as { uniqueSubdomains: number; highEntropyNames: number };
    expect(evidence.uniqueSubdomains).toBeGreaterThan(0.95 * windows * 15);
    expect(evidence.uniqueSubdomains).toBeLessThan(1.05 * windows * 15);
    expect(evidence.highEntropyNames).toBeGreaterThan(0.95 * windows * 15);
  });

  it('keeps firing while a new clock hour fills, on the complete previous hour', () => {
    // 08:00–09:05: the hour of 09:00 holds 30 names, the one before 180.
    const { ctx, win } = judgeAt(LEARN + 13, (w, i) => { resolver(w); if (i >= LEARN) tunnel(w, 15); });
    expect(dnsTunnel.evaluate(win, ctx, dnsTunnel.defaults)).toMatchObject([{ peer: 'exfil-tunnel.net', startsAt: win.start - 13 * MIN5, evidence: { path: 'long-horizon-hour', period: 'previous hour', tunnelTypeLookups: 180 } }]);
    // Not an hour that is over: 08:00–08:45 and then 10:05.
    const gap = judgeAt(LEARN + 25, (w, i) => { resolver(w); if ((i >= LEARN && i < LEARN + 10) || i === LEARN + 25) tunnel(w, 15); });
    expect(dnsTunnel.evaluate(gap.win, gap.ctx, dnsTunnel.defaults)).toEqual([]);
  });

  it.each([[90, 0], [110, 1]])('needs two signals: 200 names an hour, %i of them long random labels → %i findings', (randomNames, expected) => {
    const lookups = (w: WindowStats, i: number) => {
      resolver(w);
      if (i < LEARN) return;
      const k = i - LEARN;
      // 12 windows × ~17 names: `randomNames` random ones, the others short words; A lookups.
      const subdomains: string[] = [];
      for (let j = Math.floor((k * 200) / 12); j < Math.floor(((k + 1) * 200) / 12); j++) subdomains.push(j < randomNames ? `${token(32)}.t` : `host-${j}.t`);
      domain(w, 'exfil-tunnel.net', { queries: subdomains.length, subdomains, highEntropy: subdomains.filter((s) => s.length > 20).length, tunnelTypes: 0 });
    };
    const { ctx, win } = judgeAt(LEARN + 11, lookups);
    expect(dnsTunnel.evaluate(win, ctx, dnsTunnel.defaults)).toHaveLength(expected);
  });

  it.each([[96, 0], [112, 1]])('fires on a half-day of 5 names a window (never an hour): %i windows → %i findings', (windows, expected) => {
    const { ctx, win } = judgeAt(LEARN + windows - 1, (w, i) => { resolver(w); if (i >= LEARN) tunnel(w, 5); });
    const findings = dnsTunnel.evaluate(win, ctx, dnsTunnel.defaults);
    expect(findings).toHaveLength(expected);
    if (expected === 1) expect(findings[0]).toMatchObject({ peer: 'exfil-tunnel.net', evidence: { path: 'long-horizon-day', period: 'day' } });
  });

  it('counts the day over the current and the previous half-day', () => {
    // From 06:00 (window 72) to 15:00: no half-day alone holds 500 names, the two do.
    const { ctx, win } = judgeAt(72 + 108, (w, i) => { resolver(w); if (i >= 72) tunnel(w, 5); });
    expect(dnsTunnel.evaluate(win, ctx, dnsTunnel.defaults)).toMatchObject([{ evidence: { path: 'long-horizon-day', tunnelTypeLookups: 109 * 5 } }]);
  });

  it('is quiet for a CDN: many unique names, short and low-entropy, and a few TXT lookups', () => {
    const cdn = (w: WindowStats, i: number) => {
      const subdomains = Array.from({ length: 30 }, (_, j) => `d${(i * 30 + j) % 5_000}.edge`);
      domain(w, 'cloudfront.net', { queries: 30, subdomains, highEntropy: 0, tunnelTypes: i % 6 === 0 ? 1 : 0 });
    };
    const { ctx, win } = judgeAt(LEARN + 150, cdn);
    expect(ctx.baseline.horizon.domainCount).toBe(1); // tracked for its TXT lookups
    const history = ctx.baseline.horizon.domainWith('cloudfront.net', win.domains.get('cloudfront.net')!, win)!;
    expect(history.hour.uniqueNames).toBeGreaterThan(dnsTunnel.defaults.hour_min_unique_subdomains); // one signal, past its threshold
    expect(history.day.uniqueNames).toBeGreaterThan(2_000);
    expect(dnsTunnel.evaluate(win, ctx, dnsTunnel.defaults)).toEqual([]);
  });

  it('keeps its memory bounded when an attacker invents 10,000 domains, and keeps the tunnel', () => {
    const ctx = learned(trainer, LEARN + 100, (w, i) => {
      resolver(w);
      if (i < LEARN) return;
      tunnel(w, 15);
      for (let d = 0; d < 100; d++) domain(w, `x${i}-${d}.example`, { queries: 1, subdomains: [`${token(32)}.a`], highEntropy: 1, tunnelTypes: 1 });
    });
    const horizon = ctx.baseline.horizon;
    expect(horizon.domainCount).toBe(4);
    expect(horizon.evictions + horizon.dropped).toBeGreaterThan(0);
    expect(horizon.byteLength).toBeLessThan(3_500);
    const win = ctx.next();
    tunnel(win, 15);
    expect(dnsTunnel.evaluate(win, ctx, dnsTunnel.defaults)).toMatchObject([{ peer: 'exfil-tunnel.net' }]);
  });
});

describe('low-and-slow exfiltration over a day', () => {
  const drop = { peer: 'files.transfer-box.net', fqdn: 'files.transfer-box.net', ip: '104.21.33.7', peerKind: 'public' as const, port: 443 };
  /** ~300 MB over 12 h: jittered chunks, no chunk in about a third of the windows. */
  const chunks = (() => {
    const random = prng(11);
    return Array.from({ length: 144 }, () => (random() < 0.33 ? 0 : Math.round(3.1 * MB * (0.5 + random()))));
  })();
  const sentBy = (windows: number) => chunks.slice(0, windows).reduce((a, b) => a + b, 0);
  const exfil = (w: WindowStats, i: number, target = drop) => {
    background(w);
    const k = i - LEARN;
    if (k >= 0 && k < chunks.length && chunks[k]! > 0) edge(w, { ...target, bytesOut: chunks[k]!, bytesIn: 20_000 });
  };
  /** The first window (after LEARN) at which the sum of chunks reaches `bytes`. */
  const reaching = (bytes: number) => chunks.findIndex((_, k) => sentBy(k + 1) >= bytes);

  it('adds up chunks with gaps to 150 MB and fires, where the streak path does not', () => {
    expect(sentBy(144)).toBeGreaterThan(250 * MB);
    const k = reaching(150 * MB);
    const { ctx, win } = judgeAt(LEARN + k, exfil);
    const findings = slowExfil.evaluate(win, ctx, slowExfil.defaults);
    expect(findings).toMatchObject([{ peer: 'files.transfer-box.net', evidence: { path: 'long-horizon', threshold: 150 * MB } }]);
    const evidence = findings[0]!.evidence as { bytesOut24h: number; baseline: { dailyExternalBytes: number } };
    expect(evidence.bytesOut24h).toBeCloseTo(sentBy(k + 1), -2);
    expect(evidence.baseline.dailyExternalBytes).toBeGreaterThan(280 * MB);
    expect(findings[0]!.startsAt).toBe(win.start - (k - chunks.findIndex((c) => c > 0)) * MIN5);
  });

  it('is quiet just below 150 MB', () => {
    const k = reaching(150 * MB) - 1;
    // The last window before the sum reaches 150 MB that sent a chunk.
    let at = k;
    while (chunks[at] === 0) at--;
    const { ctx, win } = judgeAt(LEARN + at, exfil);
    expect(sentBy(at + 1)).toBeLessThan(150 * MB);
    expect(slowExfil.evaluate(win, ctx, slowExfil.defaults)).toEqual([]);
  });

  it('judges against the workload’s own volume: a tenth of its usual day outside', () => {
    // 20 MB a window outside: 5.8 GB a day, so 576 MB to a new destination is the bar.
    const heavy = (w: WindowStats, i: number) => { exfil(w, i); edge(w, { ...gcs, bytesOut: 20 * MB, bytesIn: 100_000 }); };
    const { ctx, win } = judgeAt(LEARN + 143, heavy);
    expect(slowExfil.evaluate(win, ctx, slowExfil.defaults)).toEqual([]);
    const lower = { ...slowExfil.defaults, long_daily_external_factor: 0.04 };
    expect(slowExfil.evaluate(win, ctx, lower)).toMatchObject([{ peer: 'files.transfer-box.net' }]);
  });

  it('judges against what it usually sends to new destinations', () => {
    // Another new destination got ~200 MB in the same day: twice that is the bar.
    const busy = (w: WindowStats, i: number) => { exfil(w, i); if (i >= LEARN) edge(w, { peer: 'uploads.partner.example', fqdn: 'uploads.partner.example', peerKind: 'public', bytesOut: 1.5 * MB, bytesIn: 10_000 }); };
    const { ctx, win } = judgeAt(LEARN + 143, busy);
    expect(slowExfil.evaluate(win, ctx, slowExfil.defaults).filter((f) => f.peer === 'files.transfer-box.net')).toEqual([]);
  });

  it('is quiet for a destination it used while learning, one its role uses, downloads, and before learning', () => {
    const known = judgeAt(LEARN + 143, (w, i) => { exfil(w, i); if (i === 10) edge(w, { ...drop, port: 8443, bytesOut: 1_000 }); });
    expect(slowExfil.evaluate(known.win, known.ctx, slowExfil.defaults)).toEqual([]);
    expect(known.ctx.baseline.horizon.destination('files.transfer-box.net')).toBeUndefined();
    const others = [1, 2, 3].map((i) => workload(`t${i}`, 'training'));
    const common = judgeAt(LEARN + 143, exfil, { others });
    expect(slowExfil.evaluate(common.win, common.ctx, slowExfil.defaults)).toEqual([]);
    expect(slowExfil.evaluate(common.win, common.ctx, { ...slowExfil.defaults, common_share: 1.1 })).toHaveLength(1);
    const download = judgeAt(LEARN + 143, (w, i) => { background(w); const k = i - LEARN; if (k >= 0 && chunks[k]! > 0) edge(w, { ...drop, bytesOut: chunks[k]!, bytesIn: 5 * chunks[k]! }); });
    expect(slowExfil.evaluate(download.win, download.ctx, slowExfil.defaults)).toEqual([]);
    expect(slowExfil.evaluate(download.win, download.ctx, { ...slowExfil.defaults, long_min_upload_ratio: 0.1 })).toHaveLength(1);
    const young = judgeAt(LEARN + 143, exfil, { learned: false });
    expect(slowExfil.evaluate(young.win, young.ctx, slowExfil.defaults)).toEqual([]);
    expect(slowExfil.evaluate(young.win, { ...young.ctx, learned: true }, slowExfil.defaults)).toHaveLength(1);
  });

  it('keeps its memory bounded when an attacker invents 10,000 destinations, and keeps the drop', () => {
    const ctx = learned(trainer, LEARN + 100, (w, i) => {
      exfil(w, i);
      if (i < LEARN) return;
      for (let d = 0; d < 100; d++) edge(w, { peer: `46.${i}.${d >> 8}.${d & 255}`, peerKind: 'public', bytesOut: 2_000, bytesIn: 400 });
    });
    expect(ctx.baseline.horizon.destinationCount).toBe(8);
    expect(ctx.baseline.horizon.byteLength).toBeLessThan(6_000);
    expect(ctx.baseline.horizon.destination('files.transfer-box.net')).toBeDefined();
    const win = ctx.next();
    edge(win, { ...drop, bytesOut: 3 * MB, bytesIn: 20_000 });
    expect(slowExfil.evaluate(win, ctx, slowExfil.defaults)).toMatchObject([{ peer: 'files.transfer-box.net' }]);
  });
});
