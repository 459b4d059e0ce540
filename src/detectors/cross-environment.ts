import type { Finding } from '../model/alert.ts';
import { edgeNovelty, isEastWest, mayJudgeNovelty } from './edge-novelty.ts';
import { finding, who } from './finding.ts';
import { crossesBoundary } from './new-east-west-edge.ts';
import type { Detector } from './types.ts';

const defaults = {
  min_group: 3,
  /** An edge this share of the role's workloads use is an established integration. */
  common_share: 0.3,
  /** Other workloads (any role, any cluster) using the same peer and port that make it a shared service (a registry another cluster pushes to). */
  shared_service_users: 3,
};

/**
 * Access across environments or clusters (T1021 / T1210): a dev notebook reading the
 * production model registry, a workload in one cluster reaching into another. A new workload
 * is judged before it has learned (a new dev workload reaching prod is exactly the case) once
 * its role has; not when the edge is learned, common for the role, or a shared service that
 * several workloads already use (a registry CI in another cluster pushes to).
 */
export const crossEnvironment: Detector<typeof defaults> = {
  name: 'cross-environment',
  category: 'lateral-movement',
  techniques: ['T1021', 'T1210'],
  defaults,
  evaluate(window, ctx, params) {
    if (window.workload.role === 'system' || window.workload.role === 'gateway' || !mayJudgeNovelty(ctx)) return [];
    const out: Finding[] = [];
    for (const [edgeKey, edge] of window.edges) {
      if (!isEastWest(edge) || !crossesBoundary(window, edge)) continue;
      const { groupShare, groupSize, known } = edgeNovelty(edgeKey, { ...ctx, learned: true }, params.min_group);
      if (known || (groupSize >= params.min_group && groupShare >= params.common_share)) continue;
      if (ctx.peerGroups.usersOf(edgeKey, window.key, window.workload.role) >= params.shared_service_users) continue;
      const peer = edge.peerWorkload!;
      const w = window.workload;
      const devToProd = w.env !== 'prod' && peer.env === 'prod';
      const crossCluster = peer.cluster !== w.cluster;
      const what = [devToProd ? `${w.env}→prod` : '', crossCluster ? 'cross-cluster' : ''].filter(Boolean).join(', ') || `${w.env}→${peer.env}`;
      out.push(finding(this, window, {
        peer: edge.peer,
        severity: devToProd || peer.role === 'data' ? 'critical' : 'warning',
        score: 0.6 + (devToProd ? 0.25 : 0) + (peer.role === 'data' ? 0.15 : 0),
        startsAt: edge.firstAt,
        summary: `${who(window)} (${w.env}) reached ${edge.peer}:${edge.port} (${peer.env}${crossCluster ? `, cluster ${peer.cluster}` : ''}): ${what}, ${edge.connections} connections`,
        evidence: {
          sourceEnv: w.env, targetEnv: peer.env, sourceCluster: w.cluster, targetCluster: peer.cluster, targetRole: peer.role,
          port: edge.port, connections: edge.connections, denied: edge.denied, bytesOut: edge.bytesOut, bytesIn: edge.bytesIn,
          roleShare: Math.round(groupShare * 100) / 100, roleGroupSize: groupSize,
        },
      }));
    }
    return out;
  },
};
