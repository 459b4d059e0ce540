import type { Finding } from '../model/alert.ts';
import { finding, who } from './finding.ts';
import type { Detector } from './types.ts';

/** Cloud instance-metadata endpoints (AWS/GCP/Azure/OpenStack, Alibaba, AWS IPv6). */
const METADATA_IPS = new Set(['169.254.169.254', '100.100.100.200', 'fd00:ec2::254']);
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata', 'instance-data.ec2.internal']);

const defaults = {
  /** A role whose workloads at least this often use the metadata API may keep using it. */
  common_share: 0.5,
  min_group: 3,
  /**
   * Denied attempts in one window that make a finding: a blocked SDK probing for credentials
   * now and then is the policy working; a loop hammering it is someone looking.
   */
  min_denied_attempts: 10,
};

/**
 * Pods reaching the cloud metadata API (T1552.005): the classic way from a compromised pod to
 * the node's cloud credentials. Quiet for workloads that always did it (learned edge) and for
 * roles where it is the norm (e.g. node agents), and for the odd denied probe of a cloud SDK
 * (the policy works); loud otherwise, even before learning.
 */
export const metadataApi: Detector<typeof defaults> = {
  name: 'metadata-api',
  category: 'credential-access',
  techniques: ['T1552.005'],
  defaults,
  evaluate(window, ctx, params) {
    if (window.workload.role === 'system') return [];
    const out: Finding[] = [];
    for (const [edgeKey, edge] of window.edges) {
      const target = edge.ip ?? edge.fqdn ?? edge.peer;
      if (!METADATA_IPS.has(target) && !METADATA_NAMES.has(edge.fqdn ?? '') && !METADATA_IPS.has(edge.peer)) continue;
      if (ctx.baseline.peers.has(edgeKey)) continue;
      const { share, members } = ctx.peerGroups.share(window.workload.role, edgeKey, window.key);
      if (members >= params.min_group && share >= params.common_share) continue;
      const denied = edge.denied === edge.connections;
      if (denied && edge.denied < params.min_denied_attempts) continue;
      out.push(finding(this, window, {
        peer: `${target}:${edge.port}`,
        severity: denied ? 'warning' : 'critical',
        score: denied ? 0.7 : 0.95,
        startsAt: edge.firstAt,
        summary: `${who(window)} ${denied ? 'tried to reach' : 'reached'} the cloud metadata API ${target}:${edge.port} (${edge.connections} connections)`,
        evidence: { target, port: edge.port, connections: edge.connections, denied: edge.denied, bytesIn: edge.bytesIn, roleShare: share, roleGroupSize: members },
      }));
    }
    return out;
  },
};
