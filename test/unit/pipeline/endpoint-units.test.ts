import { describe, expect, it } from 'vitest';
import { MemoryAlertSink } from '../../../src/alerts/alert-sink.ts';
import { validatePipeline } from '../../../src/config/load-pipeline.ts';
import type { Endpoint } from '../../../src/model/endpoint.ts';
import type { FlowRecord } from '../../../src/model/flow-record.ts';
import type { NormalizedRecord } from '../../../src/model/normalized-record.ts';
import { decodeMessage } from '../../../src/parsers/record-decoder.ts';
import { buildDetection } from '../../../src/pipeline/build-detection.ts';
import { latestPerKey } from '../../../src/pipeline/detection-state.ts';
import { flowUnitSides, SIDE, type DetectionStage } from '../../../src/pipeline/detection-stage.ts';
import { ipOnlyFlows } from '../../../bench/ip-only-flows.ts';
import { flow, MIN5, pod, privateIp, publicIp, T0 } from '../records.ts';

function stage(detection: Record<string, unknown> = {}) {
  const config = validatePipeline({ name: 't', sources: { f: { type: 'file', paths: ['-'] } }, detection }, 'test');
  const sink = new MemoryAlertSink();
  return { stage: buildDetection(config.detection, [sink]), sink };
}

/** A Calico host endpoint (`hep`), named as its HostEndpoint is. */
const hep = (name: string, ip: string): Endpoint => ({ cluster: 'prod-eu', namespace: '', workload: name, ip, labels: {}, kind: 'host' });
/** A Hubble `reserved:remote-node`: every node shares the name, only the IP tells them apart. */
const remoteNode = (ip: string): Endpoint => ({ cluster: 'dev-us', namespace: '', workload: 'remote-node', ip, labels: {}, kind: 'host' });
const postgres = pod('prod-eu', 'data', 'postgres');
const apiServer = privateIp('10.0.0.1');

/** The open window of a unit in the bucket starting at `at` (before it closes). */
function openWindow(s: DetectionStage, at: number, key: string) {
  return s.state.open.get(at)?.get(key);
}

