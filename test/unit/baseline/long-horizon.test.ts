import { describe, expect, it } from 'vitest';
import { HORIZON_LIMITS, LongHorizon } from '../../../src/baseline/long-horizon.ts';
import type { WindowStats } from '../../../src/baseline/window-stats.ts';
import { baselineBytes, createBaseline, restoreBaseline, snapshotBaseline, updateBaseline, type WorkloadBaseline } from '../../../src/baseline/workload-baseline.ts';
import { domain, edge, keyOf, window, workload } from '../detectors/factories.ts';

const w = workload('trainer', 'training');
/** Windows of 5 minutes in the horizon's admission delay (6 h). */
const ADMIT = HORIZON_LIMITS.admitAfterMs / 300_000;
const c2 = { peer: '185.220.101.7', peerKind: 'public' as const };

function live(windows: number, life: (win: WindowStats, i: number) => void, b: WorkloadBaseline = createBaseline(keyOf(w), w, window(w).start), from = 0): WorkloadBaseline {
  for (let i = from; i < from + windows; i++) {
    const win = window(w, i);
    life(win, i);
    updateBaseline(b, win);
  }
  return b;
}

/** A trainer's life, with a beacon, an upload drip and a tunnel after the admission delay. */
const life = (win: WindowStats, i: number) => {
  edge(win, { peer: 'storage.googleapis.com', peerKind: 'public', bytesOut: 1_000_000 });
  domain(win, 'cluster.local', { queries: 10, subdomains: ['postgres.data.svc'] });
  if (i < ADMIT) return;
  if (i % 3 !== 0) edge(win, { ...c2, connections: 1 + (i % 2), bytesOut: 600, bytesIn: 500, firstAt: win.start + (i % 7) * 20_000 });
  edge(win, { peer: 'files.transfer-box.net', peerKind: 'public', bytesOut: 2_000_000 + i, bytesIn: 10_000 });
  domain(win, 'exfil-tunnel.net', { queries: 5, subdomains: Array.from({ length: 5 }, (_, j) => `q8z1x0v7c6b5n4m3l2k9j8h7g6f5${i}x${j}.t`), highEntropy: 5, tunnelTypes: 5 });
};

