import { PUBLIC } from './benign.ts';
import type { Random } from './random.ts';
import { WINDOW_MS, workload, type SimCluster } from './topology.ts';
import { pod, type SimConnection, type SimWindow } from './traffic.ts';

export interface AttackContext {
  prod: SimCluster;
  dev: SimCluster;
  random: Random;
  /** Multiplies attack magnitudes (bytes, counts); 1 = the defaults below. */
  scale: number;
}

/** A labelled attack: who, what, how long, and the traffic it adds to each window. */
export interface Scenario {
  name: string;
  category: 'lateral-movement' | 'discovery' | 'exfiltration' | 'command-and-control' | 'credential-access' | 'policy-violation' | 'impact';
  technique: string;
  cluster: 'prod' | 'dev';
  workload: string;
  minutes: number;
  description: string;
  emit(ctx: AttackContext, window: number, out: SimWindow): void;
}

const MB = 1_000_000;

function add(out: SimWindow, scenario: string, c: Omit<SimConnection, 'scenario' | 'protocol'> & { protocol?: 'tcp' | 'udp' }): void {
  out.connections.push({ protocol: 'tcp', ...c, scenario, connections: Math.max(1, Math.round(c.connections)), bytesOut: Math.round(c.bytesOut), bytesIn: Math.round(c.bytesIn) });
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'port-scan', category: 'discovery', technique: 'T1046', cluster: 'prod', workload: 'ml-serve/embedder', minutes: 10,
    description: 'a compromised embedder pod probes ports of the postgres pod',
    emit({ prod, random, scale }, window, out) {
      const ports = Math.round(120 * scale);
      for (let i = 0; i < ports; i++) add(out, this.name, { window, src: pod(prod, workload(prod, this.workload)), dst: pod(prod, workload(prod, 'data/postgres')), port: 1 + random.int(0, 9000), connections: 1, bytesOut: 60, bytesIn: 0, denied: true });
    },
  },
  {
    name: 'metadata-api', category: 'credential-access', technique: 'T1552.005', cluster: 'prod', workload: 'ml-train/llm-finetune', minutes: 5,
    description: 'the training job fetches node credentials from the cloud metadata API',
    emit({ prod }, window, out) {
      add(out, this.name, { window, src: pod(prod, workload(prod, this.workload)), dst: { kind: 'private', ip: '169.254.169.254' }, port: 80, connections: 3, bytesOut: 900, bytesIn: 4_000, denied: false });
    },
  },
  {
    name: 'new-east-west-edge', category: 'lateral-movement', technique: 'T1021', cluster: 'prod', workload: 'ml-serve/llm-infer', minutes: 15,
    description: 'the inference service starts reading the production postgres directly',
    emit({ prod, scale }, window, out) {
      add(out, this.name, { window, src: pod(prod, workload(prod, this.workload)), dst: pod(prod, workload(prod, 'data/postgres')), port: 5432, connections: 6, bytesOut: 40_000, bytesIn: 80 * MB * scale, denied: false });
    },
  },
  {
    name: 'egress-spike', category: 'exfiltration', technique: 'T1567.002', cluster: 'prod', workload: 'ml-train/llm-finetune', minutes: 15,
    description: 'the training job uploads the fine-tuning set to cloud storage, many times its normal volume',
    emit({ prod, random, scale }, window, out) {
      add(out, this.name, { window, src: pod(prod, workload(prod, this.workload)), dst: { kind: 'public', ip: random.pick(PUBLIC.gcs.ips), fqdn: PUBLIC.gcs.fqdn }, port: 443, connections: 8, bytesOut: 3_000 * MB * scale, bytesIn: 500_000, denied: false });
    },
  },
  {
    name: 'new-external-upload', category: 'exfiltration', technique: 'T1048', cluster: 'prod', workload: 'data/feature-store', minutes: 10,
    description: 'the feature store sends gigabytes to an address it never talked to',
    emit({ prod, scale }, window, out) {
      add(out, this.name, { window, src: pod(prod, workload(prod, this.workload)), dst: { kind: 'public', ip: '45.77.12.9' }, port: 443, connections: 2, bytesOut: 1_500 * MB * scale, bytesIn: 80_000, denied: false });
    },
  },
  {
    name: 'non-allowlisted-fqdn', category: 'command-and-control', technique: 'T1071.001', cluster: 'prod', workload: 'ml-serve/llm-infer', minutes: 10,
    description: 'the inference service posts to a paste site',
    emit({ prod }, window, out) {
      const infer = workload(prod, this.workload);
      add(out, this.name, { window, src: pod(prod, infer), dst: { kind: 'public', ip: '104.20.67.143', fqdn: 'paste.example-leak.net' }, port: 443, connections: 4, bytesOut: 2 * MB, bytesIn: 20_000, denied: false });
      out.lookups.push({ window, cluster: prod, client: infer, pod: 0, qname: 'paste.example-leak.net', qtype: 'A', rcode: 'NoError', ips: ['104.20.67.143'], ttl: 300, count: 4, scenario: this.name });
    },
  },
  {
    name: 'dns-tunnel', category: 'command-and-control', technique: 'T1071.004', cluster: 'prod', workload: 'data/minio', minutes: 30,
    description: 'data leaves as TXT lookups of long random labels under one domain',
    emit({ prod, random, scale }, window, out) {
      const client = workload(prod, this.workload);
      const n = Math.round(150 * scale);
      for (let i = 0; i < n; i++) out.lookups.push({ window, cluster: prod, client, pod: 0, qname: `${random.token(48)}.${random.token(12)}.t.exfil-tunnel.net`, qtype: 'TXT', rcode: 'NoError', ips: ['0.0.0.0'], ttl: 0, count: 1, scenario: this.name });
    },
  },
  {
    name: 'egress-gateway-bypass', category: 'policy-violation', technique: 'T1567', cluster: 'prod', workload: 'ml-serve/llm-infer', minutes: 15,
    description: 'the inference service calls the AI provider directly instead of through the egress gateway',
    emit({ prod, random }, window, out) {
      add(out, this.name, { window, src: pod(prod, workload(prod, this.workload)), dst: { kind: 'public', ip: random.pick(PUBLIC.openai.ips), fqdn: PUBLIC.openai.fqdn }, port: 443, connections: 20, bytesOut: 400_000, bytesIn: 900_000, denied: false });
    },
  },
  {
    name: 'inference-ingress-flood', category: 'impact', technique: 'T1499', cluster: 'prod', workload: 'ml-serve/llm-infer', minutes: 30,
    description: 'one external client floods the inference API through the ingress (GPU exhaustion)',
    emit({ prod, scale }, window, out) {
      const infer = workload(prod, this.workload);
      const ingress = workload(prod, 'ingress-nginx/ingress-nginx-controller');
      add(out, this.name, { window, src: { kind: 'public', ip: '198.51.100.77' }, dst: pod(prod, ingress, 0), port: 443, connections: 6_000 * scale, bytesOut: 12_000 * MB * scale / 1000, bytesIn: 200 * MB * scale, denied: false });
      for (let i = 0; i < infer.pods.length; i++) add(out, this.name, { window, src: pod(prod, ingress, i), dst: pod(prod, infer, i), port: 8080, connections: (6_000 * scale) / infer.pods.length, bytesOut: (10 * MB * scale) / infer.pods.length, bytesIn: (180 * MB * scale) / infer.pods.length, denied: false });
    },
  },
  {
    name: 'ingress-gateway-bypass', category: 'policy-violation', technique: 'T1133', cluster: 'prod', workload: 'ml-serve/embedder', minutes: 15,
    description: 'an external client reaches the embedder pod directly, not through the ingress controller',
    emit({ prod }, window, out) {
      add(out, this.name, { window, src: { kind: 'public', ip: '198.51.100.23' }, dst: pod(prod, workload(prod, this.workload)), port: 8080, connections: 50, bytesOut: 100_000, bytesIn: 2 * MB, denied: false });
    },
  },
  {
    name: 'denied-burst', category: 'discovery', technique: 'T1046', cluster: 'prod', workload: 'data/postgres', minutes: 10,
    description: 'the postgres pod hammers the feature store and gets denied by policy',
    emit({ prod, scale }, window, out) {
      add(out, this.name, { window, src: pod(prod, workload(prod, this.workload)), dst: pod(prod, workload(prod, 'data/feature-store')), port: 6379, connections: 150 * scale, bytesOut: 9_000, bytesIn: 0, denied: true });
    },
  },
  {
    name: 'slow-exfiltration', category: 'exfiltration', technique: 'T1030', cluster: 'prod', workload: 'model-registry/registry', minutes: 6 * 60,
    description: 'model weights leave in modest chunks for hours to a file-sharing host',
    emit({ prod, scale }, window, out) {
      add(out, this.name, { window, src: pod(prod, workload(prod, this.workload)), dst: { kind: 'public', ip: '104.21.33.7', fqdn: 'files.transfer-box.net' }, port: 443, connections: 1, bytesOut: 40 * MB * scale, bytesIn: 10_000, denied: false });
    },
  },
  {
    name: 'ip-sweep', category: 'discovery', technique: 'T1018', cluster: 'dev', workload: 'notebooks/jupyter-bob', minutes: 10,
    description: 'a notebook sweeps the pod network for Redis',
    emit({ dev, random, scale }, window, out) {
      const n = Math.round(60 * scale);
      for (let i = 0; i < n; i++) add(out, this.name, { window, src: pod(dev, workload(dev, this.workload)), dst: { kind: 'private', ip: `10.${dev.podSubnet}.${random.int(0, 3)}.${random.int(2, 250)}` }, port: 6379, connections: 1, bytesOut: 60, bytesIn: 0, denied: random.chance(0.5) });
    },
  },
  {
    name: 'kubelet-access', category: 'lateral-movement', technique: 'T1210', cluster: 'dev', workload: 'notebooks/jupyter-alice', minutes: 5,
    description: 'a notebook talks to the kubelet API of a node',
    emit({ dev }, window, out) {
      add(out, this.name, { window, src: pod(dev, workload(dev, this.workload)), dst: { kind: 'host', cluster: dev, node: 1 }, port: 10250, connections: 5, bytesOut: 3_000, bytesIn: 40_000, denied: false });
    },
  },
  {
    name: 'dev-to-prod-registry', category: 'lateral-movement', technique: 'T1021', cluster: 'dev', workload: 'notebooks/jupyter-chen', minutes: 15,
    description: 'a dev notebook pulls models from the production registry in the other cluster',
    emit({ dev, prod, scale }, window, out) {
      add(out, this.name, { window, src: pod(dev, workload(dev, this.workload)), dst: pod(prod, workload(prod, 'model-registry/registry')), port: 8080, connections: 6, bytesOut: 20_000, bytesIn: 2_000 * MB * scale, denied: false });
    },
  },
  {
    name: 'dga-nxdomain-burst', category: 'command-and-control', technique: 'T1568.002', cluster: 'dev', workload: 'notebooks/jupyter-dana', minutes: 15,
    description: 'malware in a notebook tries generated domains until one resolves',
    emit({ dev, random, scale }, window, out) {
      const client = workload(dev, this.workload);
      const n = Math.round(60 * scale);
      for (let i = 0; i < n; i++) out.lookups.push({ window, cluster: dev, client, pod: 0, qname: `${random.token(random.int(10, 16))}.${random.pick(['com', 'net', 'info', 'biz'])}`, qtype: 'A', rcode: 'NXDomain', ips: [], ttl: 0, count: 1, scenario: this.name });
    },
  },
  {
    name: 'inference-client-abuse', category: 'impact', technique: 'T1499', cluster: 'dev', workload: 'ml-dev/llm-playground', minutes: 15,
    description: 'one external client hammers the exposed playground inference API (GPU cost harvesting)',
    emit({ dev, scale }, window, out) {
      const target = pod(dev, workload(dev, this.workload));
      const bursts = Math.round(30 * scale);
      for (let i = 0; i < bursts; i++) add(out, this.name, { window, src: { kind: 'public', ip: '198.51.100.99' }, dst: target, port: 8080, connections: 24, bytesOut: 50_000, bytesIn: 900_000, denied: false });
    },
  },
  {
    name: 'beaconing', category: 'command-and-control', technique: 'T1071.001', cluster: 'dev', workload: 'ml-dev/trainer-dev', minutes: 3 * 60,
    description: 'an implant in the dev trainer calls home every minute',
    emit({ dev }, window, out) {
      add(out, this.name, { window, src: pod(dev, workload(dev, this.workload)), dst: { kind: 'public', ip: '185.220.101.7' }, port: 443, connections: 5, bytesOut: 3_000, bytesIn: 2_500, denied: false });
    },
  },
];

