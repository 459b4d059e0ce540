import type { EdgeUse } from '../baseline/window-stats.ts';
import type { DetectorContext } from './types.ts';

/**
 * How new an edge is for this workload: 1 = never seen by the workload nor by its role's
 * peers, 0 = learned. Before the workload has learned, only the role's view counts, so a new
 * training job is judged against the other training jobs instead of staying invisible; before
 * the role has learned either, nothing is "new" yet (novelty 0).
 */
export function edgeNovelty(edgeKey: string, ctx: DetectorContext, minGroup: number): { novelty: number; groupShare: number; groupSize: number; known: boolean } {
  // A learned edge is not news, whatever the role does (callers skip it): no peer-group look-up.
  if (ctx.baseline.peers.has(edgeKey)) return KNOWN;
  if (!ctx.learned && !ctx.roleLearned) return UNJUDGED;
  const known = false;
  const { share, members } = ctx.peerGroups.share(ctx.baseline.workload.role, edgeKey, ctx.baseline.key);
  const groupCounts = members >= minGroup;
  if (!ctx.learned && !groupCounts) return { novelty: 0, groupShare: share, groupSize: members, known };
  return { novelty: groupCounts ? 1 - share : 1, groupShare: share, groupSize: members, known };
}

const KNOWN = Object.freeze({ novelty: 0, groupShare: 0, groupSize: 0, known: true });
/** Neither the workload nor its role has learned: no judgement yet. */
const UNJUDGED = Object.freeze({ novelty: 0, groupShare: 0, groupSize: 0, known: false });

/**
 * Whether a "never seen before" judgement may be made at all: the workload has learned, or it
 * is new in a role that has (and is judged against the role's peers).
 */
export function mayJudgeNovelty(ctx: DetectorContext): boolean {
  return ctx.learned || ctx.roleLearned;
}

/** Edges to in-cluster peers (pods, hosts, network sets) or private addresses: east-west. */
export function isEastWest(edge: EdgeUse): boolean {
  return edge.peerKind === 'pod' || edge.peerKind === 'host' || edge.peerKind === 'networkset' || edge.peerKind === 'private';
}
