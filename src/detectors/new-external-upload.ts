import type { WorkloadBaseline } from '../baseline/workload-baseline.ts';
import type { Finding } from '../model/alert.ts';
import { stagingLink } from './data-staging.ts';
import { mayJudgeNovelty } from './edge-novelty.ts';
import { bytes, finding, who } from './finding.ts';
import type { Detector } from './types.ts';

const defaults = {
  /** Bytes sent to one new destination in one window that count as a large upload. */
  min_bytes: 50_000_000,
  /** Sent ÷ received to the destination: uploads, not downloads. */
  min_upload_ratio: 5,
  /** A destination this share of the role's workloads use is not new for the role. */
  common_share: 0.3,
  min_group: 3,
};

/** When the workload first used `peer`, on any port (Infinity: never). */
export function firstUse(baseline: WorkloadBaseline, peer: string): number {
  const prefix = `${peer}|`;
  let first = Number.POSITIVE_INFINITY;
  for (const key of baseline.peers.keys()) if (key.startsWith(prefix)) first = Math.min(first, baseline.peers.get(key)!.first);
  return first;
}

/** Whether the workload ever used `peer`, on any port. */
export function knownPeer(baseline: WorkloadBaseline, peer: string): boolean {
  const prefix = `${peer}|`;
  for (const key of baseline.peers.keys()) if (key.startsWith(prefix)) return true;
  return false;
}

/**
 * A large upload to an external destination the workload never used and its role does not
 * use (T1048 / T1567.002): the shape of data theft to an attacker's server or bucket.
 */
export const newExternalUpload: Detector<typeof defaults> = {
  name: 'new-external-upload',
  category: 'exfiltration',
  techniques: ['T1048', 'T1567.002'],
  defaults,
  units: ['workload', 'host', 'networkset', 'ip'],
  evaluate(window, ctx, params) {
    const out: Finding[] = [];
    for (const [edgeKey, edge] of window.edges) {
      if (edge.peerKind !== 'public' || edge.bytesOut < params.min_bytes) continue;
      if (edge.bytesOut < params.min_upload_ratio * Math.max(edge.bytesIn, 1)) continue;
      if (knownPeer(ctx.baseline, edge.peer) || !mayJudgeNovelty(ctx)) continue;
      // While a workload is still learning, uploads to its role's sanctioned destinations are its normal life.
      const allowlist = ctx.settings.allowlists[window.workload.role];
      if (!ctx.learned && edge.fqdn !== undefined && allowlist !== undefined && allowlist(edge.fqdn)) continue;
      const { share, members } = ctx.peerGroups.share(window.workload.role, edgeKey, window.key);
      if (!ctx.learned && members < params.min_group) continue;
      if (members >= params.min_group && share >= params.common_share) continue;
      const staged = stagingLink(ctx, window.start);
      out.push(finding(this, window, {
        peer: edge.peer,
        technique: edge.fqdn !== undefined ? 'T1567.002' : 'T1048',
        severity: edge.bytesOut >= 10 * params.min_bytes || staged !== undefined ? 'critical' : 'warning',
        score: Math.min(1, 0.6 + edge.bytesOut / (100 * params.min_bytes)),
        startsAt: edge.firstAt,
        summary: `${who(window)} uploaded ${bytes(edge.bytesOut)} to ${edge.peer}${edge.ip !== undefined && edge.ip !== edge.peer ? ` (${edge.ip})` : ''}, a destination it never used${staged === undefined ? '' : `, ${staged.stagedBefore.minutesBefore} min after pulling ${bytes(staged.stagedBefore.bytesIn)} from ${staged.stagedBefore.source}`}`,
        evidence: { destination: edge.peer, ip: edge.ip, port: edge.port, bytesOut: edge.bytesOut, bytesIn: edge.bytesIn, connections: edge.connections, knownExternalPeers: ctx.baseline.peers.size, roleShare: share, roleGroupSize: members, learned: ctx.learned, ...staged },
      }));
    }
    return out;
  },
};
