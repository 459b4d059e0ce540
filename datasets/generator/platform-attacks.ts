/**
 * The 16 labelled attack episodes of the platform world: slow long-horizon ones (DNS tunnel,
 * low-and-slow exfiltration, jittered beaconing, model-weight theft) and bursts.
 * Each episode draws from its own PRNG, so benign traffic does not depend on which run.
 */
import { apiEndpoint, type Platform } from './platform-topology.ts';
import { EXT, GB, MB, s3, type Service, type Traffic } from './platform-services.ts';
import { Random } from './random.ts';
import { WINDOW_MS, workload, type SimCluster, type SimWorkload } from './topology.ts';
import { pod } from './traffic.ts';
import type { LabelLine } from './world.ts';

export interface AttackContext {
  p: Platform;
  /** Multiplies attack magnitudes (bytes, counts, rates); 1 = the defaults below. */
  scale: number;
}

export interface Episode {
  scenario: PlatformScenario;
  start: number;
  end: number;
  random: Random;
  /** Per-episode state kept between windows (next beacon, chunk plan, …). */
  state: Record<string, unknown>;
}

export interface PlatformScenario {
  name: string;
  category: LabelLine['category'];
  technique: string;
  cluster: 'train-eu' | 'infer-eu' | 'dev-us';
  workload: string;
  minutes: number;
  description: string;
  /** UTC hours [from, to] the episode may start in (the workload must be running). */
  startHours?: [number, number];
  emit(ctx: AttackContext, e: Episode, window: number, t: Traffic): void;
}

const MIN = 60_000;
const clusterOf = (p: Platform, name: PlatformScenario['cluster']): SimCluster => (name === 'train-eu' ? p.train : name === 'infer-eu' ? p.infer : p.dev);
const self = (ctx: AttackContext, s: PlatformScenario): [SimCluster, SimWorkload] => {
  const c = clusterOf(ctx.p, s.cluster);
  return [c, workload(c, s.workload)];
};

function base32(random: Random, n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[Math.floor(random.next() * alphabet.length)];
  return out;
}

function hex(random: Random, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += Math.floor(random.next() * 16).toString(16);
  return out;
}

/** Event times from `state.next` on, every `interval` ms ± `jitter` (fraction), within [window, window + 5 min) and before `end`. */
function ticks(e: Episode, window: number, interval: number, jitter: number): number[] {
  if (e.state.next === undefined) e.state.next = e.start + Math.floor(e.random.next() * interval);
  const times: number[] = [];
  let next = e.state.next as number;
  while (next < window + WINDOW_MS && next < e.end) {
    if (next >= window) times.push(next);
    next += Math.round(interval * (1 - jitter + 2 * jitter * e.random.next()));
  }
  e.state.next = next;
  return times;
}

