/**
 * External services of the platform world and the helpers that turn "workload X talks to Y"
 * into simulated connections and DNS lookups (with the search-path NXDOMAIN noise of ndots:5).
 */
import type { Random } from './random.ts';
import type { SimCluster, SimWorkload } from './topology.ts';
import { pod, type SimEndpoint, type SimWindow } from './traffic.ts';

export interface Service {
  fqdn: string;
  ips: string[];
}

const svc = (fqdn: string, ips: string[]): Service => ({ fqdn, ips });

/** A stable pseudo-random 32-bit hash (FNV-1a) of a string. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A plausible address in one of a few CDN / cloud ranges, stable per name. */
export function ipFor(name: string): string {
  const h = hash(name);
  const ranges = ['104.18', '172.67', '151.101', '18.239', '13.224', '34.120', '35.190', '52.84', '185.199'];
  return `${ranges[h % ranges.length]}.${(h >>> 8) % 254 + 1}.${(h >>> 16) % 254 + 1}`;
}

const S3_EU = ['52.218.100.34', '52.218.105.171', '52.218.57.75', '52.92.18.106', '3.5.70.152', '3.5.72.3', '52.218.88.211', '52.92.35.42'];
const S3_US = ['52.217.162.25', '52.216.137.44', '3.5.28.174', '52.217.74.196', '54.231.198.89', '16.182.71.9', '52.216.216.42', '3.5.17.211'];

/** Virtual-hosted S3 bucket endpoints: each name resolves to a rotating set of S3 addresses. */
export const s3 = (bucket: string, region: 'eu-west-1' | 'us-east-1' | 'global' = 'eu-west-1'): Service =>
  svc(region === 'global' ? `${bucket}.s3.amazonaws.com` : `${bucket}.s3.${region}.amazonaws.com`, region === 'eu-west-1' ? S3_EU : S3_US);

export const EXT = {
  wandb: svc('api.wandb.ai', ['35.186.228.49']),
  gcs: svc('storage.googleapis.com', ['142.250.74.91', '142.250.74.123', '172.217.18.27']),
  sentry: svc('o4507310128824320.ingest.de.sentry.io', ['34.107.5.64']),
  sentryUs: svc('o4506982114705408.ingest.us.sentry.io', ['34.120.195.249']),
  ddLogsEu: svc('http-intake.logs.datadoghq.eu', ['34.107.172.23', '35.190.76.159']),
  ddLogsUs5: svc('http-intake.logs.us5.datadoghq.com', ['34.149.66.137']),
  ddApiEu: svc('api.datadoghq.eu', ['34.107.236.155']),
  openai: svc('api.openai.com', ['162.159.140.245', '172.66.0.243']),
  anthropic: svc('api.anthropic.com', ['160.79.104.10']),
  gemini: svc('generativelanguage.googleapis.com', ['142.250.179.170', '216.58.206.42']),
  github: svc('github.com', ['140.82.121.3', '140.82.121.4']),
  githubApi: svc('api.github.com', ['140.82.121.6']),
  githubObjects: svc('objects.githubusercontent.com', ['185.199.108.133', '185.199.109.133']),
  githubRaw: svc('raw.githubusercontent.com', ['185.199.110.133', '185.199.111.133']),
  ghPipelines: svc('pipelines.actions.githubusercontent.com', ['13.107.42.16']),
  ghResults: svc('results-receiver.actions.githubusercontent.com', ['20.85.130.105']),
  ghcr: svc('ghcr.io', ['140.82.121.34']),
  ghPkg: svc('pkg-containers.githubusercontent.com', ['185.199.111.154', '185.199.108.154']),
  dockerhub: svc('registry-1.docker.io', ['54.236.113.205', '44.205.64.79', '3.94.224.37']),
  dockerAuth: svc('auth.docker.io', ['3.216.34.172', '34.226.69.105']),
  dockerCdn: svc('production.cloudflare.docker.com', ['104.16.100.207', '104.16.101.207']),
  pypi: svc('pypi.org', ['151.101.0.223', '151.101.64.223']),
  pythonhosted: svc('files.pythonhosted.org', ['151.101.128.223', '151.101.192.223']),
  pytorch: svc('download.pytorch.org', ['18.239.36.64', '18.239.36.118', '18.239.36.25']),
  condaforge: svc('conda.anaconda.org', ['104.17.93.24', '104.17.92.24']),
  hf: svc('huggingface.co', ['18.244.202.60', '18.244.202.73', '18.244.202.118']),
  hfLfs: svc('cdn-lfs.hf.co', ['18.238.192.12', '18.238.192.81']),
  hfLfsUs: svc('cdn-lfs-us-1.hf.co', ['18.154.227.7', '18.154.227.46']),
  hfXet: svc('cas-bridge.xethub.hf.co', ['18.154.63.23', '18.154.63.115']),
  hfDatasets: svc('datasets-server.huggingface.co', ['18.244.202.24']),
  kaggle: svc('www.kaggle.com', ['35.244.233.98']),
  arxiv: svc('arxiv.org', ['151.101.3.42', '151.101.67.42']),
  letsencrypt: svc('acme-v02.api.letsencrypt.org', ['172.65.32.248']),
  secretsEu: svc('secretsmanager.eu-west-1.amazonaws.com', ['52.95.121.10', '52.95.120.21']),
  stsEu: svc('sts.eu-west-1.amazonaws.com', ['52.94.1.44']),
  ec2Eu: svc('ec2.eu-west-1.amazonaws.com', ['52.95.120.66', '52.95.121.74']),
  autoscalingEu: svc('autoscaling.eu-west-1.amazonaws.com', ['52.95.122.18']),
  stripe: svc('api.stripe.com', ['54.187.174.169', '54.187.216.72']),
  slack: svc('hooks.slack.com', ['3.71.119.93']),
  pagerduty: svc('events.pagerduty.com', ['52.39.58.59']),
  commoncrawl: svc('data.commoncrawl.org', ['18.160.46.47', '18.160.46.103']),
  commoncrawlS3: s3('commoncrawl', 'global'),
};