/** Seeded start times: after the learning period, spread over the rest of the run, one at a time per workload. */
export function schedule(scenarios: Scenario[], random: Random, startMs: number, hours: number): { scenario: Scenario; start: number; end: number }[] {
  const first = startMs + 8 * 3_600_000;
  const last = startMs + hours * 3_600_000;
  const order = [...scenarios].sort(() => random.next() - 0.5);
  const slot = Math.max(WINDOW_MS, Math.floor((last - first - 60 * 60_000) / Math.max(1, order.length)));
  const busyUntil = new Map<string, number>();
  const out: { scenario: Scenario; start: number; end: number }[] = [];
  order.forEach((scenario, i) => {
    let start = first + i * slot + Math.floor(random.next() * Math.max(1, slot - scenario.minutes * 60_000) / WINDOW_MS) * WINDOW_MS;
    start = Math.floor(start / WINDOW_MS) * WINDOW_MS;
    const key = `${scenario.cluster}/${scenario.workload}`;
    start = Math.max(start, busyUntil.get(key) ?? 0);
    const end = Math.min(start + scenario.minutes * 60_000, last);
    if (end <= start) return;
    busyUntil.set(key, end + 2 * 3_600_000);
    out.push({ scenario, start, end });
  });
  return out.sort((a, b) => a.start - b.start);
}