export const PLATFORM_SCENARIOS: PlatformScenario[] = [
  {
    name: 'dns-tunnel', category: 'command-and-control', technique: 'T1071.004', cluster: 'train-eu', workload: 'data/feature-service', minutes: 6 * 60,
    description: 'the feature service leaks data as TXT lookups of unique high-entropy labels under one newly registered domain, one every ~20 s for 6 hours',
    emit(ctx, e, window, t) {
      const [c, w] = self(ctx, this);
      e.state.domain ??= e.random.pick(['cdn-metrics-sync.net', 'telemetry-relay.io', 'cloudstat-api.com', 'updates-edge.net']);
      e.state.pod ??= e.random.int(0, 7);
      for (const _ of ticks(e, window, 20_000 / ctx.scale, 0.3)) {
        t.lookup(c, w, e.state.pod as number, `${base32(e.random, e.random.int(30, 50))}.${e.state.domain as string}`, ['0.0.0.0'], 1, { qtype: 'TXT', ttl: 0, scenario: this.name });
      }
    },
  },
  {
    name: 'slow-exfiltration', category: 'exfiltration', technique: 'T1030', cluster: 'infer-eu', workload: 'ml-serve/rag-api', minutes: 12 * 60,
    description: 'about 300 MB leave the RAG API for a new public address in jittered chunks every few windows over 12 hours, no window stands out',
    emit(ctx, e, window, t) {
      const [c, w] = self(ctx, this);
      if (e.state.plan === undefined) {
        // A chunk every 2–5 windows (~41 over 12 h), jittered sizes adding up to ~300 MB.
        const plan = new Map<number, number>();
        for (let at = e.start + WINDOW_MS * e.random.int(0, 3); at < e.end; at += WINDOW_MS * e.random.int(2, 5)) plan.set(at, e.random.jitter(0.35));
        const sum = [...plan.values()].reduce((a, b) => a + b, 0);
        const total = 300 * MB * ctx.scale * e.random.jitter(0.05);
        for (const [at, x] of plan) plan.set(at, (x / sum) * total);
        e.state.plan = plan;
      }
      const bytes = (e.state.plan as Map<number, number>).get(window);
      if (bytes === undefined) return;
      t.conn(pod(c, w, e.random.int(0, 9)), { kind: 'public', ip: '185.243.115.87' }, 443, e.random.int(1, 2), bytes, 4_000 + e.random.int(0, 4_000), { scenario: this.name });
    },
  },
  {
    name: 'beaconing', category: 'command-and-control', technique: 'T1071.001', cluster: 'dev-us', workload: 'ml-dev/label-studio', minutes: 12 * 60,
    description: 'an implant in Label Studio calls a new public address every ~4 minutes (±25% jitter) for 12 hours: 0, 1 or 2 small connections per window',
    emit(ctx, e, window, t) {
      const [c, w] = self(ctx, this);
      const fqdn = 'status.cdn-edgeapi.com';
      // Now and then a beacon fails or the implant sleeps through one: some windows see none.
      const times = ticks(e, window, 240_000 / ctx.scale, 0.25).filter(() => !e.random.chance(0.06));
      if (times.length === 0) return;
      if (e.state.resolved === undefined || window - (e.state.resolved as number) >= 60 * MIN) {
        e.state.resolved = window;
        t.lookup(c, w, 0, fqdn, ['45.153.160.140'], 1, { ttl: 3600, scenario: this.name });
      }
      const n = times.length;
      t.conn(pod(c, w), { kind: 'public', ip: '45.153.160.140', fqdn }, 443, n, n * (1_200 + e.random.int(0, 900)), n * (800 + e.random.int(0, 3_000)), { at: times, scenario: this.name });
    },
  },
  {
    name: 'model-weight-theft', category: 'exfiltration', technique: 'AML.T0025', cluster: 'train-eu', workload: 'ml-train/pretrain-gpt', minutes: 165,
    description: 'a pre-training pod that never uses the model store pulls several GB of production weights from it, then ~45 minutes later uploads them in chunks to a new R2 bucket over ~1h45',
    emit(ctx, e, window, t) {
      const [c, w] = self(ctx, this);
      const offset = (window - e.start) / MIN;
      e.state.total ??= (6 + e.random.next() * 3) * GB * ctx.scale;
      const total = e.state.total as number;
      const store = workload(c, 'model-registry/model-store');
      if (offset < 15) {
        t.to(c, w, 1, c, store, e.random.int(0, 1), 8080, 8, 120_000, (total / 3) * e.random.jitter(0.05), { scenario: this.name });
        t.to(c, store, 0, c, workload(c, 'data/minio'), e.random.int(0, 3), 9000, 8, 60_000, (total / 3) * e.random.jitter(0.05), { scenario: this.name });
        if (offset === 0) t.svcLookup(c, w, 1, store, 3);
        return;
      }
      if (offset < 60) return;
      if (e.state.plan === undefined) {
        // Upload windows (21 of them), some skipped, jittered shares of the total.
        const weights = Array.from({ length: (165 - 60) / 5 }, () => (e.random.chance(0.85) ? e.random.jitter(0.4) : 0));
        const sum = weights.reduce((a, b) => a + b, 0) || 1;
        e.state.plan = weights.map((x) => (x / sum) * total);
        e.state.fqdn = `${hex(e.random, 32)}.r2.cloudflarestorage.com`;
      }
      const bytes = (e.state.plan as number[])[Math.round((offset - 60) / 5)] ?? 0;
      if (bytes === 0) return;
      const target: Service = { fqdn: e.state.fqdn as string, ips: ['104.18.8.90', '104.18.9.90'] };
      t.ext(c, w, 1, target, 443, Math.max(1, Math.round(bytes / (100 * MB))), bytes, 60_000, { scenario: this.name, dns: offset === 60 || e.random.chance(0.3) });
    },
  },
  {
    name: 'port-scan', category: 'discovery', technique: 'T1046', cluster: 'dev-us', workload: 'notebooks/jupyter-eve', minutes: 12,
    description: 'a compromised notebook sweeps the pod network and the nodes and probes ~100 ports on each host found, for 12 minutes',
    emit(ctx, e, window, t) {
      const [c, w] = self(ctx, this);
      const minutes = Math.min(5, (e.end - window) / MIN);
      const ports = [21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 389, 443, 445, 465, 587, 631, 873, 993, 995, 1433, 1521, 2049, 2375, 2376, 2379, 2380, 3000, 3306, 3389, 4244, 5000, 5432, 5601, 5672, 5900, 5984, 6379, 6443, 7001, 8000, 8008, 8080, 8081, 8088, 8443, 8500, 8888, 9000, 9042, 9090, 9092, 9093, 9100, 9200, 9300, 10250, 10255, 10256, 11211, 15672, 27017, 50051];
      const hosts = Math.round(14 * ctx.scale * (minutes / 5));
      const workloads = [...c.workloads.values()].filter((x) => x.pods.length > 0 && x !== w);
      for (let h = 0; h < hosts; h++) {
        const kind = e.random.next();
        const dst = kind < 0.5 ? pod(c, e.random.pick(workloads), e.random.int(0, 3)) : kind < 0.6 ? { kind: 'host' as const, cluster: c, node: e.random.int(0, c.nodes.length - 1) } : { kind: 'private' as const, ip: `10.52.${e.random.int(0, 3)}.${e.random.int(2, 254)}` };
        const probe = [...ports, ...Array.from({ length: 40 }, () => e.random.int(1, 1024))];
        for (const port of probe) {
          t.conn(pod(c, w), dst, port, 1, 60, dst.kind === 'private' ? 0 : 54, { scenario: this.name, denied: dst.kind === 'pod' && e.random.chance(0.2), noReply: dst.kind === 'private' });
        }
      }
    },
  },
  {
    name: 'kubelet-access', category: 'lateral-movement', technique: 'T1210', cluster: 'infer-eu', workload: 'ml-serve/llm-code', minutes: 20,
    description: 'the code model pod (RCE via a tool-use plugin) calls the kubelet API of three nodes to list pods and exec into them',
    emit(ctx, e, window, t) {
      const [c, w] = self(ctx, this);
      e.state.nodes ??= [0, 1, 2].map(() => e.random.int(0, c.nodes.length - 1));
      for (const node of e.state.nodes as number[]) t.conn(pod(c, w, 0), { kind: 'host', cluster: c, node }, 10250, e.random.int(6, 12) * ctx.scale, 5_000, 80_000 * ctx.scale, { scenario: this.name });
    },
  },
  {
    name: 'apiserver-discovery', category: 'discovery', technique: 'T1613', cluster: 'train-eu', workload: 'ml-train/tensorboard', minutes: 10,
    description: 'TensorBoard (never an API client) uses its service-account token to enumerate secrets and pods on the API server',
    emit(ctx, e, window, t) {
      const [c, w] = self(ctx, this);
      t.conn(pod(c, w), apiEndpoint(ctx.p, c, e.random), ctx.p.apiServer.get(c)!.port, 40 * ctx.scale, 60_000, 3 * MB * ctx.scale, { scenario: this.name });
      t.lookup(c, w, 0, 'kubernetes.default.svc.cluster.local', ['10.96.0.1'], 10, { ttl: 30, scenario: this.name });
    },
  },
  {
    name: 'cross-cluster-lateral', category: 'lateral-movement', technique: 'T1021', cluster: 'dev-us', workload: 'notebooks/jupyter-chen', minutes: 20,
    description: 'a dev notebook logs into the training cluster\'s postgres in train-eu with stolen credentials and dumps tables',
    emit(ctx, e, window, t) {
      const [c, w] = self(ctx, this);
      const postgres = workload(ctx.p.train, 'data/postgres');
      t.to(c, w, 0, ctx.p.train, postgres, 0, 5432, 8, 40_000, 150 * MB * ctx.scale * e.random.jitter(0.2), { scenario: this.name });
      t.svcLookup(c, w, 0, postgres, 2, 'svc.clusterset.local');
    },
  },
  {
    name: 'metadata-api', category: 'credential-access', technique: 'T1552.005', cluster: 'train-eu', workload: 'ml-train/ray-worker', minutes: 10,
    description: 'a Ray worker fetches the node role\'s credentials from the instance metadata API and tries them against STS and S3',
    emit(ctx, e, window, t) {
      const [c, w] = self(ctx, this);
      if (window === e.start) t.conn(pod(c, w, 1), { kind: 'private', ip: '169.254.169.254' }, 80, 4, 1_500, 4_000, { scenario: this.name });
      else {
        t.ext(c, w, 1, EXT.stsEu, 443, 2, 3_000, 2_000, { scenario: this.name });
        t.ext(c, w, 1, { fqdn: 's3.eu-west-1.amazonaws.com', ips: ['52.218.100.10'] }, 443, 3, 4_000, 20_000, { scenario: this.name });
      }
    },
  },
  {
    name: 'egress-spike', category: 'exfiltration', technique: 'T1567.002', cluster: 'train-eu', workload: 'ml-train/llm-finetune', minutes: 15, startHours: [8, 18],
    description: 'the fine-tuning job uploads its training set to an S3 bucket outside the organisation, many times its normal volume',
    emit(ctx, e, window, t) {
      const [c, w] = self(ctx, this);
      e.state.bucket ??= `ml-share-${e.random.int(1000, 9999)}`;
      t.ext(c, w, 0, s3(e.state.bucket as string, 'global'), 443, 16, 2.5 * GB * ctx.scale * e.random.jitter(0.1), 300_000, { scenario: this.name });
    },
  },
  {
    name: 'new-external-upload', category: 'exfiltration', technique: 'T1048', cluster: 'infer-eu', workload: 'apps/billing-api', minutes: 10,
    description: 'the billing API sends a database dump (GBs) to an address it never talked to',
    emit(ctx, e, window, t) {
      const [c, w] = self(ctx, this);
      t.conn(pod(c, w, 1), { kind: 'public', ip: '139.59.143.201' }, 443, 3, 1.5 * GB * ctx.scale * e.random.jitter(0.1), 80_000, { scenario: this.name });
    },
  },
  {
    name: 'non-allowlisted-fqdn', category: 'command-and-control', technique: 'T1071.001', cluster: 'infer-eu', workload: 'ml-serve/embedder', minutes: 10,
    description: 'the embedder posts to a Telegram bot (C2 over a public API)',
    emit(ctx, e, window, t) {
      const [c, w] = self(ctx, this);
      t.ext(c, w, 0, { fqdn: 'api.telegram.org', ips: ['149.154.167.220'] }, 443, 4, 300_000 * ctx.scale, 20_000, { scenario: this.name });
    },
  },
  {
    name: 'dga-nxdomain-burst', category: 'command-and-control', technique: 'T1568.002', cluster: 'dev-us', workload: 'notebooks/jupyter-dana', minutes: 15,
    description: 'malware in a notebook tries generated domains until one resolves, then connects to it',
    emit(ctx, e, window, t) {
      const [c, w] = self(ctx, this);
      const n = Math.round(60 * ctx.scale);
      for (let i = 0; i < n; i++) t.lookup(c, w, 0, `${e.random.token(e.random.int(10, 16))}.${e.random.pick(['com', 'net', 'info', 'biz', 'xyz'])}`, [], 1, { rcode: 'NXDomain', ttl: 0, scenario: this.name });
      if (window + WINDOW_MS >= e.end) {
        const fqdn = `${e.random.token(13)}.xyz`;
        t.lookup(c, w, 0, fqdn, ['91.92.247.19'], 1, { ttl: 300, scenario: this.name });
        t.conn(pod(c, w), { kind: 'public', ip: '91.92.247.19', fqdn }, 443, 3, 8_000, 40_000, { scenario: this.name });
      }
    },
  },
  {
    name: 'egress-gateway-bypass', category: 'policy-violation', technique: 'T1567', cluster: 'infer-eu', workload: 'ml-serve/guardrails', minutes: 15,
    description: 'the guardrails service calls the AI provider directly instead of through the egress gateway',
    emit(ctx, e, window, t) {
      const [c, w] = self(ctx, this);
      t.ext(c, w, e.random.int(0, 1), EXT.openai, 443, 20 * ctx.scale, 400_000 * ctx.scale, 900_000 * ctx.scale, { scenario: this.name });
    },
  },
  {
    name: 'inference-ingress-flood', category: 'impact', technique: 'T1499', cluster: 'infer-eu', workload: 'ml-serve/llm-chat', minutes: 30,
    description: 'a handful of external clients flood the chat model through the ingress (GPU exhaustion, cost harvesting)',
    emit(ctx, e, window, t) {
      const [c, w] = self(ctx, this);
      const ingress = workload(c, 'ingress-nginx/ingress-nginx-controller');
      const n = 6_000 * ctx.scale;
      for (let i = 0; i < ingress.pods.length; i++) {
        t.conn({ kind: 'public', ip: `45.95.147.${e.random.int(10, 14)}` }, pod(c, ingress, i), 443, n / ingress.pods.length, (4_000 * n) / ingress.pods.length, (30_000 * n) / ingress.pods.length, { scenario: this.name });
      }
      for (let i = 0; i < w.pods.length; i++) {
        t.to(c, ingress, i, c, w, i, 8000, n / w.pods.length, (3_500 * n) / w.pods.length, (28_000 * n) / w.pods.length, { scenario: this.name });
        t.to(c, w, i, c, workload(c, 'ml-serve/guardrails'), i, 8000, n / w.pods.length, (2_000 * n) / w.pods.length, (300 * n) / w.pods.length, { scenario: this.name });
      }
    },
  },
  {
    name: 'denied-burst', category: 'discovery', technique: 'T1046', cluster: 'infer-eu', workload: 'apps/usage-metering', minutes: 10,
    description: 'usage metering tries the Harbor database and Milvus\'s etcd with harvested credentials and is denied by policy',
    emit(ctx, e, window, t) {
      const [c, w] = self(ctx, this);
      t.to(c, w, 0, c, workload(c, 'registry/harbor-database'), 0, 5432, 150 * ctx.scale, 9_000, 0, { denied: true, scenario: this.name });
      t.to(c, w, 0, c, workload(c, 'vectordb/milvus-etcd'), e.random.int(0, 2), 2379, 50 * ctx.scale, 3_000, 0, { denied: true, scenario: this.name });
    },
  },
];

