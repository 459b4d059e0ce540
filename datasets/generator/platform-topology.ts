/**
 * Topology of the platform world: three clusters of a multi-cluster AI platform.
 *
 *   train-eu  (Calico)  GPU training: a long pre-training run, daily fine-tuning, nightly evals,
 *                       hyper-parameter sweeps, Ray, MinIO/Postgres/Redis/Kafka/etcd, model store.
 *   infer-eu  (Calico)  inference behind ingress-nginx, an AI egress gateway, Harbor, Milvus
 *                       (with its own etcd), usage metering and billing; EKS-style, autoscaled.
 *   dev-us    (Hubble)  notebooks (no egress gateway), CI (runners, BuildKit), Argo, dev services.
 *
 * Every cluster runs the usual system layer: CoreDNS, DaemonSets (fluent-bit, node-exporter,
 * GPU agents, backup node agents), operators and controllers that watch the API server.
 */
import type { Random } from './random.ts';
import { addWorkload, podIp, type SimCluster, type SimWorkload } from './topology.ts';
import type { SimEndpoint } from './traffic.ts';

export interface Platform {
  train: SimCluster;
  infer: SimCluster;
  dev: SimCluster;
  clusters: SimCluster[];
  /** The API server as pods reach it: the `default/kubernetes` Service in front of control-plane addresses. */
  apiServer: Map<SimCluster, { endpoints: string[]; port: number }>;
  /** Nodes with GPUs (the first N of `nodes`); GPU DaemonSets run one pod on each. */
  gpuNodes: Map<SimCluster, number>;
  /** DaemonSets and whether they run on GPU nodes only. */
  daemonSets: Map<SimWorkload, 'all' | 'gpu'>;
  /** The address CoreDNS forwards external names to. */
  upstreamDns: Map<SimCluster, string>;
  /** Scales replicated app workloads (replicas, notebooks, GPU nodes). */
  scale: number;
}

export const LABEL = (app: string, component: string, extra: Record<string, string> = {}) => ({ app, 'app.kubernetes.io/name': app, 'app.kubernetes.io/component': component, ...extra });
const HELM = (name: string, extra: Record<string, string> = {}) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name, ...extra });

type Spec = Omit<SimWorkload, 'cluster' | 'hash' | 'pods'> & { replicas: number };

/** A DaemonSet: one pod per node (or per GPU node). */
function daemonSet(p: Platform, c: SimCluster, random: Random, spec: Omit<Spec, 'kind' | 'replicas'>, on: 'all' | 'gpu' = 'all'): SimWorkload {
  const w = addWorkload(c, random, { ...spec, kind: 'DaemonSet', replicas: on === 'gpu' ? p.gpuNodes.get(c)! : c.nodes.length });
  p.daemonSets.set(w, on);
  return w;
}

/** Starts a new run of a Job (new pod names and IPs, same workload and job-name label). */
export function startJob(c: SimCluster, random: Random, w: SimWorkload, replicas: number): void {
  w.pods = Array.from({ length: replicas }, () => ({ name: `${w.name}-${random.suffix(5)}`, ip: podIp(c) }));
}

/** A CronJob fires: a Job `<name>-<scheduled minute>` with fresh pods. */
export function startCronJob(c: SimCluster, random: Random, w: SimWorkload, window: number, replicas = 1): void {
  w.hash = String(Math.floor(window / 60_000));
  w.labels = { ...w.labels, 'job-name': `${w.name}-${w.hash}` };
  w.pods = Array.from({ length: replicas }, () => ({ name: `${w.name}-${w.hash}-${random.suffix(5)}`, ip: podIp(c) }));
}

export function stopJob(w: SimWorkload): void {
  w.pods = [];
}

function cluster(name: string, format: 'calico' | 'hubble', podSubnet: number, nodes: { name: string; ip: string }[]): SimCluster {
  return { name, format, nodes, workloads: new Map(), podSubnet, nextIp: 0 };
}

