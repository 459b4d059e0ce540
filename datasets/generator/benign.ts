import type { Random } from './random.ts';
import { WINDOW_MS, workload, type SimCluster } from './topology.ts';
import { pod, type SimWindow } from './traffic.ts';

/** Public services and the addresses their names resolve to (documentation-style ranges kept apart). */
export const PUBLIC = {
  gcs: { fqdn: 'storage.googleapis.com', ips: ['142.250.74.91', '142.250.74.123'] },
  s3: { fqdn: 's3.us-east-1.amazonaws.com', ips: ['52.217.12.46'] },
  hf: { fqdn: 'huggingface.co', ips: ['18.244.202.60', '18.244.202.73'] },
  pypi: { fqdn: 'pypi.org', ips: ['151.101.0.223'] },
  pythonhosted: { fqdn: 'files.pythonhosted.org', ips: ['151.101.64.223'] },
  github: { fqdn: 'github.com', ips: ['140.82.121.4'] },
  openai: { fqdn: 'api.openai.com', ips: ['162.159.140.245'] },
  registry: { fqdn: 'registry-1.docker.io', ips: ['54.236.113.205'] },
};

/** Diurnal load factor (0.25 at night … 1.0 mid-afternoon UTC). */
export function dayLoad(window: number): number {
  const hour = (window / 3_600_000) % 24;
  return 0.25 + 0.75 * Math.max(0, Math.sin(((hour - 6) / 24) * 2 * Math.PI)) ** 1.5;
}

const MB = 1_000_000;

/** Ordinary traffic of the production cluster in one window. */
export function prodWindow(c: SimCluster, random: Random, window: number, out: SimWindow): void {
  const load = dayLoad(window);
  const infer = workload(c, 'ml-serve/llm-infer');
  const embedder = workload(c, 'ml-serve/embedder');
  const ingress = workload(c, 'ingress-nginx/ingress-nginx-controller');
  const gateway = workload(c, 'egress/ai-egress-gateway');
  const trainer = workload(c, 'ml-train/llm-finetune');
  const features = workload(c, 'data/feature-store');
  const postgres = workload(c, 'data/postgres');
  const minio = workload(c, 'data/minio');
  const registry = workload(c, 'model-registry/registry');
  const prometheus = workload(c, 'monitoring/prometheus');
  const conn = (src: ReturnType<typeof pod>, dst: ReturnType<typeof pod>, port: number, connections: number, bytesOut: number, bytesIn: number) =>
    out.connections.push({ window, src, dst, port, protocol: 'tcp', connections: Math.max(1, Math.round(connections)), bytesOut: Math.round(bytesOut), bytesIn: Math.round(bytesIn), denied: false });

  // Internet clients → ingress controller → inference.
  const requests = 400 * load * random.jitter(0.2);
  for (let i = 0; i < ingress.pods.length; i++) {
    conn({ kind: 'public', ip: `203.0.113.${random.int(1, 254)}` }, pod(c, ingress, i), 443, requests / 2, 2_000 * requests / 2, 30_000 * requests / 2);
  }
  for (let i = 0; i < infer.pods.length; i++) conn(pod(c, ingress, i), pod(c, infer, i), 8080, requests / infer.pods.length, 1_800 * requests / infer.pods.length, 28_000 * requests / infer.pods.length);
  conn(pod(c, ingress, 0), pod(c, embedder, 0), 8080, requests / 4, 900 * requests / 4, 6_000 * requests / 4);
  // Inference → embedder, feature store, model provider via the egress gateway.
  for (let i = 0; i < infer.pods.length; i++) {
    conn(pod(c, infer, i), pod(c, embedder, i), 8080, requests / 5, 400 * requests / 5, 3_000 * requests / 5);
    conn(pod(c, infer, i), pod(c, features, i), 6379, 3 * random.jitter(), 20_000 * load, 400_000 * load * random.jitter());
    conn(pod(c, infer, i), pod(c, gateway, i), 8080, requests / 20, 1_500 * requests / 20, 4_000 * requests / 20);
  }
  conn(pod(c, gateway, 0), { kind: 'public', ip: random.pick(PUBLIC.openai.ips), fqdn: PUBLIC.openai.fqdn }, 443, requests / 10, 3_000 * requests / 10, 8_000 * requests / 10);
  // Training: reads shards, writes checkpoints to the registry and cloud storage every hour.
  if (trainer.pods.length > 0) {
    for (let i = 0; i < trainer.pods.length; i++) {
      conn(pod(c, trainer, i), pod(c, minio, i), 9000, 6 * random.jitter(), 50_000, 300 * MB * random.jitter());
      conn(pod(c, trainer, i), pod(c, features, i), 6379, 2, 10_000, 2 * MB * random.jitter());
    }
    const minuteOfHour = (window / 60_000) % 60;
    if (minuteOfHour === 30) {
      conn(pod(c, trainer, 0), pod(c, registry, 0), 8080, 2, 400 * MB * random.jitter(), 20_000);
      conn(pod(c, trainer, 0), { kind: 'public', ip: random.pick(PUBLIC.gcs.ips), fqdn: PUBLIC.gcs.fqdn }, 443, 4, 350 * MB * random.jitter(), 200_000);
    }
    // A little steady telemetry and a dataset pull now and then.
    conn(pod(c, trainer, 0), { kind: 'public', ip: random.pick(PUBLIC.gcs.ips), fqdn: PUBLIC.gcs.fqdn }, 443, 2, 200_000 * random.jitter(), 3 * MB * random.jitter());
    if (random.chance(0.05)) conn(pod(c, trainer, 1), { kind: 'public', ip: random.pick(PUBLIC.hf.ips), fqdn: PUBLIC.hf.fqdn }, 443, 3, 30_000, 200 * MB * random.jitter());
  }
  // Data stores replicate; the registry backs up to S3 nightly.
  conn(pod(c, features, 0), pod(c, features, 1), 6379, 2, 2 * MB * random.jitter(), 50_000);
  conn(pod(c, embedder, 0), pod(c, postgres, 0), 5432, 4 * random.jitter(), 80_000 * load, 500_000 * load);
  if (Math.floor(window / 3_600_000) % 24 === 2) conn(pod(c, registry, 0), { kind: 'public', ip: PUBLIC.s3.ips[0]!, fqdn: PUBLIC.s3.fqdn }, 443, 3, 120 * MB * random.jitter(), 100_000);
  conn(pod(c, registry, 0), pod(c, postgres, 0), 5432, 2, 20_000, 60_000);
  // Prometheus scrapes everything; everyone resolves names through CoreDNS.
  for (const w of c.workloads.values()) {
    if (w === prometheus || w.pods.length === 0) continue;
    conn(pod(c, prometheus, 0), pod(c, w, 0), w.name === 'coredns' ? 9153 : 9090, 10, 8_000, 120_000 * random.jitter(0.1));
  }
  lookups(c, random, window, out);
}