/**
 * Seeded start times after the first day (a quarter of the run when it is shorter than two days),
 * spread over the remaining days (about the same number per day), never two episodes of one
 * workload within two hours of each other, and short (≤ 1 h) episodes never overlapping.
 */
export function schedulePlatform(scenarios: PlatformScenario[], random: Random, startMs: number, hours: number): Episode[] {
  const DAY = 24 * 3_600_000;
  const learn = hours >= 48 ? DAY : Math.floor((hours * 3_600_000) / 4 / WINDOW_MS) * WINDOW_MS;
  const first = startMs + learn;
  const last = startMs + hours * 3_600_000;
  const days = Math.max(1, Math.ceil((last - first) / DAY));
  const order = [...scenarios].sort(() => random.next() - 0.5);
  const episodes: Episode[] = [];
  const clash = (s: PlatformScenario, start: number, end: number) => episodes.some((e) => {
    if (e.scenario.cluster === s.cluster && e.scenario.workload === s.workload && start < e.end + 2 * 3_600_000 && e.start < end + 2 * 3_600_000) return true;
    const short = (x: PlatformScenario) => x.minutes <= 60;
    return short(s) && short(e.scenario) && start < e.end + 15 * MIN && e.start < end + 15 * MIN;
  });
  order.forEach((scenario, i) => {
    const duration = scenario.minutes * MIN;
    const bucket = first + (i % days) * DAY;
    let chosen: number | undefined;
    for (let attempt = 0; attempt < 400 && chosen === undefined; attempt++) {
      const [from, to] = attempt < 200 ? [bucket, Math.min(bucket + DAY, last - duration)] : [first, last - duration];
      if (to < from) continue;
      const start = from + Math.floor((random.next() * (to - from)) / WINDOW_MS) * WINDOW_MS;
      const hour = new Date(start).getUTCHours();
      if (scenario.startHours !== undefined && (hour < scenario.startHours[0] || hour > scenario.startHours[1])) continue;
      if (!clash(scenario, start, start + duration)) chosen = start;
    }
    if (chosen === undefined) {
      if (last - first < duration) chosen = first;
      else return;
    }
    const end = Math.min(chosen + duration, last);
    episodes.push({ scenario, start: chosen, end, random: new Random(Math.floor(random.next() * 4294967296)), state: {} });
  });
  return episodes.sort((a, b) => a.start - b.start);
}
