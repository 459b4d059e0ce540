import type { Finding } from '../model/alert.ts';
import { bytes, finding, who } from './finding.ts';
import type { Detector } from './types.ts';

const defaults = {
  /** Bytes out at which the bypass is critical (data leaving, not only a policy breach). */
  critical_bytes: 10_000_000,
};

/**
 * A workload reaching an AI provider's API (`detection.gateway_only_domains`) directly instead
 * of through its designated egress gateway (`detection.egress_gateways`): a policy violation,
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
    for (const edge of window.edges.values()) {
      if (edge.peerKind !== 'public' || edge.fqdn === undefined || !ctx.settings.gatewayOnlyDomains(edge.fqdn)) continue;
      if (edge.denied === edge.connections) continue;
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