function lookups(c: SimCluster, random: Random, window: number, out: SimWindow): void {
  const ask = (key: string, service: { fqdn: string; ips: string[] }, count: number) => {
    const client = workload(c, key);
    if (client.pods.length === 0) return;
    out.lookups.push({ window, cluster: c, client, pod: 0, qname: service.fqdn, qtype: 'A', rcode: 'NoError', ips: service.ips, ttl: 300, count: Math.max(1, Math.round(count * random.jitter())) });
  };
  const hour = (window / 3_600_000) % 24;
  ask('egress/ai-egress-gateway', PUBLIC.openai, 20);
  ask('ml-train/llm-finetune', PUBLIC.gcs, 6);
  if (random.chance(0.1)) ask('ml-train/llm-finetune', PUBLIC.hf, 2);
  if (Math.floor(hour) === 2) ask('model-registry/registry', PUBLIC.s3, 3);
  const infer = workload(c, 'ml-serve/llm-infer');
  out.lookups.push({ window, cluster: c, client: infer, pod: 0, qname: 'feature-store.data.svc.cluster.local', qtype: 'A', rcode: 'NoError', ips: ['10.96.12.40'], ttl: 30, count: 40 });
  // Search-path misses are normal NXDOMAIN noise.
  out.lookups.push({ window, cluster: c, client: infer, pod: 0, qname: 'feature-store.ml-serve.svc.cluster.local', qtype: 'A', rcode: 'NXDomain', ips: [], ttl: 30, count: random.int(2, 8) });
}

/** Ordinary traffic of the development cluster: notebooks browsing, a dev trainer, DNS. */
export function devWindow(c: SimCluster, random: Random, window: number, out: SimWindow): void {
  const load = dayLoad(window);
  const postgres = workload(c, 'data/postgres');
  const prometheus = workload(c, 'monitoring/prometheus');
  const conn = (src: ReturnType<typeof pod>, dst: ReturnType<typeof pod>, port: number, connections: number, bytesOut: number, bytesIn: number) =>
    out.connections.push({ window, src, dst, port, protocol: 'tcp', connections: Math.max(1, Math.round(connections)), bytesOut, bytesIn, denied: false });
  for (const w of c.workloads.values()) {
    if (w.namespace !== 'notebooks') continue;
    if (!random.chance(0.3 + 0.6 * load)) continue;
    const site = random.pick([PUBLIC.pypi, PUBLIC.pythonhosted, PUBLIC.github, PUBLIC.hf]);
    conn(pod(c, w), { kind: 'public', ip: random.pick(site.ips), fqdn: site.fqdn }, 443, random.int(1, 3), 20_000, 2 * MB);
    conn(pod(c, w), pod(c, postgres), 5432, random.int(1, 2), 5_000, 50_000);
    out.lookups.push({ window, cluster: c, client: w, pod: 0, qname: site.fqdn, qtype: 'A', rcode: 'NoError', ips: site.ips, ttl: 60, count: 1 });
  }
  const trainer = workload(c, 'ml-dev/trainer-dev');
  if (trainer.pods.length > 0) {
    conn(pod(c, trainer), pod(c, postgres), 5432, 2, 5_000, 400_000);
    if (random.chance(0.2)) {
      conn(pod(c, trainer), { kind: 'public', ip: random.pick(PUBLIC.hf.ips), fqdn: PUBLIC.hf.fqdn }, 443, 1, 10_000, 50 * MB);
      out.lookups.push({ window, cluster: c, client: trainer, pod: 0, qname: PUBLIC.hf.fqdn, qtype: 'A', rcode: 'NoError', ips: PUBLIC.hf.ips, ttl: 60, count: 1 });
    }
  }
  // A handful of external users try the playground API, more by day.
  const playground = workload(c, 'ml-dev/llm-playground');
  const users = Math.max(1, Math.round(6 * load * random.jitter(0.2)));
  for (let i = 0; i < users; i++) conn({ kind: 'public', ip: `203.0.113.${random.int(1, 254)}` }, pod(c, playground), 8080, random.int(1, 3), 3_000, 40_000);
  for (const w of c.workloads.values()) {
    if (w === prometheus || w.pods.length === 0) continue;
    if ((window / WINDOW_MS) % 2 === 0) conn(pod(c, prometheus), pod(c, w), w.name === 'coredns' ? 9153 : 9090, 1, 600, 30_000);
  }
}
