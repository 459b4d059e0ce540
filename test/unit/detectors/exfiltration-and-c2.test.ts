import { describe, expect, it } from 'vitest';
import { beaconing } from '../../../src/detectors/beaconing.ts';
import { dnsTunnel } from '../../../src/detectors/dns-tunnel.ts';
import { egressGatewayBypass } from '../../../src/detectors/egress-gateway-bypass.ts';
import { egressSpike } from '../../../src/detectors/egress-spike.ts';
import { fqdnAllowlist } from '../../../src/detectors/fqdn-allowlist.ts';
import { newExternalUpload } from '../../../src/detectors/new-external-upload.ts';
import { nxdomainBurst } from '../../../src/detectors/nxdomain-burst.ts';
import { slowExfil } from '../../../src/detectors/slow-exfil.ts';
import { domain, edge, learned, workload } from './factories.ts';

const MB = 1_000_000;
const trainer = workload('trainer', 'training');
const gcs = { peer: 'storage.googleapis.com', fqdn: 'storage.googleapis.com', peerKind: 'public' as const, port: 443 };
/** A trainer that uploads 20 MB a window and a 300 MB checkpoint every 12th. */
const trainerLife = (win: Parameters<typeof edge>[0], i: number) => edge(win, { ...gcs, bytesOut: i % 12 === 6 ? 300 * MB : 20 * MB });

describe('egress-spike', () => {
  it('fires on a volume far above the workload’s own busy windows, with the evidence', () => {
    const ctx = learned(trainer, 144, trainerLife);
    const win = ctx.next();
    edge(win, { ...gcs, bytesOut: 3_000 * MB });
    expect(egressSpike.evaluate(win, ctx, egressSpike.defaults)).toMatchObject([{ detector: 'egress-spike', peer: 'storage.googleapis.com', evidence: { externalBytesOut: 3_000 * MB, baselineP95: expect.closeTo(300 * MB, -8) } }]); // the sketch answers within ±6%
  });

  it('is quiet at its usual checkpoint volume, below the absolute floor, and before learning', () => {
    const ctx = learned(trainer, 144, trainerLife);
    const usual = ctx.next();
    edge(usual, { ...gcs, bytesOut: 350 * MB });
    expect(egressSpike.evaluate(usual, ctx, egressSpike.defaults)).toEqual([]);
    const tiny = learned(trainer, 144, (win) => edge(win, { ...gcs, bytesOut: 1_000 }));
    const small = tiny.next();
    edge(small, { ...gcs, bytesOut: 90 * MB }); // 90 000× the usual, but under the 100 MB floor
    expect(egressSpike.evaluate(small, tiny, egressSpike.defaults)).toEqual([]);
    const young = learned(trainer, 5, trainerLife, { learned: false });
    const early = young.next();
    edge(early, { ...gcs, bytesOut: 3_000 * MB });
    expect(egressSpike.evaluate(early, young, egressSpike.defaults)).toEqual([]);
  });
});

describe('new-external-upload', () => {
  it.each([[49 * MB, 0], [50 * MB, 1]])('%i bytes to a never-seen IP → %i findings', (bytesOut, expected) => {
    const ctx = learned(trainer, 100, trainerLife);
    const win = ctx.next();
    edge(win, { peer: '45.77.12.9', ip: '45.77.12.9', peerKind: 'public', bytesOut, bytesIn: 10_000 });
    expect(newExternalUpload.evaluate(win, ctx, newExternalUpload.defaults)).toHaveLength(expected);
  });

  it('is quiet for downloads, for known destinations and for sanctioned storage while learning', () => {
    const ctx = learned(trainer, 100, trainerLife);
    const download = ctx.next();
    edge(download, { peer: '45.77.12.9', peerKind: 'public', bytesOut: 60 * MB, bytesIn: 600 * MB });
    expect(newExternalUpload.evaluate(download, ctx, newExternalUpload.defaults)).toEqual([]);
    const known = ctx.next();
    edge(known, { ...gcs, port: 8443, bytesOut: 900 * MB });
    expect(newExternalUpload.evaluate(known, ctx, newExternalUpload.defaults)).toEqual([]);
    const others = [1, 2, 3].map((i) => workload(`t${i}`, 'training'));
    const young = learned(trainer, 3, () => {}, { learned: false, others });
    const first = young.next();
    edge(first, { ...gcs, bytesOut: 300 * MB });
    expect(newExternalUpload.evaluate(first, young, newExternalUpload.defaults)).toEqual([]);
  });
});

