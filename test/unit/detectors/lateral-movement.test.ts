import { describe, expect, it } from 'vitest';
import { crossEnvironment } from '../../../src/detectors/cross-environment.ts';
import { deniedBurst } from '../../../src/detectors/denied-burst.ts';
import { ipSweep } from '../../../src/detectors/ip-sweep.ts';
import { metadataApi } from '../../../src/detectors/metadata-api.ts';
import { newEastWestEdge } from '../../../src/detectors/new-east-west-edge.ts';
import { portScan } from '../../../src/detectors/port-scan.ts';
import { sensitivePort } from '../../../src/detectors/sensitive-port.ts';
import { BoundedSet } from '../../../src/baseline/bounded.ts';
import { edge, keyOf, learned, workload } from './factories.ts';

const notebook = workload('jupyter', 'dev', 'dev', 'dev-us', 'notebooks');
const postgres = workload('postgres', 'data', 'dev', 'dev-us', 'data');
const cache = workload('cache', 'inference', 'dev', 'dev-us', 'ml');
const prodRegistry = workload('registry', 'data', 'prod', 'prod-eu', 'model-registry');
const usual = (win: Parameters<typeof edge>[0]) => edge(win, { peer: keyOf(postgres), peerWorkload: postgres, port: 5432 });

function ports(n: number): BoundedSet<number> {
  const set = new BoundedSet<number>(4096);
  for (let i = 0; i < n; i++) set.add(1000 + i);
  return set;
}

describe('port-scan', () => {
  it.each([[14, 0], [15, 1], [150, 1]])('%i distinct ports on one target → %i findings', (n, expected) => {
    const ctx = learned(notebook, 10, usual);
    const win = ctx.next();
    win.portsByTarget.set('10.0.0.5', ports(n));
    const findings = portScan.evaluate(win, ctx, portScan.defaults);
    expect(findings).toHaveLength(expected);
    if (expected) expect(findings[0]).toMatchObject({ technique: 'T1046', peer: 'ports-on:10.0.0.5', severity: n >= 100 ? 'critical' : 'warning', evidence: { distinctPorts: n } });
  });
});

describe('ip-sweep', () => {
  const targets = (n: number) => {
    const set = new BoundedSet<string>(4096);
    for (let i = 0; i < n; i++) set.add(`10.0.1.${i}`);
    return set;
  };
  it.each([[19, 0], [20, 1]])('%i hosts on one port → %i findings', (n, expected) => {
    const ctx = learned(notebook, 10, usual);
    const win = ctx.next();
    win.targetsByPort.set(6379, targets(n));
    expect(ipSweep.evaluate(win, ctx, ipSweep.defaults)).toHaveLength(expected);
  });

  it('scales the threshold with a workload that fans out by design', () => {
    const wide = learned(notebook, 20, (win) => { for (let i = 0; i < 15; i++) edge(win, { peer: `p${i}`, port: 9090 }); });
    const win = wide.next();
    win.targetsByPort.set(9090, targets(30));
    expect(ipSweep.evaluate(win, wide, ipSweep.defaults)).toEqual([]);
    win.targetsByPort.set(9090, targets(46));
    expect(ipSweep.evaluate(win, wide, ipSweep.defaults)).toHaveLength(1);
  });
});

describe('sensitive-port', () => {
  it('flags a new SSH connection to a node, but not one the workload always makes', () => {
    const ctx = learned(notebook, 10, usual);
    const win = ctx.next();
    edge(win, { peer: 'dev-us//node-1', peerKind: 'host', port: 22 });
    expect(sensitivePort.evaluate(win, ctx, sensitivePort.defaults)).toMatchObject([{ technique: 'T1021.004', severity: 'critical', peer: 'dev-us//node-1:22' }]);
    const sshAlways = learned(notebook, 10, (w) => edge(w, { peer: 'dev-us//node-1', peerKind: 'host', port: 22 }));
    const again = sshAlways.next();
    edge(again, { peer: 'dev-us//node-1', peerKind: 'host', port: 22 });
    expect(sensitivePort.evaluate(again, sshAlways, sensitivePort.defaults)).toEqual([]);
  });

  it('reports a denied SSH attempt as a warning and ignores system workloads', () => {
    const ctx = learned(notebook, 10, usual);
    const win = ctx.next();
    edge(win, { peer: '10.0.0.9', peerKind: 'private', port: 22, connections: 3, denied: 3 });
    expect(sensitivePort.evaluate(win, ctx, sensitivePort.defaults)).toMatchObject([{ severity: 'warning' }]);
    const system = learned(workload('coredns', 'system'), 10, () => {});
    const sys = system.next();
    edge(sys, { peer: '10.0.0.9', peerKind: 'private', port: 10250 });
    expect(sensitivePort.evaluate(sys, system, sensitivePort.defaults)).toEqual([]);
  });
});

