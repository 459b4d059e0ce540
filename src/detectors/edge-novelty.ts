import type { EdgeUse } from '../baseline/window-stats.ts';
import type { DetectorContext } from './types.ts';

/**
 * How new an edge is for this workload: 1 = never seen by the workload nor by its role's
 * peers, 0 = learned. Before the workload has learned, only the role's view counts, so a new
 * training job is judged against the other training jobs instead of staying invisible.
 */
export function edgeNovelty(edgeKey: string, ctx: DetectorContext, minGroup: number): { novelty: number; groupShare: number; groupSize: number; known: boolean } {
  const known = ctx.baseline.peers.has(edgeKey);
  const { share, members } = ctx.peerGroups.share(ctx.baseline.workload.role, edgeKey, ctx.baseline.key);
  if (known) return { novelty: 0, groupShare: share, groupSize: members, known };
  const groupCounts = members >= minGroup;
  if (!ctx.learned && !groupCounts) return { novelty: 0, groupShare: share, groupSize: members, known };
  return { novelty: groupCounts ? 1 - share : 1, groupShare: share, groupSize: members, known };
}

/** Edges to in-cluster peers (pods, hosts, network sets) or private addresses: east-west. */
export function isEastWest(edge: EdgeUse): boolean {
  return edge.peerKind === 'pod' || edge.peerKind === 'host' || edge.peerKind === 'networkset' || edge.peerKind === 'private';
}
