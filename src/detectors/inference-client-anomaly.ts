import { robust } from '../baseline/series.ts';
import type { Finding } from '../model/alert.ts';
import { finding, who } from './finding.ts';
import type { Detector } from './types.ts';

const defaults = {
  /** Share of inbound connections from one client that counts as dominating. */
  dominant_share: 0.6,
  /** Connections from that client in the window, at least... */
  min_client_connections: 100,
  /** ...and, once learned, this multiple of the workload's usual busy window of inbound connections. */
  inbound_factor: 3,
  /** Distinct external clients in a window vs the usual busy window (p95). */
  client_factor: 5,
  min_new_clients: 200,
};

/**
 * Unusual client mixes at an inference endpoint (T1499; ATLAS AML.T0034 cost harvesting):
 * many new external clients at once, or one client dominating. Needs client IPs: Calico's
 * default aggregation hides them (every client is `pub`), so on such data only the ingress
 * spike detector can see floods; Hubble and non-aggregated Calico logs keep them.
 */
export const inferenceClientAnomaly: Detector<typeof defaults> = {
  name: 'inference-client-anomaly',
  category: 'impact',
  techniques: ['T1499'],
  defaults,
  evaluate(window, ctx, params) {
    if (window.workload.role !== 'inference' && window.workload.role !== 'gateway') return [];
    const out: Finding[] = [];
    let top = { client: '', connections: 0 };
    let total = 0;
    for (const [client, connections] of window.externalClients) {
      total += connections;
      if (client !== 'pub' && connections > top.connections) top = { client, connections };
    }
    const clients = window.externalClients.size + window.externalClientOverflow - (window.externalClients.has('pub') ? 1 : 0);
    const usualInbound = robust(ctx.baseline.inboundConnections).p95;
    const aboveUsual = !ctx.learned || top.connections >= params.inbound_factor * usualInbound;
    if (top.connections >= params.min_client_connections && aboveUsual && top.connections / Math.max(1, total) >= params.dominant_share) {
      out.push(finding(this, window, {
        peer: top.client,
        severity: 'warning',
        score: Math.min(1, 0.5 + top.connections / total / 2),
        summary: `${who(window)}: one client, ${top.client}, made ${top.connections} of ${total} external connections in one window`,
        evidence: { client: top.client, clientConnections: top.connections, externalConnections: total, share: Math.round((top.connections / total) * 100) / 100, baselineInboundP95: usualInbound, atlas: 'AML.T0034' },
      }));
    }
    if (ctx.learned && clients >= params.min_new_clients) {
      const usual = robust(ctx.baseline.externalClients);
      if (clients >= params.client_factor * Math.max(usual.p95, 1)) {
        out.push(finding(this, window, {
          peer: 'many-clients',
          severity: 'warning',
          score: Math.min(1, 0.5 + clients / (20 * Math.max(usual.p95, 1))),
          summary: `${who(window)} was reached by ${clients} distinct external clients in one window (usual busy window ${usual.p95})`,
          evidence: { externalClients: clients, baselineP95: usual.p95, baselineMedian: usual.median, atlas: 'AML.T0034' },
        }));
      }
    }
    return out;
  },
};
