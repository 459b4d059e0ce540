/**
 * Benign behaviour of the platform world, window by window. What real AI platforms do and
 * naive detectors trip over: DaemonSets and controllers on the API server from the first
 * minute, etcd clients, ML SaaS telemetry, a dev cluster without an egress gateway, CI pushing
 * images across clusters, nightly and Sunday backups, daily rollouts pulling model weights,
 * release days, diurnal load, Jobs that come and go, CDN-style DNS names, benign denials.
 */
import { dayLoad } from './benign.ts';
import { apiEndpoint, notebookUsers, startCronJob, startJob, stopJob, type Platform } from './platform-topology.ts';
import { cloudfrontNames, DATASET_BUCKETS, EXT, GB, hash, LONG_TAIL, MB, s3, Traffic, type Service } from './platform-services.ts';
import type { Random } from './random.ts';
import { podIp, rollOut, WINDOW_MS, workload, type SimCluster, type SimWorkload } from './topology.ts';
import { pod, type SimWindow } from './traffic.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface NotebookProfile {
  activity: number;
  sites: Service[];
  usesPlatformApi: boolean;
  usesOpenai: boolean;
  usesAnthropic: boolean;
  usesWandb: boolean;
}

interface Run { start: number; end: number; bytes?: number }

/** What happens on one day (window start times in ms), drawn when the day begins. */
interface DaySchedule {
  rollouts: Map<number, SimWorkload[]>;
  release: boolean;
  pushes: { start: number; windows: number; bytes: number; image: string }[];
  backups: Map<SimCluster, Run>;
  finetune: Run;
  trials: { w: SimWorkload; run: Run }[];
  trainerDev: Run[];
  certCheck: Map<SimCluster, number>;
}

export interface BenignState {
  p: Platform;
  random: Random;
  startMs: number;
  releaseDays: Set<number>;
  noisy: Set<SimWorkload>;
  nodeDomain: Map<SimCluster, string>;
  cloudfront: Map<SimCluster, Service[]>;
  profiles: Map<SimWorkload, NotebookProfile>;
  days: Map<number, DaySchedule>;
  /** Workloads whose pods (re)started in this window: they pull images, weights, packages. */
  started: Set<SimWorkload>;
  versions: Map<SimWorkload, number>;
  trialCount: number;
}

const WEIGHTS_GB: Record<string, number> = { 'llm-chat': 3.6, 'llm-code': 2.6, embedder: 0.6, reranker: 1.1, guardrails: 0.45, vision: 2.1, asr: 1.5, 'llm-batch': 3.6 };
const DAILY_ROLLOUTS = ['llm-chat', 'llm-code', 'embedder', 'reranker', 'guardrails', 'vision', 'asr'];

export function benignState(p: Platform, random: Random, startMs: number, hours: number): BenignState {
  const days = Math.ceil(hours / 24);
  // Two release days among the weekdays after the first (never day 1, never a weekend).
  const weekdays = Array.from({ length: days }, (_, d) => d).filter((d) => d > 0 && ![0, 6].includes(new Date(startMs + d * DAY).getUTCDay()));
  const releaseDays = new Set<number>();
  while (releaseDays.size < Math.min(2, weekdays.length)) releaseDays.add(random.pick(weekdays));
  const noisy = new Set<SimWorkload>();
  // Clients whose resolver walks the ndots:5 search path for external names (Envoy-based gateways resolve absolute names).
  for (const c of p.clusters) for (const w of c.workloads.values()) if (random.chance(0.35) && !w.namespace.startsWith('kube-') && w.namespace !== 'egress') noisy.add(w);
  const profiles = new Map<SimWorkload, NotebookProfile>();
  const devSites = [EXT.pypi, EXT.pythonhosted, EXT.github, EXT.githubRaw, EXT.githubObjects, EXT.hf, EXT.hfLfsUs, EXT.kaggle, EXT.arxiv, EXT.condaforge, EXT.pytorch, EXT.hfDatasets];
  for (const user of notebookUsers(p.scale)) {
    const w = workload(p.dev, `notebooks/jupyter-${user}`);
    const sites = [...devSites].sort(() => random.next() - 0.5).slice(0, random.int(3, 7));
    profiles.set(w, { activity: 0.35 + random.next() * 0.6, sites, usesPlatformApi: random.chance(0.6), usesOpenai: random.chance(0.45), usesAnthropic: random.chance(0.3), usesWandb: random.chance(0.4) });
  }
  const versions = new Map<SimWorkload, number>();
  for (const w of p.infer.workloads.values()) if (w.namespace === 'ml-serve' && w.labels['model-version'] !== undefined) versions.set(w, Number(w.labels['model-version'].slice(1)));
  return {
    p, random, startMs, releaseDays, noisy,
    nodeDomain: new Map([[p.train, 'eu-west-1.compute.internal'], [p.infer, 'eu-west-1.compute.internal'], [p.dev, 'ec2.internal']]),
    cloudfront: new Map([[p.train, cloudfrontNames(random, 6)], [p.infer, cloudfrontNames(random, 4)], [p.dev, cloudfrontNames(random, 30)]]),
    profiles, days: new Map(), started: new Set(), versions, trialCount: 0,
  };
}

const at = (dayStart: number, hour: number, minute = 0) => dayStart + hour * HOUR + minute * 60_000;
const inRun = (r: Run | undefined, window: number) => r !== undefined && window >= r.start && window < r.end;

function drawDay(s: BenignState, d: number): DaySchedule {
  const { p, random } = s;
  const dayStart = s.startMs + d * DAY;
  const weekday = new Date(dayStart).getUTCDay();
  const weekend = weekday === 0 || weekday === 6;
  const release = s.releaseDays.has(d);
  const rollouts = new Map<number, SimWorkload[]>();
  for (const name of DAILY_ROLLOUTS) {
    const w = workload(p.infer, `ml-serve/${name}`);
    const big = release && (name === 'llm-chat' || name === 'llm-code');
    const when = big ? at(dayStart, 10, 5 * random.int(0, 6)) : at(dayStart, 9, 5 * random.int(0, 23));
    rollouts.set(when, [...(rollouts.get(when) ?? []), w]);
  }
  const pushes: DaySchedule['pushes'] = [];
  const n = weekend ? random.int(1, 2) : random.int(4, 7);
  for (let i = 0; i < n; i++) {
    pushes.push({ start: at(dayStart, 13, 5 * random.int(0, 131)), windows: random.int(1, 2), bytes: (0.3 + random.next() * 2.2) * GB, image: random.pick(['llm-chat-server', 'rag-api', 'guardrails', 'trainer-base', 'notebook-image', 'eval-harness']) });
  }
  const backups = new Map<SimCluster, Run>();
  const sunday = weekday === 0;
  for (const c of p.clusters) {
    const start = at(dayStart, 2, 5 * random.int(-1, 3));
    const incremental = c === p.dev ? 1.1 * GB : c === p.train ? 4 * GB : 2.5 * GB;
    const bytes = incremental * (sunday ? 5 + random.next() * 3 : random.jitter(0.1));
    const windows = sunday ? random.int(18, 30) : random.int(4, 7);
    backups.set(c, { start, end: start + windows * WINDOW_MS, bytes });
  }
  const finetuneStart = at(dayStart, 5, 5 * random.int(0, 6));
  const finetune = { start: finetuneStart, end: at(dayStart, 20, 5 * random.int(0, 24)) };
  const trials: DaySchedule['trials'] = [];
  for (let i = 0, m = weekend ? random.int(0, 1) : random.int(2, 3); i < m; i++) {
    const start = at(dayStart, random.int(8, 17), 5 * random.int(0, 11));
    const name = `ft-sweep-${random.token(8)}`;
    const w: SimWorkload = { cluster: p.train.name, namespace: 'ml-train', name, kind: 'Job', hash: '', pods: [],
      labels: { 'katib.kubeflow.org/experiment': 'ft-sweep', 'katib.kubeflow.org/trial': name, 'job-name': name, 'app.kubernetes.io/component': 'training' } };
    trials.push({ w, run: { start, end: start + random.int(24, 48) * WINDOW_MS } });
  }
  const trainerDev: Run[] = [];
  for (let i = 0, m = weekend ? 0 : random.int(1, 2); i < m; i++) {
    const start = at(dayStart, random.int(14, 21), 5 * random.int(0, 11));
    trainerDev.push({ start, end: start + random.int(12, 36) * WINDOW_MS });
  }
  const certCheck = new Map<SimCluster, number>(p.clusters.map((c) => [c, at(dayStart, random.int(0, 23), 5 * random.int(0, 11))]));
  return { rollouts, release, pushes, backups, finetune, trials, trainerDev, certCheck };
}

