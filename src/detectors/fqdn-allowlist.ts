import type { Finding } from '../model/alert.ts';
import { bytes, finding, who } from './finding.ts';
import type { Detector } from './types.ts';

const defaults = {};

/**
 * Egress to a name that is not on the role's allowlist (T1071.001 / T1105): roles with a list
 * (`detection.allowlists`) may only reach those names; roles without one are not checked.
 */
export const fqdnAllowlist: Detector<typeof defaults> = {
  name: 'fqdn-allowlist',
  category: 'command-and-control',
  techniques: ['T1071.001', 'T1105'],
  defaults,
  evaluate(window, ctx) {
    const allowed = ctx.settings.allowlists[window.workload.role];
    if (allowed === undefined) return [];
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const edge of window.edges.values()) {
      if (edge.peerKind !== 'public' || edge.fqdn === undefined || seen.has(edge.fqdn) || allowed(edge.fqdn)) continue;
      seen.add(edge.fqdn);
      const upload = edge.bytesOut > 10 * Math.max(edge.bytesIn, 1) && edge.bytesOut > 1_000_000;
      out.push(finding(this, window, {
        peer: edge.fqdn,
        technique: upload ? 'T1071.001' : edge.bytesIn > 1_000_000 ? 'T1105' : 'T1071.001',
        severity: upload || edge.denied < edge.connections ? 'critical' : 'warning',
        score: edge.denied === edge.connections ? 0.6 : 0.85,
        startsAt: edge.firstAt,
        summary: `${who(window)} (${window.workload.role}) reached ${edge.fqdn}:${edge.port}, which is not on the ${window.workload.role} allowlist (${edge.connections} connections, ${bytes(edge.bytesOut)} out)`,
        evidence: { fqdn: edge.fqdn, ip: edge.ip, port: edge.port, connections: edge.connections, denied: edge.denied, bytesOut: edge.bytesOut, bytesIn: edge.bytesIn, role: window.workload.role },
      }));
    }
    return out;
  },
};
