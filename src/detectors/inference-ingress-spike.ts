import { robust, robustScore } from '../baseline/series.ts';
import { bytes, finding, who } from './finding.ts';
import type { Detector } from './types.ts';

const defaults = {
  /** Inbound connections in one window below which nothing is a flood. */
  min_connections: 1_000,
  /** Robust z-score against the workload's own inbound history. */
  min_score: 8,
  /** Times the usual busy window (p95). */
  factor: 4,
  /** Share of the connections above the usual busy window that must come from outside the cluster (through the ingress or straight in). */
  outside_share: 0.5,
};

/**
 * Floods of requests from outside to an inference endpoint (T1499 endpoint DoS; ATLAS
 * AML.T0029 denial of ML service, AML.T0034 cost harvesting): GPU time burnt by someone else.
 * Judged against the workload's own diurnal history, with an absolute floor.
 */
export const inferenceIngressSpike: Detector<typeof defaults> = {
  name: 'inference-ingress-spike',
  category: 'impact',
  techniques: ['T1499', 'T1498'],
  defaults,
  evaluate(window, ctx, params) {
    if (window.workload.role !== 'inference' || !ctx.learned) return [];
    const observed = window.inboundConnections;
    if (observed < params.min_connections) return [];
    const history = robust(ctx.baseline.inboundConnections);
    const z = robustScore(observed, history, Math.max(history.median * 0.25, 10));
    if (z < params.min_score || observed < params.factor * history.p95) return [];
    // The flood must arrive from outside (through the ingress or straight in). A spike passed on
    // by another workload — the chat model calling its guardrails once per flooded request — is
    // that workload's incident, not a second one; an insider flooding a model is edge-burst's.
    const fromOutside = window.inboundViaGateway + window.inboundExternalDirect;
    if (fromOutside < params.outside_share * (observed - history.p95)) return [];
    const bytesHistory = robust(ctx.baseline.inboundBytes);
    return [finding(this, window, {
      peer: 'ingress',
      severity: observed >= 4 * params.factor * history.p95 ? 'critical' : 'warning',
      score: Math.min(1, 0.5 + z / 50),
      summary: `${who(window)} received ${observed} connections in one window (usual busy window ${Math.round(history.p95)}, median ${Math.round(history.median)}), ${bytes(window.inboundBytes)} of requests`,
      evidence: { inboundConnections: observed, inboundBytes: window.inboundBytes, baselineMedian: history.median, baselineP95: history.p95, baselineBytesP95: bytesHistory.p95, robustZ: Math.round(z * 10) / 10, viaGateway: window.inboundViaGateway, directFromOutside: window.inboundExternalDirect, atlas: ['AML.T0029', 'AML.T0034'] },
    })];
  },
};
