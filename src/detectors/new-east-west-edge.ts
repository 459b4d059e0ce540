import { isDataSource, STAGING } from '../baseline/bulk-pulls.ts';
import type { EdgeUse, WindowStats } from '../baseline/window-stats.ts';
import type { Finding } from '../model/alert.ts';
import { edgeNovelty, isEastWest } from './edge-novelty.ts';
import { finding, who } from './finding.ts';
import { SENSITIVE_PORTS } from './sensitive-ports.ts';
import type { Detector } from './types.ts';

const defaults = {
  min_group: 3,
  /** Findings below this score (novelty × target sensitivity) are not raised. */
  min_score: 0.6,
  /** Score at which a new edge is critical. */
  critical_score: 0.85,
  /** Other workloads (any role) using the same peer and port that make it a shared service (a registry, a cache): one more client is not news. */
  shared_service_users: 3,
  /** Other workloads of the role using it that make it the role's (a rollout or release adopting a new source), whatever their share. */
  role_users: 2,
};

/** How much a target matters: data stores and control planes most. */
function sensitivity(edge: EdgeUse): { weight: number; why: string } {
  const role = edge.peerWorkload?.role;
  if (role === 'data') return { weight: 0.9, why: 'data store' };
  if (role === 'system') return { weight: 0.7, why: 'cluster system component' };
  if (edge.peerKind === 'host') return { weight: 0.8, why: 'node' };
  if (role === 'training') return { weight: 0.6, why: 'training job' };
  if (role === 'inference') return { weight: 0.5, why: 'inference service' };
  return { weight: 0.4, why: 'workload' };
}

/**
 * A new east-west edge after learning (T1021 / T1210): a workload starts talking to an
 * in-cluster peer it never used, which its role's peers do not use either, weighted by how
 * sensitive the target is. A peer that several other workloads of any role already use (a
 * registry, a shared cache) is a shared service, not a new path. Sensitive ports and
 * cross-environment edges have their own detectors; gateways and system workloads
 * legitimately meet new peers and are exempt. A host is judged on its edges to other hosts,
 * network sets and addresses, not to pods: its kubelet probes whatever is scheduled on it.
 */
export const newEastWestEdge: Detector<typeof defaults> = {
  name: 'new-east-west-edge',
  category: 'lateral-movement',
  techniques: ['T1021', 'T1210', 'T1570'],
  defaults,
  units: ['workload', 'host', 'networkset', 'ip'],
  evaluate(window, ctx, params) {
    const role = window.workload.role;
    if (role === 'system' || role === 'gateway' || !ctx.learned) return [];
    const out: Finding[] = [];
    const host = role === 'host';
    for (const [edgeKey, edge] of window.edges) {
      if (!isEastWest(edge) || SENSITIVE_PORTS.has(edge.port) || crossesBoundary(window, edge)) continue;
      if (host && edge.peerKind === 'pod') continue;
      // Attempts the policy refused are the denied-burst detector's business.
      if (edge.denied === edge.connections) continue;
      if (edge.peerWorkload?.role === 'system' && (edge.port === 53 || edge.port === 9153)) continue;
      // A bulk pull from a data store is collection, judged by data-staging against the
      // workload's own pulls (a rollout fetching its weights is not lateral movement).
      if (isDataSource(edge) && edge.bytesIn >= STAGING.minBytes) continue;
      const { novelty, groupShare, groupSize } = edgeNovelty(edgeKey, ctx, params.min_group);
      if (novelty === 0) continue;
      const users = ctx.peerGroups.usersOf(edgeKey, window.key, role);
      if (users >= params.shared_service_users || Math.round(groupShare * groupSize) >= params.role_users) continue;
      const target = sensitivity(edge);
      const score = novelty * target.weight;
      if (score < params.min_score) continue;
      out.push(finding(this, window, {
        peer: edge.peer,
        severity: score >= params.critical_score ? 'critical' : 'warning',
        score,
        startsAt: edge.firstAt,
        summary: `${who(window)} opened a new connection to ${target.why} ${edge.peer}:${edge.port} (${edge.connections} connections; ${Math.round(groupShare * 100)}% of ${role} workloads use it)`,
        evidence: {
          port: edge.port, protocol: edge.protocol, connections: edge.connections, denied: edge.denied, bytesOut: edge.bytesOut,
          targetRole: edge.peerWorkload?.role, targetSensitivity: target.weight, roleShare: Math.round(groupShare * 100) / 100, roleGroupSize: groupSize,
          knownPeers: ctx.baseline.peers.size, baselineWindows: ctx.baseline.windows, otherUsers: users,
        },
      }));
    }
    return out;
  },
};

/** Edges into another environment or cluster: left to the cross-environment detector. */
export function crossesBoundary(window: WindowStats, edge: EdgeUse): boolean {
  const peer = edge.peerWorkload;
  if (peer === undefined) return false;
  const w = window.workload;
  if (peer.cluster !== '' && w.cluster !== '' && peer.cluster !== w.cluster) return true;
  return w.env !== 'unknown' && peer.env !== 'unknown' && w.env !== peer.env;
}