/** The shared system layer (CoreDNS, logging, monitoring, cert-manager). */
function systemLayer(p: Platform, c: SimCluster, random: Random, opts: { gpu: boolean; calico: boolean }): void {
  addWorkload(c, random, { namespace: 'kube-system', name: 'coredns', kind: 'Deployment', labels: { 'k8s-app': 'kube-dns' }, replicas: 2 });
  if (opts.calico) addWorkload(c, random, { namespace: 'kube-system', name: 'calico-kube-controllers', kind: 'Deployment', labels: { 'k8s-app': 'calico-kube-controllers' }, replicas: 1 });
  addWorkload(c, random, { namespace: 'kube-system', name: 'metrics-server', kind: 'Deployment', labels: { 'k8s-app': 'metrics-server' }, replicas: 1 });
  daemonSet(p, c, random, { namespace: 'logging', name: 'fluent-bit', labels: HELM('fluent-bit') });
  addWorkload(c, random, { namespace: 'monitoring', name: 'prometheus', kind: 'StatefulSet', labels: HELM('prometheus', { 'app.kubernetes.io/component': 'monitoring' }), replicas: 1 });
  daemonSet(p, c, random, { namespace: 'monitoring', name: 'node-exporter', labels: HELM('node-exporter', { 'app.kubernetes.io/component': 'exporter' }) });
  addWorkload(c, random, { namespace: 'monitoring', name: 'kube-state-metrics', kind: 'Deployment', labels: HELM('kube-state-metrics', { 'app.kubernetes.io/component': 'exporter' }), replicas: 1 });
  if (opts.gpu) {
    daemonSet(p, c, random, { namespace: 'gpu-operator', name: 'nvidia-dcgm-exporter', labels: { app: 'nvidia-dcgm-exporter' } }, 'gpu');
    daemonSet(p, c, random, { namespace: 'gpu-operator', name: 'gpu-feature-discovery', labels: { app: 'gpu-feature-discovery' } }, 'gpu');
  }
  addWorkload(c, random, { namespace: 'monitoring', name: 'grafana', kind: 'Deployment', labels: HELM('grafana', { 'app.kubernetes.io/component': 'monitoring' }), replicas: 1 });
  addWorkload(c, random, { namespace: 'cert-manager', name: 'cert-manager', kind: 'Deployment', labels: HELM('cert-manager', { 'app.kubernetes.io/component': 'controller' }), replicas: 1 });
}

