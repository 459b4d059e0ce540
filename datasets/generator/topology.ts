import type { Random } from './random.ts';

/** A workload of the simulated platform, with the pods it currently runs. */
export interface SimWorkload {
  cluster: string;
  namespace: string;
  name: string;
  kind: 'Deployment' | 'StatefulSet' | 'Job' | 'DaemonSet' | 'CronJob';
  labels: Record<string, string>;
  /** ReplicaSet hash for Deployments (changes on a rollout); the scheduled minute of a CronJob's current Job. */
  hash: string;
  pods: { name: string; ip: string }[];
}

export interface SimCluster {
  name: string;
  format: 'calico' | 'hubble';
  nodes: { name: string; ip: string }[];
  workloads: Map<string, SimWorkload>;
  podSubnet: number;
  nextIp: number;
}

export const WINDOW_MS = 300_000;

export function podIp(cluster: SimCluster): string {
  const n = cluster.nextIp++;
  return `10.${cluster.podSubnet}.${Math.floor(n / 250) % 250}.${(n % 250) + 2}`;
}

function podName(w: SimWorkload, random: Random, ordinal: number): string {
  if (w.kind === 'StatefulSet') return `${w.name}-${ordinal}`;
  if (w.kind === 'Deployment') return `${w.name}-${w.hash}-${random.suffix(5)}`;
  return `${w.name}-${random.suffix(5)}`;
}

export function addWorkload(cluster: SimCluster, random: Random, spec: Omit<SimWorkload, 'cluster' | 'hash' | 'pods'> & { replicas: number }): SimWorkload {
  const { replicas, ...rest } = spec;
  const w: SimWorkload = { ...rest, cluster: cluster.name, hash: random.suffix(10), pods: [] };
  for (let i = 0; i < replicas; i++) w.pods.push({ name: podName(w, random, i), ip: podIp(cluster) });
  cluster.workloads.set(`${w.namespace}/${w.name}`, w);
  return w;
}

/** A rollout: new ReplicaSet hash, new pods, new IPs (the workload's identity stays). */
export function rollOut(cluster: SimCluster, random: Random, w: SimWorkload): void {
  w.hash = random.suffix(10);
  w.pods = w.pods.map((_, i) => ({ name: podName(w, random, i), ip: podIp(cluster) }));
}

export function scale(cluster: SimCluster, random: Random, w: SimWorkload, replicas: number): void {
  while (w.pods.length < replicas) w.pods.push({ name: podName(w, random, w.pods.length), ip: podIp(cluster) });
  w.pods.length = replicas;
}

const LABEL = (app: string, component: string, extra: Record<string, string> = {}) => ({ app, 'app.kubernetes.io/name': app, 'app.kubernetes.io/component': component, ...extra });

/** The production cluster (Calico): training, inference, data, registry, gateways, system. */
export function prodCluster(random: Random, name: string, subnet: number, scaleFactor: number): SimCluster {
  const c: SimCluster = { name, format: 'calico', nodes: [], workloads: new Map(), podSubnet: subnet, nextIp: 0 };
  for (let i = 0; i < 4; i++) c.nodes.push({ name: `${name}-gpu-node-${i}`, ip: `172.20.${subnet}.${10 + i}` });
  const s = (n: number) => Math.max(1, Math.round(n * scaleFactor));
  addWorkload(c, random, { namespace: 'kube-system', name: 'coredns', kind: 'Deployment', labels: { 'k8s-app': 'kube-dns' }, replicas: 2 });
  addWorkload(c, random, { namespace: 'monitoring', name: 'prometheus', kind: 'StatefulSet', labels: LABEL('prometheus', 'monitoring'), replicas: 1 });
  addWorkload(c, random, { namespace: 'ingress-nginx', name: 'ingress-nginx-controller', kind: 'Deployment', labels: LABEL('ingress-nginx', 'controller'), replicas: 2 });
  addWorkload(c, random, { namespace: 'egress', name: 'ai-egress-gateway', kind: 'Deployment', labels: LABEL('ai-egress-gateway', 'gateway'), replicas: 2 });
  addWorkload(c, random, { namespace: 'ml-serve', name: 'llm-infer', kind: 'Deployment', labels: LABEL('llm-infer', 'inference', { env: 'prod' }), replicas: s(3) });
  addWorkload(c, random, { namespace: 'ml-serve', name: 'embedder', kind: 'Deployment', labels: LABEL('embedder', 'inference', { env: 'prod' }), replicas: s(2) });
  addWorkload(c, random, { namespace: 'ml-train', name: 'llm-finetune', kind: 'Job', labels: LABEL('llm-finetune', 'training', { 'job-name': 'llm-finetune' }), replicas: s(2) });
  addWorkload(c, random, { namespace: 'data', name: 'feature-store', kind: 'StatefulSet', labels: LABEL('feature-store', 'database'), replicas: 3 });
  addWorkload(c, random, { namespace: 'data', name: 'postgres', kind: 'StatefulSet', labels: LABEL('postgres', 'database'), replicas: 1 });
  addWorkload(c, random, { namespace: 'data', name: 'minio', kind: 'StatefulSet', labels: LABEL('minio', 'object-store'), replicas: 2 });
  addWorkload(c, random, { namespace: 'model-registry', name: 'registry', kind: 'Deployment', labels: LABEL('model-registry', 'registry', { env: 'prod' }), replicas: 1 });
  return c;
}

/** The development cluster (Cilium Hubble): notebooks, dev training, a small data store. */
export function devCluster(random: Random, name: string, subnet: number, scaleFactor: number): SimCluster {
  const c: SimCluster = { name, format: 'hubble', nodes: [], workloads: new Map(), podSubnet: subnet, nextIp: 0 };
  for (let i = 0; i < 3; i++) c.nodes.push({ name: `worker-${i}`, ip: `172.21.${subnet}.${10 + i}` });
  addWorkload(c, random, { namespace: 'kube-system', name: 'coredns', kind: 'Deployment', labels: { 'k8s-app': 'kube-dns' }, replicas: 2 });
  addWorkload(c, random, { namespace: 'monitoring', name: 'prometheus', kind: 'StatefulSet', labels: LABEL('prometheus', 'monitoring'), replicas: 1 });
  const users = ['alice', 'bob', 'chen', 'dana', 'eve', 'farid'].slice(0, Math.max(2, Math.round(4 * scaleFactor)));
  for (const user of users) {
    addWorkload(c, random, { namespace: 'notebooks', name: `jupyter-${user}`, kind: 'StatefulSet', labels: LABEL(`jupyter-${user}`, 'notebook', { env: 'dev', user }), replicas: 1 });
  }
  addWorkload(c, random, { namespace: 'ml-dev', name: 'trainer-dev', kind: 'Job', labels: LABEL('trainer-dev', 'training', { env: 'dev' }), replicas: 1 });
  // A demo inference API exposed through a LoadBalancer Service: external clients reach it directly.
  addWorkload(c, random, { namespace: 'ml-dev', name: 'llm-playground', kind: 'Deployment', labels: LABEL('llm-playground', 'inference', { env: 'dev' }), replicas: 1 });
  addWorkload(c, random, { namespace: 'data', name: 'postgres', kind: 'StatefulSet', labels: LABEL('postgres', 'database', { env: 'dev' }), replicas: 1 });
  return c;
}

export function workload(cluster: SimCluster, key: string): SimWorkload {
  const w = cluster.workloads.get(key);
  if (w === undefined) throw new Error(`no workload ${key} in ${cluster.name}`);
  return w;
}