describe('fqdn-allowlist', () => {
  it('flags a name off the role’s allowlist and passes names on it', () => {
    const ctx = learned(trainer, 10, trainerLife);
    const win = ctx.next();
    edge(win, { peer: 'paste.example-leak.net', fqdn: 'paste.example-leak.net', peerKind: 'public', bytesOut: 2 * MB, bytesIn: 1_000 });
    edge(win, { peer: 'huggingface.co', fqdn: 'huggingface.co', peerKind: 'public', bytesIn: 100 * MB });
    expect(fqdnAllowlist.evaluate(win, ctx, fqdnAllowlist.defaults)).toMatchObject([{ peer: 'paste.example-leak.net', severity: 'critical' }]);
  });

  it('does not check roles without a list', () => {
    const dev = learned(workload('nb', 'dev', 'dev'), 10, () => {});
    const win = dev.next();
    edge(win, { peer: 'random.example', fqdn: 'random.example', peerKind: 'public' });
    expect(fqdnAllowlist.evaluate(win, dev, fqdnAllowlist.defaults)).toEqual([]);
  });
});

describe('dns-tunnel', () => {
  const random = (n: number) => Array.from({ length: n }, (_, i) => `${i.toString(36)}q8z1x0v7c6b5n4m3l2k9j8h7g6f5d4s3a2.t`);
  it('needs two signals: many unique names and long random labels', () => {
    const ctx = learned(trainer, 10, () => {});
    const win = ctx.next();
    domain(win, 'exfil-tunnel.net', { queries: 60, subdomains: random(60), highEntropy: 60, maxLabelLength: 48, tunnelTypes: 60 });
    expect(dnsTunnel.evaluate(win, ctx, dnsTunnel.defaults)).toMatchObject([{ peer: 'exfil-tunnel.net', severity: 'critical', technique: 'T1071.004' }]);
    const cdn = ctx.next();
    domain(cdn, 'cloudfront.net', { queries: 80, subdomains: random(80), highEntropy: 0, maxLabelLength: 14 });
    expect(dnsTunnel.evaluate(cdn, ctx, dnsTunnel.defaults)).toEqual([]);
    const below = ctx.next();
    domain(below, 'exfil-tunnel.net', { queries: 49, subdomains: random(49), highEntropy: 19, maxLabelLength: 48, tunnelTypes: 49 });
    expect(dnsTunnel.evaluate(below, ctx, dnsTunnel.defaults)).toEqual([]);
  });
});

describe('nxdomain-burst', () => {
  const burst = (win: Parameters<typeof domain>[0], domains: number, each: number) => { for (let i = 0; i < domains; i++) domain(win, `dga${i}.com`, { queries: each, nxdomain: each }); };
  it.each([[9, 5, 0], [10, 3, 1], [10, 2, 0]])('%i failing domains × %i NXDOMAIN → %i findings', (domains, each, expected) => {
    const ctx = learned(trainer, 20, (win) => domain(win, 'cluster.local', { queries: 20, nxdomain: 4 }));
    const win = ctx.next();
    burst(win, domains, each);
    expect(nxdomainBurst.evaluate(win, ctx, nxdomainBurst.defaults)).toHaveLength(expected);
  });
});