function day(s: BenignState, window: number): { d: number; schedule: DaySchedule; hour: number; minute: number; weekday: number; weekend: boolean; dayStart: number } {
  const d = Math.floor((window - s.startMs) / DAY);
  let schedule = s.days.get(d);
  if (schedule === undefined) {
    schedule = drawDay(s, d);
    s.days.set(d, schedule);
    s.days.delete(d - 2);
  }
  const date = new Date(window);
  const weekday = date.getUTCDay();
  return { d, schedule, hour: date.getUTCHours(), minute: date.getUTCMinutes(), weekday, weekend: weekday === 0 || weekday === 6, dayStart: s.startMs + d * DAY };
}

/** Load factors: EU business hours for the EU clusters, US hours for dev-us; weekends are quieter. */
function euLoad(window: number, weekend: boolean): number {
  return dayLoad(window) * (weekend ? 0.7 : 1);
}
function usLoad(window: number, weekend: boolean): number {
  return dayLoad(window - 6 * HOUR) * (weekend ? 0.3 : 1);
}

/** Starts, stops and rollouts of this window; records which workloads started pods. */
function churn(s: BenignState, window: number): void {
  const { p, random } = s;
  const { d, schedule, hour, minute, weekend, dayStart } = day(s, window);
  s.started.clear();

  // Daily rollouts (new ReplicaSet hash, pod names, IPs); on release days a new model version.
  for (const w of schedule.rollouts.get(window) ?? []) {
    if (schedule.release && (w.name === 'llm-chat' || w.name === 'llm-code')) {
      const v = (s.versions.get(w) ?? 1) + 1;
      s.versions.set(w, v);
      w.labels = { ...w.labels, 'model-version': `v${v}` };
    }
    rollOut(p.infer, random, w);
    s.started.add(w);
  }
  // Ray workers restart every night (node image refresh) and reinstall their runtime env.
  if (hour === 4 && minute === 0) {
    rollOut(p.train, random, workload(p.train, 'ml-train/ray-worker'));
    s.started.add(workload(p.train, 'ml-train/ray-worker'));
  }
  // Cluster autoscaler: two more GPU nodes in infer-eu on weekday business hours.
  if (!weekend && hour === 8 && minute === 0) resizeGpu(s, p.infer, p.gpuNodes.get(p.infer)! + Math.max(1, Math.round(2 * p.scale)));
  if (hour === 20 && minute === 0 && p.gpuNodes.get(p.infer)! > Math.max(1, Math.round(6 * p.scale))) resizeGpu(s, p.infer, Math.max(1, Math.round(6 * p.scale)));

  // Jobs and CronJobs.
  const finetune = workload(p.train, 'ml-train/llm-finetune');
  if (window === schedule.finetune.start || (window === s.startMs && inRun(schedule.finetune, window))) { startJob(p.train, random, finetune, Math.max(1, Math.round(2 * p.scale))); s.started.add(finetune); }
  if (window === schedule.finetune.end) stopJob(finetune);
  const cron = (key: string, c: SimCluster, fire: boolean, stop: boolean) => {
    const w = workload(c, key);
    if (fire) { startCronJob(c, random, w, window); s.started.add(w); }
    if (stop) stopJob(w);
  };
  cron('ml-train/eval-harness', p.train, hour === 1 && minute === 0, hour === 3 && minute === 5);
  cron('ml-train/tokenize-shards', p.train, hour % 6 === 0 && minute === 30, hour % 6 === 1 && minute === 10);
  const backup = schedule.backups.get(p.dev)!;
  cron('backup/restic-backup', p.dev, window === backup.start, window === backup.end);
  const dataPrep = workload(p.train, 'ml-train/data-prep');
  if ((d === 1 && window === at(dayStart, 9)) || (d === 4 && window === at(dayStart, 10))) { startJob(p.train, random, dataPrep, 2); s.started.add(dataPrep); }
  if ((d === 1 && window === at(dayStart, 17)) || (d === 4 && window === at(dayStart, 15))) stopJob(dataPrep);
  for (const { w, run } of schedule.trials) {
    if (window === run.start) {
      startJob(p.train, random, w, 1);
      p.train.workloads.set(`${w.namespace}/${w.name}`, w);
      s.started.add(w);
      s.trialCount++;
    }
    if (window === run.end) { stopJob(w); p.train.workloads.delete(`${w.namespace}/${w.name}`); }
  }
  const trainerDev = workload(p.dev, 'ml-dev/trainer-dev');
  for (const run of schedule.trainerDev) {
    if (window === run.start) { startJob(p.dev, random, trainerDev, 1); s.started.add(trainerDev); }
    if (window === run.end) stopJob(trainerDev);
  }
}

function resizeGpu(s: BenignState, c: SimCluster, gpu: number): void {
  const { p, random } = s;
  const before = p.gpuNodes.get(c)!;
  const cpu = c.nodes.slice(before);
  const nodes = c.nodes.slice(0, Math.min(before, gpu));
  for (let i = nodes.length; i < gpu; i++) nodes.push({ name: `ip-172-20-40-${21 + i}.eu-west-1.compute.internal`, ip: `172.20.40.${21 + i}` });
  c.nodes = [...nodes, ...cpu];
  p.gpuNodes.set(c, gpu);
  for (const [w, on] of p.daemonSets) {
    if (w.cluster !== c.name) continue;
    const want = on === 'gpu' ? gpu : c.nodes.length;
    if (w.pods.length < want) s.started.add(w);
    while (w.pods.length > want) w.pods.pop();
    while (w.pods.length < want) w.pods.push({ name: `${w.name}-${random.suffix(5)}`, ip: podIp(c) });
  }
}

// ── shared system layer ────────────────────────────────────────────────────