describe('learning before judging', () => {
  const apiServer = { peer: 'dev-us/default/kubernetes', peerKind: 'pod' as const, port: 443 };

  it('raises no "never seen" finding before the workload or its role has learned', () => {
    // An operator's first minute: its workload and its role are brand new.
    const first = learned(workload('cert-manager', 'other', 'dev', 'dev-us', 'cert-ops'), 0, () => {}, { learned: false, roleLearned: false });
    const win = first.next();
    edge(win, apiServer);
    edge(win, { peer: keyOf(prodRegistry), peerWorkload: prodRegistry, port: 8080 });
    edge(win, { peer: '198.51.100.7', peerKind: 'public', bytesOut: 80 * 1_000_000, bytesIn: 1_000 });
    for (const detector of [sensitivePort, crossEnvironment, newEastWestEdge]) expect(detector.evaluate(win, first, detector.defaults as never)).toEqual([]);
  });

  it('judges a new workload against its role once the role has learned', () => {
    const newcomer = learned(notebook, 0, () => {}, { learned: false, roleLearned: true });
    const win = newcomer.next();
    edge(win, apiServer);
    expect(sensitivePort.evaluate(win, newcomer, sensitivePort.defaults)).toMatchObject([{ technique: 'T1613', evidence: { service: 'Kubernetes API' } }]);
  });
});

describe('new-east-west-edge', () => {
  it('flags a new edge to a data store after learning, weighted by sensitivity', () => {
    const ctx = learned(cache, 100, (win) => edge(win, { peer: 'dev-us/ml/api', peerWorkload: workload('api', 'inference', 'dev', 'dev-us', 'ml'), port: 8080 }));
    const win = ctx.next();
    edge(win, { peer: keyOf(postgres), peerWorkload: postgres, port: 5432 });
    edge(win, { peer: 'dev-us/ml/other', peerWorkload: workload('other', 'inference', 'dev', 'dev-us', 'ml'), port: 8080 });
    const findings = newEastWestEdge.evaluate(win, ctx, newEastWestEdge.defaults);
    expect(findings.map((f) => f.peer)).toEqual([keyOf(postgres)]); // the inference peer is below min_score
    expect(findings[0]).toMatchObject({ severity: 'critical', evidence: { targetRole: 'data' } });
  });

  it('leaves a bulk pull from a data store to data-staging (a rollout fetching its weights)', () => {
    const ctx = learned(cache, 100, () => {});
    const pull = ctx.next();
    edge(pull, { peer: keyOf(postgres), peerWorkload: postgres, port: 5432, bytesIn: 2_000_000_000 });
    expect(newEastWestEdge.evaluate(pull, ctx, newEastWestEdge.defaults)).toEqual([]);
    const read = ctx.next();
    edge(read, { peer: keyOf(postgres), peerWorkload: postgres, port: 5432, bytesIn: 80_000_000 });
    expect(newEastWestEdge.evaluate(read, ctx, newEastWestEdge.defaults)).toHaveLength(1);
  });

  it('is quiet for a shared service several workloads already use, and for an edge two role peers adopted', () => {
    const others = [1, 2, 3].map((i) => workload(`svc-${i}`, 'other', 'dev', 'dev-us', `team-${i}`));
    const registry = workload('harbor', 'data', 'dev', 'dev-us', 'registry');
    const toRegistry = (win: Parameters<typeof edge>[0]) => edge(win, { peer: keyOf(registry), peerWorkload: registry, port: 8080 });
    const shared = learned(cache, 100, (win) => { if (win.key !== keyOf(cache)) toRegistry(win); }, { others });
    const w1 = shared.next();
    toRegistry(w1);
    expect(newEastWestEdge.evaluate(w1, shared, newEastWestEdge.defaults)).toEqual([]);
    // Only two other users, both of the role: not a shared service, but the role's (a release adopting it).
    const peers = [1, 2].map((i) => workload(`cache-${i}`, 'inference', 'dev', 'dev-us', 'ml'));
    const adopters = new Set(peers.map(keyOf));
    const idle = Array.from({ length: 8 }, (_, i) => workload(`idle-${i}`, 'inference', 'dev', 'dev-us', 'ml2'));
    const adopted = learned(cache, 100, (win) => { if (adopters.has(win.key)) toRegistry(win); }, { others: [...peers, ...idle] });
    const w2 = adopted.next();
    toRegistry(w2);
    expect(adopted.peerGroups.share('inference', `${keyOf(registry)}|8080|tcp`, keyOf(cache))).toEqual({ share: 0.2, members: 10 });
    expect(newEastWestEdge.evaluate(w2, adopted, newEastWestEdge.defaults)).toEqual([]);
    // One adopter only: news.
    adopters.delete(keyOf(peers[1]!));
    const single = learned(cache, 100, (win) => { if (adopters.has(win.key)) toRegistry(win); }, { others: [...peers, ...idle] });
    const w3 = single.next();
    toRegistry(w3);
    expect(newEastWestEdge.evaluate(w3, single, newEastWestEdge.defaults)).toHaveLength(1);
  });

  it('stays quiet while learning, for edges the role shares, and for denied attempts', () => {
    const learning = learned(cache, 100, () => {}, { learned: false });
    const w1 = learning.next();
    edge(w1, { peer: keyOf(postgres), peerWorkload: postgres, port: 5432 });
    expect(newEastWestEdge.evaluate(w1, learning, newEastWestEdge.defaults)).toEqual([]);

    const peers = [1, 2, 3].map((i) => workload(`cache-${i}`, 'inference', 'dev', 'dev-us', 'ml'));
    const shared = learned(cache, 100, (win, i) => { if (win.key !== keyOf(cache) || i < 0) edge(win, { peer: keyOf(postgres), peerWorkload: postgres, port: 5432 }); }, { others: peers });
    const w2 = shared.next();
    edge(w2, { peer: keyOf(postgres), peerWorkload: postgres, port: 5432 });
    expect(newEastWestEdge.evaluate(w2, shared, newEastWestEdge.defaults)).toEqual([]);

    const ctx = learned(cache, 100, () => {});
    const w3 = ctx.next();
    edge(w3, { peer: keyOf(postgres), peerWorkload: postgres, port: 5432, connections: 4, denied: 4 });
    expect(newEastWestEdge.evaluate(w3, ctx, newEastWestEdge.defaults)).toEqual([]);
  });
});

