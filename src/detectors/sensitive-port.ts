import { finding, who } from './finding.ts';
import { edgeNovelty, isEastWest, mayJudgeNovelty } from './edge-novelty.ts';
import { SENSITIVE_PORTS } from './sensitive-ports.ts';
import type { Detector } from './types.ts';
import type { Finding } from '../model/alert.ts';

const defaults = {
  /** Role groups smaller than this are too small to vouch for an edge. */
  min_group: 3,
  /** An edge that at least this share of the role's workloads use is normal for the role. */
  common_share: 0.3,
};

/**
 * Connections (or attempts) to remote-administration and cluster-control ports — SSH, RDP,
 * SMB, the Kubernetes API, kubelet, etcd, container runtimes — that the workload has not used
 * before and its role does not commonly use. System workloads are exempt (they do this daily).
 * Nothing is "never seen" before the workload or its role has learned: log shippers, operators
 * and etcd clients use these ports from their first minute. Pods only: for a node or a machine
 * known by its address, SSH to a host it never used is administration, not news.
 */
export const sensitivePort: Detector<typeof defaults> = {
  name: 'sensitive-port',
  category: 'lateral-movement',
  techniques: ['T1021', 'T1021.004', 'T1210', 'T1613', 'T1552', 'T1610', 'T1609'],
  defaults,
  evaluate(window, ctx, params) {
    if (window.workload.role === 'system' || !mayJudgeNovelty(ctx)) return [];
    const out: Finding[] = [];
    for (const [edgeKey, edge] of window.edges) {
      if (!isEastWest(edge)) continue;
      const apiServer = edge.peerWorkload?.name === 'kube-apiserver' || edge.peer.endsWith('/default/kubernetes');
      const port = SENSITIVE_PORTS.get(edge.port) ?? (apiServer ? { service: 'Kubernetes API', technique: 'T1613' } : undefined);
      if (port === undefined) continue;
      const { novelty, groupShare, groupSize, known } = edgeNovelty(edgeKey, { ...ctx, learned: true }, params.min_group);
      if (known || groupShare >= params.common_share) continue;
      const attempted = edge.denied === edge.connections;
      const critical = port.service !== 'SSH' || !attempted;
      out.push(finding(this, window, {
        peer: `${edge.peer}:${edge.port}`,
        technique: port.technique,
        severity: critical ? 'critical' : 'warning',
        score: 0.6 + 0.4 * novelty,
        startsAt: edge.firstAt,
        summary: `${who(window)} ${attempted ? 'tried to reach' : 'connected to'} ${port.service} on ${edge.peer}:${edge.port} (${edge.connections} connections, never seen before for this workload)`,
        evidence: {
          service: port.service, port: edge.port, protocol: edge.protocol, connections: edge.connections, denied: edge.denied,
          bytesOut: edge.bytesOut, seenBefore: known, roleShare: round(groupShare), roleGroupSize: groupSize, ip: edge.ip,
        },
      }));
    }
    return out;
  },
};

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