/** API-server clients: [workload, connections per pod, bytes out, bytes in per pod per window]. */
const API_CLIENTS: [string, number, number, number][] = [
  ['kube-system/coredns', 1, 4_000, 40_000], ['kube-system/calico-kube-controllers', 4, 20_000, 150_000], ['kube-system/metrics-server', 2, 10_000, 40_000],
  ['kube-system/cluster-autoscaler', 6, 50_000, 900_000], ['kube-system/ebs-csi-controller', 4, 20_000, 150_000], ['kube-system/node-problem-detector', 1, 2_000, 4_000],
  ['kube-system/hubble-relay', 1, 3_000, 10_000],
  ['logging/fluent-bit', 1, 3_000, 15_000], ['monitoring/prometheus', 6, 40_000, 600_000], ['monitoring/kube-state-metrics', 3, 30_000, 1_500_000],
  ['gpu-operator/gpu-feature-discovery', 1, 2_000, 6_000], ['gpu-operator/gpu-operator', 4, 20_000, 200_000],
  ['cert-manager/cert-manager', 5, 30_000, 200_000], ['cert-manager/cert-manager-cainjector', 3, 10_000, 300_000], ['cert-manager/cert-manager-webhook', 2, 8_000, 30_000],
  ['external-secrets/external-secrets', 3, 15_000, 90_000], ['argocd/argocd-application-controller', 12, 200_000, 4_000_000],
  ['backup/velero', 3, 20_000, 150_000], ['backup/node-agent', 1, 2_000, 8_000],
  ['kubeflow/training-operator', 4, 30_000, 400_000], ['kubeflow/katib-controller', 3, 20_000, 100_000],
  ['kserve/kserve-controller-manager', 4, 30_000, 300_000], ['ingress-nginx/ingress-nginx-controller', 2, 10_000, 120_000],
  ['jupyterhub/hub', 3, 40_000, 80_000], ['argo/workflow-controller', 4, 30_000, 250_000], ['argo/argo-server', 1, 5_000, 20_000], ['ci/arc-controller', 3, 20_000, 100_000],
];

const GRAFANA_COM: Service = { fqdn: 'grafana.com', ips: ['34.120.177.193'] };

const METRICS_PORT: Record<string, number> = {
  'node-exporter': 9100, 'nvidia-dcgm-exporter': 9400, 'kube-state-metrics': 8080, coredns: 9153, 'fluent-bit': 2020, 'cert-manager': 9402,
  'argocd-application-controller': 8082, 'argocd-repo-server': 8084, velero: 8085, 'node-agent': 8085, minio: 9000, 'milvus-minio': 9000, postgres: 9187,
  'harbor-database': 9187, 'feature-store': 9121, redis: 9121, 'harbor-redis': 9121, kafka: 9308, etcd: 2379, 'milvus-etcd': 2379, 'ingress-nginx-controller': 10254,
  'ai-egress-gateway': 9901, 'harbor-core': 8001, 'harbor-registry': 8001, 'harbor-jobservice': 8001, alertmanager: 9093, 'node-problem-detector': 20257,
  'gpu-feature-discovery': 8080, 'hubble-relay': 9966, 'calico-kube-controllers': 9094, grafana: 3000,
};

function systemTraffic(s: BenignState, c: SimCluster, t: Traffic, window: number): void {
  const { p } = s;
  for (const [key, connections, bytesOut, bytesIn] of API_CLIENTS) {
    const w = c.workloads.get(key);
    if (w === undefined || w.pods.length === 0) continue;
    // New pods (a new node's DaemonSet pods, a restarted controller) LIST everything first.
    const burst = s.started.has(w) ? 5 : 1;
    const n = w.pods.length;
    t.conn(pod(c, w, t.random.int(0, n - 1)), apiEndpoint(p, c, t.random), p.apiServer.get(c)!.port, connections * n * (burst > 1 ? 2 : 1), bytesOut * n * burst * t.j(0.2), bytesIn * n * burst * t.j(0.3));
  }
  // Prometheus scrapes every workload (dev-us every other window: a 60 s interval there).
  const prometheus = workload(c, 'monitoring/prometheus');
  const scrape = c !== p.dev || (window / WINDOW_MS) % 2 === 0;
  if (scrape) {
    for (const w of c.workloads.values()) {
      if (w === prometheus || w.pods.length === 0) continue;
      const n = w.pods.length;
      const big = w.name === 'kube-state-metrics' ? 20 : w.namespace === 'ml-serve' ? 4 : w.name.endsWith('exporter') ? 3 : 1;
      // Scrapes reuse keep-alive connections: Hubble (per connection event) sees one per target and window.
      t.conn(pod(c, prometheus), pod(c, w, t.random.int(0, n - 1)), METRICS_PORT[w.name] ?? (w.namespace === 'ml-serve' ? 8000 : 8080), c === p.dev ? 1 : 10 * n, 4_000 * n, 60_000 * n * big * t.j(0.1));
    }
    // kubelet and cAdvisor on every node; metrics-server reads the kubelet summary API too.
    for (let i = 0; i < c.nodes.length; i++) {
      t.conn(pod(c, prometheus), { kind: 'host', cluster: c, node: i }, 10250, c === p.dev ? 1 : 20, 15_000, 800_000 * t.j(0.1));
      t.conn(pod(c, workload(c, 'kube-system/metrics-server')), { kind: 'host', cluster: c, node: i }, 10250, c === p.dev ? 1 : 4, 5_000, 30_000 * t.j(0.1));
    }
  }
  // Dashboards query Prometheus (more by day); Grafana checks grafana.com for plugin updates daily.
  const grafana = workload(c, 'monitoring/grafana');
  t.to(c, grafana, 0, c, prometheus, 0, 9090, 6 + 30 * dayLoad(window), 40_000, 900_000 * t.j());
  if (new Date(window).getUTCHours() === 6 && new Date(window).getUTCMinutes() === 0) t.ext(c, grafana, 0, GRAFANA_COM, 443, 2, 3_000, 60_000);
  const alertmanager = c.workloads.get('monitoring/alertmanager');
  if (alertmanager !== undefined) t.to(c, prometheus, 0, c, alertmanager, 0, 9093, 2, 3_000, 1_000);
  // Logs leave for Datadog from every node.
  const fluentBit = workload(c, 'logging/fluent-bit');
  const logs = c === p.dev ? EXT.ddLogsUs5 : EXT.ddLogsEu;
  t.ext(c, fluentBit, t.random.int(0, fluentBit.pods.length - 1), logs, 443, fluentBit.pods.length * 2, fluentBit.pods.length * 1.2 * MB * t.j(), fluentBit.pods.length * 20_000);
  // CoreDNS forwards what it cannot answer to the VPC resolver.
  // (Client → CoreDNS flows are added from the window's lookups, see dnsFlows.)
  // cert-manager: one ACME renewal check a day, with DNS-01 self-check TXT lookups.
  const { schedule } = day(s, window);
  const certManager = workload(c, 'cert-manager/cert-manager');
  if (window === schedule.certCheck.get(c)) {
    t.ext(c, certManager, 0, EXT.letsencrypt, 443, 6, 30_000, 40_000);
    const zone = c === p.dev ? 'dev.platform.example.com' : `${c.name}.platform.example.com`;
    for (const host of ['api', 'grafana', 'harbor'].slice(0, c === p.infer ? 3 : 1)) t.lookup(c, certManager, 0, `_acme-challenge.${host}.${zone}`, ['0.0.0.0'], 4, { qtype: 'TXT', ttl: 60 });
  }
  if (c.workloads.has('external-secrets/external-secrets') && new Date(window).getUTCMinutes() === 0) {
    t.ext(c, workload(c, 'external-secrets/external-secrets'), 0, EXT.secretsEu, 443, 8, 25_000, 60_000);
  }
}

