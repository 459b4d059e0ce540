import { describe, expect, it } from 'vitest';
import { Random } from '../../../datasets/generator/random.ts';
import { PeerGroups } from '../../../src/baseline/peer-groups.ts';
import { addDns, addIncoming, addOutgoing, type PeerIdentity } from '../../../src/baseline/window-accumulator.ts';
import { restoreWindow, snapshotWindow, type WindowSnapshot } from '../../../src/baseline/window-snapshot.ts';
import { emptyWindow, fanOut, WINDOW_LIMITS, type EdgeUse, type WindowStats } from '../../../src/baseline/window-stats.ts';
import { createBaseline, restoreBaseline, snapshotBaseline, updateBaseline, type WorkloadBaseline } from '../../../src/baseline/workload-baseline.ts';
import { DETECTORS } from '../../../src/detectors/registry.ts';
import { compileSettings, DEFAULT_DETECTION_SETTINGS } from '../../../src/detectors/settings.ts';
import type { DetectorContext } from '../../../src/detectors/types.ts';
import { WorkloadResolver } from '../../../src/enrich/workload-resolver.ts';
import type { Endpoint } from '../../../src/model/endpoint.ts';
import type { Finding } from '../../../src/model/alert.ts';
import { dns, flow, MIN5, pod, privateIp, publicIp, T0 } from '../records.ts';
import { domain, edge, keyOf, window as handWindow, workload } from '../detectors/factories.ts';

const resolver = new WorkloadResolver();
const trainer = pod('prod-eu', 'ml-train', 'llm-finetune');
const inference = pod('prod-eu', 'model-serving', 'llm-infer');
const gateway = pod('prod-eu', 'ingress-nginx', 'controller');
const peers = Array.from({ length: 30 }, (_, i) => pod(i % 3 === 0 ? 'dev-us' : 'prod-eu', ['data', 'ml-train', 'kube-system', 'model-serving'][i % 4]!, `svc-${i}`));
const fqdns = ['storage.googleapis.com', 'pypi.org', 'api.openai.com', 'evil.example', 'huggingface.co', ...Array.from({ length: 40 }, (_, i) => `cdn${i}.example.net`)];

/** One record into the open windows: an outgoing flow (with the peer the detection stage would give), an incoming one, or a lookup. */
type Op =
  | { kind: 'out'; into: 'trainer' | 'inference'; flow: ReturnType<typeof flow>; peer: PeerIdentity }
  | { kind: 'in'; into: 'trainer' | 'inference'; flow: ReturnType<typeof flow>; viaGateway: boolean }
  | { kind: 'dns'; into: 'trainer' | 'inference'; record: ReturnType<typeof dns> };

interface Windows {
  trainer: WindowStats;
  inference: WindowStats;
}

function openWindows(start: number): Windows {
  const t = resolver.identify(trainer);
  const i = resolver.identify(inference);
  return { trainer: emptyWindow(t.key, t.workload, start, start + MIN5), inference: emptyWindow(i.key, i.workload, start, start + MIN5) };
}

function apply(windows: Windows, op: Op): void {
  const w = windows[op.into];
  if (op.kind === 'out') addOutgoing(w, op.flow, op.peer);
  else if (op.kind === 'in') addIncoming(w, op.flow, op.viaGateway);
  else addDns(w, op.record);
}

/** What DetectionStage.peerOf gives for a non-pod destination (a fresh object: ops are replayed twice). */
function external(dst: Endpoint, fqdn?: string): PeerIdentity {
  return { key: fqdn ?? dst.ip ?? dst.workload, fqdn };
}

/**
 * `n` random records of one window: scans past LISTED_EDGES on one peer and past the window's
 * edge bound, sweeps, uploads, metadata and API calls, floods of clients past their bound, DNS
 * tunnels and DGA lookups past the domain bound, denials, reports of both protocols.
 */