describe('beaconing', () => {
  const c2 = { peer: '185.220.101.7', peerKind: 'public' as const, bytesOut: 600, bytesIn: 500 };
  it('fires after an hour of clockwork contact with a new destination', () => {
    // 24 quiet windows, then the implant calls every window.
    const ctx = learned(trainer, 24 + 11, (win, i) => { trainerLife(win, i); if (i >= 24) edge(win, { ...c2, connections: 5 }); });
    const win = ctx.next();
    edge(win, { ...c2, connections: 5 });
    expect(beaconing.evaluate(win, ctx, beaconing.defaults)).toMatchObject([{ peer: '185.220.101.7', severity: 'critical', evidence: { consecutiveWindows: 12, jitter: 0 } }]);
  });

  it('is quiet for irregular or bulky contact and for destinations used since the start', () => {
    const irregular = learned(trainer, 24 + 11, (win, i) => { if (i >= 24) edge(win, { ...c2, connections: i % 2 === 0 ? 1 : 9 }); });
    const w1 = irregular.next();
    edge(w1, { ...c2, connections: 5 });
    expect(beaconing.evaluate(w1, irregular, beaconing.defaults)).toEqual([]);
    const always = learned(trainer, 24 + 11, (win) => edge(win, { ...c2, connections: 5 }));
    const w2 = always.next();
    edge(w2, { ...c2, connections: 5 });
    expect(beaconing.evaluate(w2, always, beaconing.defaults)).toEqual([]);
    const bulky = learned(trainer, 24 + 11, (win, i) => { if (i >= 24) edge(win, { ...c2, connections: 5, bytesOut: 5 * MB }); });
    const w3 = bulky.next();
    edge(w3, { ...c2, connections: 5, bytesOut: 5 * MB });
    expect(beaconing.evaluate(w3, bulky, beaconing.defaults)).toEqual([]);
  });
});

describe('slow-exfil', () => {
  const drip = { peer: 'files.transfer-box.net', fqdn: 'files.transfer-box.net', peerKind: 'public' as const, bytesOut: 45 * MB, bytesIn: 1_000 };
  it('adds up modest chunks to a new destination over hours', () => {
    const ctx = learned(trainer, 48 + 23, (win, i) => { trainerLife(win, i); if (i >= 48) edge(win, drip); });
    const win = ctx.next();
    edge(win, drip);
    expect(slowExfil.evaluate(win, ctx, slowExfil.defaults)).toMatchObject([{ peer: 'files.transfer-box.net', evidence: { consecutiveWindows: 24, totalBytes: 24 * 45 * MB } }]);
  });

  it('is quiet below the total, and for its usual steady destination', () => {
    const short = learned(trainer, 48 + 21, (win, i) => { if (i >= 48) edge(win, drip); });
    const w1 = short.next();
    edge(w1, drip);
    expect(slowExfil.evaluate(w1, short, slowExfil.defaults)).toEqual([]);
    const steady = learned(trainer, 100, (win) => edge(win, { ...gcs, bytesOut: 45 * MB }));
    const w2 = steady.next();
    edge(w2, { ...gcs, bytesOut: 45 * MB });
    expect(slowExfil.evaluate(w2, steady, slowExfil.defaults)).toEqual([]);
  });
});

describe('egress-gateway-bypass', () => {
  it('flags a direct call to an AI provider, but not from the gateway', () => {
    const openai = { peer: 'api.openai.com', fqdn: 'api.openai.com', peerKind: 'public' as const, connections: 20 };
    const infer = learned(workload('llm-infer', 'inference'), 3, () => {});
    const w1 = infer.next();
    edge(w1, openai);
    expect(egressGatewayBypass.evaluate(w1, infer, egressGatewayBypass.defaults)).toMatchObject([{ category: 'policy-violation', severity: 'warning' }]);
    const gateway = learned(workload('ai-egress-gateway', 'gateway', 'prod', 'prod-eu', 'egress'), 3, () => {});
    const w2 = gateway.next();
    edge(w2, openai);
    expect(egressGatewayBypass.evaluate(w2, gateway, egressGatewayBypass.defaults)).toEqual([]);
  });
});