describe('cross-environment', () => {
  it('flags dev → prod before the workload has learned (its role has), as critical when the target holds data', () => {
    const ctx = learned(notebook, 2, usual, { learned: false });
    const win = ctx.next();
    edge(win, { peer: keyOf(prodRegistry), peerWorkload: prodRegistry, port: 8080 });
    expect(crossEnvironment.evaluate(win, ctx, crossEnvironment.defaults)).toMatchObject([{ severity: 'critical', evidence: { sourceEnv: 'dev', targetEnv: 'prod', targetCluster: 'prod-eu' } }]);
  });

  it('is quiet for a learned cross-environment integration and for same-environment edges', () => {
    const ctx = learned(notebook, 10, (win) => edge(win, { peer: keyOf(prodRegistry), peerWorkload: prodRegistry, port: 8080 }));
    const win = ctx.next();
    edge(win, { peer: keyOf(prodRegistry), peerWorkload: prodRegistry, port: 8080 });
    usual(win);
    expect(crossEnvironment.evaluate(win, ctx, crossEnvironment.defaults)).toEqual([]);
  });
});

describe('metadata-api', () => {
  it('flags 169.254.169.254 from a pod that never used it; a burst of denied attempts is a warning, a blocked SDK probe nothing', () => {
    const ctx = learned(notebook, 10, usual);
    const win = ctx.next();
    edge(win, { peer: '169.254.169.254', ip: '169.254.169.254', peerKind: 'private', port: 80 });
    expect(metadataApi.evaluate(win, ctx, metadataApi.defaults)).toMatchObject([{ technique: 'T1552.005', severity: 'critical', category: 'credential-access' }]);
    const attempts = (n: number) => {
      const denied = ctx.next();
      edge(denied, { peer: '169.254.169.254', ip: '169.254.169.254', peerKind: 'private', port: 80, connections: n, denied: n });
      return metadataApi.evaluate(denied, ctx, metadataApi.defaults);
    };
    expect(attempts(metadataApi.defaults.min_denied_attempts)).toMatchObject([{ severity: 'warning' }]);
    expect(attempts(metadataApi.defaults.min_denied_attempts - 1)).toEqual([]);
  });

  it('is quiet for a workload that always used it', () => {
    const ctx = learned(notebook, 10, (win) => edge(win, { peer: '169.254.169.254', ip: '169.254.169.254', peerKind: 'private', port: 80 }));
    const win = ctx.next();
    edge(win, { peer: '169.254.169.254', ip: '169.254.169.254', peerKind: 'private', port: 80 });
    expect(metadataApi.evaluate(win, ctx, metadataApi.defaults)).toEqual([]);
  });
});

describe('denied-burst', () => {
  it.each([[19, 0], [20, 1]])('%i denied connections after learning → %i findings', (n, expected) => {
    const ctx = learned(notebook, 20, usual);
    const win = ctx.next();
    edge(win, { peer: keyOf(postgres), peerWorkload: postgres, port: 5433, connections: n, denied: n });
    expect(deniedBurst.evaluate(win, ctx, deniedBurst.defaults)).toHaveLength(expected);
  });

  it('needs a bigger burst before learning, and more than the usual denials', () => {
    const young = learned(notebook, 2, usual, { learned: false });
    const w1 = young.next();
    edge(w1, { peer: 'x', port: 1, connections: 99, denied: 99 });
    expect(deniedBurst.evaluate(w1, young, deniedBurst.defaults)).toEqual([]);
    const noisy = learned(notebook, 20, (win) => edge(win, { peer: 'x', port: 1, connections: 10, denied: 10 }));
    const w2 = noisy.next();
    edge(w2, { peer: 'x', port: 1, connections: 45, denied: 45 });
    expect(deniedBurst.evaluate(w2, noisy, deniedBurst.defaults)).toEqual([]);
    w2.denied = 50;
    expect(deniedBurst.evaluate(w2, noisy, deniedBurst.defaults)).toHaveLength(1);
  });
});