describe('every endpoint is a baseline unit', () => {
  it('judges a dataset of bare IPs (Calico net endpoints with addresses): each address is a unit, and a scan and a sweep from one are caught, with nothing else', async () => {
    const dataset = ipOnlyFlows({ seed: 3, hours: 16, clients: 40 });
    const records: NormalizedRecord[] = dataset.lines.map((line) => {
      const decoded = decodeMessage(Buffer.from(line), 'calico-flow', { cluster: 'ip-lab', now: Date.now() + 365 * 86_400_000, maxFutureSkewMs: 0 }, 1 << 20);
      if (decoded.status !== 'ok') throw new Error(`${decoded.status}: ${line}`);
      return decoded.record;
    });
    const { stage: s, sink } = stage();
    for (let i = 0; i < records.length; i += 1_000) await s.process(records.slice(i, i + 1_000));
    await s.close();
    // 40 clients, the servers and public services they use, the sweep's targets.
    expect(s.baselines.size).toBeGreaterThan(40);
    expect(s.baselines.peek(`//${dataset.scanner}`)?.workload).toMatchObject({ cluster: '', namespace: '', name: dataset.scanner, role: 'ip' });
    const detectors = new Set(sink.alerts.map((a) => a.detector));
    expect(detectors).toContain('port-scan');
    expect(detectors).toContain('ip-sweep');
    // Nothing but the scanner alerts: steady clients are learned, not judged new.
    expect(new Set(sink.alerts.map((a) => a.workload.name))).toEqual(new Set([dataset.scanner]));
    const scan = sink.alerts.find((a) => a.detector === 'port-scan')!;
    expect(Date.parse(scan.startsAt)).toBe(Date.parse(dataset.labels[0]!.start));
  });

  it('judges a node that scans the cluster, keyed by its HostEndpoint name or, for Hubble, by its IP', async () => {
    const { stage: s, sink } = stage();
    const node = hep('node-7', '10.0.0.7');
    const records: NormalizedRecord[] = [];
    for (let t = T0; t < T0 + 8 * 3600_000; t += MIN5) {
      records.push(flow(t, node, apiServer, { dstPort: 6443, reporter: 'dst' }));
      records.push(flow(t, remoteNode('10.1.0.12'), pod('dev-us', 'monitoring', 'prometheus'), { dstPort: 9090, reporter: 'dst', format: 'hubble' }));
    }
    const at = T0 + 8 * 3600_000;
    // The pods report what reached them (reporter=dst): the node's scan, and the Hubble node's.
    for (let p = 0; p < 40; p++) {
      records.push(flow(at, node, postgres, { dstPort: 2000 + p, reporter: 'dst', action: 'deny', bytesToDst: 60 }));
      records.push(flow(at, remoteNode('10.1.0.12'), pod('dev-us', 'data', 'redis'), { dstPort: 3000 + p, reporter: 'dst', format: 'hubble' }));
    }
    await s.process(records);
    await s.close();
    const scans = sink.alerts.filter((a) => a.detector === 'port-scan');
    expect(scans.map((a) => a.workload).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { cluster: 'dev-us', namespace: '', name: '10.1.0.12', role: 'host' },
      { cluster: 'prod-eu', namespace: '', name: 'node-7', role: 'host' },
    ]);
    // The nodes' own windows, not the pods': the pods only received.
    expect(s.baselines.peek('prod-eu//node-7')?.windows).toBe(97);
    expect(s.baselines.peek('dev-us//remote-node')).toBeUndefined();
  });

  it('counts a flow that a host and a pod both report once on each side, whichever reports it', async () => {
    const { stage: s } = stage();
    const node = hep('node-7', '10.0.0.7');
    const bySide = (record: FlowRecord, reporter: 'src' | 'dst') => ({ ...record, reporter });
    // Window 1, HEP reporting off: only the pod reports what the node sent it.
    const off = flow(T0, hep('node-8', '10.0.0.8'), postgres, { dstPort: 5432, connections: 3 });
    await s.process([bySide(off, 'dst')]);
    expect(openWindow(s, T0, 'prod-eu//node-8')?.connections).toBe(3);
    expect(openWindow(s, T0, 'prod-eu/data/postgres')?.inboundConnections).toBe(3);
    // HEP reporting on: the node reports too; once it has, the pod's report counts only the pod.
    const on = flow(T0, node, postgres, { dstPort: 5432, connections: 3 });
    await s.process([bySide(on, 'src'), bySide(on, 'dst')]);
    expect(openWindow(s, T0, 'prod-eu//node-7')?.connections).toBe(3);
    expect(openWindow(s, T0, 'prod-eu/data/postgres')?.inboundConnections).toBe(6);
    // A pod reaching the node, reported by both: the pod's side once (its own report), and the
    // node does not count what a pod sent it (that is the pod's to judge).
    const toNode = flow(T0, pod('prod-eu', 'monitoring', 'prometheus'), node, { dstPort: 10250, connections: 2 });
    await s.process([bySide(toNode, 'src'), bySide(toNode, 'dst')]);
    expect(openWindow(s, T0, 'prod-eu/monitoring/prometheus')?.connections).toBe(2);
    expect(openWindow(s, T0, 'prod-eu//node-7')?.inboundConnections).toBe(0);
    // Which hosts report themselves is state: checkpointed with the rest.
    const restored = stage().stage;
    restored.state.restore(latestPerKey(s.state.allRecords(null)), 0);
    expect(restored.state.reportsItself('prod-eu//node-7')).toBe(true);
    expect(restored.state.reportsItself('prod-eu//node-8')).toBe(false);
  });

  it('routes each side to its unit: pods as before, hosts and addresses for what they initiate and what they get from non-pods', () => {
    const node = hep('node-7', '10.0.0.7');
    expect(flowUnitSides(flow(T0, pod('c', 'a', 'x'), pod('c', 'b', 'y'), { reporter: 'src' }))).toEqual({ sides: SIDE.src, srcKey: 'c/a/x', dstKey: undefined });
    expect(flowUnitSides(flow(T0, node, postgres, { reporter: 'dst' }))).toEqual({ sides: SIDE.both, srcKey: 'prod-eu//node-7', dstKey: 'prod-eu/data/postgres' });
    expect(flowUnitSides(flow(T0, postgres, publicIp('203.0.113.9'), { reporter: 'src' }))).toEqual({ sides: SIDE.src, srcKey: 'prod-eu/data/postgres', dstKey: undefined });
    expect(flowUnitSides(flow(T0, privateIp('10.2.0.1'), publicIp('203.0.113.9'), { reporter: 'unknown' }))).toEqual({ sides: SIDE.both, srcKey: '//10.2.0.1', dstKey: '//203.0.113.9' });
    // Calico's aggregated buckets are no one party.
    const pub: Endpoint = { cluster: '', namespace: '', workload: 'pub', labels: {}, kind: 'public' };
    expect(flowUnitSides(flow(T0, pub, postgres, { reporter: 'dst' }))).toEqual({ sides: SIDE.dst, srcKey: undefined, dstKey: 'prod-eu/data/postgres' });
  });

  it('makes no unit of an aggregated pub/pvt bucket without an address', async () => {
    const { stage: s } = stage();
    const pub: Endpoint = { cluster: '', namespace: '', workload: 'pub', labels: {}, kind: 'public' };
    const pvt: Endpoint = { cluster: '', namespace: '', workload: 'pvt', labels: {}, kind: 'private' };
    await s.process([flow(T0, pub, postgres, { reporter: 'dst' }), flow(T0, pvt, pub, { reporter: 'unknown' })]);
    await s.close();
    expect([...s.baselines.map.keys()]).toEqual(['prod-eu/data/postgres']);
  });

  it('judges a host or an address only by the detectors that mean the same for it', async () => {
    const { stage: s, sink } = stage();
    const node = hep('node-7', '10.0.0.7');
    const vpcPeer = privateIp('10.9.0.5');
    const records: NormalizedRecord[] = [];
    for (let t = T0; t < T0 + 8 * 3600_000; t += MIN5) records.push(flow(t, node, apiServer, { dstPort: 6443 }), flow(t, vpcPeer, apiServer, { dstPort: 8080 }));
    const at = T0 + 8 * 3600_000;
    // Both reach SSH on a machine and the metadata API for the first time: a machine's daily work.
    const target = privateIp('10.0.0.30');
    for (const src of [node, vpcPeer]) records.push(flow(at, src, target, { dstPort: 22 }), flow(at, src, privateIp('169.254.169.254'), { dstPort: 80 }));
    // An internet address probing a pod's ports is a scan, whoever sends it.
    for (let p = 0; p < 20; p++) records.push(flow(at, publicIp('198.51.100.7'), postgres, { dstPort: 5000 + p, reporter: 'dst', action: 'deny' }));
    await s.process(records);
    await s.close();
    expect(sink.alerts.map((a) => `${a.detector} ${a.workload.name} ${a.workload.role}`)).toEqual(['port-scan 198.51.100.7 external']);
  });

  it('bounds what an attacker inventing addresses costs, and evicts addresses, never a workload, for them', async () => {
    const { stage: s } = stage({ max_workloads: 60 });
    const steady = pod('prod-eu', 'ml-serve', 'llm-infer');
    const nightly = pod('prod-eu', 'backup', 'nightly-dump');
    const node = hep('node-7', '10.0.0.7');
    let invented = 0;
    for (let w = 0; w < 40; w++) {
      const at = T0 + w * MIN5;
      const records: NormalizedRecord[] = [flow(at, steady, postgres, { dstPort: 5432 })];
      if (w === 0) records.push(flow(at, nightly, postgres, { dstPort: 5432 }), flow(at, node, apiServer, { dstPort: 6443 }));
      for (let i = 0; i < 200; i++) records.push(flow(at, privateIp(`10.${100 + w}.${i >> 8}.${i & 255}`), postgres, { dstPort: 5432, reporter: 'dst' }), flow(at, publicIp(`198.18.${w}.${i}`), steady, { dstPort: 443, reporter: 'dst' }));
      invented += 400;
      await s.process(records);
    }
    await s.close();
    expect(s.baselines.size).toBeLessThanOrEqual(60);
    expect(s.baselines.evictions + s.stats.baselinesNotKept).toBeGreaterThanOrEqual(invented - 60);
    // The workloads and the node kept their baselines, the one seen only in the first window too.
    for (const key of ['prod-eu/ml-serve/llm-infer', 'prod-eu/data/postgres', 'prod-eu/backup/nightly-dump', 'prod-eu//node-7']) expect(s.baselines.peek(key)).toBeDefined();
    expect(s.baselines.peek('prod-eu/ml-serve/llm-infer')?.windows).toBe(40);

    const bytes = stage({ max_state_mb: 8 }).stage;
    invented = 0;
    for (let w = 0; w < 40; w++) {
      const at = T0 + w * MIN5;
      const records: NormalizedRecord[] = [flow(at, steady, postgres, { dstPort: 5432 })];
      if (w === 0) records.push(flow(at, nightly, postgres, { dstPort: 5432 }));
      for (let i = 0; i < 300; i++) records.push(flow(at, privateIp(`10.${100 + w}.${i >> 8}.${i & 255}`), postgres, { dstPort: 5432, reporter: 'dst' }));
      invented += 300;
      await bytes.process(records);
    }
    await bytes.close();
    expect(bytes.stateBytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(bytes.baselines.size).toBeLessThan(invented / 4);
    expect(bytes.baselines.evictions).toBeGreaterThan(5_000);
    expect(bytes.baselines.peek('prod-eu/ml-serve/llm-infer')?.windows).toBe(40);
    expect(bytes.baselines.peek('prod-eu/backup/nightly-dump')).toBeDefined();
  });
});