/** udp/53 from every client that looked names up this window to CoreDNS, and CoreDNS's upstream traffic (Calico clusters). */
export function dnsFlows(s: BenignState, out: SimWindow, window: number): void {
  const t = new Traffic(out, window, s.random, s.noisy, s.nodeDomain);
  for (const c of [s.p.train, s.p.infer]) {
    const coredns = workload(c, 'kube-system/coredns');
    const perClient = new Map<SimWorkload, { count: number; pod: number }>();
    let external = 0;
    for (const l of out.lookups) {
      if (l.cluster !== c) continue;
      const e = perClient.get(l.client) ?? { count: 0, pod: l.pod };
      e.count += l.count;
      perClient.set(l.client, e);
      if (!l.qname.endsWith('.local')) external += l.count;
    }
    for (const [w, { count, pod: podIndex }] of perClient) {
      t.conn(pod(c, w, podIndex), pod(c, coredns, hash(w.name) % 2), 53, count, 75 * count, 160 * count, { protocol: 'udp' });
    }
    if (external > 0) t.conn(pod(c, coredns, 0), { kind: 'private', ip: s.p.upstreamDns.get(c)! }, 53, Math.ceil(external * 0.4), 70 * external * 0.4, 180 * external * 0.4, { protocol: 'udp' });
  }
}

// ── train-eu ───────────────────────────────────────────────────────────────

function trainApps(s: BenignState, t: Traffic, window: number): void {
  const c = s.p.train;
  const { schedule, hour, minute, weekday } = day(s, window);
  const w = (key: string) => workload(c, key);
  const minio = w('data/minio');
  const modelStore = w('model-registry/model-store');
  const featureService = w('data/feature-service');
  const etcd = w('data/etcd');
  const load = euLoad(window, weekday === 0 || weekday === 6);
  const r = t.random;

  // Long pre-training run: shard reads, rendezvous, wandb from rank 0, checkpoints (minio hourly-ish, S3 every 6 h).
  const pretrain = w('ml-train/pretrain-gpt');
  for (let i = 0; i < pretrain.pods.length; i++) {
    t.to(c, pretrain, i, c, minio, i, 9000, 4, 40_000, (250 + r.next() * 200) * MB);
    if (i > 0) t.to(c, pretrain, i, c, pretrain, 0, 29500, 1, 3_000, 3_000);
    if (hour % 2 === 0 && minute === 20) t.to(c, pretrain, i, c, minio, i + 1, 9000, 8, 2.5 * GB * t.j(0.1), 200_000);
  }
  t.ext(c, pretrain, 0, EXT.wandb, 443, 2, 150_000 + r.next() * 250_000, 20_000);
  if (minute === 0) t.ext(c, pretrain, 0, EXT.gcs, 443, 3, 5 * MB * t.j(), 30_000);
  if (hour % 6 === 0 && (minute === 40 || minute === 45)) t.ext(c, pretrain, 0, s3('trn-eu-checkpoints'), 443, 16, 5 * GB * t.j(0.1), 400_000);

  // The daily fine-tuning run: base model from the model store at start, data, checkpoints, final push.
  const finetune = w('ml-train/llm-finetune');
  if (finetune.pods.length > 0) {
    const starting = s.started.has(finetune);
    for (let i = 0; i < finetune.pods.length; i++) {
      if (starting) t.to(c, finetune, i, c, modelStore, i, 8080, 6, 80_000, (5 + r.next() * 2) * GB);
      t.to(c, finetune, i, c, minio, i, 9000, 3, 30_000, 80 * MB * t.j());
      t.to(c, finetune, i, c, featureService, i, 8080, 6, 60_000, (5 + r.next() * 15) * MB);
      if (hour % 2 === 1 && minute === 50) t.to(c, finetune, i, c, minio, i + 2, 9000, 6, 3 * GB * t.j(0.1), 150_000);
    }
    if (starting) t.svcLookup(c, finetune, 0, modelStore, 4);
    t.ext(c, finetune, 0, EXT.wandb, 443, 2, 120_000 + r.next() * 200_000, 20_000);
    if (minute === 10) t.ext(c, finetune, 0, s3('trn-eu-artifacts'), 443, 4, (20 + r.next() * 40) * MB, 40_000);
    if (window + WINDOW_MS === schedule.finetune.end) {
      t.to(c, finetune, 0, c, modelStore, 0, 8080, 8, 6 * GB * t.j(0.1), 100_000);
      t.to(c, finetune, 0, c, w('model-registry/mlflow'), 0, 5000, 4, 40_000, 20_000);
    }
  }
  // Nightly evaluation: pulls the newest model, HF datasets, reports to wandb; its pip install is denied.
  const evalHarness = w('ml-train/eval-harness');
  if (evalHarness.pods.length > 0) {
    if (s.started.has(evalHarness)) {
      t.to(c, evalHarness, 0, c, modelStore, 0, 8080, 6, 60_000, 6 * GB * t.j(0.1));
      t.ext(c, evalHarness, 0, EXT.pypi, 443, 3, 180, 0, { denied: true });
    }
    if (r.chance(0.4)) t.ext(c, evalHarness, 0, r.pick([EXT.hf, EXT.hfXet, EXT.hfDatasets]), 443, 4, 40_000, (50 + r.next() * 250) * MB);
    t.ext(c, evalHarness, 0, EXT.wandb, 443, 2, 80_000, 15_000);
    t.to(c, evalHarness, 0, c, w('model-registry/mlflow'), 0, 5000, 2, 20_000, 10_000);
  }
  // Tokenisation every 6 h: raw shards in, tokenised shards out.
  const tokenize = w('ml-train/tokenize-shards');
  if (tokenize.pods.length > 0) t.to(c, tokenize, 0, c, minio, r.int(0, 3), 9000, 10, 1 * GB * t.j(), 2 * GB * t.j());
  // Data preparation Jobs (two days of the week): Common Crawl from S3 and CloudFront into MinIO.
  const dataPrep = w('ml-train/data-prep');
  for (let i = 0; i < dataPrep.pods.length; i++) {
    t.ext(c, dataPrep, i, EXT.commoncrawlS3, 443, 20, 200_000, 1.5 * GB * t.j());
    if (r.chance(0.3)) t.ext(c, dataPrep, i, EXT.commoncrawl, 443, 6, 60_000, 300 * MB * t.j());
    t.to(c, dataPrep, i, c, minio, i, 9000, 8, 1.2 * GB * t.j(), 100_000);
    t.to(c, dataPrep, i, c, w('ml-train/ray-head'), 0, 10001, 2, 50_000, 50_000);
  }
  // Katib trials: new Jobs with new names; a small base model at start.
  for (const { w: trial } of schedule.trials) {
    if (trial.pods.length === 0) continue;
    if (s.started.has(trial)) t.to(c, trial, 0, c, modelStore, 1, 8080, 4, 40_000, 2 * GB * t.j(0.1));
    t.to(c, trial, 0, c, minio, r.int(0, 3), 9000, 2, 20_000, 50 * MB * t.j());
    t.to(c, trial, 0, c, featureService, 0, 8080, 2, 20_000, 3 * MB);
    t.ext(c, trial, 0, EXT.wandb, 443, 1, 60_000, 10_000);
  }
  // Ray: workers talk to the head's GCS; nightly restarts reinstall packages and pull a tokenizer.
  const rayHead = w('ml-train/ray-head');
  const rayWorker = w('ml-train/ray-worker');
  for (let i = 0; i < rayWorker.pods.length; i++) {
    t.to(c, rayWorker, i, c, rayHead, 0, 6379, 2, 200_000, 200_000);
    t.to(c, rayWorker, i, c, minio, i, 9000, 2, 20_000, (60 + 200 * load) * MB * t.j());
    if (s.started.has(rayWorker)) {
      t.ext(c, rayWorker, i, EXT.pypi, 443, 4, 40_000, 2 * MB);
      t.ext(c, rayWorker, i, EXT.pythonhosted, 443, 12, 80_000, 180 * MB * t.j());
      t.ext(c, rayWorker, i, EXT.hf, 443, 2, 10_000, 4 * MB);
    }
  }
  t.to(c, w('ml-train/tensorboard'), 0, c, minio, 0, 9000, 2, 8_000, 5 * MB * t.j());
  const indexer = w('ml-train/dataset-indexer');
  t.to(c, indexer, 0, c, minio, r.int(0, 3), 9000, 3, 20_000, 8 * MB * t.j());
  t.to(c, indexer, 0, c, featureService, 0, 8080, 2, 500_000, 30_000);
  t.to(c, indexer, 0, c, w('data/postgres'), 0, 5432, 2, 40_000, 120_000);
  t.to(c, indexer, 0, c, w('data/kafka'), 0, 9092, 2, 300_000, 20_000);

  // Data layer: feature service on etcd and Redis, Kafka, MinIO erasure sets, etcd raft.
  for (let i = 0; i < featureService.pods.length; i++) {
    t.to(c, featureService, i, c, etcd, i, 2379, 2, 10_000, 20_000 * t.j());
    t.to(c, featureService, i, c, w('data/feature-store'), i, 6379, 20, 2 * MB * load, 10 * MB * load * t.j());
    t.to(c, featureService, i, c, w('data/kafka'), i, 9092, 2, 1 * MB * t.j(), 30_000);
    if (r.chance(0.3)) t.svcLookup(c, featureService, i, etcd, 6);
  }
  for (let i = 0; i < etcd.pods.length; i++) t.to(c, etcd, i, c, etcd, (i + 1) % etcd.pods.length, 2380, 2, 200_000, 50_000);
  for (let i = 0; i < 3; i++) t.to(c, w('data/kafka'), i, c, w('data/kafka'), (i + 1) % 3, 9092, 3, 5 * MB * t.j(), 100_000);
  for (let i = 0; i < minio.pods.length; i++) t.to(c, minio, i, c, minio, (i + 1) % minio.pods.length, 9000, 6, 400 * MB * t.j(), 300 * MB * t.j());
  t.to(c, w('data/feature-store'), 0, c, w('data/feature-store'), 1, 6379, 2, 3 * MB * t.j(), 50_000);
  const mlflow = w('model-registry/mlflow');
  t.to(c, mlflow, 0, c, w('data/postgres'), 0, 5432, 4, 30_000, 90_000);
  t.to(c, mlflow, 0, c, minio, 0, 9000, 2, 5 * MB * t.j(), 2 * MB);
  for (let i = 0; i < modelStore.pods.length; i++) t.to(c, modelStore, i, c, minio, i, 9000, 2, 100_000, 20 * MB * t.j());
  // Controllers and GitOps.
  const repoServer = w('argocd/argocd-repo-server');
  t.ext(c, repoServer, 0, EXT.github, 443, 2, 20_000, 150_000 * t.j());
  t.to(c, w('argocd/argocd-application-controller'), 0, c, repoServer, 0, 8081, 4, 30_000, 400_000);
  if (r.chance(0.02)) t.ext(c, w('monitoring/alertmanager'), 0, r.pick([EXT.slack, EXT.pagerduty]), 443, 1, 4_000, 1_000);
  t.ext(c, w('backup/velero'), 0, s3('velero-train-eu'), 443, 5, 10_000, 20_000, { dns: r.chance(0.3) });
  // gpu-operator reads the NGC catalog now and then.
  if (r.chance(0.01)) t.ext(c, w('gpu-operator/gpu-operator'), 0, LONG_TAIL.find((x) => x.fqdn === 'nvcr.io')!, 443, 2, 5_000, 80_000);
  backup(s, c, t, window, w('backup/node-agent'), s3('velero-train-eu'));
  if (r.chance(0.05)) t.ext(c, w('ml-train/dataset-indexer'), 0, r.pick(s.cloudfront.get(c)!), 443, 2, 10_000, 30 * MB * t.j());
}