/** Sites notebooks reach now and then besides their habits (docs, datasets, APIs): the long tail. */
export const LONG_TAIL = [
  'docs.python.org', 'numpy.org', 'pandas.pydata.org', 'scikit-learn.org', 'pytorch.org', 'www.tensorflow.org', 'jax.readthedocs.io',
  'zenodo.org', 'dl.fbaipublicfiles.com', 'openaipublic.blob.core.windows.net', 'api.together.xyz', 'api.groq.com', 'api.mistral.ai',
  'api.cohere.ai', 'api.replicate.com', 'openrouter.ai', 'www.openml.org', 'archive.ics.uci.edu', 'paperswithcode.com', 'www.nltk.org',
  'download.docker.com', 'get.helm.sh', 'dl.k8s.io', 'github-releases.githubusercontent.com', 'codeload.github.com', 'gitlab.com',
  'storage.googleapis.com', 'commondatastorage.googleapis.com', 'cloud.r-project.org', 'repo.anaconda.com', 'developer.download.nvidia.com',
  'nvcr.io', 'authn.nvidia.com', 'api.ngc.nvidia.com', 'www.dropbox.com', 'dl.dropboxusercontent.com', 'drive.google.com',
  'docs.google.com', 'sheets.googleapis.com', 'oauth2.googleapis.com', 'login.microsoftonline.com', 'graph.microsoft.com',
  'api.semanticscholar.org', 'export.arxiv.org', 'www.wikipedia.org', 'dumps.wikimedia.org', 'upload.wikimedia.org', 'news.ycombinator.com',
  'files.slack.com', 'api.notion.com', 'app.posthog.com', 'api.segment.io', 'api.mixpanel.com', 'huggingface.co', 'spaces.huggingface.tech',
].map((fqdn) => svc(fqdn, [ipFor(fqdn), ipFor(`${fqdn}#2`)]));

/** Public dataset buckets (virtual-hosted S3 names). */
export const DATASET_BUCKETS = ['ai2-public-datasets', 'open-images-dataset', 'fast-ai-nlp', 'fast-ai-imageclas', 'nyc-tlc', 'sagemaker-sample-files',
  'pytorch-tutorial-assets', 'allennlp', 'laion-ai-mirror', 'mlcommons-datasets', 'openwebtext2', 'the-stack-dedup', 'coco-dataset', 'librispeech-mirror',
].map((b) => s3(b, 'global'));

/** CloudFront distributions (random-looking `d…` names) behind docs and dataset downloads. */
export function cloudfrontNames(random: Random, n: number): Service[] {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: n }, () => {
    let id = 'd';
    for (let i = 0; i < 13; i++) id += alphabet[Math.floor(random.next() * alphabet.length)];
    const fqdn = `${id}.cloudfront.net`;
    return svc(fqdn, [ipFor(fqdn), ipFor(`${fqdn}#2`)]);
  });
}

export const MB = 1_000_000;
export const GB = 1_000_000_000;

/** Per-window traffic builder: connections and lookups, jittered, with DNS noise. */
export class Traffic {
  /** Workloads whose pods use ndots:5 search paths for external names (NXDOMAIN noise). */
  readonly noisy: Set<SimWorkload>;
  /** Suffix of the node-local search domain per cluster (`eu-west-1.compute.internal`). */
  readonly nodeDomain: Map<SimCluster, string>;

