import { describe, expect, it } from 'vitest';
import { createBaseline, restoreBaseline, snapshotBaseline, updateBaseline, BASELINE_LIMITS } from '../../../src/baseline/workload-baseline.ts';
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
    expect(restored).toEqual(b);
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
    expect(b.peers.size).toBe(BASELINE_LIMITS.peers);
    expect(b.recurring.size).toBe(0);
  });
});
