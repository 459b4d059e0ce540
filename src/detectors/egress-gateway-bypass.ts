import type { Finding } from '../model/alert.ts';
import { ROLES } from '../model/workload.ts';
import { bytes, finding, who } from './finding.ts';
import type { Detector, DetectorContext } from './types.ts';

const defaults = {
  /** Bytes out at which the bypass is critical (data leaving, not only a policy breach). */
  critical_bytes: 10_000_000,
};

/**
 * Whether the cluster routes AI traffic through an egress gateway: the clusters named in
 * `detection.egress_gateway_clusters`, or else those where a gateway workload has been seen.
 * A cluster without one (a dev cluster) has no gateway to bypass.
 */
export function gatewayPolicyApplies(cluster: string, ctx: DetectorContext): boolean {
  const { gatewayClusters, isEgressGateway } = ctx.settings;
  if (gatewayClusters !== undefined) return gatewayClusters(cluster);
  const prefix = `${cluster}/`;
  const gatewayHere = (key: string) => key.startsWith(prefix) && isEgressGateway(key);
  // Gateways get the gateway role by default, but `detection.roles` may give them another.
  return ROLES.some((role) => ctx.peerGroups.hasMember(role, gatewayHere));
}

/**
 * A workload reaching an AI provider's API (`detection.gateway_only_domains`) directly instead
 * of through its cluster's egress gateway (`detection.egress_gateways`), in clusters that have
 * one (see gatewayPolicyApplies): a policy violation,
 * and the path by which prompts, keys and data leave unaudited (T1567, T1090 when proxied).
 */
export const egressGatewayBypass: Detector<typeof defaults> = {
  name: 'egress-gateway-bypass',
  category: 'policy-violation',
  techniques: ['T1567', 'T1090'],
  defaults,
  evaluate(window, ctx, params) {
    if (ctx.settings.isEgressGateway(window.key)) return [];
    const out: Finding[] = [];
    let applies: boolean | undefined;
    for (const edge of window.edges.values()) {
      if (edge.peerKind !== 'public' || edge.fqdn === undefined || !ctx.settings.gatewayOnlyDomains(edge.fqdn)) continue;
      if (edge.denied === edge.connections) continue;
      applies ??= gatewayPolicyApplies(window.workload.cluster, ctx);
      if (!applies) return [];
      out.push(finding(this, window, {
        peer: edge.fqdn,
        severity: edge.bytesOut >= params.critical_bytes ? 'critical' : 'warning',
        score: edge.bytesOut >= params.critical_bytes ? 0.9 : 0.7,
        startsAt: edge.firstAt,
        summary: `${who(window)} called ${edge.fqdn} directly (${edge.connections} connections, ${bytes(edge.bytesOut)} out) instead of through the egress gateway`,
        evidence: { fqdn: edge.fqdn, ip: edge.ip, port: edge.port, connections: edge.connections, bytesOut: edge.bytesOut, bytesIn: edge.bytesIn },
      }));
    }
    return out;
  },
};
