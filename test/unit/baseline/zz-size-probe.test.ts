import { it } from 'vitest';
import { createBaseline, updateBaseline, baselineBytes } from '../../../src/baseline/workload-baseline.ts';
import { domain, edge, keyOf, window, workload } from '../detectors/factories.ts';
const w = workload('trainer', 'training');
it('sizes', () => {
  const run = (n: number, f: (win: any, i: number) => void) => { const b = createBaseline(keyOf(w), w, window(w).start); for (let i = 0; i < n; i++) { const win = window(w, i); f(win, i); updateBaseline(b, win); } return b; };
  const q = run(100, (win) => edge(win, { peer: 'storage.googleapis.com', peerKind: 'public' }));
  const one = run(100, (win, i) => { edge(win, { peer: 'storage.googleapis.com', peerKind: 'public' }); if (i >= 72) edge(win, { peer: '185.220.101.7', peerKind: 'public' }); });
  const two = run(100, (win, i) => { edge(win, { peer: 'storage.googleapis.com', peerKind: 'public' }); if (i >= 72) { edge(win, { peer: '185.220.101.7', peerKind: 'public' }); domain(win, 'exfil-tunnel.net', { queries: 1, subdomains: [`a${i}`], tunnelTypes: 1 }); } });
  const full = run(100, (win, i) => { if (i < 72) return; for (let d = 0; d < 30; d++) edge(win, { peer: `files${d}.transfer-box-${i}.net`, peerKind: 'public' }); for (let d = 0; d < 30; d++) domain(win, `tunnel${d}-${i}.net`, { queries: 1, subdomains: [`${i}`], tunnelTypes: 1 }); });
  const long = (s: string) => `${s}.${'x'.repeat(240)}`.slice(0, 253);
  const worst = run(100, (win, i) => { if (i < 72) return; for (let d = 0; d < 30; d++) edge(win, { peer: long(`d${d}`), peerKind: 'public' }); for (let d = 0; d < 30; d++) domain(win, long(`n${d}`), { queries: 1, subdomains: [`${i}`], tunnelTypes: 1 }); });
  for (const [n, b] of Object.entries({ q, one, two, full, worst })) console.log(n, b.horizon.byteLength, baselineBytes(b), b.horizon.destinationCount, b.horizon.domainCount);
});