describe('LongHorizon', () => {
  it('survives a JSON snapshot and restore unchanged, and goes on learning as the original', () => {
    const b = live(ADMIT + 200, life);
    expect(b.horizon.destinationCount).toBe(2);
    expect(b.horizon.domainCount).toBe(1);
    const restored = restoreBaseline(JSON.parse(JSON.stringify(snapshotBaseline(b))));
    expect(snapshotBaseline(restored)).toEqual(snapshotBaseline(b));
    expect(restored.horizon.byteLength).toBe(b.horizon.byteLength);
    live(300, life, b, ADMIT + 200);
    live(300, life, restored, ADMIT + 200);
    expect(restored.horizon.snapshot()).toEqual(b.horizon.snapshot());
    expect(restored.horizon.destination('185.220.101.7')).toEqual({ ...b.horizon.destination('185.220.101.7'), samples: expect.any(Function) });
    expect(restored.horizon.destination('185.220.101.7')!.samples()).toEqual(b.horizon.destination('185.220.101.7')!.samples());
  });

  it('restores a baseline snapshot taken before it existed, empty, and starts tracking', () => {
    const b = live(ADMIT + 10, life);
    const old = JSON.parse(JSON.stringify(snapshotBaseline(b))) as Record<string, unknown>;
    delete old.horizon;
    const restored = restoreBaseline(old);
    expect(restored.horizon.destinationCount).toBe(0);
    expect(restored.horizon.snapshot()).toEqual(new LongHorizon().snapshot());
    live(5, life, restored, ADMIT + 10);
    // The destinations it began using after learning are new to the peer table's memory: tracked
    // again, with the first contact the peer table remembers.
    expect(restored.horizon.destination('files.transfer-box.net')?.firstSeen).toBe(window(w, ADMIT).start);
    expect(restored.horizon.domainCount).toBe(1);
  });

  it('tracks only destinations first seen after the admission delay and not used on any port before it', () => {
    const b = live(ADMIT + 20, (win, i) => {
      if (i === 5) edge(win, { ...c2, port: 8443 });
      if (i === ADMIT - 1) edge(win, { peer: 'early.example', peerKind: 'public' });
      if (i >= ADMIT - 1) edge(win, c2);
      if (i === ADMIT + 1) edge(win, { peer: 'late.example', peerKind: 'public' });
      if (i >= ADMIT) edge(win, { peer: 'early.example', peerKind: 'public' });
      edge(win, { peer: 'postgres', peerKind: 'pod' });
    });
    expect(b.horizon.destination('185.220.101.7')).toBeUndefined(); // used on 8443 while learning
    expect(b.horizon.destination('early.example')).toBeUndefined();
    expect(b.horizon.destination('late.example')).toMatchObject({ firstSeen: window(w, ADMIT + 1).start, windows: 1, connections: 1 });
    expect(b.horizon.destination('postgres')).toBeUndefined(); // in-cluster
  });

  it('costs ~0.6 kB with nothing tracked, ~1.7 kB with one destination, and at most ~10 kB', () => {
    const quiet = live(ADMIT + 50, (win) => edge(win, { peer: 'storage.googleapis.com', peerKind: 'public' }));
    expect(quiet.horizon.byteLength).toBeLessThan(700);
    const one = live(ADMIT + 50, (win, i) => { if (i >= ADMIT) edge(win, c2); });
    expect(one.horizon.byteLength).toBeLessThan(1_800);
    // Everything at its cap, with keys as long as names get.
    const long = (s: string) => `${s}.${'x'.repeat(240)}`.slice(0, 253);
    const full = live(ADMIT + 20, (win, i) => {
      if (i < ADMIT) return;
      for (let d = 0; d < 30; d++) edge(win, { peer: long(`d${d}`), peerKind: 'public' });
      for (let d = 0; d < 30; d++) domain(win, long(`n${d}`), { queries: 1, subdomains: [`${i}`], tunnelTypes: 1 });
    });
    expect(full.horizon.destinationCount).toBe(HORIZON_LIMITS.destinations);
    expect(full.horizon.domainCount).toBe(HORIZON_LIMITS.domains);
    expect(full.horizon.byteLength).toBeLessThan(10_500);
    expect(full.horizon.byteLength).toBeGreaterThan(7_000);
    expect(baselineBytes(full)).toBeGreaterThan(full.horizon.byteLength);
  });

  it('counts distinct names within a few percent, and not the same name twice', () => {
    const name = (n: number) => `k3j9x8c7v6b5n4m2l1p0o9i8u7y6t${n}.t`;
    const b = live(ADMIT + 12, (win, i) => {
      if (i < ADMIT) return;
      // Window k looks up names 20k..20k+39: each name in two windows, 260 distinct in all.
      const names = Array.from({ length: 40 }, (_, j) => name(20 * (i - ADMIT) + j));
      domain(win, 'exfil-tunnel.net', { queries: 40, subdomains: names, highEntropy: 40, tunnelTypes: 40 });
    });
    const next = window(w, ADMIT + 12);
    domain(next, 'exfil-tunnel.net', { queries: 1, subdomains: [name(0)], tunnelTypes: 1 });
    const history = b.horizon.domainWith('exfil-tunnel.net', next.domains.get('exfil-tunnel.net')!, next)!;
    // Window 12 starts a new clock hour: the hour holds one name, the half-day all of them.
    expect(history.hour.uniqueNames).toBe(1);
    // Linear counting over 1,024 bits: σ ≈ 2.3% at 260 names.
    expect(history.day.uniqueNames).toBeGreaterThan(0.93 * 260);
    expect(history.day.uniqueNames).toBeLessThan(1.07 * 260);
    expect(history.day.highEntropyNames).toBe(history.day.uniqueNames);
    expect(history.day.tunnelTypeLookups).toBe(12 * 40 + 1);
  });
});
