import { compileSettings, DEFAULT_DETECTION_SETTINGS } from '../../../src/detectors/settings.ts';
import { describe, expect, it } from 'vitest';
import { beaconing } from '../../../src/detectors/beaconing.ts';
import { dnsTunnel } from '../../../src/detectors/dns-tunnel.ts';
import { egressGatewayBypass } from '../../../src/detectors/egress-gateway-bypass.ts';
import { egressSpike } from '../../../src/detectors/egress-spike.ts';
import { fqdnAllowlist } from '../../../src/detectors/fqdn-allowlist.ts';
import { newExternalUpload } from '../../../src/detectors/new-external-upload.ts';
import { nxdomainBurst } from '../../../src/detectors/nxdomain-burst.ts';
import { slowExfil } from '../../../src/detectors/slow-exfil.ts';
import { domain, edge, learned, window as windowAt, workload } from './factories.ts';

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

describe('egress-spike seasonality', () => {
  const backup = workload('restic', 'data', 'prod', 'train-eu', 'backup');
  const bucket = { peer: 'backups.s3.amazonaws.com', fqdn: 'backups.s3.amazonaws.com', peerKind: 'public' as const, port: 443 };
  const DAY = 288;
  const AT_2AM = 24;
  /** T0 is a Monday: day 6 is the first Sunday. A 400 MB incremental at 02:00 every night, a 2.4 GB full one on Sundays. */
  const backupLife = (win: Parameters<typeof edge>[0], i: number) => {
    edge(win, { peer: 'api.example-sink.io', fqdn: 'api.example-sink.io', peerKind: 'public', bytesOut: 1 * MB });
    if (i % DAY === AT_2AM) edge(win, { ...bucket, bytesOut: (Math.floor(i / DAY) % 7 === 6 ? 2_400 : 400) * MB });
  };
  const at = (index: number, bytesOut: number, to: Partial<Parameters<typeof edge>[1]> = bucket) => {
    const win = windowAt(backup, index);
    edge(win, { ...bucket, ...to, bytesOut });
    return win;
  };

  it('is quiet on a Sunday full backup once a Sunday has been seen, and on the first one to its usual bucket', () => {
    const weeks = learned(backup, 20 * DAY, backupLife); // Sundays on days 6 and 13 seen
    expect(egressSpike.evaluate(at(20 * DAY + AT_2AM, 2_400 * MB), weeks, egressSpike.defaults)).toEqual([]);
    // Day 6, the first Sunday: 6 × the nightly peak, to the bucket of every night (established).
    const days = learned(backup, 6 * DAY, backupLife);
    expect(egressSpike.evaluate(at(6 * DAY + AT_2AM, 2_400 * MB), days, egressSpike.defaults)).toEqual([]);
  });

  it('fires on the same volume to a new destination at the backup hour, and on more than the usual bucket ever took at an hour it is never busy', () => {
    const days = learned(backup, 9 * DAY, backupLife);
    const elsewhere = egressSpike.evaluate(at(9 * DAY + AT_2AM, 2_400 * MB, { peer: '198.51.100.23', fqdn: undefined }), days, egressSpike.defaults);
    // Wednesday 02:00 is judged against Wednesdays (400 MB a week ago, faded by a 4-week half-life), not against the Sunday peak of the same hour.
    expect(elsewhere).toMatchObject([{ evidence: { establishedDestination: false, factor: 3, weekSeen: true, hourOfWeekPeak: expect.closeTo(400 * MB * 0.5 ** (7 / 28), -7), hourOfDayPeak: expect.closeTo(2_400 * MB * 0.5 ** (3 / 28), -7) } }]);
    // The bucket took 2.4 GB in a window before (Sunday): up to 1.5× that at 14:00 is its habit; more is not.
    expect(egressSpike.evaluate(at(9 * DAY + 14 * 12, 3_600 * MB), days, egressSpike.defaults)).toEqual([]);
    const offHours = egressSpike.evaluate(at(9 * DAY + 14 * 12, 3_700 * MB), days, egressSpike.defaults);
    expect(offHours).toMatchObject([{ evidence: { establishedDestination: true, scheduledHour: false, factor: 3, destinationPeak: 2_400 * MB } }]);
  });
});

