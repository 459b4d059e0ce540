import { it } from 'vitest';
import { regularity } from '../../../src/detectors/beaconing.ts';
import { edge, learned, MIN5, workload } from './factories.ts';
import type { WindowStats } from '../../../src/baseline/window-stats.ts';
function prng(seed: number) { let a = seed >>> 0; return () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }; }
const T0 = Date.parse('2026-11-02T00:00:00Z');
function times(from: number, to: number, p: number, j: number, miss: number, seed = 1) { const r = prng(seed); const out: number[] = []; for (let t = T0 + from * MIN5 + 7000; t < T0 + to * MIN5; t += p * (1 + j * (2 * r() - 1))) if (r() >= miss) out.push(Math.round(t)); return out; }
const c2 = { peer: '185.220.101.7', peerKind: 'public' as const, port: 443 };
function add(w: WindowStats, ts: number[], mode: string, bpc = 600) { const i = ts.filter((t) => t >= w.start && t < w.end); if (!i.length) return; edge(w, { ...c2, connections: i.length, bytesOut: bpc * i.length, bytesIn: 500 * i.length, firstAt: mode === 'calico' ? w.start : i[0]! }); }
const tr = workload('trainer', 'training');
it('probe', () => {
  for (const [name, p, j, miss] of [['4m25', 240_000, 0.25, 0.05], ['4m25miss20', 240_000, 0.25, 0.2], ['1m', 60_000, 0.1, 0], ['15m25', 900_000, 0.25, 0.05], ['30m', 1_800_000, 0.25, 0], ['7m40', 420_000, 0.4, 0.1], ['2m50', 120_000, 0.5, 0.1], ['poisson4m', 0, 0, 0], ['poisson1m', 1, 0, 0], ['poisson15m', 2, 0, 0]] as const) {
    for (const mode of ['calico', 'hubble']) {
      let ts: number[];
      if (p <= 2) { const mean = [240_000, 60_000, 900_000][p]!; const r = prng(5); ts = []; for (let t = T0 + 96 * MIN5; t < T0 + 240 * MIN5; t += -Math.log(1 - r()) * mean) ts.push(Math.round(t)); }
      else ts = times(96, 96 + 144, p, j, miss);
      const ctx = learned(tr, 96 + 143, (w, i) => { edge(w, { peer: 'gcs', peerKind: 'public', bytesOut: 1e6 }); if (i >= 96) add(w, ts, mode); });
      const win = ctx.next(); add(win, ts, mode);
      const h = ctx.baseline.horizon.destinationWith('185.220.101.7', win);
      if (!h) { console.log(name, mode, 'untracked'); continue; }
      const r = regularity(h, MIN5, win.end - h.firstSeen, 20_000);
      console.log(name.padEnd(12), mode.padEnd(7), 'score', r.score.toFixed(3), 'timing', r.timing.toFixed(3), 'skew', r.skewScore.toFixed(2), 'mad', r.madScore.toFixed(2), 'cov', r.coverage.toFixed(2), 'med', r.intervalMedian.toFixed(0), 'size', r.size.toFixed(2), 'rate', r.rate.toFixed(2), 'D', r.dispersion.toFixed(2), 'cnt', r.countScore.toFixed(2), 'conns', h.connections, 'win', h.windows);
    }
  }
});
