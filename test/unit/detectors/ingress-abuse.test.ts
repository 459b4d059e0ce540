import { describe, expect, it } from 'vitest';
import { deniedBurst } from '../../../src/detectors/denied-burst.ts';
import { inferenceClientAnomaly } from '../../../src/detectors/inference-client-anomaly.ts';
import { inferenceIngressSpike } from '../../../src/detectors/inference-ingress-spike.ts';
import { ingressGatewayBypass } from '../../../src/detectors/ingress-gateway-bypass.ts';
import type { WindowStats } from '../../../src/baseline/window-stats.ts';
import { learned, workload } from './factories.ts';

const infer = workload('llm-infer', 'inference');

/** Diurnal inbound load: 100 connections at night, 400 at the afternoon peak. */
function diurnal(win: WindowStats, i: number): void {
  const hour = (i * 5) / 60;
  win.activeIn = true;
  win.inboundConnections = Math.round(100 + 300 * Math.max(0, Math.sin(((hour - 6) / 24) * 2 * Math.PI)));
  win.inboundBytes = win.inboundConnections * 2_000;
  win.inboundViaGateway = win.inboundConnections;
}

describe('inference-ingress-spike', () => {
  it('fires on a flood far above the diurnal peak and not at the peak itself', () => {
    const ctx = learned(infer, 288, diurnal);
    const flood = ctx.next();
    flood.activeIn = true;
    flood.inboundConnections = 6_000;
    flood.inboundViaGateway = 6_000;
    expect(inferenceIngressSpike.evaluate(flood, ctx, inferenceIngressSpike.defaults)).toMatchObject([{ category: 'impact', technique: 'T1499' }]);
    const peak = ctx.next();
    peak.inboundConnections = 420;
    expect(inferenceIngressSpike.evaluate(peak, ctx, inferenceIngressSpike.defaults)).toEqual([]);
    const belowFloor = ctx.next();
    belowFloor.inboundConnections = 999;
    expect(inferenceIngressSpike.evaluate(belowFloor, learned(infer, 288, (w) => { w.activeIn = true; w.inboundConnections = 10; }), inferenceIngressSpike.defaults)).toEqual([]);
  });

  it('needs the flood to arrive from outside: a spike passed on by the flooded model to its guardrails is not a second flood', () => {
    const ctx = learned(infer, 288, diurnal);
    const cascade = ctx.next();
    cascade.activeIn = true;
    cascade.inboundConnections = 6_000; // all from the chat model, none through the ingress
    expect(inferenceIngressSpike.evaluate(cascade, ctx, inferenceIngressSpike.defaults)).toEqual([]);
    // Half of what is above the usual busy window (p95 ≈ 400) through the ingress or straight in is enough.
    const mixed = ctx.next();
    mixed.activeIn = true;
    mixed.inboundConnections = 6_000;
    mixed.inboundViaGateway = 2_000;
    mixed.inboundExternalDirect = 1_000;
    expect(inferenceIngressSpike.evaluate(mixed, ctx, inferenceIngressSpike.defaults)).toHaveLength(1);
    mixed.inboundExternalDirect = 500;
    expect(inferenceIngressSpike.evaluate(mixed, ctx, inferenceIngressSpike.defaults)).toEqual([]);
  });

  it('only judges inference workloads', () => {
    const ctx = learned(workload('postgres', 'data'), 288, diurnal);
    const win = ctx.next();
    win.inboundConnections = 6_000;
    expect(inferenceIngressSpike.evaluate(win, ctx, inferenceIngressSpike.defaults)).toEqual([]);
  });
});

describe('inference-client-anomaly', () => {
  it('flags one client dominating, ignoring aggregated (pub) clients', () => {
    const ctx = learned(infer, 288, diurnal);
    const win = ctx.next();
    win.externalClients.set('198.51.100.77', 1_300);
    win.externalClients.set('203.0.113.1', 100);
    expect(inferenceClientAnomaly.evaluate(win, ctx, inferenceClientAnomaly.defaults)).toMatchObject([{ peer: '198.51.100.77' }]);
    const aggregated = ctx.next();
    aggregated.externalClients.set('pub', 5_000);
    expect(inferenceClientAnomaly.evaluate(aggregated, ctx, inferenceClientAnomaly.defaults)).toEqual([]);
    // Below 3× the usual busy window (p95 ≈ 400 connections, known within the sketch's ±6%): a heavy user, not an abuser.
    const below = ctx.next();
    below.externalClients.set('198.51.100.77', 1_050);
    expect(inferenceClientAnomaly.evaluate(below, ctx, inferenceClientAnomaly.defaults)).toEqual([]);
    const quiet = learned(infer, 100, (w) => { w.activeIn = true; w.inboundConnections = 5; });
    const small = quiet.next();
    small.externalClients.set('198.51.100.77', 99);
    expect(inferenceClientAnomaly.evaluate(small, quiet, inferenceClientAnomaly.defaults)).toEqual([]);
    small.externalClients.set('198.51.100.77', 100);
    expect(inferenceClientAnomaly.evaluate(small, quiet, inferenceClientAnomaly.defaults)).toHaveLength(1);
  });

  it('flags many new clients at once against the usual count', () => {
    const ctx = learned(infer, 100, (win) => { diurnal(win, 0); for (let i = 0; i < 30; i++) win.externalClients.set(`203.0.113.${i}`, 3); });
    const win = ctx.next();
    for (let i = 0; i < 400; i++) win.externalClients.set(`198.18.${i >> 8}.${i & 255}`, 2);
    expect(inferenceClientAnomaly.evaluate(win, ctx, inferenceClientAnomaly.defaults)).toMatchObject([{ peer: 'many-clients' }]);
  });
});

describe('ingress-gateway-bypass', () => {
  it.each([[4, 0], [5, 1]])('%i direct connections to a gateway-fronted workload → %i findings', (n, expected) => {
    const ctx = learned(infer, 100, diurnal);
    const win = ctx.next();
    win.inboundExternalDirect = n;
    expect(ingressGatewayBypass.evaluate(win, ctx, ingressGatewayBypass.defaults)).toHaveLength(expected);
  });

  it('is quiet for a workload that is always reached directly (a LoadBalancer service)', () => {
    const ctx = learned(infer, 100, (win, i) => { diurnal(win, i); win.inboundExternalDirect = 50; });
    const win = ctx.next();
    win.inboundExternalDirect = 60;
    expect(ingressGatewayBypass.evaluate(win, ctx, ingressGatewayBypass.defaults)).toEqual([]);
  });
});

describe('denied-burst (inbound)', () => {
  it('flags bursts of denied inbound flows at an inference endpoint only', () => {
    const ctx = learned(infer, 100, diurnal);
    const win = ctx.next();
    win.inboundDenied = 300;
    win.inboundConnections = 300;
    expect(deniedBurst.evaluate(win, ctx, deniedBurst.defaults)).toMatchObject([{ peer: 'denied-in', evidence: { direction: 'incoming' } }]);
    const db = learned(workload('postgres', 'data'), 100, diurnal);
    const dbWindow = db.next();
    dbWindow.inboundDenied = 300;
    expect(deniedBurst.evaluate(dbWindow, db, deniedBurst.defaults)).toEqual([]);
  });
});
