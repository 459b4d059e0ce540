import { describe, expect, it } from 'vitest';
import { createBaseline, restoreBaseline, snapshotBaseline, updateBaseline, BASELINE_LIMITS } from '../../../src/baseline/workload-baseline.ts';
import { robust } from '../../../src/baseline/series.ts';
import { edge, keyOf, window, workload } from '../detectors/factories.ts';

const w = workload('trainer', 'training');

describe('WorkloadBaseline', () => {
  it('survives a JSON snapshot and restore unchanged, and keeps learning after it', () => {
    const b = createBaseline(keyOf(w), w, window(w).start);
    for (let i = 0; i < 30; i++) {
      const win = window(w, i);
      edge(win, { peer: 'storage.googleapis.com', peerKind: 'public', bytesOut: 1_000 * i });
      updateBaseline(b, win);
    }
    const restored = restoreBaseline(JSON.parse(JSON.stringify(snapshotBaseline(b))));
    expect(snapshotBaseline(restored)).toEqual(snapshotBaseline(b));
    expect(robust(restored.externalBytesOut)).toEqual(robust(b.externalBytesOut));
    const next = window(w, 30);
    edge(next, { peer: 'storage.googleapis.com', peerKind: 'public' });
    updateBaseline(restored, next);
    expect(restored.recurring.get('storage.googleapis.com')?.streak).toBe(31);
    expect(restored.windows).toBe(31);
  });

  it('holds at most BASELINE_LIMITS.peers peers however many an attacker invents', () => {
    const b = createBaseline(keyOf(w), w, window(w).start);
    for (let i = 0; i < 5; i++) {
      const win = window(w, i);
      for (let p = 0; p < 1_000; p++) edge(win, { peer: `10.${i}.${p >> 8}.${p & 255}`, peerKind: 'private' });
      updateBaseline(b, win);
    }
    // Full, the table drops its stalest eighth at once.
    expect(b.peers.size).toBeLessThanOrEqual(BASELINE_LIMITS.peers);
    expect(b.peers.size).toBeGreaterThanOrEqual(BASELINE_LIMITS.peers * 7 / 8);
    expect(b.peers.has('10.4.3.231')).toBe(false); // keys are edge keys
    expect(b.peers.has('10.4.3.231|443|tcp')).toBe(true); // the newest stay
    expect(b.peers.has('10.0.0.0|443|tcp')).toBe(false); // the stalest went
    expect(b.recurring.size).toBe(0);
  });
});