/** Nightly incremental backup at ~02:00 (Sunday: a full one, 5–8 times larger, for hours), split over the uploader's pods. */
function backup(s: BenignState, c: SimCluster, t: Traffic, window: number, uploader: SimWorkload, bucket: Service): void {
  const run = day(s, window).schedule.backups.get(c)!;
  if (!inRun(run, window) || uploader.pods.length === 0) return;
  const windows = (run.end - run.start) / WINDOW_MS;
  const n = uploader.pods.length;
  for (let i = 0; i < n; i++) t.ext(c, uploader, i, bucket, 443, 12, (run.bytes! / windows / n) * t.j(0.2), 300_000, { dns: i === 0 });
}

// ── infer-eu ───────────────────────────────────────────────────────────────

function inferApps(s: BenignState, t: Traffic, window: number): void {
  const c = s.p.infer;
  const { schedule, hour, minute, weekend } = day(s, window);
  const w = (key: string) => workload(c, key);
  const r = t.random;
  const load = euLoad(window, weekend);
  const ingress = w('ingress-nginx/ingress-nginx-controller');
  const gateway = w('egress/ai-egress-gateway');
  const core = w('registry/harbor-core');
  const registry = w('registry/harbor-registry');
  const harborS3 = s3('harbor-infer-eu');
  const models = Object.fromEntries(['llm-chat', 'llm-code', 'embedder', 'reranker', 'guardrails', 'vision', 'asr', 'llm-batch', 'rag-api'].map((m) => [m, w(`ml-serve/${m}`)])) as Record<string, SimWorkload>;
  const usage = w('apps/usage-metering');

  // Internet clients → ingress → models (diurnal); requests per window.
  const requests = 1_200 * load * t.j(0.15);
  for (let i = 0; i < ingress.pods.length; i++) {
    t.conn({ kind: 'public', ip: `${r.pick(['81.2', '86.12', '92.184', '145.40', '188.114', '194.25'])}.${r.int(1, 254)}.${r.int(1, 254)}` }, pod(c, ingress, i), 443, requests / ingress.pods.length, 3_000 * requests / ingress.pods.length, 22_000 * requests / ingress.pods.length);
  }
  const share: [string, number, number, number][] = [['llm-chat', 0.5, 2_500, 24_000], ['llm-code', 0.15, 4_000, 18_000], ['rag-api', 0.2, 1_500, 20_000], ['embedder', 0.08, 3_000, 12_000], ['vision', 0.04, 250_000, 3_000], ['asr', 0.03, 400_000, 2_000]];
  for (const [name, fraction, up, down] of share) {
    const m = models[name]!;
    const n = requests * fraction;
    for (let i = 0; i < m.pods.length; i++) t.to(c, ingress, i, c, m, i, name === 'rag-api' ? 8080 : 8000, n / m.pods.length, (up * n) / m.pods.length, (down * n) / m.pods.length);
  }
  t.to(c, ingress, 0, c, w('apps/billing-api'), 0, 8080, 5 + requests * 0.01, 50_000, 400_000);
  // RAG: embed, retrieve (Milvus), rerank, generate, moderate; the hard ones go to a provider through the gateway.
  const rag = models['rag-api']!;
  const ragN = requests * 0.2;
  for (let i = 0; i < rag.pods.length; i++) {
    const n = ragN / rag.pods.length;
    t.to(c, rag, i, c, models.embedder!, i, 8000, n, 1_500 * n, 6_000 * n);
    t.to(c, rag, i, c, w('vectordb/milvus-proxy'), i, 19530, n, 5_000 * n, 40_000 * n);
    t.to(c, rag, i, c, models.reranker!, i, 8000, n, 30_000 * n, 2_000 * n);
    t.to(c, rag, i, c, models['llm-chat']!, i, 8000, n, 6_000 * n, 12_000 * n);
    t.to(c, rag, i, c, gateway, i, 8080, n * 0.05, 8_000 * n * 0.05, 6_000 * n * 0.05);
  }
  // (Edges to single-pod or small backends: one aggregate per window.)
  t.to(c, rag, r.int(0, 9), c, w('apps/redis'), 0, 6379, ragN * 2, 800 * ragN, 5_000 * ragN);
  t.to(c, rag, r.int(0, 9), c, usage, r.int(0, 1), 8080, ragN, 400 * ragN, 200 * ragN);
  if (r.chance(0.3)) t.ext(c, rag, r.int(0, 9), EXT.sentry, 443, 1, 15_000, 800);
  for (const name of ['llm-chat', 'llm-code']) {
    const m = models[name]!;
    const n = requests * (name === 'llm-chat' ? 0.7 : 0.15);
    t.to(c, m, r.int(0, 9), c, models.guardrails!, r.int(0, 1), 8000, n, 2_000 * n, 300 * n);
    t.to(c, m, r.int(0, 9), c, usage, r.int(0, 1), 8080, n, 400 * n, 200 * n);
  }
  const guard = models.guardrails!;
  for (let i = 0; i < guard.pods.length; i++) t.to(c, guard, i, c, gateway, i, 8080, requests * 0.1 / guard.pods.length, 3_000 * requests * 0.1 / guard.pods.length, 1_000 * requests * 0.1 / guard.pods.length);
  // The AI egress gateway is the only way to the providers.
  const viaGateway = requests * 0.11;
  for (let i = 0; i < gateway.pods.length; i++) {
    t.ext(c, gateway, i, EXT.openai, 443, viaGateway * 0.7 / gateway.pods.length, 4_000 * viaGateway * 0.7 / gateway.pods.length, 3_000 * viaGateway * 0.7 / gateway.pods.length);
    t.ext(c, gateway, i, EXT.anthropic, 443, viaGateway * 0.25 / gateway.pods.length, 8_000 * viaGateway * 0.25 / gateway.pods.length, 6_000 * viaGateway * 0.25 / gateway.pods.length);
    if (r.chance(0.3)) t.ext(c, gateway, i, EXT.gemini, 443, 3, 20_000, 40_000);
  }
  // Nightly batch inference: inputs and outputs in S3.
  const batch = models['llm-batch']!;
  if (hour >= 22 || hour < 5) {
    for (let i = 0; i < batch.pods.length; i++) {
      t.ext(c, batch, i, s3('infer-eu-batch-jobs'), 443, 12, 300 * MB * t.j(), 400 * MB * t.j(), { dns: r.chance(0.5) });
      t.to(c, batch, i, c, models.guardrails!, 0, 8000, 200, 400_000, 60_000);
    }
  }
  // Rollouts: each new pod pulls its weights through Harbor (core → registry → S3 storage).
  const release = schedule.release;
  for (const m of Object.values(models)) {
    if (!s.started.has(m)) continue;
    const big = release && (m.name === 'llm-chat' || m.name === 'llm-code');
    const perPod = (WEIGHTS_GB[m.name] ?? 1) * GB * (big ? 2.2 + r.next() * 0.6 : 1) * t.j(0.05);
    for (let i = 0; i < m.pods.length; i++) {
      t.to(c, m, i, c, core, i, 8080, 12, 150_000, perPod);
      t.to(c, core, i, c, registry, i, 5000, 12, 100_000, perPod);
    }
    t.ext(c, registry, 0, harborS3, 443, 40, 200_000, perPod * m.pods.length, { dns: true });
    t.svcLookup(c, m, 0, core, 6);
    // vision's model library phones home to the Hub at start: denied by the namespace egress policy.
    if (m.name === 'vision') t.ext(c, m, 0, EXT.hf, 443, 3, 180, 0, { denied: true });
  }
  // Release days: Harbor replicates the new model versions from train-eu's model store at 07:00.
  const minuteOfDay = hour * 60 + minute;
  const jobservice = w('registry/harbor-jobservice');
  const modelStore = workload(s.p.train, 'model-registry/model-store');
  if (release && minuteOfDay >= 7 * 60 && minuteOfDay < 7 * 60 + 20) {
    t.to(c, jobservice, 0, s.p.train, modelStore, r.int(0, 1), 8080, 10, 200_000, (4 + r.next()) * GB);
    t.to(c, jobservice, 0, c, core, 0, 8080, 10, (4 + r.next()) * GB, 100_000);
    t.svcLookup(c, jobservice, 0, modelStore, 4, 'svc.clusterset.local');
  }
  if (minuteOfDay === 3 * 60) t.to(c, jobservice, 0, s.p.train, modelStore, 0, 8080, 3, 20_000, 300_000);
  // Harbor internals; Trivy refreshes its vulnerability DB twice a day.
  for (let i = 0; i < core.pods.length; i++) {
    t.to(c, core, i, c, w('registry/harbor-database'), 0, 5432, 6, 40_000, 120_000);
    t.to(c, core, i, c, w('registry/harbor-redis'), 0, 6379, 10, 20_000, 40_000);
  }
  t.to(c, jobservice, 0, c, w('registry/harbor-redis'), 0, 6379, 4, 8_000, 8_000);
  const trivy = w('registry/harbor-trivy');
  // Manifest and tag lookups (UI, replication checks, the exporter) keep core → registry busy a little;
  // Trivy scans every pushed image shortly after the push (layers come through core).
  t.to(c, core, r.int(0, 1), c, registry, r.int(0, 1), 5000, 4, 8_000, 60_000 * t.j());
  if (schedule.pushes.some((p) => window === p.start + (p.windows + 1) * WINDOW_MS)) {
    const scanned = (0.3 + r.next() * 1.5) * GB;
    t.to(c, trivy, 0, c, core, 0, 8080, 20, 100_000, scanned);
    t.to(c, core, 0, c, registry, 0, 5000, 20, 80_000, scanned);
  }
  t.to(c, trivy, 0, c, w('registry/harbor-redis'), 0, 6379, 2, 4_000, 4_000);
  if ((hour === 0 || hour === 12) && minute === 15) {
    t.ext(c, trivy, 0, EXT.ghcr, 443, 3, 20_000, 200_000);
    t.ext(c, trivy, 0, EXT.ghPkg, 443, 2, 10_000, 62 * MB * t.j(0.1));
  }
  // Milvus: everyone keeps an etcd session, reads/writes segments in its MinIO, logs to Pulsar.
  const etcd = w('vectordb/milvus-etcd');
  const vminio = w('vectordb/milvus-minio');
  for (const name of ['milvus-proxy', 'milvus-querynode', 'milvus-datanode', 'milvus-indexnode', 'milvus-mixcoord']) {
    const m = w(`vectordb/${name}`);
    for (let i = 0; i < m.pods.length; i++) {
      t.to(c, m, i, c, etcd, i, 2379, 2, 15_000, 25_000 * t.j());
      t.to(c, m, i, c, w('vectordb/milvus-pulsar'), 0, 6650, 2, name === 'milvus-datanode' ? 5 * MB : 200_000, 200_000);
    }
  }
  const proxy = w('vectordb/milvus-proxy');
  for (let i = 0; i < proxy.pods.length; i++) {
    t.to(c, proxy, i, c, w('vectordb/milvus-querynode'), i, 21123, ragN / 2, 4_000 * ragN / 2, 30_000 * ragN / 2);
    t.to(c, proxy, i, c, w('vectordb/milvus-mixcoord'), 0, 53100, 4, 20_000, 40_000);
  }
  const query = w('vectordb/milvus-querynode');
  for (let i = 0; i < query.pods.length; i++) t.to(c, query, i, c, vminio, i, 9000, 3, 20_000, (20 + 60 * load) * MB * t.j());
  t.to(c, w('vectordb/milvus-datanode'), 0, c, vminio, 0, 9000, 3, 30 * MB * t.j(), 50_000);
  if (hour >= 1 && hour < 3) t.to(c, w('vectordb/milvus-indexnode'), 0, c, vminio, 1, 9000, 8, 400 * MB * t.j(), 900 * MB * t.j());
  for (let i = 0; i < 3; i++) t.to(c, etcd, i, c, etcd, (i + 1) % 3, 2380, 2, 150_000, 40_000);
  for (let i = 0; i < 4; i++) t.to(c, vminio, i, c, vminio, (i + 1) % 4, 9000, 3, 80 * MB * t.j(), 60 * MB * t.j());
  // Usage metering and billing; billing reports to Stripe hourly and errors to Sentry.
  for (let i = 0; i < usage.pods.length; i++) {
    t.to(c, usage, i, c, w('apps/redis'), 0, 6379, requests / 4, 300 * requests / 4, 100 * requests / 4);
    t.to(c, usage, i, c, w('apps/postgres'), 0, 5432, 4, 200_000 * load, 30_000);
    if (r.chance(0.1)) t.ext(c, usage, i, EXT.sentry, 443, 1, 10_000, 800);
  }
  const billing = w('apps/billing-api');
  t.to(c, billing, 0, c, w('apps/postgres'), 0, 5432, 6, 40_000, 500_000);
  if (minute === 5) t.ext(c, billing, 0, EXT.stripe, 443, 10, 60_000, 80_000);
  if (r.chance(0.1)) t.ext(c, billing, r.int(0, 1), EXT.sentry, 443, 1, 12_000, 800);
  // System: the autoscaler polls EC2, EBS CSI attaches volumes, new CSI node pods read instance metadata.
  const autoscaler = w('kube-system/cluster-autoscaler');
  t.ext(c, autoscaler, 0, EXT.autoscalingEu, 443, 30, 60_000, 120_000, { dns: r.chance(0.5) });
  t.ext(c, autoscaler, 0, EXT.ec2Eu, 443, 30, 60_000, 300_000, { dns: r.chance(0.5) });
  const csi = w('kube-system/ebs-csi-controller');
  if (r.chance(0.2) || [...s.started].some((x) => x.cluster === c.name && x.namespace === 'ml-serve')) t.ext(c, csi, 0, EXT.ec2Eu, 443, 6, 20_000, 40_000);
  const csiNode = w('kube-system/ebs-csi-node');
  if (s.started.has(csiNode)) t.conn(pod(c, csiNode, csiNode.pods.length - 1), { kind: 'private', ip: '169.254.169.254' }, 80, 4, 1_200, 3_000);
  t.ext(c, w('backup/velero'), 0, s3('velero-infer-eu'), 443, 5, 10_000, 20_000, { dns: r.chance(0.3) });
  backup(s, c, t, window, w('backup/node-agent'), s3('velero-infer-eu'));
  if (r.chance(0.03)) t.ext(c, trivy, 0, r.pick(s.cloudfront.get(c)!), 443, 2, 8_000, 12 * MB * t.j());
}