function randomOps(rng: Random, start: number, n: number): Op[] {
  const ops: Op[] = [];
  for (let i = 0; i < n; i++) {
    const at = start + rng.int(0, 4) * 60_000;
    const fields = {
      windowStart: at, windowEnd: at + 60_000, protocol: rng.chance(0.8) ? 'tcp' as const : 'udp' as const, action: rng.chance(0.15) ? 'deny' as const : 'allow' as const,
      connections: rng.int(1, 4), bytesToDst: Math.round(rng.jitter() * (rng.chance(0.02) ? 400_000_000 : 20_000)), bytesToSrc: rng.int(100, 50_000),
    };
    const r = rng.next();
    // Mostly the trainer reaches out and the inference service is reached.
    const into = rng.chance(r >= 0.5 && r < 0.8 ? 0.1 : 0.7) ? 'trainer' as const : 'inference' as const;
    const src = into === 'trainer' ? trainer : inference;
    if (r < 0.2) {
      const dst = privateIp('10.0.3.7');
      ops.push({ kind: 'out', into, flow: flow(at, src, dst, { ...fields, dstPort: rng.int(1, 3_000) }), peer: external(dst) });
    } else if (r < 0.3) {
      const dst = privateIp(`10.1.${rng.int(0, 3)}.${rng.int(0, 255)}`);
      ops.push({ kind: 'out', into, flow: flow(at, src, dst, { ...fields, dstPort: rng.pick([22, 445, 80]) }), peer: external(dst) });
    } else if (r < 0.37) {
      const dst = rng.pick(peers);
      ops.push({ kind: 'out', into, flow: flow(at, src, dst, { ...fields, dstPort: rng.pick([5432, 8080, 22, 6443, 53]), reporter: 'src' }), peer: resolver.identify(dst) });
    } else if (r < 0.45) {
      const fqdn = rng.pick(fqdns);
      const dst = publicIp(`34.1.${rng.int(0, 9)}.${rng.int(1, 20)}`);
      ops.push({ kind: 'out', into, flow: flow(at, src, dst, { ...fields, dstPort: 443, dstFqdns: [fqdn] }), peer: external(dst, fqdn) });
    } else if (r < 0.5) {
      const dst = rng.chance(0.5) ? publicIp('169.254.169.254') : publicIp(`52.0.0.${rng.int(1, 30)}`);
      ops.push({ kind: 'out', into, flow: flow(at, src, dst, { ...fields, dstPort: 80 }), peer: external(dst) });
    } else if (r < 0.8) {
      const viaGateway = rng.chance(0.2);
      const client = viaGateway ? gateway : publicIp(`198.51.${rng.int(0, 99)}.${rng.int(0, 255)}`);
      ops.push({ kind: 'in', into, flow: flow(at, client, src, { ...fields, reporter: 'dst' }), viaGateway });
    } else {
      const qname = rng.chance(0.4) ? `${rng.token(rng.int(8, 40))}.t.tunnel.example.com` : rng.chance(0.6) ? `${rng.token(10)}.com` : rng.pick(['pypi.org', 'a.storage.googleapis.com', 'x.co.uk']);
      ops.push({ kind: 'dns', into, record: dns(at, src, qname, { qtype: rng.pick(['A', 'AAAA', 'TXT', 'NULL']), rcode: rng.chance(0.3) ? 'NXDOMAIN' : 'NOERROR', count: rng.int(1, 3) }) });
    }
  }
  return ops;
}

/** Baselines of both workloads learned over a day of quiet windows (the same every call). */
function learnedBaselines(): { trainer: WorkloadBaseline; inference: WorkloadBaseline; peerGroups: PeerGroups } {
  const rng = new Random(11);
  const peerGroups = new PeerGroups();
  const baselines = { trainer: undefined as WorkloadBaseline | undefined, inference: undefined as WorkloadBaseline | undefined };
  for (let i = 0; i < 288; i++) {
    const start = T0 + i * MIN5;
    const windows = openWindows(start);
    addOutgoing(windows.trainer, flow(start, trainer, peers[0]!, { dstPort: 5432 }), resolver.identify(peers[0]!));
    addOutgoing(windows.trainer, flow(start, trainer, publicIp('34.1.0.1'), { dstFqdns: ['pypi.org'], bytesToDst: rng.int(1_000, 5_000) }), external(publicIp('34.1.0.1'), 'pypi.org'));
    addIncoming(windows.inference, flow(start, gateway, inference, { connections: rng.int(50, 80), reporter: 'dst' }), true);
    addDns(windows.trainer, dns(start, trainer, 'pypi.org'));
    for (const name of ['trainer', 'inference'] as const) {
      const w = windows[name];
      baselines[name] ??= createBaseline(w.key, w.workload, start);
      peerGroups.update(w, baselines[name]);
      updateBaseline(baselines[name], w);
    }
  }
  return { trainer: baselines.trainer!, inference: baselines.inference!, peerGroups };
}

const settings = compileSettings(DEFAULT_DETECTION_SETTINGS);

