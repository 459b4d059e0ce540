import { robust } from '../baseline/series.ts';
import { finding, who } from './finding.ts';
import type { Detector } from './types.ts';

const defaults = {
  /** Direct inbound connections from outside in one window that make the finding. */
  min_connections: 5,
};

/**
 * A workload normally reached only through an ingress gateway receiving connections straight
 * from outside the cluster (T1133 external remote services, an exposed path that skips the
 * gateway's authentication and rate limits). Workloads always reached directly (a
 * LoadBalancer service) learn that and stay quiet.
 */
export const ingressGatewayBypass: Detector<typeof defaults> = {
  name: 'ingress-gateway-bypass',
  category: 'policy-violation',
  techniques: ['T1133', 'T1190'],
  defaults,
  evaluate(window, ctx, params) {
    const role = window.workload.role;
    if (role === 'gateway' || role === 'system' || !ctx.learned) return [];
    if (window.inboundExternalDirect < params.min_connections) return [];
    const usual = robust(ctx.baseline.inboundExternalDirect);
    if (usual.p95 > 0) return [];
    return [finding(this, window, {
      peer: 'direct-from-outside',
      severity: role === 'inference' || role === 'data' ? 'critical' : 'warning',
      score: 0.8,
      summary: `${who(window)} received ${window.inboundExternalDirect} connections straight from outside the cluster, bypassing the ingress gateway (${window.inboundViaGateway} came through it)`,
      evidence: { directFromOutside: window.inboundExternalDirect, viaGateway: window.inboundViaGateway, externalClients: [...window.externalClients.keys()].slice(0, 10), baselineDirectP95: usual.p95, baselineWindows: usual.n },
    })];
  },
};