export function buildPlatform(random: Random, scale: number): Platform {
  const s = (n: number) => Math.max(1, Math.round(n * scale));
  const trainGpu = s(6);
  const inferGpu = s(6);
  const devNodes = Math.max(3, s(4));
  const train = cluster('train-eu', 'calico', 32, [
    ...Array.from({ length: trainGpu }, (_, i) => ({ name: `trn-p5-${String(i + 1).padStart(2, '0')}`, ip: `172.20.30.${11 + i}` })),
    ...Array.from({ length: 3 }, (_, i) => ({ name: `trn-cpu-${String(i + 1).padStart(2, '0')}`, ip: `172.20.30.${101 + i}` })),
  ]);
  const infer = cluster('infer-eu', 'calico', 42, [
    ...Array.from({ length: inferGpu }, (_, i) => ({ name: `ip-172-20-40-${21 + i}.eu-west-1.compute.internal`, ip: `172.20.40.${21 + i}` })),
    ...Array.from({ length: 2 }, (_, i) => ({ name: `ip-172-20-41-${11 + i}.eu-west-1.compute.internal`, ip: `172.20.41.${11 + i}` })),
  ]);
  const dev = cluster('dev-us', 'hubble', 52, Array.from({ length: devNodes }, (_, i) => ({ name: `ip-10-50-8-${31 + i}.ec2.internal`, ip: `10.50.8.${31 + i}` })));
  const p: Platform = {
    train, infer, dev, clusters: [train, infer, dev],
    apiServer: new Map([
      [train, { endpoints: ['172.20.30.2', '172.20.30.3', '172.20.30.4'], port: 6443 }],
      [infer, { endpoints: ['172.20.40.240', '172.20.41.240'], port: 443 }],
      [dev, { endpoints: ['10.50.0.12', '10.50.1.12'], port: 6443 }],
    ]),
    gpuNodes: new Map([[train, trainGpu], [infer, inferGpu], [dev, 0]]),
    daemonSets: new Map(),
    upstreamDns: new Map([[train, '172.20.0.2'], [infer, '172.20.0.2'], [dev, '10.50.0.2']]),
    scale,
  };

  // ── train-eu ───────────────────────────────────────────────────────────────
  systemLayer(p, train, random, { gpu: true, calico: true });
  daemonSet(p, train, random, { namespace: 'kube-system', name: 'node-problem-detector', labels: { app: 'node-problem-detector' } });
  addWorkload(train, random, { namespace: 'monitoring', name: 'alertmanager', kind: 'StatefulSet', labels: HELM('alertmanager', { 'app.kubernetes.io/component': 'monitoring' }), replicas: 2 });
  addWorkload(train, random, { namespace: 'gpu-operator', name: 'gpu-operator', kind: 'Deployment', labels: { app: 'gpu-operator' }, replicas: 1 });
  addWorkload(train, random, { namespace: 'cert-manager', name: 'cert-manager-cainjector', kind: 'Deployment', labels: HELM('cainjector'), replicas: 1 });
  addWorkload(train, random, { namespace: 'cert-manager', name: 'cert-manager-webhook', kind: 'Deployment', labels: HELM('webhook'), replicas: 1 });
  addWorkload(train, random, { namespace: 'external-secrets', name: 'external-secrets', kind: 'Deployment', labels: HELM('external-secrets'), replicas: 1 });
  addWorkload(train, random, { namespace: 'argocd', name: 'argocd-application-controller', kind: 'StatefulSet', labels: HELM('argocd-application-controller'), replicas: 1 });
  addWorkload(train, random, { namespace: 'argocd', name: 'argocd-repo-server', kind: 'Deployment', labels: HELM('argocd-repo-server'), replicas: 1 });
  addWorkload(train, random, { namespace: 'backup', name: 'velero', kind: 'Deployment', labels: HELM('velero'), replicas: 1 });
  daemonSet(p, train, random, { namespace: 'backup', name: 'node-agent', labels: { name: 'node-agent', 'app.kubernetes.io/name': 'velero' } });
  addWorkload(train, random, { namespace: 'kubeflow', name: 'training-operator', kind: 'Deployment', labels: { 'control-plane': 'kubeflow-training-operator' }, replicas: 1 });
  addWorkload(train, random, { namespace: 'kubeflow', name: 'katib-controller', kind: 'Deployment', labels: { 'katib.kubeflow.org/component': 'controller' }, replicas: 1 });
  addWorkload(train, random, { namespace: 'data', name: 'minio', kind: 'StatefulSet', labels: LABEL('minio', 'object-store'), replicas: 4 });
  addWorkload(train, random, { namespace: 'data', name: 'postgres', kind: 'StatefulSet', labels: LABEL('postgres', 'database'), replicas: 1 });
  addWorkload(train, random, { namespace: 'data', name: 'feature-store', kind: 'StatefulSet', labels: LABEL('feature-store', 'database', { 'app.kubernetes.io/part-of': 'redis' }), replicas: 3 });
  addWorkload(train, random, { namespace: 'data', name: 'etcd', kind: 'StatefulSet', labels: LABEL('etcd', 'database'), replicas: 3 });
  addWorkload(train, random, { namespace: 'data', name: 'feature-service', kind: 'Deployment', labels: LABEL('feature-service', 'api'), replicas: s(2) });
  addWorkload(train, random, { namespace: 'data', name: 'kafka', kind: 'StatefulSet', labels: LABEL('kafka', 'broker'), replicas: 3 });
  addWorkload(train, random, { namespace: 'model-registry', name: 'mlflow', kind: 'Deployment', labels: LABEL('mlflow', 'tracking'), replicas: 1 });
  addWorkload(train, random, { namespace: 'model-registry', name: 'model-store', kind: 'Deployment', labels: LABEL('model-store', 'registry'), replicas: 2 });
  addWorkload(train, random, { namespace: 'ml-train', name: 'pretrain-gpt', kind: 'Job', labels: LABEL('pretrain-gpt', 'training', { 'job-name': 'pretrain-gpt', 'training.kubeflow.org/job-name': 'pretrain-gpt' }), replicas: s(4) });
  addWorkload(train, random, { namespace: 'ml-train', name: 'llm-finetune', kind: 'Job', labels: LABEL('llm-finetune', 'training', { 'job-name': 'llm-finetune' }), replicas: 0 });
  addWorkload(train, random, { namespace: 'ml-train', name: 'eval-harness', kind: 'CronJob', labels: LABEL('eval-harness', 'training'), replicas: 0 });
  addWorkload(train, random, { namespace: 'ml-train', name: 'tokenize-shards', kind: 'CronJob', labels: LABEL('tokenize-shards', 'training'), replicas: 0 });
  addWorkload(train, random, { namespace: 'ml-train', name: 'data-prep', kind: 'Job', labels: LABEL('data-prep', 'training', { 'job-name': 'data-prep' }), replicas: 0 });
  addWorkload(train, random, { namespace: 'ml-train', name: 'ray-head', kind: 'Deployment', labels: { 'ray.io/cluster': 'ray', 'ray.io/node-type': 'head', 'app.kubernetes.io/component': 'training' }, replicas: 1 });
  addWorkload(train, random, { namespace: 'ml-train', name: 'ray-worker', kind: 'Deployment', labels: { 'ray.io/cluster': 'ray', 'ray.io/node-type': 'worker', 'app.kubernetes.io/component': 'training' }, replicas: s(3) });
  addWorkload(train, random, { namespace: 'ml-train', name: 'tensorboard', kind: 'Deployment', labels: LABEL('tensorboard', 'training'), replicas: 1 });
  addWorkload(train, random, { namespace: 'ml-train', name: 'dataset-indexer', kind: 'Deployment', labels: LABEL('dataset-indexer', 'training'), replicas: 1 });

  // ── infer-eu ───────────────────────────────────────────────────────────────
  systemLayer(p, infer, random, { gpu: true, calico: true });
  addWorkload(infer, random, { namespace: 'kube-system', name: 'cluster-autoscaler', kind: 'Deployment', labels: { app: 'cluster-autoscaler' }, replicas: 1 });
  addWorkload(infer, random, { namespace: 'kube-system', name: 'ebs-csi-controller', kind: 'Deployment', labels: { app: 'ebs-csi-controller' }, replicas: 2 });
  daemonSet(p, infer, random, { namespace: 'kube-system', name: 'ebs-csi-node', labels: { app: 'ebs-csi-node' } });
  addWorkload(infer, random, { namespace: 'cert-manager', name: 'cert-manager-cainjector', kind: 'Deployment', labels: HELM('cainjector'), replicas: 1 });
  addWorkload(infer, random, { namespace: 'cert-manager', name: 'cert-manager-webhook', kind: 'Deployment', labels: HELM('webhook'), replicas: 1 });
  addWorkload(infer, random, { namespace: 'external-secrets', name: 'external-secrets', kind: 'Deployment', labels: HELM('external-secrets'), replicas: 1 });
  addWorkload(infer, random, { namespace: 'argocd', name: 'argocd-application-controller', kind: 'StatefulSet', labels: HELM('argocd-application-controller'), replicas: 1 });
  addWorkload(infer, random, { namespace: 'backup', name: 'velero', kind: 'Deployment', labels: HELM('velero'), replicas: 1 });
  daemonSet(p, infer, random, { namespace: 'backup', name: 'node-agent', labels: { name: 'node-agent', 'app.kubernetes.io/name': 'velero' } });
  addWorkload(infer, random, { namespace: 'kserve', name: 'kserve-controller-manager', kind: 'Deployment', labels: { 'control-plane': 'kserve-controller-manager' }, replicas: 1 });
  addWorkload(infer, random, { namespace: 'ingress-nginx', name: 'ingress-nginx-controller', kind: 'Deployment', labels: HELM('ingress-nginx', { 'app.kubernetes.io/component': 'controller' }), replicas: s(3) });
  addWorkload(infer, random, { namespace: 'egress', name: 'ai-egress-gateway', kind: 'Deployment', labels: LABEL('ai-egress-gateway', 'gateway'), replicas: 2 });
  addWorkload(infer, random, { namespace: 'registry', name: 'harbor-core', kind: 'Deployment', labels: { app: 'harbor', component: 'core' }, replicas: 2 });
  addWorkload(infer, random, { namespace: 'registry', name: 'harbor-registry', kind: 'Deployment', labels: { app: 'harbor', component: 'registry' }, replicas: 2 });
  addWorkload(infer, random, { namespace: 'registry', name: 'harbor-database', kind: 'StatefulSet', labels: { app: 'harbor', component: 'database' }, replicas: 1 });
  addWorkload(infer, random, { namespace: 'registry', name: 'harbor-redis', kind: 'StatefulSet', labels: { app: 'harbor', component: 'redis' }, replicas: 1 });
  addWorkload(infer, random, { namespace: 'registry', name: 'harbor-jobservice', kind: 'Deployment', labels: { app: 'harbor', component: 'jobservice' }, replicas: 1 });
  addWorkload(infer, random, { namespace: 'registry', name: 'harbor-trivy', kind: 'StatefulSet', labels: { app: 'harbor', component: 'trivy' }, replicas: 1 });
  for (const [name, replicas] of [['milvus-proxy', 2], ['milvus-querynode', s(3)], ['milvus-datanode', 2], ['milvus-indexnode', 1], ['milvus-mixcoord', 1]] as const) {
    addWorkload(infer, random, { namespace: 'vectordb', name, kind: 'Deployment', labels: { 'app.kubernetes.io/name': 'milvus', 'app.kubernetes.io/instance': 'milvus', component: name.slice(7) }, replicas });
  }
  addWorkload(infer, random, { namespace: 'vectordb', name: 'milvus-etcd', kind: 'StatefulSet', labels: { 'app.kubernetes.io/name': 'etcd', 'app.kubernetes.io/instance': 'milvus' }, replicas: 3 });
  addWorkload(infer, random, { namespace: 'vectordb', name: 'milvus-minio', kind: 'StatefulSet', labels: { app: 'minio', release: 'milvus' }, replicas: 4 });
  addWorkload(infer, random, { namespace: 'vectordb', name: 'milvus-pulsar', kind: 'StatefulSet', labels: { app: 'pulsar', component: 'broker', release: 'milvus' }, replicas: 1 });
  const model = (name: string, replicas: number, version: string) =>
    addWorkload(infer, random, { namespace: 'ml-serve', name, kind: 'Deployment', labels: LABEL(name, 'inference', { env: 'prod', 'serving.kserve.io/inferenceservice': name, 'model-version': version }), replicas });
  model('llm-chat', s(4), 'v41');
  model('llm-code', s(2), 'v17');
  model('embedder', s(3), 'v9');
  model('reranker', s(2), 'v6');
  model('guardrails', s(2), 'v12');
  model('vision', s(1), 'v5');
  model('asr', s(1), 'v8');
  model('llm-batch', s(2), 'v41');
  addWorkload(infer, random, { namespace: 'ml-serve', name: 'rag-api', kind: 'Deployment', labels: LABEL('rag-api', 'api', { env: 'prod' }), replicas: s(3) });
  addWorkload(infer, random, { namespace: 'apps', name: 'usage-metering', kind: 'Deployment', labels: LABEL('usage-metering', 'backend', { env: 'prod' }), replicas: 2 });
  addWorkload(infer, random, { namespace: 'apps', name: 'billing-api', kind: 'Deployment', labels: LABEL('billing-api', 'backend', { env: 'prod' }), replicas: 2 });
  addWorkload(infer, random, { namespace: 'apps', name: 'postgres', kind: 'StatefulSet', labels: LABEL('postgres', 'database', { env: 'prod' }), replicas: 1 });
  addWorkload(infer, random, { namespace: 'apps', name: 'redis', kind: 'StatefulSet', labels: LABEL('redis', 'database', { env: 'prod' }), replicas: 1 });

  // ── dev-us ────────────────────────────────────────────────────────────────
  systemLayer(p, dev, random, { gpu: false, calico: false });
  addWorkload(dev, random, { namespace: 'kube-system', name: 'hubble-relay', kind: 'Deployment', labels: { 'k8s-app': 'hubble-relay' }, replicas: 1 });
  addWorkload(dev, random, { namespace: 'argo', name: 'workflow-controller', kind: 'Deployment', labels: { app: 'workflow-controller' }, replicas: 1 });
  addWorkload(dev, random, { namespace: 'argo', name: 'argo-server', kind: 'Deployment', labels: { app: 'argo-server' }, replicas: 1 });
  addWorkload(dev, random, { namespace: 'ci', name: 'buildkit', kind: 'StatefulSet', labels: LABEL('buildkit', 'ci'), replicas: 2 });
  addWorkload(dev, random, { namespace: 'ci', name: 'gh-runner', kind: 'Deployment', labels: { 'actions.github.com/scale-set-name': 'gh-runner', 'app.kubernetes.io/component': 'runner' }, replicas: s(3) });
  addWorkload(dev, random, { namespace: 'ci', name: 'arc-controller', kind: 'Deployment', labels: { 'app.kubernetes.io/name': 'gha-rs-controller' }, replicas: 1 });
  addWorkload(dev, random, { namespace: 'ci', name: 'image-cache', kind: 'StatefulSet', labels: LABEL('image-cache', 'registry'), replicas: 1 });
  addWorkload(dev, random, { namespace: 'jupyterhub', name: 'hub', kind: 'Deployment', labels: { app: 'jupyterhub', component: 'hub' }, replicas: 1 });
  addWorkload(dev, random, { namespace: 'jupyterhub', name: 'proxy', kind: 'Deployment', labels: { app: 'jupyterhub', component: 'proxy' }, replicas: 1 });
  for (const user of notebookUsers(scale)) {
    addWorkload(dev, random, { namespace: 'notebooks', name: `jupyter-${user}`, kind: 'StatefulSet', labels: { app: 'jupyterhub', component: 'singleuser-server', 'hub.jupyter.org/username': user, 'app.kubernetes.io/component': 'notebook', env: 'dev' }, replicas: 1 });
  }
  addWorkload(dev, random, { namespace: 'ml-dev', name: 'trainer-dev', kind: 'Job', labels: LABEL('trainer-dev', 'training', { env: 'dev', 'job-name': 'trainer-dev' }), replicas: 0 });
  addWorkload(dev, random, { namespace: 'ml-dev', name: 'llm-playground', kind: 'Deployment', labels: LABEL('llm-playground', 'inference', { env: 'dev' }), replicas: 1 });
  addWorkload(dev, random, { namespace: 'ml-dev', name: 'label-studio', kind: 'Deployment', labels: LABEL('label-studio', 'app', { env: 'dev' }), replicas: 1 });
  addWorkload(dev, random, { namespace: 'ml-dev', name: 'mlflow-dev', kind: 'Deployment', labels: LABEL('mlflow-dev', 'tracking', { env: 'dev' }), replicas: 1 });
  addWorkload(dev, random, { namespace: 'ml-dev', name: 'streamlit-demo', kind: 'Deployment', labels: LABEL('streamlit-demo', 'app', { env: 'dev' }), replicas: 1 });
  addWorkload(dev, random, { namespace: 'data', name: 'postgres', kind: 'StatefulSet', labels: LABEL('postgres', 'database', { env: 'dev' }), replicas: 1 });
  addWorkload(dev, random, { namespace: 'data', name: 'minio', kind: 'StatefulSet', labels: LABEL('minio', 'object-store', { env: 'dev' }), replicas: 1 });
  addWorkload(dev, random, { namespace: 'data', name: 'redis', kind: 'StatefulSet', labels: LABEL('redis', 'database', { env: 'dev' }), replicas: 1 });
  addWorkload(dev, random, { namespace: 'backup', name: 'restic-backup', kind: 'CronJob', labels: LABEL('restic-backup', 'backup'), replicas: 0 });
  return p;
}

const USERS = ['alice', 'bob', 'chen', 'dana', 'eve', 'farid', 'gus', 'hana', 'ivan', 'jo', 'kemal', 'lena', 'mika', 'nour', 'oscar', 'priya'];
export function notebookUsers(scale: number): string[] {
  const n = Math.max(5, Math.round(10 * scale));
  return Array.from({ length: n }, (_, i) => (i < USERS.length ? USERS[i]! : `${USERS[i % USERS.length]}${Math.floor(i / USERS.length) + 1}`));
}

/** The API server of a cluster as one connection's destination (one of its control-plane addresses). */
export function apiEndpoint(p: Platform, c: SimCluster, random: Random): SimEndpoint {
  const api = p.apiServer.get(c)!;
  return { kind: 'private', ip: random.pick(api.endpoints), service: { name: 'kubernetes', namespace: 'default', port: 'https' }, reserved: 'kube-apiserver' };
}