/** What every detector finds in the window, as DetectionStage.judge asks them. */
function judge(w: WindowStats, baseline: WorkloadBaseline, peerGroups: PeerGroups): Finding[] {
  const ctx: DetectorContext = { baseline, learned: true, roleLearned: true, peerGroups, settings };
  return DETECTORS.flatMap((detector) => detector.evaluate(w, ctx, detector.defaults));
}

const throughJson = (s: WindowSnapshot): unknown => JSON.parse(JSON.stringify(s));

/** Every index entry points at the very EdgeUse the window's `edges` holds. */
function indexSharesEdges(w: WindowStats): boolean {
  const held = new Set<EdgeUse>(w.edges.values());
  for (const { head } of w.edgeIndex.values()) for (let e: typeof head | undefined = head; e !== undefined; e = e.next) if (!held.has(e.edge)) return false;
  return true;
}

describe('window snapshots', () => {
  it('restore windows that accumulate, are judged and teach the baseline exactly as the originals would have', () => {
    const ops = randomOps(new Random(7), T0 + 288 * MIN5, 24_000);
    const learned = learnedBaselines();
    // Mid-way cuts, the empty window and the full one included.
    for (const cut of [0, 1_500, 6_000, 12_345, ops.length]) {
      const original = openWindows(T0 + 288 * MIN5);
      for (const op of ops.slice(0, cut)) apply(original, op);
      const restored = { trainer: restoreWindow(throughJson(snapshotWindow(original.trainer))), inference: restoreWindow(throughJson(snapshotWindow(original.inference))) };
      for (const name of ['trainer', 'inference'] as const) {
        const s = snapshotWindow(original[name]);
        expect(JSON.parse(JSON.stringify(s))).toStrictEqual(s);
        expect(snapshotWindow(restored[name])).toStrictEqual(s);
        // Keys the snapshot leaves out (derived from the edge) come back as they were.
        expect([...restored[name].edges.keys()]).toEqual([...original[name].edges.keys()]);
        expect(indexSharesEdges(restored[name])).toBe(true);
      }
      for (const op of ops.slice(cut)) {
        apply(original, op);
        apply(restored, op);
      }
      for (const name of ['trainer', 'inference'] as const) {
        const [a, b] = [original[name], restored[name]];
        // The snapshot holds every field in Map order: equal snapshots, equal windows.
        expect(snapshotWindow(b)).toStrictEqual(snapshotWindow(a));
        expect([...b.edgeIndex.keys()]).toEqual([...a.edgeIndex.keys()]);
        expect(indexSharesEdges(b)).toBe(true);
        expect(fanOut(b)).toBe(fanOut(a));
        expect(judge(b, learned[name], learned.peerGroups)).toStrictEqual(judge(a, learned[name], learned.peerGroups));
        const [baselineA, baselineB] = [restoreBaseline(snapshotBaseline(learned[name])), restoreBaseline(snapshotBaseline(learned[name]))];
        updateBaseline(baselineA, a);
        updateBaseline(baselineB, b);
        expect(snapshotBaseline(baselineB)).toStrictEqual(snapshotBaseline(baselineA));
      }
    }
  });

  it('are taken of windows that reached every bound, and whose findings are many', () => {
    const windows = openWindows(T0 + 288 * MIN5);
    for (const op of randomOps(new Random(7), T0 + 288 * MIN5, 24_000)) apply(windows, op);
    const { trainer: t, inference: i } = windows;
    // The inputs the first test replays reach what the snapshot must carry.
    expect(t.edges.size).toBe(WINDOW_LIMITS.edges);
    expect(t.edgeOverflow).toBeGreaterThan(0);
    expect(t.edgeIndex.get('10.0.3.7')!.length).toBeGreaterThan(8);
    expect(t.domains.size).toBe(WINDOW_LIMITS.domains);
    expect(i.externalClientOverflow).toBeGreaterThan(0);
    expect(t.targetsByPort.get(22)!.size).toBeGreaterThan(100);
    const learned = learnedBaselines();
    const detectors = new Set([...judge(t, learned.trainer, learned.peerGroups), ...judge(i, learned.inference, learned.peerGroups)].map((f) => f.detector));
    expect(detectors.size).toBeGreaterThanOrEqual(14);
  });

  it('restore a window built by hand (no index, a key of its own) and its BoundedSets past their bounds', () => {
    const w = workload('notebook', 'dev', 'dev');
    const original = handWindow(w, 3);
    edge(original, { peer: 'prod-eu/data/postgres', port: 5432, peerWorkload: workload('postgres', 'data', 'prod', 'prod-eu', 'data') });
    edge(original, { peer: '34.1.0.9', peerKind: 'public', ip: '34.1.0.9', fqdn: 'evil.example', bytesOut: 5e8 });
    original.edges.set('not-the-usual-key', { ...original.edges.get('34.1.0.9|443|tcp')!, port: 444 });
    // Keys that look like `peer|port|protocol` but are not the edge's.
    const like = original.edges.get('34.1.0.9|443|tcp')!;
    for (const [key, port, protocol] of [['34.1.0.9|0443|tcp', 443, 'tcp'], ['34.1.0.9|443|udp', 443, 'tcp'], ['34.1.0.9|44|tcp', 443, 'tcp'], ['34.1.0.9|-1|tcp', -1, 'tcp'], ['34.1.0.9|1.5|tcp', 1.5, 'tcp'], ['34.1.0.|9|443|tcp', 443, 'tcp'], ['34.1.0.9x443|tcp', 443, 'tcp'], ['34.1.0.9|65535|sctp', 65535, 'sctp']] as const) {
      original.edges.set(key, { ...like, port, protocol });
    }
    domain(original, 'tunnel.example.com', { queries: 90, tunnelTypes: 80, subdomains: Array.from({ length: 2_100 }, (_, n) => `s${n}`) });
    const restored = restoreWindow(JSON.parse(JSON.stringify(snapshotWindow(original))));
    expect(snapshotWindow(restored)).toStrictEqual(snapshotWindow(original));
    expect([...restored.edges.keys()]).toEqual([...original.edges.keys()]);
    expect([...restored.edges.values()]).toStrictEqual([...original.edges.values()]);
    expect(restored.domains.get('tunnel.example.com')!.subdomains.size).toBe(2_100);
    expect(fanOut(restored)).toBe(fanOut(original));
    // The accumulator goes on with both alike (it does not find the hand-made edges, in either).
    for (const win of [original, restored]) {
      addOutgoing(win, flow(win.start, pod('dev-us', 'ns', 'notebook'), publicIp('34.1.0.9'), { dstFqdns: ['evil.example'] }), { key: '34.1.0.9', fqdn: 'evil.example' });
      addDns(win, dns(win.start, pod('dev-us', 'ns', 'notebook'), 's9999.tunnel.example.com'));
    }
    expect(snapshotWindow(restored)).toStrictEqual(snapshotWindow(original));
    expect(keyOf(restored.workload)).toBe(original.key);
  });

  it('refuse an unknown version and malformed snapshots, naming what is wrong', () => {
    const w = openWindows(T0);
    for (const op of randomOps(new Random(5), T0, 300)) apply(w, op);
    const good = () => JSON.parse(JSON.stringify(snapshotWindow(w.trainer))) as Record<string, unknown> & WindowSnapshot;
    expect(() => restoreWindow({ ...good(), version: 2 })).toThrow(/unknown version 2/);
    expect(() => restoreWindow({ ...good(), version: undefined })).toThrow(/unknown version/);
    expect(() => restoreWindow(null)).toThrow(/must be an object/);
    expect(() => restoreWindow({ ...good(), edges: {} })).toThrow(/edges must be an array/);
    expect(() => restoreWindow({ ...good(), connections: '3' })).toThrow(/connections must be a finite number/);
    expect(() => restoreWindow({ ...good(), workload: { ...good().workload, role: 'boss' } })).toThrow(/workload.role must be one of/);
    const dangling = good();
    dangling.edgeIndex[0]![1] = dangling.edges.length;
    expect(() => restoreWindow(dangling)).toThrow(/edgeIndex\[\] names edge/);
    const twice = good();
    twice.edges.push(twice.edges[0]!);
    expect(() => restoreWindow(twice)).toThrow(/edges holds .* twice/);
    const short = good();
    short.edges[0] = short.edges[0]!.slice(0, 12) as never;
    expect(() => restoreWindow(short)).toThrow(/edges\[\] must have 13 items/);
    expect(restoreWindow(good()).edges.size).toBe(w.trainer.edges.size);
  });

  it('refuse to snapshot an index the accumulator could not have built', () => {
    const w = openWindows(T0);
    addOutgoing(w.trainer, flow(T0, trainer, peers[1]!), resolver.identify(peers[1]!));
    const [key, only] = [...w.trainer.edges][0]!;
    w.trainer.edges.set(key, { ...only });
    expect(() => snapshotWindow(w.trainer)).toThrow(/edgeIndex lists an edge/);
  });
});