describe('egress-spike to an established destination', () => {
  it('fires on 5× a trainer’s hourly checkpoints to the same storage: an hour like every other is not a schedule', () => {
    // 300 MB every hour, 20 MB in between, for two days: storage.googleapis.com is established.
    const ctx = learned(trainer, 2 * 288, trainerLife);
    const win = ctx.next();
    edge(win, { ...gcs, bytesOut: 1_500 * MB });
    expect(egressSpike.evaluate(win, ctx, egressSpike.defaults)).toMatchObject([{ evidence: { establishedDestination: true, scheduledHour: false, factor: 3 } }]);
  });
});

describe('egress-spike write-through', () => {
  const registry = workload('harbor-registry', 'data');
  const bucket = { peer: 'harbor.s3.eu-west-1.amazonaws.com', fqdn: 'harbor.s3.eu-west-1.amazonaws.com', peerKind: 'public' as const, port: 443 };
  /** A registry that keeps its blobs in S3: 200 kB of metadata a window, for 15 hours. */
  const registryLife = (win: Parameters<typeof edge>[0]) => edge(win, { ...bucket, bytesOut: 200_000 });

  it('is quiet when it sends its backend what it was sent in the same window (a pushed image written to S3), up to 1.25×', () => {
    const ctx = learned(registry, 180, registryLife);
    const push = ctx.next();
    edge(push, { ...bucket, bytesOut: 900 * MB });
    push.inboundBytes = 900 * MB;
    expect(egressSpike.evaluate(push, ctx, egressSpike.defaults)).toEqual([]);
    const more = ctx.next();
    edge(more, { ...bucket, bytesOut: 1_130 * MB });
    more.inboundBytes = 900 * MB;
    expect(egressSpike.evaluate(more, ctx, egressSpike.defaults)).toMatchObject([{ peer: bucket.peer }]);
  });

  it('still fires without the inbound bytes, to a destination used in fewer than 3 windows, and with write_through_share 0', () => {
    const ctx = learned(registry, 180, registryLife);
    const alone = ctx.next();
    edge(alone, { ...bucket, bytesOut: 900 * MB });
    expect(egressSpike.evaluate(alone, ctx, egressSpike.defaults)).toHaveLength(1);
    const relayed = ctx.next();
    edge(relayed, { ...bucket, bytesOut: 900 * MB });
    relayed.inboundBytes = 900 * MB;
    expect(egressSpike.evaluate(relayed, ctx, { ...egressSpike.defaults, write_through_share: 0 })).toHaveLength(1);
    // A bucket used in two windows before: not yet a destination it writes through to.
    const late = learned(registry, 180, (win, i) => { if (i >= 178) registryLife(win); else edge(win, { peer: 'other.example.com', fqdn: 'other.example.com', peerKind: 'public', bytesOut: 200_000 }); });
    const push = late.next();
    edge(push, { ...bucket, bytesOut: 900 * MB });
    push.inboundBytes = 900 * MB;
    expect(egressSpike.evaluate(push, late, egressSpike.defaults)).toHaveLength(1);
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

  const paste = { peer: 'paste.example-leak.net', fqdn: 'paste.example-leak.net', peerKind: 'public' as const, bytesOut: 2 * MB, bytesIn: 1_000 };

  it('passes common ML and observability SaaS by default (experiment tracking, error reporting)', () => {
    const ctx = learned(trainer, 10, trainerLife);
    const win = ctx.next();
    for (const name of ['api.wandb.ai', 'o4504.ingest.sentry.io', 'http-intake.logs.datadoghq.com']) edge(win, { peer: name, fqdn: name, peerKind: 'public' });
    expect(fqdnAllowlist.evaluate(win, ctx, fqdnAllowlist.defaults)).toEqual([]);
  });

  it('learns the names the workload used while it was learning, not the ones it used since', () => {
    // 80 windows: the first 72 (6 h) are its learning period.
    const ctx = learned(trainer, 80, (win, i) => {
      trainerLife(win, i);
      if (i === 3) edge(win, { peer: 'tracker.example-ml.io', fqdn: 'tracker.example-ml.io', peerKind: 'public' });
      if (i === 75) edge(win, paste);
    });
    const win = ctx.next();
    edge(win, { peer: 'tracker.example-ml.io', fqdn: 'tracker.example-ml.io', peerKind: 'public' });
    edge(win, paste);
    expect(fqdnAllowlist.evaluate(win, ctx, fqdnAllowlist.defaults).map((f) => f.peer)).toEqual(['paste.example-leak.net']);
  });

  it('reports a registered domain while it is new, and not once the workload first used it two hours ago (habit_hours)', () => {
    // Learning ends at window 72; at window 100 the workload starts fetching from rotating CDN names.
    const cdn = (n: number) => ({ peer: `d${n}x7b2zofrre.cloudfront.net`, fqdn: `d${n}x7b2zofrre.cloudfront.net`, peerKind: 'public' as const, bytesIn: 30 * MB });
    const life = (win: Parameters<typeof edge>[0], i: number) => {
      trainerLife(win, i);
      if (i === 100) { domain(win, 'cloudfront.net', { queries: 1 }); edge(win, cdn(1)); }
    };
    const almost = learned(trainer, 100 + 23, life); // 1 h 55 min after the first use
    const w1 = almost.next();
    edge(w1, cdn(2));
    expect(fqdnAllowlist.evaluate(w1, almost, fqdnAllowlist.defaults).map((f) => f.peer)).toEqual([cdn(2).peer]);
    const day = learned(trainer, 100 + 24, life);
    const w2 = day.next();
    edge(w2, cdn(3));
    edge(w2, paste);
    expect(fqdnAllowlist.evaluate(w2, day, fqdnAllowlist.defaults).map((f) => f.peer)).toEqual([paste.peer]);
    expect(fqdnAllowlist.evaluate(w2, day, { ...fqdnAllowlist.defaults, habit_hours: 3 }).map((f) => f.peer)).toEqual([cdn(3).peer, paste.peer]);
  });

  it('passes a name its role commonly uses (the role profile), not one a single peer uses', () => {
    const others = [1, 2, 3, 4].map((i) => workload(`trainer-${i}`, 'training'));
    const common = learned(trainer, 10, (win) => domain(win, 'example-ml.io', { queries: 3 }), { others });
    // The trainer itself used it too, but only its role's peers (all four: share 1) vouch here.
    const win = common.next();
    edge(win, { peer: 'tracker.example-ml.io', fqdn: 'tracker.example-ml.io', peerKind: 'public' });
    expect(fqdnAllowlist.evaluate(win, { ...common, learned: false }, fqdnAllowlist.defaults)).toEqual([]);
    const rare = learned(trainer, 10, (win, i) => { if (i === 0) domain(win, 'example-ml.io', { queries: 3 }); }, { others: others.slice(0, 1) });
    const w2 = rare.next();
    edge(w2, { peer: 'tracker.example-ml.io', fqdn: 'tracker.example-ml.io', peerKind: 'public' });
    // One peer of one other: a group of 1 is below min_group (3), so it cannot vouch.
    expect(fqdnAllowlist.evaluate(w2, { ...rare, learned: false }, fqdnAllowlist.defaults)).toHaveLength(1);
  });

  it('judges nothing before the workload or its role has learned', () => {
    const young = learned(trainer, 2, () => {}, { learned: false, roleLearned: false });
    const win = young.next();
    edge(win, paste);
    expect(fqdnAllowlist.evaluate(win, young, fqdnAllowlist.defaults)).toEqual([]);
    expect(fqdnAllowlist.evaluate(win, { ...young, roleLearned: true }, fqdnAllowlist.defaults)).toHaveLength(1);
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

  it('leaves out ndots:5 search-path misses, in the window and in the baseline', () => {
    // Every external name first tried under the search path: ~70 NXDOMAIN a window.
    const searchPath = (win: Parameters<typeof domain>[0]) => {
      domain(win, 'cluster.local', { queries: 50, nxdomain: 50 });
      domain(win, 'compute.internal', { queries: 20, nxdomain: 20 });
    };
    const ctx = learned(trainer, 100, searchPath);
    const quiet = ctx.next();
    searchPath(quiet);
    expect(nxdomainBurst.evaluate(quiet, ctx, nxdomainBurst.defaults)).toEqual([]);
    const dga = ctx.next();
    searchPath(dga);
    burst(dga, 30, 2);
    expect(nxdomainBurst.evaluate(dga, ctx, nxdomainBurst.defaults)).toMatchObject([{ evidence: { nxdomain: 60, searchPathNxdomain: 70, failingDomains: 30 } }]);
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

describe('beaconing and well-known services', () => {
  const wandb = { peer: 'api.wandb.ai', fqdn: 'api.wandb.ai', peerKind: 'public' as const, bytesOut: 600, bytesIn: 500 };
  const lookalike = { ...wandb, peer: 'api.wandb.ai.example-cdn.net', fqdn: 'api.wandb.ai.example-cdn.net' };
  const clockwork = (to: typeof wandb) => learned(trainer, 24 + 11, (win, i) => { if (i >= 24) edge(win, { ...to, connections: 5 }); });

  it('does not judge a service on detection.known_services (experiment tracking reporting on a timer)', () => {
    const ctx = clockwork(wandb);
    const win = ctx.next();
    edge(win, { ...wandb, connections: 5 });
    expect(beaconing.evaluate(win, ctx, beaconing.defaults)).toEqual([]);
    // With the list emptied, the same contact is a beacon.
    const strict = { ...ctx, settings: compileSettings({ ...DEFAULT_DETECTION_SETTINGS, known_services: [] }) };
    expect(beaconing.evaluate(win, strict, beaconing.defaults)).toMatchObject([{ peer: 'api.wandb.ai' }]);
  });

  it('still judges a name that only contains a known service', () => {
    const ctx = clockwork(lookalike);
    const win = ctx.next();
    edge(win, { ...lookalike, connections: 5 });
    expect(beaconing.evaluate(win, ctx, beaconing.defaults)).toMatchObject([{ peer: lookalike.peer }]);
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
  const openai = { peer: 'api.openai.com', fqdn: 'api.openai.com', peerKind: 'public' as const, connections: 20 };
  const gatewayOf = (cluster: string) => workload('ai-egress-gateway', 'gateway', 'prod', cluster, 'egress');

  it('flags a direct call to an AI provider in a cluster that has an egress gateway, but not from the gateway', () => {
    const infer = learned(workload('llm-infer', 'inference'), 3, () => {}, { others: [gatewayOf('prod-eu')] });
    const w1 = infer.next();
    edge(w1, openai);
    expect(egressGatewayBypass.evaluate(w1, infer, egressGatewayBypass.defaults)).toMatchObject([{ category: 'policy-violation', severity: 'warning' }]);
    const gateway = learned(gatewayOf('prod-eu'), 3, () => {});
    const w2 = gateway.next();
    edge(w2, openai);
    expect(egressGatewayBypass.evaluate(w2, gateway, egressGatewayBypass.defaults)).toEqual([]);
  });

  it('does not apply in a cluster without an egress gateway (a gateway elsewhere does not count)', () => {
    const notebook = learned(workload('llm-infer', 'inference', 'dev', 'dev-us'), 3, () => {}, { others: [gatewayOf('prod-eu')] });
    const w = notebook.next();
    edge(w, openai);
    expect(egressGatewayBypass.evaluate(w, notebook, egressGatewayBypass.defaults)).toEqual([]);
  });

  it('applies where detection.egress_gateway_clusters says, whatever has been seen', () => {
    const settings = compileSettings({ ...DEFAULT_DETECTION_SETTINGS, egress_gateway_clusters: ['prod-*'] });
    const listed = { ...learned(workload('llm-infer', 'inference', 'prod', 'prod-us'), 3, () => {}), settings };
    const w1 = listed.next();
    edge(w1, openai);
    expect(egressGatewayBypass.evaluate(w1, listed, egressGatewayBypass.defaults)).toHaveLength(1);
    const unlisted = { ...learned(workload('llm-infer', 'inference', 'dev', 'dev-us'), 3, () => {}, { others: [gatewayOf('dev-us')] }), settings };
    const w2 = unlisted.next();
    edge(w2, openai);
    expect(egressGatewayBypass.evaluate(w2, unlisted, egressGatewayBypass.defaults)).toEqual([]);
  });
});
