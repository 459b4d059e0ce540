import { registeredDomain } from '../baseline/dns-name.ts';
import type { Finding } from '../model/alert.ts';
import { mayJudgeNovelty } from './edge-novelty.ts';
import { bytes, finding, who } from './finding.ts';
import { firstUse } from './new-external-upload.ts';
import type { Detector, DetectorContext } from './types.ts';

const defaults = {
  /** A registered domain this share of the role's other workloads use is in the role's learned profile. */
  common_share: 0.3,
  /** Role groups smaller than this cannot vouch for a domain. */
  min_group: 3,
  /**
   * A registered domain the workload first used this long ago is its habit: it was reported
   * when it was new (one incident), not again each time a rotating CDN name under it comes back
   * hours later. Longer than the incident's first windows, so an attack's first hour is whole.
   */
  habit_hours: 2,
};

/** Why a name is fine for the workload, or undefined when it is not. */
function allowedBy(fqdn: string, at: number, ctx: DetectorContext, params: typeof defaults, allowlist: (fqdn: string) => boolean): string | undefined {
  if (allowlist(fqdn)) return 'allowlist';
  const domain = registeredDomain(fqdn);
  // The workload's own learned profile, once it has learned: the names it used while it was
  // learning (after that, a new name is news however often it is used since; while learning,
  // only the role vouches) — and a domain it first used hours ago (reported then).
  if (ctx.learned) {
    const learnedUntil = ctx.baseline.firstSeen + ctx.settings.learningMs;
    const resolved = ctx.baseline.domains.get(domain);
    if (resolved !== undefined && resolved.first < learnedUntil) return 'workload';
    if (firstUse(ctx.baseline, fqdn) < learnedUntil) return 'workload';
    if (resolved !== undefined && at - resolved.first >= params.habit_hours * 3_600_000) return 'habit';
  }
  // The role's learned profile: what the other workloads of the role commonly use.
  const { share, members } = ctx.peerGroups.share(ctx.baseline.workload.role, `dns:${domain}`, ctx.baseline.key);
  if (members >= params.min_group && share >= params.common_share) return 'role';
  return undefined;
}

/**
 * Egress to a name outside the role's destination profile (T1071.001 / T1105). The profile is
 * learned — the names the workload used while it was learning, the registered domains it first
 * used hours ago (a new one is reported once, when it is new) and those its role's peers
 * commonly use — with
 * the role's static allowlist (`detection.allowlists`, defaults covering cloud storage, model
 * hubs, package registries and common ML and observability SaaS) as an override that is
 * always allowed. Roles without a list are not checked; nothing is judged before the workload
 * or its role has learned.
 */
export const fqdnAllowlist: Detector<typeof defaults> = {
  name: 'fqdn-allowlist',
  category: 'command-and-control',
  techniques: ['T1071.001', 'T1105'],
  defaults,
  units: ['workload', 'host', 'networkset', 'ip'],
  evaluate(window, ctx, params) {
    const allowlist = ctx.settings.allowlists[window.workload.role];
    if (allowlist === undefined || !mayJudgeNovelty(ctx)) return [];
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const edge of window.edges.values()) {
      if (edge.peerKind !== 'public' || edge.fqdn === undefined || seen.has(edge.fqdn)) continue;
      seen.add(edge.fqdn);
      if (allowedBy(edge.fqdn, window.start, ctx, params, allowlist) !== undefined) continue;
      const upload = edge.bytesOut > 10 * Math.max(edge.bytesIn, 1) && edge.bytesOut > 1_000_000;
      const { share, members } = ctx.peerGroups.share(window.workload.role, `dns:${registeredDomain(edge.fqdn)}`, window.key);
      out.push(finding(this, window, {
        peer: edge.fqdn,
        technique: upload ? 'T1071.001' : edge.bytesIn > 1_000_000 ? 'T1105' : 'T1071.001',
        severity: upload || edge.denied < edge.connections ? 'critical' : 'warning',
        score: edge.denied === edge.connections ? 0.6 : 0.85,
        startsAt: edge.firstAt,
        summary: `${who(window)} (${window.workload.role}) reached ${edge.fqdn}:${edge.port}, which is neither on the ${window.workload.role} allowlist nor in its learned destinations (${Math.round(share * 100)}% of ${members} other ${window.workload.role} workloads use it; ${edge.connections} connections, ${bytes(edge.bytesOut)} out)`,
        evidence: {
          fqdn: edge.fqdn, ip: edge.ip, port: edge.port, connections: edge.connections, denied: edge.denied, bytesOut: edge.bytesOut, bytesIn: edge.bytesIn, role: window.workload.role,
          learnedDomains: ctx.baseline.domains.size, roleShare: Math.round(share * 100) / 100, roleGroupSize: members,
        },
      }));
    }
    return out;
  },
};
