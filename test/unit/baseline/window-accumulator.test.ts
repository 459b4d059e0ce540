import { describe, expect, it } from 'vitest';
import { Random } from '../../../datasets/generator/random.ts';
import { addOutgoing } from '../../../src/baseline/window-accumulator.ts';
import { emptyWindow, fanOut, WINDOW_LIMITS, type WindowStats } from '../../../src/baseline/window-stats.ts';
import type { Protocol } from '../../../src/model/flow-record.ts';
import { flow, MIN5, pod, publicIp, T0 } from '../records.ts';

const workload = { cluster: 'c', namespace: 'ns', name: 'app', role: 'other', env: 'prod' } as const;

/** fanOut's definition, from the edges alone. */
function distinctPeers(window: WindowStats): number {
  return new Set([...window.edges.values()].map((edge) => edge.peer)).size + window.edgeOverflow;
}

describe('addOutgoing', () => {
  it('keys edges by peer, port and protocol, a scan of many ports on one peer included, and counts their peers', () => {
    const window = emptyWindow('c/ns/app', workload, T0, T0 + MIN5);
    const src = pod('c', 'ns', 'app');
    const expected = new Map<string, number>();
    // The generator's seeded PRNG, so that a failure repeats.
    const rng = new Random(3);
    const random = () => rng.next();
    for (let i = 0; i < 12_000; i++) {
      // Mostly a handful of peers; one of them scanned over many ports.
      const peer = random() < 0.5 ? 'scanned' : `peer-${Math.floor(random() * 40)}`;
      const port = peer === 'scanned' ? 1 + Math.floor(random() * 3_000) : [443, 80, 5432][Math.floor(random() * 3)]!;
      const protocol: Protocol = random() < 0.8 ? 'tcp' : 'udp';
      const record = flow(T0, src, publicIp(`10.0.0.${i % 7}`), { dstPort: port, protocol, connections: 2 });
      addOutgoing(window, record, { key: peer });
      const key = `${peer}|${port}|${protocol}`;
      expected.set(key, (expected.get(key) ?? 0) + 2);
    }
    const kept = [...expected].slice(0, WINDOW_LIMITS.edges);
    expect(window.edges.size).toBe(WINDOW_LIMITS.edges);
    expect([...window.edges].map(([key, edge]) => [key, edge.connections])).toEqual(kept);
    // Every record of an edge past the bound is counted as overflow, as before.
    const overflowRecords = [...expected].slice(WINDOW_LIMITS.edges).reduce((n, [, connections]) => n + connections / 2, 0);
    expect(window.edgeOverflow).toBe(overflowRecords);
    expect(fanOut(window)).toBe(distinctPeers(window));
  });

  it('counts fan-out from the edges of a window built by hand', () => {
    const window = emptyWindow('c/ns/app', workload, T0, T0 + MIN5);
    addOutgoing(window, flow(T0, pod('c', 'ns', 'app'), pod('c', 'ns', 'db')), { key: 'c/ns/db' });
    window.edges.set('other|1|tcp', { ...window.edges.values().next().value!, peer: 'other' });
    expect(fanOut(window)).toBe(2);
  });
});