  readonly out: SimWindow;
  readonly window: number;
  readonly random: Random;

  constructor(out: SimWindow, window: number, random: Random, noisy: Set<SimWorkload>, nodeDomain: Map<SimCluster, string>) {
    this.out = out;
    this.window = window;
    this.random = random;
    this.noisy = noisy;
    this.nodeDomain = nodeDomain;
  }

  /** Jitter around 1 (×0.6 … ×1.6 at the default spread). */
  j(spread = 0.3): number {
    return this.random.jitter(spread);
  }

  conn(src: SimEndpoint, dst: SimEndpoint, port: number, connections: number, bytesOut: number, bytesIn: number, options: { protocol?: 'tcp' | 'udp'; denied?: boolean; scenario?: string; at?: number[]; noReply?: boolean } = {}): void {
    if (src.kind === 'pod' && src.workload.pods.length === 0) return;
    if (dst.kind === 'pod' && dst.workload.pods.length === 0) return;
    this.out.connections.push({
      window: this.window, src, dst, port, protocol: options.protocol ?? 'tcp',
      connections: Math.max(1, Math.round(connections)), bytesOut: Math.max(0, Math.round(bytesOut)), bytesIn: Math.max(0, Math.round(bytesIn)),
      denied: options.denied ?? false,
      ...(options.at !== undefined ? { at: options.at } : {}),
      ...(options.noReply === true ? { noReply: true } : {}),
      ...(options.scenario !== undefined ? { scenario: options.scenario } : {}),
    });
  }

  /** Pod-to-pod within or across clusters. */
  to(c: SimCluster, w: SimWorkload, podIndex: number, dc: SimCluster, dst: SimWorkload, dstPod: number, port: number, connections: number, bytesOut: number, bytesIn: number, options: { denied?: boolean; scenario?: string; protocol?: 'tcp' | 'udp' } = {}): void {
    this.conn(pod(c, w, podIndex), pod(dc, dst, dstPod), port, connections, bytesOut, bytesIn, options);
  }

  lookup(c: SimCluster, client: SimWorkload, podIndex: number, qname: string, ips: string[], count: number, options: { qtype?: string; rcode?: 'NoError' | 'NXDomain'; ttl?: number; scenario?: string } = {}): void {
    if (client.pods.length === 0) return;
    this.out.lookups.push({
      window: this.window, cluster: c, client, pod: podIndex % client.pods.length, qname, qtype: options.qtype ?? 'A', rcode: options.rcode ?? 'NoError',
      ips, ttl: options.ttl ?? 60, count: Math.max(1, Math.round(count)), ...(options.scenario !== undefined ? { scenario: options.scenario } : {}),
    });
  }

  /** Resolves an external name (A, and AAAA for some clients), with search-path misses for ndots:5 clients. */
  resolve(c: SimCluster, client: SimWorkload, podIndex: number, s: Service, connections: number, options: { scenario?: string } = {}): void {
    const count = Math.max(1, Math.min(Math.round(connections), this.random.int(1, 4)));
    this.lookup(c, client, podIndex, s.fqdn, s.ips, count, { ttl: 60, ...options });
    if (!this.noisy.has(client)) return;
    const suffixes = [`${client.namespace}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local', this.nodeDomain.get(c)!];
    for (const suffix of suffixes) this.lookup(c, client, podIndex, `${s.fqdn}.${suffix}`, [], count, { rcode: 'NXDomain', ttl: 30, ...options });
    this.lookup(c, client, podIndex, s.fqdn, [], count, { qtype: 'AAAA', ttl: 60, ...options });
  }

  /** A connection to an external service plus the lookup that found it. */
  ext(c: SimCluster, w: SimWorkload, podIndex: number, s: Service, port: number, connections: number, bytesOut: number, bytesIn: number, options: { denied?: boolean; scenario?: string; dns?: boolean } = {}): void {
    if (w.pods.length === 0) return;
    this.conn(pod(c, w, podIndex), { kind: 'public', ip: this.random.pick(s.ips), fqdn: s.fqdn }, port, connections, bytesOut, bytesIn, options);
    if (options.dns !== false) this.resolve(c, w, podIndex, s, connections, options);
  }

  /** An in-cluster Service lookup (`name.namespace.svc.cluster.local`). */
  svcLookup(c: SimCluster, client: SimWorkload, podIndex: number, target: SimWorkload, count: number, domain = 'svc.cluster.local'): void {
    const h = hash(`${target.cluster}/${target.namespace}/${target.name}`);
    this.lookup(c, client, podIndex, `${target.name}.${target.namespace}.${domain}`, [`10.96.${h % 250}.${((h >>> 8) % 250) + 1}`], count, { ttl: 30 });
  }
}