// ── dev-us ─────────────────────────────────────────────────────────────────

function devApps(s: BenignState, t: Traffic, window: number): void {
  const c = s.p.dev;
  const { schedule, weekend } = day(s, window);
  const w = (key: string) => workload(c, key);
  const r = t.random;
  const load = usLoad(window, weekend);
  const postgres = w('data/postgres');
  const minio = w('data/minio');
  const hub = w('jupyterhub/hub');
  const proxy = w('jupyterhub/proxy');
  const inferIngress = workload(s.p.infer, 'ingress-nginx/ingress-nginx-controller');
  const hf = [EXT.hf, EXT.hfLfsUs, EXT.hfXet];

  // Notebooks: no egress gateway here, so they reach whatever their users need directly.
  t.to(c, proxy, 0, c, hub, 0, 8081, 4, 20_000, 30_000);
  let sessions = 0;
  for (const [nb, profile] of s.profiles) {
    if (!r.chance(Math.min(0.95, profile.activity * (0.15 + load)))) {
      if (r.chance(0.2)) t.to(c, hub, 0, c, nb, 0, 8888, 1, 800, 1_200);
      continue;
    }
    const requests = r.int(5, 40);
    sessions += requests;
    t.to(c, proxy, 0, c, nb, 0, 8888, requests, 200_000, 2 * MB);
    t.to(c, hub, 0, c, nb, 0, 8888, 1, 800, 1_200);
    for (let k = 0, m = r.int(1, 3); k < m; k++) t.ext(c, nb, 0, r.pick(profile.sites), 443, r.int(1, 6), 5_000 + r.next() * 45_000, (0.1 + r.next() * 25) * MB);
    if (r.chance(0.06)) t.ext(c, nb, 0, r.pick(LONG_TAIL), 443, r.int(1, 3), 20_000, (0.05 + r.next() * 5) * MB);
    if (r.chance(0.03)) t.ext(c, nb, 0, r.pick(s.cloudfront.get(c)!), 443, r.int(1, 4), 10_000, (1 + r.next() * 200) * MB);
    if (r.chance(0.04)) t.ext(c, nb, 0, r.pick(DATASET_BUCKETS), 443, r.int(2, 10), 30_000, (50 + r.next() * 450) * MB);
    if (r.chance(0.03)) t.ext(c, nb, 0, r.pick(hf), 443, r.int(4, 16), 60_000, (1 + r.next() * 4) * GB);
    if (profile.usesPlatformApi && r.chance(0.4)) { t.to(c, nb, 0, s.p.infer, inferIngress, r.int(0, 2), 443, r.int(2, 30), 60_000, 400_000); t.lookup(c, nb, 0, 'api.infer-eu.platform.example.com', ['172.20.40.50'], 2); }
    if (profile.usesOpenai && r.chance(0.35)) t.ext(c, nb, 0, EXT.openai, 443, r.int(1, 12), 30_000, 80_000);
    if (profile.usesAnthropic && r.chance(0.35)) t.ext(c, nb, 0, EXT.anthropic, 443, r.int(1, 8), 40_000, 90_000);
    if (profile.usesWandb && r.chance(0.5)) t.ext(c, nb, 0, EXT.wandb, 443, 1, 60_000, 10_000);
    if (r.chance(0.3)) t.to(c, nb, 0, c, postgres, 0, 5432, r.int(1, 3), 5_000, 200_000);
    if (r.chance(0.2)) t.to(c, nb, 0, c, minio, 0, 9000, r.int(1, 4), 2 * MB, (20 + r.next() * 180) * MB);
    if (r.chance(0.1)) t.to(c, nb, 0, c, w('ml-dev/mlflow-dev'), 0, 5000, 2, 30_000, 20_000);
    // Benign denials: a wrong port, and boto3 probing instance metadata (blocked by policy).
    if (r.chance(0.02)) t.to(c, nb, 0, c, postgres, 0, 5433, 1, 60, 0, { denied: true });
    if (r.chance(0.01)) t.conn(pod(c, nb), { kind: 'private', ip: '169.254.169.254' }, 80, 2, 120, 0, { denied: true });
  }
  // Users reach their notebooks through the hub's proxy (a LoadBalancer, from the office VPN range).
  if (sessions > 0) t.conn({ kind: 'public', ip: `198.51.100.${r.int(10, 40)}` }, pod(c, proxy), 443, sessions, 200_000 * sessions / 20, 2 * MB * sessions / 20);
  // CI: runners talk to GitHub and hand builds to BuildKit; BuildKit pulls bases and pushes to infer-eu's Harbor.
  const runner = w('ci/gh-runner');
  const buildkit = w('ci/buildkit');
  const cache = w('ci/image-cache');
  const pushing = schedule.pushes.filter((p) => window >= p.start && window < p.start + p.windows * WINDOW_MS);
  const building = schedule.pushes.some((p) => window >= p.start - 3 * WINDOW_MS && window < p.start);
  t.ext(c, runner, r.int(0, 9), EXT.ghPipelines, 443, 2 * runner.pods.length, 8_000 * runner.pods.length, 6_000 * runner.pods.length, { dns: r.chance(0.3) });
  for (let i = 0; i < runner.pods.length; i++) {
    if (!r.chance(0.2 + 0.6 * load) && !building) continue;
    t.ext(c, runner, i, EXT.github, 443, r.int(2, 6), 40_000, (1 + r.next() * 30) * MB);
    t.ext(c, runner, i, EXT.githubApi, 443, r.int(4, 20), 60_000, 300_000);
    t.ext(c, runner, i, EXT.ghResults, 443, 2, 200_000, 5_000);
    if (r.chance(0.5)) t.ext(c, runner, i, EXT.githubObjects, 443, 2, 5_000, (5 + r.next() * 60) * MB);
    if (r.chance(0.6)) t.ext(c, runner, i, r.pick([EXT.pypi, EXT.pythonhosted]), 443, r.int(2, 12), 30_000, (10 + r.next() * 200) * MB);
    t.to(c, runner, i, c, buildkit, i % 2, 1234, 2, 2 * MB, 200_000);
  }
  if (building || pushing.length > 0 || r.chance(0.1)) {
    t.ext(c, buildkit, 0, EXT.dockerAuth, 443, 2, 4_000, 8_000);
    t.ext(c, buildkit, 0, EXT.dockerhub, 443, 4, 20_000, 100_000);
    t.ext(c, buildkit, 0, EXT.dockerCdn, 443, 6, 40_000, (100 + r.next() * 900) * MB);
    if (r.chance(0.5)) t.ext(c, buildkit, 1, EXT.pytorch, 443, 4, 30_000, (0.8 + r.next() * 1.2) * GB);
    if (r.chance(0.5)) t.ext(c, buildkit, 1, EXT.pythonhosted, 443, 10, 40_000, (50 + r.next() * 300) * MB);
    t.to(c, buildkit, 0, c, cache, 0, 5000, 6, 60_000, (50 + r.next() * 500) * MB);
  }
  if (r.chance(0.1)) t.ext(c, cache, 0, EXT.dockerhub, 443, 4, 20_000, (20 + r.next() * 300) * MB);
  const harbor = workload(s.p.infer, 'registry/harbor-core');
  const harborRegistry = workload(s.p.infer, 'registry/harbor-registry');
  for (const push of pushing) {
    const bytes = push.bytes / push.windows;
    t.to(c, buildkit, 0, s.p.infer, harbor, r.int(0, 1), 8080, 30, bytes, 400_000);
    t.to(s.p.infer, harbor, 0, s.p.infer, harborRegistry, r.int(0, 1), 5000, 30, bytes, 200_000);
    t.ext(s.p.infer, harborRegistry, 0, s3('harbor-infer-eu'), 443, 30, bytes, 300_000, { dns: r.chance(0.5) });
    t.svcLookup(c, buildkit, 0, harbor, 6, 'svc.clusterset.local');
  }
  // The dev trainer: HF models and datasets, dev MinIO, wandb.
  const trainer = w('ml-dev/trainer-dev');
  if (trainer.pods.length > 0) {
    if (s.started.has(trainer)) {
      t.ext(c, trainer, 0, EXT.pypi, 443, 4, 20_000, 1 * MB);
      t.ext(c, trainer, 0, EXT.pythonhosted, 443, 10, 40_000, 400 * MB * t.j());
      t.ext(c, trainer, 0, r.pick(hf), 443, 12, 60_000, (1 + r.next() * 2) * GB);
    }
    t.to(c, trainer, 0, c, minio, 0, 9000, 3, 20_000, 100 * MB * t.j());
    t.ext(c, trainer, 0, EXT.wandb, 443, 2, 100_000, 15_000);
    if (r.chance(0.2)) t.ext(c, trainer, 0, EXT.sentryUs, 443, 1, 10_000, 800);
  }
  // Dev apps with public LoadBalancers: the playground, Streamlit, Label Studio.
  const playground = w('ml-dev/llm-playground');
  const users = Math.max(0, Math.round(8 * load * t.j(0.3)));
  for (let i = 0; i < Math.min(users, 2); i++) t.conn({ kind: 'public', ip: `${r.pick(['73.12', '98.207', '172.58', '24.4', '67.180'])}.${r.int(1, 254)}.${r.int(1, 254)}` }, pod(c, playground), 8080, r.int(1, 4) * users / 2, 3_000 * users, 40_000 * users);
  const streamlit = w('ml-dev/streamlit-demo');
  if (r.chance(0.3 + 0.5 * load)) {
    t.conn({ kind: 'public', ip: `73.12.${r.int(1, 254)}.${r.int(1, 254)}` }, pod(c, streamlit), 8501, r.int(2, 20), 20_000, 600_000);
    t.to(c, streamlit, 0, c, playground, 0, 8080, r.int(1, 6), 5_000, 30_000);
    if (r.chance(0.4)) t.ext(c, streamlit, 0, EXT.openai, 443, r.int(1, 4), 8_000, 20_000);
  }
  const labelStudio = w('ml-dev/label-studio');
  t.to(c, labelStudio, 0, c, postgres, 0, 5432, 3, 20_000, 90_000);
  if (r.chance(0.2 + 0.6 * load)) {
    t.conn({ kind: 'public', ip: `${r.pick(['41.90', '102.89', '196.216'])}.${r.int(1, 254)}.${r.int(1, 254)}` }, pod(c, labelStudio), 8080, r.int(5, 30), 80_000, 3 * MB);
    t.ext(c, labelStudio, 0, s3('labeling-assets-dev', 'us-east-1'), 443, r.int(2, 10), 10_000, (5 + r.next() * 25) * MB);
  }
  const mlflow = w('ml-dev/mlflow-dev');
  t.to(c, mlflow, 0, c, postgres, 0, 5432, 2, 10_000, 30_000);
  if (r.chance(0.3)) t.to(c, mlflow, 0, c, minio, 0, 9000, 2, 5 * MB, 1 * MB);
  t.to(c, w('argo/argo-server'), 0, c, w('argo/workflow-controller'), 0, 9090, 1, 2_000, 4_000);
  // Hubble Relay reads every node's Hubble server.
  const relay = w('kube-system/hubble-relay');
  for (let i = 0; i < c.nodes.length; i++) t.conn(pod(c, relay), { kind: 'host', cluster: c, node: i }, 4244, 1, 20_000, 400_000);
  // Nightly restic backup (pg_dump first), Sunday full.
  const restic = w('backup/restic-backup');
  if (restic.pods.length > 0) {
    if (s.started.has(restic)) t.to(c, restic, 0, c, postgres, 0, 5432, 2, 20_000, 200 * MB * t.j());
    backup(s, c, t, window, restic, s3('restic-dev-us', 'us-east-1'));
  }
}

/** Everything benign in one window. */
export function platformBenign(s: BenignState, window: number, out: SimWindow): void {
  churn(s, window);
  const t = new Traffic(out, window, s.random, s.noisy, s.nodeDomain);
  for (const c of s.p.clusters) systemTraffic(s, c, t, window);
  trainApps(s, t, window);
  inferApps(s, t, window);
  devApps(s, t, window);
}

