import { pullsOf } from '../baseline/bulk-pulls.ts';
import type { Finding } from '../model/alert.ts';
import { bytes, finding, who } from './finding.ts';
import type { Detector, DetectorContext } from './types.ts';

const defaults = {
  /** Bytes pulled from one data source in one window that count as a bulk pull. */
  min_bytes: 500_000_000,
  /** Times the workload's own norm (its largest pull per window, decayed over a week), from a source it already pulls from. */
  factor: 10,
  /**
   * A source this share of the role's other workloads pull from is the role's normal supply
   * (weights at rollout), for a workload younger than own_history_hours. An older one is
   * judged on its own habits: a source new to it is news unless nearly all of its role
   * (`role_wide_share`) uses it — a pre-training job is not a fine-tuning sweep because both
   * are "training".
   */
  common_share: 0.3,
  role_wide_share: 0.8,
  min_group: 3,
  /** Or this many of them, whatever their share: the role's supply for a workload with no day of its own. */
  role_users: 2,
  /**
   * History (hours) a workload needs before its own pulls are its norm: pulls follow daily
   * rhythms (rollouts, nightly jobs), which a few hours do not show. A younger workload is
   * judged against its role, once the role has this much history.
   */
  own_history_hours: 24,
};

/**
 * Data staging (T1074 / T1530 / T1213): a workload pulls in bulk from a data store, registry or
 * object store, far above what it ever pulls and from a source its role does not commonly
 * use — a trainer that never pulls copying the model weights out of the registry. A workload
 * with less than a day of history is judged against its role instead, and not at all before
 * the role has a day. Collection
 * is often the first visible step of theft; an exfiltration within a day links to it (see
 * BulkPulls.stagedBefore in the exfiltration detectors' evidence).
 */
export const dataStaging: Detector<typeof defaults> = {
  name: 'data-staging',
  category: 'collection',
  techniques: ['T1074', 'T1530', 'T1213'],
  defaults,
  units: ['workload', 'host', 'ip'],
  evaluate(window, ctx, params) {
    const role = window.workload.role;
    if (role === 'system' || role === 'gateway' || role === 'data') return [];
    const pulls = pullsOf(window, params.min_bytes);
    if (pulls.length === 0) return [];
    const historyMs = params.own_history_hours * 3_600_000;
    const ownDay = window.start - ctx.baseline.firstSeen >= historyMs;
    const roleSince = ctx.peerGroups.roleSince(role);
    if (!ownDay && (roleSince === undefined || window.start - roleSince < historyMs)) return [];
    const norm = ctx.baseline.pulls.normAsOf(window.start);
    const out: Finding[] = [];
    for (const pull of pulls) {
      const known = ctx.baseline.peers.has(pull.edgeKey);
      // From a source it already pulls from, only far above its norm; from one it never used
      // (the trainer that never touches the model store), any bulk pull.
      if (known && pull.bytes < params.factor * norm) continue;
      const { share, members } = ctx.peerGroups.share(role, pull.edgeKey, window.key);
      const roleUsers = Math.round(share * members);
      if (members >= params.min_group && share >= (ownDay ? params.role_wide_share : params.common_share)) continue;
      // Without a day of its own, the role vouches for its usual sources (weights at a rollout).
      if (!ownDay && roleUsers >= params.role_users) continue;
      out.push(finding(this, window, {
        peer: pull.from,
        technique: pull.from.includes('registry') || pull.from.includes('minio') ? 'T1530' : 'T1074',
        severity: pull.bytes >= 5 * Math.max(params.min_bytes, params.factor * norm) || !known ? 'critical' : 'warning',
        score: Math.min(1, 0.6 + pull.bytes / (20 * params.min_bytes)),
        summary: `${who(window)} pulled ${bytes(pull.bytes)} from ${pull.from}:${pull.port} in one window (its largest pull so far ${bytes(Math.round(norm))}; ${Math.round(share * 100)}% of ${role} workloads use this source${known ? '' : '; a source it never used'})`,
        evidence: { source: pull.from, port: pull.port, bytesIn: pull.bytes, baselineLargestPull: Math.round(norm), factor: norm === 0 ? null : Math.round((pull.bytes / norm) * 10) / 10, knownSource: known, roleShare: Math.round(share * 100) / 100, roleGroupSize: members },
      }));
    }
    return out;
  },
};

/**
 * The staging an exfiltration at `at` follows, as evidence (`stagedBefore`), or undefined: a
 * bulk pull far above the workload's norm within the last day (STAGING).
 */
export function stagingLink(ctx: DetectorContext, at: number): { stagedBefore: { source: string; bytesIn: number; at: string; minutesBefore: number } } | undefined {
  const staged = ctx.baseline.pulls.stagedBefore(at);
  if (staged === undefined) return undefined;
  return { stagedBefore: { source: staged.from, bytesIn: staged.bytes, at: new Date(staged.at).toISOString(), minutesBefore: Math.round((at - staged.at) / 60_000) } };
}
